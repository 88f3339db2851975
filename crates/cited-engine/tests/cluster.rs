//! The cluster configuration: catalog on the machine's PostgreSQL server, vectors and BM25 on a Qdrant
//! server (`QDRANT_URL`; skipped without it, `REQUIRE_QDRANT=1` makes the skip a failure). Two engines
//! with data directories of their own stand for two `cited serve` nodes: one ingests, the other sees it
//! after the commit and answers every question as the first does; a node with a local index is refused
//! the shared catalog.

mod common;

use cited_catalog::postgres::ScratchDatabase;
use cited_engine::Engine;
use common::*;

/// The Qdrant server to test against, or `None` (skip).
fn qdrant_url() -> Option<String> {
    match std::env::var("QDRANT_URL") {
        Ok(url) => Some(url),
        Err(_) if std::env::var("REQUIRE_QDRANT").as_deref() == Ok("1") => {
            panic!("REQUIRE_QDRANT=1 but QDRANT_URL is not set")
        }
        Err(_) => {
            eprintln!("QDRANT_URL not set: the cluster test is skipped");
            None
        }
    }
}

fn node_config(
    data_dir: &std::path::Path,
    postgres: &str,
    qdrant: &str,
    prefix: &str,
) -> cited_engine::Config {
    let mut config = keyed_config(data_dir);
    let st = &mut config.storage;
    st.catalog = "postgres".into();
    st.postgres_url = Some(postgres.to_string());
    st.vectors = "qdrant".into();
    st.lexical = "qdrant".into();
    st.qdrant_url = Some(qdrant.to_string());
    st.qdrant_api_key = std::env::var("QDRANT_API_KEY").ok();
    st.qdrant_collection = prefix.to_string();
    config
}

/// Drops the run's collections at the end, whatever happened.
struct DropCollections(cited_qdrant::QdrantSettings);

impl Drop for DropCollections {
    fn drop(&mut self) {
        let dropped = cited_qdrant::QdrantConnection::connect(self.0.clone())
            .and_then(|c| c.drop_collections());
        if let Err(e) = dropped {
            eprintln!("could not drop the test collections: {e}");
        }
    }
}

#[test]
fn two_nodes_on_one_catalog_and_one_qdrant_answer_alike_and_see_each_others_ingest() {
    let Some(qdrant) = qdrant_url() else {
        return;
    };
    let db = ScratchDatabase::create(&server_url(), "cluster")
        .expect("the machine's PostgreSQL server answers");
    let prefix = format!("cited_cluster_{}", uuid::Uuid::new_v4().simple());
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let config_a = node_config(dir_a.path(), &db.url, &qdrant, &prefix);
    let _cleanup = DropCollections(config_a.storage.qdrant_settings().expect("settings"));
    let node_a = Engine::open(config_a).expect("node A opens");
    let node_b = Engine::open(node_config(dir_b.path(), &db.url, &qdrant, &prefix))
        .expect("node B opens on the same catalog and collections");

    let report = node_a
        .ingest_paths(&[repo_root().join("corpus")], &mut no_progress())
        .expect("ingest through node A");
    assert!(report.added > 5, "{report:#?}");
    let check = node_b.check().expect("check from node B");
    assert!(check.is_consistent(), "{check:#?}");
    assert!(check.lexical_chunks > 0 && check.lexical_chunks == check.vector_chunks);

    let questions = [
        "How soon must antibiotics be given in sepsis?",
        "What is the enoxaparin dose when creatinine clearance is below 30?",
        "Does Medicare cover a CPAP trial for an AHI of 10?",
        "waht enoxaprin dose for renel impairment?",
        "What does the Noridian LCD for home oxygen require in California?",
    ];
    for q in questions {
        let (a, b) = (
            shown(&ask_as_clinician(&node_a, q, false)),
            shown(&ask_as_clinician(&node_b, q, false)),
        );
        assert_eq!(a, b, "both nodes answer {q:?} alike");
    }
    let first = ask_as_clinician(&node_b, questions[0], false);
    assert_eq!(
        first.status,
        cited_core::AnswerStatus::Answered,
        "{first:#?}"
    );

    // An ingest through B is visible through A once committed.
    let new_docs = tempfile::tempdir().expect("tempdir");
    write(
        new_docs.path(),
        "falls.md",
        "---\nid: TEST-FALL-001\ntitle: Bed alarm protocol\nversion: \"1\"\ndoc_type: clinical_protocol\n\
         effective_date: \"2024-01-01\"\n---\n# Bed alarms\n\nTurn on the zebrafish bed alarm for every \
         patient with a Morse fall score of 45 or more.\n",
    );
    node_b
        .ingest_paths(&[new_docs.path().to_path_buf()], &mut no_progress())
        .expect("ingest through node B");
    let hits = node_a
        .search(&cited_core::SearchRequest {
            query: "zebrafish bed alarm".into(),
            mode: cited_core::SearchMode::Hybrid,
            k: 3,
            filters: Vec::new(),
            as_of: None,
            access: cited_core::Access::Operator,
        })
        .expect("search through node A");
    assert_eq!(
        hits.hits.first().map(|h| h.doc_id.as_str()),
        Some("TEST-FALL-001"),
        "{hits:#?}"
    );

    // A node with a local index may not join: its chunks would be missing from everyone else's.
    let dir_c = tempfile::tempdir().expect("tempdir");
    let mut mixed = node_config(dir_c.path(), &db.url, &qdrant, &prefix);
    mixed.storage.lexical = "tantivy".into();
    let err = Engine::open(mixed).err().expect("refused");
    assert!(
        err.to_string().contains("belongs to other indexes"),
        "{err}"
    );

    // Node B, mid-ingest, holds the lease and has a pending version; a node starting meanwhile leaves
    // it alone. Once B is gone (lease released), the next start removes it.
    let lease = node_b
        .catalog()
        .ingest_lease(true)
        .expect("lease")
        .expect("held");
    let meta = serde_json::Map::new();
    let text = "Pending text of an ingest in progress.";
    node_b
        .catalog()
        .insert_pending(
            &cited_catalog::NewVersion {
                doc_id: "TEST-PENDING",
                version: "1",
                title: "In progress",
                doc_type: "protocol",
                effective_date: None,
                end_date: None,
                declared_status: None,
                content_hash: "0",
                source: "in-progress.md",
                metadata: &meta,
                canonical_text: text,
            },
            &[cited_core::NewChunk {
                ordinal: 0,
                section: String::new(),
                page: None,
                start: 0,
                end: text.len(),
            }],
        )
        .expect("pending version");
    drop(node_a);
    let dir_a2 = tempfile::tempdir().expect("tempdir");
    let node_a = Engine::open(node_config(dir_a2.path(), &db.url, &qdrant, &prefix))
        .expect("a node starts while another ingests");
    assert_eq!(
        node_a.recovery().removed_pending_versions,
        0,
        "another node's ingest in progress is not abandoned work"
    );
    drop(lease);
    drop(node_b);
    drop(node_a);
    let node_a =
        Engine::open(node_config(dir_a2.path(), &db.url, &qdrant, &prefix)).expect("restart");
    assert_eq!(node_a.recovery().removed_pending_versions, 1);
    assert!(node_a.check().expect("check").is_consistent());
}
