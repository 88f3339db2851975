//! One contract for every catalog store: the same calls, the same answers, on the embedded SQLite file and
//! on the machine's PostgreSQL server (a fresh database per test, dropped afterwards). The server is
//! `CITED_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`); it is required, not
//! skipped: every test machine has one.

use std::collections::BTreeSet;
use std::process::Command;

use chrono::NaiveDate;
use cited_catalog::postgres::ScratchDatabase;
use cited_catalog::{
    ApiToken, AuditEntry, AuditQuery, CatalogError, CatalogLocation, CatalogStore, NewReview,
    NewVersion,
};
use cited_core::{MetadataFilter, NewChunk};

const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432/test";

fn server_url() -> String {
    std::env::var("CITED_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_SERVER.to_string())
}

/// A fresh database on the machine's server, dropped when the test ends.
struct FreshDatabase(ScratchDatabase);

impl FreshDatabase {
    fn new(tag: &str) -> Self {
        Self(
            ScratchDatabase::create(&server_url(), &format!("contract_{tag}"))
                .expect("the PostgreSQL server of the machine (CITED_TEST_POSTGRES_URL) answers"),
        )
    }

    fn url(&self) -> String {
        self.0.url.clone()
    }

    fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.0.url, postgres::NoTls)
            .expect("connect to the test database")
    }
}

fn postgres_store(db: &FreshDatabase) -> Box<dyn CatalogStore> {
    cited_catalog::open(&CatalogLocation::Postgres {
        url: db.url(),
        max_connections: 4,
    })
    .expect("open the PostgreSQL catalog")
}

fn sqlite_store(dir: &tempfile::TempDir) -> Box<dyn CatalogStore> {
    cited_catalog::open(&CatalogLocation::Sqlite(dir.path().join("catalog.sqlite")))
        .expect("open the SQLite catalog")
}

/// Runs `check` against a fresh store of each kind.
fn on_every_store(check: impl Fn(&dyn CatalogStore)) {
    let dir = tempfile::tempdir().expect("tempdir");
    check(sqlite_store(&dir).as_ref());
    let db = FreshDatabase::new("each");
    check(postgres_store(&db).as_ref());
}

fn metadata(pairs: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match pairs {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

/// Text with multi-byte characters: chunk offsets are UTF-8 byte offsets.
const TEXT: &str =
    "# CPAP — coverage\n\nAHI ≥ 15 events/hour qualifies.\n\nRe-evaluate after 12 weeks.";

fn chunks_of(text: &str) -> Vec<NewChunk> {
    let first_end = text.find("\n\nRe-").expect("second paragraph");
    vec![
        NewChunk {
            ordinal: 0,
            section: "CPAP — coverage".into(),
            page: Some(1),
            start: 0,
            end: first_end,
        },
        NewChunk {
            ordinal: 1,
            section: "CPAP — coverage".into(),
            page: None,
            start: first_end + 2,
            end: text.len(),
        },
    ]
}

#[allow(clippy::too_many_arguments)]
fn new_version<'a>(
    doc_id: &'a str,
    version: &'a str,
    doc_type: &'a str,
    hash: &'a str,
    source: &'a str,
    meta: &'a serde_json::Map<String, serde_json::Value>,
    text: &'a str,
    effective: Option<NaiveDate>,
) -> NewVersion<'a> {
    NewVersion {
        doc_id,
        version,
        title: "CPAP for obstructive sleep apnea",
        doc_type,
        effective_date: effective,
        end_date: None,
        declared_status: None,
        content_hash: hash,
        source,
        metadata: meta,
        canonical_text: text,
    }
}

#[test]
fn versions_stay_invisible_until_committed_and_chunks_slice_the_exact_bytes() {
    on_every_store(|store| {
        let meta =
            metadata(serde_json::json!({"payer": "Medicare (CMS)", "codes": ["E0601", "G0398"]}));
        let g0 = store.generation().expect("generation");
        let effective = NaiveDate::from_ymd_opt(2024, 1, 1);
        let v = new_version(
            "NCD-240.4",
            "1",
            "coverage",
            "h1",
            "ncd/240.4.md",
            &meta,
            TEXT,
            effective,
        );
        let (id, chunk_ids) = store.insert_pending(&v, &chunks_of(TEXT)).expect("insert");
        assert_eq!(chunk_ids.len(), 2);
        assert!(
            store.generation().expect("generation") > g0,
            "{}",
            store.backend()
        );
        assert_eq!(store.pending_versions().expect("pending"), vec![id]);
        // A pending version is in the catalog but no reader sees it.
        assert!(store.chunks(&chunk_ids).expect("chunks").is_empty());
        assert!(store.committed_versions().expect("committed").is_empty());
        assert_eq!(store.counts().expect("counts").versions, 0);
        assert_eq!(
            store
                .find_version("NCD-240.4", "1")
                .expect("find")
                .map(|v| v.version_id),
            Some(id)
        );
        assert!(
            store
                .unchanged_source("ncd/240.4.md", "fp1")
                .expect("source")
                .is_none()
        );

        let g1 = store.generation().expect("generation");
        store.commit_versions(&[id]).expect("commit");
        assert!(store.generation().expect("generation") > g1);
        store
            .record_source("ncd/240.4.md", "fp1", id)
            .expect("record source");
        assert_eq!(
            store
                .unchanged_source("ncd/240.4.md", "fp1")
                .expect("source"),
            Some(id)
        );
        assert_eq!(
            store
                .unchanged_source("ncd/240.4.md", "fp2")
                .expect("source"),
            None
        );

        // Chunks come back in the order asked, their text the exact byte range, unknown ids left out.
        let asked = [chunk_ids[1], 999_999, chunk_ids[0]];
        let got = store.chunks(&asked).expect("chunks");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].chunk.chunk_id, chunk_ids[1]);
        assert_eq!(got[0].chunk.text, "Re-evaluate after 12 weeks.");
        assert_eq!(
            got[1].chunk.text,
            "# CPAP — coverage\n\nAHI ≥ 15 events/hour qualifies."
        );
        assert_eq!(got[1].chunk.span.page, Some(1));
        assert_eq!(got[0].chunk.span.page, None);
        assert_eq!(got[1].chunk.span.section, "CPAP — coverage");
        assert_eq!(
            (got[1].doc_id.as_str(), got[1].version.as_str()),
            ("NCD-240.4", "1")
        );
        assert_eq!(store.chunk_ids_of(id).expect("chunk ids"), chunk_ids);

        let stored = store.versions_of("NCD-240.4").expect("versions");
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].effective_date, effective);
        assert_eq!(stored[0].metadata, meta);
        assert_eq!(
            store.canonical_text(id).expect("text").as_deref(),
            Some(TEXT)
        );
        let counts = store.counts().expect("counts");
        assert_eq!(
            (counts.documents, counts.versions, counts.chunks),
            (1, 1, 2)
        );

        // The same label with other content is refused; the catalog is unchanged.
        let other = new_version(
            "NCD-240.4",
            "1",
            "coverage",
            "h2",
            "elsewhere.md",
            &meta,
            "x",
            None,
        );
        match store.insert_pending(&other, &[]) {
            Err(CatalogError::VersionConflict {
                existing,
                existing_source,
                ..
            }) => {
                assert_eq!(
                    (existing.as_str(), existing_source.as_str()),
                    ("h1", "ncd/240.4.md")
                );
            }
            other => panic!(
                "{}: expected a version conflict, got {other:?}",
                store.backend()
            ),
        }

        // Deleting a version takes its chunks and source record with it.
        store.delete_versions(&[id]).expect("delete");
        assert!(store.all_version_ids().expect("ids").is_empty());
        assert!(store.chunk_ids_of(id).expect("chunk ids").is_empty());
        assert!(
            store
                .unchanged_source("ncd/240.4.md", "fp1")
                .expect("source")
                .is_none()
        );
        assert!(
            store.durable_commits().expect("durability"),
            "{}",
            store.backend()
        );
    });
}

#[test]
fn filters_match_columns_scalars_and_list_items_of_committed_versions_only() {
    on_every_store(|store| {
        let a = metadata(
            serde_json::json!({"payer": "Medicare (CMS)", "codes": ["E0601", "G0398"], "year": 2024}),
        );
        let b = metadata(serde_json::json!({"payer": "Northwind Health Plan", "codes": "E0601"}));
        let c = metadata(serde_json::json!({"payer": "Hidden (pending)", "draft": true}));
        let (ia, _) = store
            .insert_pending(
                &new_version("A", "1", "coverage", "ha", "a.md", &a, "a", None),
                &[],
            )
            .expect("a");
        let (ib, _) = store
            .insert_pending(
                &new_version("B", "1", "protocol", "hb", "b.md", &b, "b", None),
                &[],
            )
            .expect("b");
        store
            .insert_pending(
                &new_version("C", "1", "coverage", "hc", "c.md", &c, "c", None),
                &[],
            )
            .expect("c");
        store.commit_versions(&[ia, ib]).expect("commit");

        let matching = |filters: &[(&str, &str)]| {
            let filters: Vec<MetadataFilter> = filters
                .iter()
                .map(|(k, v)| MetadataFilter {
                    key: k.to_string(),
                    value: v.to_string(),
                })
                .collect();
            let mut ids: Vec<i64> = store
                .versions_matching(&filters)
                .expect("match")
                .into_iter()
                .collect();
            ids.sort();
            ids
        };
        assert_eq!(matching(&[]), vec![ia, ib]);
        assert_eq!(matching(&[("doc_type", "coverage")]), vec![ia]);
        assert_eq!(
            matching(&[("codes", "E0601")]),
            vec![ia, ib],
            "list item or scalar"
        );
        assert_eq!(matching(&[("codes", "G0398")]), vec![ia]);
        assert_eq!(matching(&[("codes", "E0601"), ("doc_id", "B")]), vec![ib]);
        assert_eq!(
            matching(&[("year", "2024")]),
            vec![ia],
            "a number matches its text"
        );
        assert_eq!(
            matching(&[("payer", "Hidden (pending)")]),
            Vec::<i64>::new()
        );
        assert_eq!(matching(&[("missing", "x")]), Vec::<i64>::new());

        let keys = store.filter_keys().expect("keys");
        let expected: BTreeSet<String> =
            ["codes", "doc_id", "doc_type", "payer", "version", "year"]
                .map(String::from)
                .into();
        assert_eq!(
            keys,
            expected,
            "{}: keys of committed versions only",
            store.backend()
        );
        let payers = store.metadata_values("payer").expect("payers");
        assert_eq!(
            payers.into_iter().collect::<Vec<_>>(),
            vec![
                "Medicare (CMS)".to_string(),
                "Northwind Health Plan".to_string()
            ]
        );
        let codes = store.metadata_values("codes").expect("codes");
        assert_eq!(
            codes.into_iter().collect::<Vec<_>>(),
            vec!["E0601".to_string()],
            "text values only, not lists"
        );
    });
}

#[test]
fn an_audience_restricts_every_version_of_its_document_and_odd_values_admit_nobody() {
    on_every_store(|store| {
        let one = metadata(serde_json::json!({"audience": "oncology"}));
        let list = metadata(serde_json::json!({"audience": ["oncology", "pharmacy"]}));
        let odd = metadata(serde_json::json!({"audience": 7}));
        let open = metadata(serde_json::json!({}));
        let mut ids = Vec::new();
        for (doc, version, meta) in [
            ("CHEMO", "1", &open),
            ("CHEMO", "2", &list),
            ("X", "1", &one),
            ("Y", "1", &odd),
            ("Z", "1", &open),
        ] {
            let hash = format!("{doc}{version}");
            let (id, _) = store
                .insert_pending(
                    &new_version(doc, version, "protocol", &hash, "s.md", meta, "t", None),
                    &[],
                )
                .expect("insert");
            ids.push(id);
        }
        // Pending versions count too: an ingest in progress must not open a gap.
        store.commit_versions(&ids[..1]).expect("commit one");
        let docs = store.restricted_documents().expect("restricted");
        let summary: Vec<(String, Vec<Vec<String>>, usize)> = docs
            .into_iter()
            .map(|d| (d.doc_id, d.audiences, d.version_ids.len()))
            .collect();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            summary,
            vec![
                ("CHEMO".to_string(), vec![s(&["oncology", "pharmacy"])], 2),
                ("X".to_string(), vec![s(&["oncology"])], 1),
                ("Y".to_string(), vec![Vec::new()], 1),
            ],
            "{}",
            store.backend()
        );
    });
}

fn review<'a>(id: &'a str, scope: &'a str, draft: &'a serde_json::Value) -> NewReview<'a> {
    NewReview {
        review_id: id,
        question: "Is CPAP covered for AHI 12?",
        question_key: "cpap covered ahi 12",
        scope_key: scope,
        confidence: 0.41,
        reasons: draft,
        draft,
        trace: None,
    }
}

#[test]
fn review_items_keep_their_history_and_a_decision_is_taken_once() {
    on_every_store(|store| {
        let draft = serde_json::json!({"sentences": ["AHI ≥ 15."]});
        store
            .insert_review(&review("r1", "cpap|", &draft))
            .expect("insert");
        std::thread::sleep(std::time::Duration::from_millis(5));
        store
            .insert_review(&review("r2", "cpap|payer=x", &draft))
            .expect("insert");
        let pending: Vec<String> = store
            .reviews_in_state("pending")
            .expect("pending")
            .into_iter()
            .map(|r| r.review_id)
            .collect();
        assert_eq!(pending, vec!["r2", "r1"], "newest first");

        let answer = serde_json::json!({"sentences": ["Covered when AHI ≥ 15."]});
        assert!(
            store
                .decide_review(
                    "r1",
                    "edited",
                    "dr.grey",
                    Some("fixed the threshold"),
                    Some(&answer)
                )
                .expect("decide")
        );
        assert!(
            !store
                .decide_review("r1", "rejected", "dr.house", None, None)
                .expect("decide twice"),
            "{}: a decided item cannot be decided again",
            store.backend()
        );
        let item = store.review("r1").expect("review").expect("exists");
        assert_eq!(item.state, "approved");
        assert_eq!(item.reviewer.as_deref(), Some("dr.grey"));
        assert_eq!(item.answer, Some(answer.clone()));
        let kinds: Vec<&str> = item.events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, vec!["created", "edited"]);
        assert_eq!(item.events[1].answer_after, Some(answer.clone()));
        assert_eq!(
            store
                .review_in_scope("cpap|", "approved")
                .expect("scope")
                .map(|r| r.review_id),
            Some("r1".to_string())
        );
        assert!(
            store
                .review_in_scope("cpap|", "pending")
                .expect("scope")
                .is_none()
        );

        let new_draft = serde_json::json!({"sentences": ["The policy changed."]});
        assert!(
            store
                .reopen_review("r1", "NCD 240.4 v2 superseded v1", &new_draft)
                .expect("reopen")
        );
        let item = store.review("r1").expect("review").expect("exists");
        assert_eq!(item.state, "pending");
        assert_eq!(item.draft, new_draft);
        assert_eq!(
            item.events.last().map(|e| e.answer_before.clone()),
            Some(Some(answer))
        );
        assert!(
            !store
                .reopen_review("r2", "not approved", &new_draft)
                .expect("reopen pending")
        );
        assert!(store.review("nope").expect("review").is_none());
    });
}

#[test]
fn tokens_are_found_by_hash_and_revoked_once() {
    on_every_store(|store| {
        let token = |id: &str, hash: &str, at: &str| ApiToken {
            token_id: id.into(),
            token_hash: hash.into(),
            user_id: format!("user-{id}"),
            roles: vec!["clinician".into()],
            groups: vec!["oncology".into()],
            created_at: at.into(),
            revoked_at: None,
        };
        store
            .insert_token(&token("t2", "h2", "2026-11-30T10:00:01+00:00"))
            .expect("t2");
        store
            .insert_token(&token("t1", "h1", "2026-11-30T10:00:00+00:00"))
            .expect("t1");
        assert!(
            store
                .insert_token(&token("t3", "h1", "2026-11-30T10:00:02+00:00"))
                .is_err(),
            "hash is unique"
        );
        let ids: Vec<String> = store
            .tokens()
            .expect("tokens")
            .into_iter()
            .map(|t| t.token_id)
            .collect();
        assert_eq!(ids, vec!["t1", "t2"], "oldest first");
        assert_eq!(
            store.token_by_hash("h2").expect("by hash"),
            Some(token("t2", "h2", "2026-11-30T10:00:01+00:00"))
        );
        assert!(store.revoke_token("t2").expect("revoke"));
        assert!(!store.revoke_token("t2").expect("revoke again"));
        assert!(!store.revoke_token("nope").expect("revoke unknown"));
        assert!(
            store
                .token_by_hash("h2")
                .expect("by hash")
                .and_then(|t| t.revoked_at)
                .is_some()
        );
    });
}

fn entry<'a>(
    record_id: &'a str,
    at: &'a str,
    user: &'a str,
    action: &'a str,
    status: Option<&'a str>,
    citations: &'a [(String, String)],
) -> AuditEntry<'a> {
    let mut body = serde_json::Map::new();
    body.insert("question".into(), "Is CPAP covered?".into());
    AuditEntry {
        record_id,
        at,
        user_id: user,
        action,
        status,
        citations,
        body,
    }
}

fn verify_key() -> ed25519_dalek::VerifyingKey {
    ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]).verifying_key()
}

#[test]
fn the_audit_trail_chains_records_filters_them_and_hashes_the_same_bytes_on_every_store() {
    let mut roots = Vec::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = FreshDatabase::new("audit");
    for store in [sqlite_store(&dir), postgres_store(&db)] {
        let store = store.as_ref();
        let v3 = vec![("NCD-240.4".to_string(), "3".to_string())];
        let v2 = vec![
            ("NCD-240.4".to_string(), "2".to_string()),
            ("SBH-PROT-030".to_string(), "1".to_string()),
        ];
        let draft = serde_json::json!({"sentences": []});
        assert_eq!(
            store
                .append_audit(
                    &entry(
                        "a0",
                        "2026-11-29T23:59:59Z",
                        "ann",
                        "ask",
                        Some("answered"),
                        &v3
                    ),
                    None
                )
                .expect("a0"),
            0
        );
        assert_eq!(
            store
                .append_audit(
                    &entry(
                        "a1",
                        "2026-11-30T08:00:00Z",
                        "bob",
                        "ask",
                        Some("needs_review"),
                        &v2
                    ),
                    Some(&review("rv1", "cpap|", &draft)),
                )
                .expect("a1"),
            1
        );
        assert_eq!(
            store
                .append_audit(
                    &entry(
                        "a2",
                        "2026-11-30T09:00:00Z",
                        "ann",
                        "token.create",
                        None,
                        &[]
                    ),
                    None
                )
                .expect("a2"),
            2
        );
        // The review item was written with its audit record.
        assert!(store.review("rv1").expect("review").is_some());
        // A record whose review item cannot be written is not appended either.
        assert!(
            store
                .append_audit(
                    &entry("a3", "2026-11-30T10:00:00Z", "bob", "ask", None, &[]),
                    Some(&review("rv1", "cpap|", &draft))
                )
                .is_err()
        );

        let ids = |q: AuditQuery| -> Vec<String> {
            store
                .audit_records(&q)
                .expect("records")
                .into_iter()
                .map(|r| r.record_id)
                .collect()
        };
        assert_eq!(
            ids(AuditQuery::default()),
            vec!["a0", "a1", "a2"],
            "{}",
            store.backend()
        );
        assert_eq!(
            ids(AuditQuery {
                user_id: Some("ann".into()),
                ..Default::default()
            }),
            vec!["a0", "a2"]
        );
        assert_eq!(
            ids(AuditQuery {
                status: Some("needs_review".into()),
                ..Default::default()
            }),
            vec!["a1"]
        );
        assert_eq!(
            ids(AuditQuery {
                action: Some("ask".into()),
                limit: Some(1),
                ..Default::default()
            }),
            vec!["a0"]
        );
        assert_eq!(
            ids(AuditQuery {
                doc_id: Some("NCD-240.4".into()),
                ..Default::default()
            }),
            vec!["a0", "a1"]
        );
        assert_eq!(
            ids(AuditQuery {
                doc_id: Some("NCD-240.4".into()),
                version: Some("3".into()),
                ..Default::default()
            }),
            vec!["a0"]
        );
        assert_eq!(
            ids(AuditQuery {
                from: Some("2026-11-30".into()),
                to: Some("2026-11-30T09:00:00Z".into()),
                ..Default::default()
            }),
            vec!["a1"],
            "from inclusive, to exclusive, compared as text"
        );

        let records = store
            .audit_records(&AuditQuery::default())
            .expect("records");
        let report = cited_audit::verify(&records, &[], &verify_key());
        assert!(report.ok(), "{}: {:?}", store.backend(), report.problems);
        roots.push(report.root_hash);

        store
            .insert_audit_head(3, "2026-11-30T09:00:01Z", "{\"size\":3}")
            .expect("head");
        store
            .insert_audit_head(2, "2026-11-30T09:00:02Z", "{\"size\":2}")
            .expect("head");
        assert_eq!(
            store.audit_heads().expect("heads"),
            vec!["{\"size\":3}", "{\"size\":2}"],
            "oldest first"
        );
    }
    assert_eq!(
        roots[0], roots[1],
        "the same records hash to the same tree on both stores"
    );
}

#[test]
fn postgres_refuses_to_change_append_only_tables_and_a_newer_schema() {
    let db = FreshDatabase::new("guard");
    let store = postgres_store(&db);
    let draft = serde_json::json!({});
    store
        .append_audit(
            &entry(
                "a0",
                "2026-11-30T08:00:00Z",
                "ann",
                "ask",
                None,
                &[("D".into(), "1".into())],
            ),
            Some(&review("r1", "s|", &draft)),
        )
        .expect("append");
    let mut client = db.client();
    for sql in [
        "UPDATE audit_log SET user_id = 'mallory'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log CASCADE",
        "UPDATE audit_citations SET version = '2'",
        "DELETE FROM review_events",
        "TRUNCATE review_events CASCADE",
    ] {
        let err = client.batch_execute(sql).expect_err(sql);
        assert!(
            err.to_string().contains("append-only") || format!("{err:?}").contains("append-only"),
            "{sql}: {err:?}"
        );
    }
    drop(store);
    // A database migrated by a newer release is refused, with both versions named.
    client
        .batch_execute("INSERT INTO cited_schema_migrations VALUES (999, 'from the future', 'now')")
        .expect("fake a newer schema");
    match cited_catalog::open(&CatalogLocation::Postgres {
        url: db.url(),
        max_connections: 2,
    }) {
        Err(CatalogError::SchemaTooNew { found: 999, .. }) => {}
        Err(other) => panic!("expected SchemaTooNew, got {other}"),
        Ok(_) => panic!("expected SchemaTooNew, the catalog opened"),
    }
}

#[test]
fn postgres_that_cannot_be_reached_is_a_clear_error() {
    // Port 9 (discard) has no PostgreSQL server: said at once, not after the pool's wait.
    let started = std::time::Instant::now();
    match cited_catalog::open(&CatalogLocation::Postgres {
        url: "postgres://postgres@127.0.0.1:9/none?connect_timeout=2".into(),
        max_connections: 1,
    }) {
        Err(e @ CatalogError::Postgres(_)) => {
            assert!(e.to_string().contains("PostgreSQL"), "{e}");
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("opened a catalog on a closed port"),
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // A database that does not exist is named by the server.
    let server = server_url();
    let base = server
        .rsplit_once('/')
        .map_or(server.as_str(), |(base, _)| base);
    match cited_catalog::open(&CatalogLocation::Postgres {
        url: format!("{base}/cited_no_such_database"),
        max_connections: 1,
    }) {
        Err(e) => assert!(e.to_string().contains("cited_no_such_database"), "{e}"),
        Ok(_) => panic!("opened a catalog in a database that does not exist"),
    }
    // TLS is asked for in the URL: refused with the reason, before any connection.
    match cited_catalog::open(&CatalogLocation::Postgres {
        url: format!("{server}?sslmode=require"),
        max_connections: 1,
    }) {
        Err(CatalogError::Config(message)) => {
            assert!(message.contains("sslmode=require"), "{message}")
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("opened a catalog without the TLS the URL asks for"),
    }
    match cited_catalog::open(&CatalogLocation::Postgres {
        url: "mysql://nope".into(),
        max_connections: 1,
    }) {
        Err(CatalogError::Config(message)) => assert!(message.contains("URL"), "{message}"),
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("opened a catalog from a bad URL"),
    }
}

/// Environment variables that turn this test binary into one of the appending processes below.
const CHILD_URL: &str = "CITED_CONTRACT_APPEND_URL";
const CHILD_NAME: &str = "CITED_CONTRACT_APPEND_NAME";
const CHILD_START: &str = "CITED_CONTRACT_APPEND_START_MS";
const APPENDS_PER_PROCESS: usize = 150;

/// One of the appending processes (run only by the test below, through its environment).
#[test]
fn appending_process() {
    let (Ok(url), Ok(name)) = (std::env::var(CHILD_URL), std::env::var(CHILD_NAME)) else {
        return;
    };
    let location = if url.starts_with("postgres") {
        CatalogLocation::Postgres {
            url,
            max_connections: 2,
        }
    } else {
        CatalogLocation::Sqlite(url.into())
    };
    let store = cited_catalog::open(&location).expect("child opens the catalog");
    // Start together: all four are open and waiting before the first append.
    if let Some(start) = std::env::var(CHILD_START)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
    {
        let wait = start - chrono::Utc::now().timestamp_millis();
        if wait > 0 {
            std::thread::sleep(std::time::Duration::from_millis(wait as u64));
        }
    }
    for i in 0..APPENDS_PER_PROCESS {
        let id = format!("{name}-{i}");
        let at = chrono::Utc::now().to_rfc3339();
        store
            .append_audit(&entry(&id, &at, &name, "ask", Some("answered"), &[]), None)
            .expect("child appends");
    }
}

/// Four processes append at once; the chain must not fork: every position taken once, every record
/// following the one before it, and the whole log verifies.
#[test]
fn four_processes_appending_at_once_keep_one_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = FreshDatabase::new("concurrent");
    let sqlite_path = dir.path().join("catalog.sqlite");
    // Create both schemas first, so the children race on appends, not on set-up.
    drop(sqlite_store(&dir));
    let pg = postgres_store(&db);
    let sqlite_url = sqlite_path.to_string_lossy().to_string();
    for url in [db.url(), sqlite_url.clone()] {
        let exe = std::env::current_exe().expect("test binary");
        let start = chrono::Utc::now().timestamp_millis() + 1500;
        let children: Vec<_> = (0..4)
            .map(|n| {
                Command::new(&exe)
                    .args(["--exact", "appending_process", "--test-threads", "1"])
                    .env(CHILD_URL, &url)
                    .env(CHILD_NAME, format!("node{n}"))
                    .env(CHILD_START, start.to_string())
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .expect("spawn an appending process")
            })
            .collect();
        for mut child in children {
            assert!(
                child.wait().expect("wait").success(),
                "an appending process failed"
            );
        }
        let store: Box<dyn CatalogStore> = if url == sqlite_url {
            sqlite_store(&dir)
        } else {
            cited_catalog::open(&CatalogLocation::Postgres {
                url: url.clone(),
                max_connections: 2,
            })
            .expect("reopen")
        };
        let records = store
            .audit_records(&AuditQuery::default())
            .expect("records");
        assert_eq!(
            records.len(),
            4 * APPENDS_PER_PROCESS,
            "{}: none lost",
            store.backend()
        );
        let report = cited_audit::verify(&records, &[], &verify_key());
        assert!(report.ok(), "{}: {:?}", store.backend(), report.problems);
        if store.backend() == "sqlite" {
            // SQLite's lock lets a process that holds the file finish its run first; the chain is what
            // matters there. On the server, appends of the four must interleave, or this proves nothing.
            continue;
        }
        let switches = records
            .windows(2)
            .filter(|w| w[0].record_id.split('-').next() != w[1].record_id.split('-').next())
            .count();
        assert!(
            switches > 3,
            "{}: the appends did not interleave ({switches} switches)",
            store.backend()
        );
    }
    drop(pg);
}

/// A server drops its engine, and with it the PostgreSQL catalog, on a thread that drives async tasks:
/// closing the connections there must not panic.
#[test]
fn a_postgres_catalog_can_be_dropped_inside_an_async_runtime() {
    let db = FreshDatabase::new("drop");
    let store = postgres_store(&db);
    store.generation().expect("a query opens a connection");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime.block_on(async move { drop(store) });
}

#[test]
fn one_node_at_a_time_holds_the_ingest_lease_on_a_shared_postgres_catalog() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = sqlite_store(&dir);
    assert!(
        sqlite.ingest_lease(false).expect("lease").is_some(),
        "SQLite: the data directory's lock is the exclusion"
    );

    let db = FreshDatabase::new("lease");
    let (node_a, node_b) = (postgres_store(&db), postgres_store(&db));
    let held = node_a.ingest_lease(true).expect("lease").expect("free");
    assert!(
        node_b.ingest_lease(false).expect("try").is_none(),
        "another node ingesting: no lease, so its pending versions are not ours to remove"
    );
    // A waiting node gets the lease as soon as the holder lets go.
    let waiter = std::thread::spawn(move || {
        let lease = node_b.ingest_lease(true).expect("lease");
        (lease.is_some(), node_b)
    });
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(!waiter.is_finished(), "the second node waits for the first");
    drop(held);
    let (got, node_b) = waiter.join().expect("waiter");
    assert!(got);
    drop(node_b);
    // A node that dies (its connection closes) frees the lease too.
    let lease = node_a
        .ingest_lease(false)
        .expect("lease after the other closed");
    assert!(lease.is_some());
}
