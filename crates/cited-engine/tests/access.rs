//! Per-document access: a document whose `audience` excludes the caller is never retrieved by either index,
//! listed, opened, compared, shown in the review queue or reused as an approved answer; a document is read
//! whole, so one restricted version hides its other versions too.

mod common;

use cited_core::{Access, AnswerStatus, SearchMode, SearchRequest};
use cited_engine::{AskRequest, AskResponse, Engine, ErrorKind};
use common::*;

const RESTRICTED: &str = "SBH-PROT-040";
const ANTIDOTE: &str = "What antidote is given for anthracycline extravasation?";

fn oncology() -> Access {
    Access::groups(&["oncology".to_string()])
}

fn ask_as(
    engine: &Engine,
    question: &str,
    access: &Access,
    review_everything: bool,
) -> AskResponse {
    engine
        .ask(&AskRequest {
            question: question.into(),
            access: access.clone(),
            thresholds: review_everything.then_some((0.0, 0.999)),
            ..AskRequest::default()
        })
        .expect("ask")
}

fn cites(response: &AskResponse, doc_id: &str) -> bool {
    response.citations.iter().any(|c| c.doc_id == doc_id)
}

#[test]
fn a_restricted_document_exists_only_for_its_audience() {
    let data = tempfile::tempdir().expect("tempdir");
    let engine = engine(data.path());
    engine
        .ingest_paths(&[repo_root().join("corpus")], &mut no_progress())
        .expect("ingest");
    let outsiders = [
        Access::Public,
        Access::groups(&["icu".to_string(), "pharmacy".to_string()]),
    ];

    // Both indexes apply the audience: each retriever alone, and fused.
    for mode in [SearchMode::Bm25, SearchMode::Dense, SearchMode::Hybrid] {
        let search = |access: &Access| {
            engine
                .search(&SearchRequest {
                    query: "dexrazoxane anthracycline extravasation antidote".into(),
                    mode,
                    k: 30,
                    filters: Vec::new(),
                    as_of: None,
                    access: access.clone(),
                })
                .expect("search")
                .hits
                .iter()
                .any(|h| h.doc_id == RESTRICTED)
        };
        for access in &outsiders {
            assert!(!search(access), "{mode:?} search shows it to {access:?}");
        }
        assert!(search(&oncology()), "{mode:?}: the audience finds it");
        assert!(search(&Access::Operator), "{mode:?}: the operator finds it");
    }

    for access in &outsiders {
        let listed = engine.list_documents(&[], access).expect("list");
        assert!(listed.iter().all(|d| d.doc_id != RESTRICTED));
        assert!(listed.iter().any(|d| d.doc_id == "SBH-PROT-001"));
        for result in [
            engine.document_versions(RESTRICTED, access).map(|_| ()),
            engine.open_version(RESTRICTED, "1", access).map(|_| ()),
            engine
                .compare_versions(RESTRICTED, ("1", "1"), access)
                .map(|_| ()),
        ] {
            let err = result.expect_err("hidden");
            assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
            assert!(err.to_string().contains("no document with id"), "{err}");
        }
        let answer = ask_as(&engine, ANTIDOTE, access, false);
        assert!(!cites(&answer, RESTRICTED), "{answer:#?}");
        let shown = serde_json::to_string(&answer).expect("json").to_lowercase();
        assert!(!shown.contains("dexrazoxane"), "{shown}");
    }
    let listed = engine.list_documents(&[], &oncology()).expect("list");
    assert!(listed.iter().any(|d| d.doc_id == RESTRICTED));
    let answer = ask_as(&engine, ANTIDOTE, &oncology(), false);
    assert_eq!(answer.status, AnswerStatus::Answered, "{answer:#?}");
    assert!(cites(&answer, RESTRICTED));
    assert!(
        engine
            .open_version(RESTRICTED, "1", &oncology())
            .expect("open")
            .text
            .contains("dexrazoxane")
    );

    // A review item showing the restricted document is its audience's: outsiders neither list, open nor
    // join it, and its approved answer is never reused for them.
    let drafted = ask_as(&engine, ANTIDOTE, &oncology(), true);
    assert_eq!(drafted.status, AnswerStatus::NeedsReview, "{drafted:#?}");
    let item = drafted.review_id.clone().expect("item");
    let reviewer_outside = Access::groups(&["icu".to_string()]);
    assert!(
        engine
            .reviews("pending", &reviewer_outside)
            .expect("queue")
            .iter()
            .all(|r| r.review_id != item)
    );
    assert_eq!(
        engine
            .review(&item, &reviewer_outside)
            .expect_err("hidden")
            .kind(),
        ErrorKind::NotFound
    );
    assert!(
        engine
            .reviews("pending", &oncology())
            .expect("queue")
            .iter()
            .any(|r| r.review_id == item)
    );
    let outsider_draft = ask_as(&engine, ANTIDOTE, &Access::Public, true);
    assert_ne!(
        outsider_draft.review_id.as_deref(),
        Some(item.as_str()),
        "an outsider's ask does not join the restricted item"
    );
    engine.approve_review(&item, "dr.onc").expect("approve");
    let reused = ask_as(&engine, ANTIDOTE, &oncology(), false);
    assert_eq!(reused.reviewed_by.as_deref(), Some("dr.onc"), "{reused:#?}");
    let outsider = ask_as(&engine, ANTIDOTE, &Access::Public, false);
    assert!(
        outsider.reviewed_by.is_none() && !cites(&outsider, RESTRICTED),
        "{outsider:#?}"
    );
}

#[test]
fn one_restricted_version_hides_the_whole_document() {
    let data = tempfile::tempdir().expect("tempdir");
    let src = tempfile::tempdir().expect("tempdir");
    let doc = |version: &str, effective: &str, audience: &str, body: &str| {
        format!(
            "---\nid: LAB-9\ntitle: Lab Courier Protocol\nversion: \"{version}\"\neffective_date: \"{effective}\"\n{audience}---\n# Lab Courier Protocol\n\n## Pickup\n\n{body}\n"
        )
    };
    write(
        src.path(),
        "v1.md",
        &doc(
            "1",
            "2024-01-01",
            "",
            "Couriers collect specimens every two hours.",
        ),
    );
    write(
        src.path(),
        "v2.md",
        &doc(
            "2",
            "2025-01-01",
            "audience: [laboratory]\n",
            "Couriers collect specimens every hour from the secure cabinet code 4471.",
        ),
    );
    let engine = engine(data.path());
    engine
        .ingest_paths(&[src.path().to_path_buf()], &mut no_progress())
        .expect("ingest");
    let lab = Access::groups(&["laboratory".to_string()]);
    let search = |access: &Access| {
        engine
            .search(&SearchRequest {
                query: "courier specimens".into(),
                mode: SearchMode::Hybrid,
                k: 5,
                filters: Vec::new(),
                as_of: Some(chrono::NaiveDate::from_ymd_opt(2024, 6, 1).expect("date")),
                access: access.clone(),
            })
            .expect("search")
            .hits
    };
    assert!(
        search(&Access::Public).is_empty(),
        "v1 carries no audience, but its document's v2 does: the outsider sees neither"
    );
    assert_eq!(
        search(&lab).len(),
        1,
        "the audience sees v1 in force in 2024"
    );
    assert!(
        engine
            .list_documents(&[], &Access::Public)
            .expect("list")
            .is_empty()
    );
    let versions = engine.document_versions("LAB-9", &lab).expect("versions");
    assert_eq!(versions.len(), 2);
}
