//! What a server needs from the engine: many readers while one writer ingests, answers reused only in the
//! scope they were approved for, typed errors for bad requests, a trace with every answer, and no pending
//! version left behind by a failed ingest.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use cited_core::{AnswerStatus, MetadataFilter, SearchMode, SearchRequest, VersionState};
use cited_embed::{EmbedError, Embedder};
use cited_engine::{AskRequest, ErrorKind, STAGES};
use common::*;

/// The real model, slowed down while it embeds the chunks of a new version, so that the version stays
/// pending long enough for readers to run into it; or failing on those chunks.
struct GatedEmbedder {
    model: Arc<dyn Embedder>,
    marker: &'static str,
    delay: Duration,
    fail: AtomicBool,
    calls_with_marker: AtomicUsize,
}

impl Embedder for GatedEmbedder {
    fn dim(&self) -> usize {
        self.model.dim()
    }
    fn embed_passages(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.iter().any(|t| t.contains(self.marker)) {
            self.calls_with_marker.fetch_add(1, Ordering::SeqCst);
            if self.fail.load(Ordering::SeqCst) {
                return Err(EmbedError::Model("disk full (test)".into()));
            }
            std::thread::sleep(self.delay);
        }
        self.model.embed_passages(texts)
    }
    fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        self.model.embed_query(text)
    }
}

const PROTOCOL_V1: &str = "---\nid: KRX-7\nversion: \"1\"\neffective_date: 2020-01-01\ntitle: Kestrel Ward Heparin Flush Protocol\n---\n# Kestrel Ward Heparin Flush Protocol\n\n## Flush\n\nFlush each central line of the Kestrel ward with 3 mL of heparin 10 units/mL every 8 hours.\n";
const MARKER: &str = "quokka";

fn protocol_v2() -> String {
    PROTOCOL_V1
        .replace("version: \"1\"", "version: \"2\"")
        .replace("effective_date: 2020-01-01", "effective_date: 2021-01-01")
        .replace("3 mL", "5 mL")
        .replace("every 8 hours.", "every 12 hours.")
}

/// A document whose embedding the gate slows down (or fails).
fn gated_document() -> String {
    format!("# Ward logistics\n\n## Linen\n\nThe {MARKER} rota lists linen rounds for each ward.\n")
}

/// Enough one-line sections to fill one embedding block of an ingest (256 chunks), so that the chunks
/// before it are written to the indexes while the ingest goes on.
fn filler_document() -> String {
    let mut text = String::from("# Filler\n\n");
    for i in 0..260 {
        text.push_str(&format!(
            "## Item {i}\n\nStore room shelf {i} holds spare blankets.\n\n"
        ));
    }
    text
}

#[test]
fn readers_see_the_old_or_the_new_version_never_a_pending_one() {
    let data = tempfile::tempdir().expect("tempdir");
    let src = tempfile::tempdir().expect("tempdir");
    let plain = engine(data.path());
    let model = plain.embedder().expect("model");
    drop(plain);
    let gate = Arc::new(GatedEmbedder {
        model,
        marker: MARKER,
        delay: Duration::from_secs(4),
        fail: AtomicBool::new(false),
        calls_with_marker: AtomicUsize::new(0),
    });
    let engine = Arc::new(engine(data.path()).with_embedder(gate.clone()));
    write(src.path(), "v1/krx.md", PROTOCOL_V1);
    engine
        .ingest_paths(&[src.path().join("v1")], &mut no_progress())
        .expect("ingest v1");
    // The new version's chunk is embedded and written to the indexes in the first block; the gated
    // document then holds the ingest open, with the new version still pending.
    write(src.path(), "v2/a-krx.md", &protocol_v2());
    write(src.path(), "v2/b-filler.md", &filler_document());
    write(src.path(), "v2/c-gated.md", &gated_document());

    let readers = 8;
    let start = Arc::new(Barrier::new(readers + 1));
    let writer_done = Arc::new(AtomicBool::new(false));
    let mut handles = Vec::new();
    for i in 0..readers {
        let (engine, start, done) = (engine.clone(), start.clone(), writer_done.clone());
        handles.push(std::thread::spawn(move || {
            start.wait();
            let mut seen = Vec::new();
            // Keep asking until the writer is done, then once more.
            loop {
                let finished = done.load(Ordering::SeqCst);
                let response = engine
                    .ask(&AskRequest {
                        question: "How much heparin flushes a central line on the Kestrel ward?"
                            .into(),
                        k: Some(3 + i % 3),
                        dry_run: true,
                        ..AskRequest::default()
                    })
                    .expect("ask never fails while the writer works");
                let hits = engine
                    .search(&SearchRequest {
                        access: Default::default(),
                        query: "heparin flush central line Kestrel ward".into(),
                        mode: SearchMode::Hybrid,
                        k: 5,
                        filters: Vec::new(),
                        as_of: None,
                    })
                    .expect("search never fails while the writer works")
                    .hits;
                // Checked after the answer: if v2 is still not committed now, it was not committed
                // while the answer was made, so citing it would be a leak.
                let v2 = engine
                    .catalog()
                    .find_version("KRX-7", "2")
                    .expect("catalog");
                let v2_committed = v2
                    .as_ref()
                    .is_some_and(|v| v.state == VersionState::Committed);
                if v2.is_some() && !v2_committed {
                    seen.push("answered while v2 was pending".to_string());
                }
                for h in hits.iter().filter(|h| h.doc_id == "KRX-7") {
                    assert!(
                        h.version == "1" || (h.version == "2" && v2_committed),
                        "search showed KRX-7 v{} while it was pending",
                        h.version
                    );
                }
                for c in response.citations.iter().filter(|c| c.doc_id == "KRX-7") {
                    assert!(
                        c.version == "1" || (c.version == "2" && v2_committed),
                        "cited KRX-7 v{} while it was pending",
                        c.version
                    );
                    assert!(engine.citation_is_verbatim(c).expect("verbatim check"));
                }
                seen.extend(
                    response
                        .citations
                        .iter()
                        .filter(|c| c.doc_id == "KRX-7")
                        .map(|c| c.version.clone()),
                );
                if finished {
                    return seen;
                }
            }
        }));
    }
    start.wait();
    let report = engine
        .ingest_paths(&[src.path().join("v2")], &mut no_progress())
        .expect("ingest v2");
    assert_eq!((report.updated, report.added), (1, 2), "{report:#?}");
    writer_done.store(true, Ordering::SeqCst);
    let mut versions = Vec::new();
    for h in handles {
        versions.extend(h.join().expect("reader thread"));
    }
    assert!(gate.calls_with_marker.load(Ordering::SeqCst) >= 1);
    assert!(
        versions.iter().any(|v| v.contains("pending")),
        "some answers were made while the new version was pending in the indexes"
    );
    assert!(
        versions.iter().any(|v| v == "1"),
        "readers answered during the ingest"
    );
    assert!(
        versions.iter().any(|v| v == "2"),
        "the last round of every reader sees the new version"
    );
    assert!(engine.check().expect("check").is_consistent());
}

#[test]
fn a_failed_ingest_leaves_no_pending_version_in_a_running_process() {
    let data = tempfile::tempdir().expect("tempdir");
    let src = tempfile::tempdir().expect("tempdir");
    let plain = engine(data.path());
    let model = plain.embedder().expect("model");
    drop(plain);
    let gate = Arc::new(GatedEmbedder {
        model,
        marker: MARKER,
        delay: Duration::ZERO,
        fail: AtomicBool::new(true),
        calls_with_marker: AtomicUsize::new(0),
    });
    let engine = engine(data.path()).with_embedder(gate.clone());
    write(src.path(), "a/krx.md", PROTOCOL_V1);
    write(src.path(), "a/krx2.md", &protocol_v2());
    write(src.path(), "a/z-gated.md", &gated_document());
    let failed = engine.ingest_paths(&[src.path().join("a")], &mut no_progress());
    assert!(failed.is_err(), "the embedder failed");
    assert!(
        engine
            .catalog()
            .pending_versions()
            .expect("pending")
            .is_empty(),
        "cleaned at once, without a restart"
    );
    assert!(engine.check().expect("check").is_consistent());
    // The model recovers; the same ingest completes.
    gate.fail.store(false, Ordering::SeqCst);
    let report = engine
        .ingest_paths(&[src.path().join("a")], &mut no_progress())
        .expect("ingest");
    assert_eq!(report.added + report.updated, 3, "{report:#?}");
    assert!(engine.check().expect("check").is_consistent());
    // A reported commit is durable: the catalog syncs every commit to disk (synchronous = FULL).
    assert!(engine.catalog().durable_commits().expect("durability"));
}

#[test]
fn an_approved_answer_is_reused_only_under_the_filters_it_was_approved_for() {
    let data = tempfile::tempdir().expect("tempdir");
    let mut config = config(data.path());
    config.answer.review_threshold = 0.999;
    let engine = cited_engine::Engine::open(config).expect("open");
    engine
        .ingest_paths(&[repo_root().join("corpus")], &mut no_progress())
        .expect("ingest");
    let payer = |value: &str| MetadataFilter {
        key: "payer".into(),
        value: value.into(),
    };
    let ask = |filters: Vec<MetadataFilter>| {
        engine
            .ask(&AskRequest {
                question: "How long is the initial CPAP trial?".into(),
                filters,
                ..AskRequest::default()
            })
            .expect("ask")
    };
    let first = ask(vec![payer("Northwind Health Plan")]);
    assert_eq!(first.status, AnswerStatus::NeedsReview, "{first:#?}");
    let id = first.review_id.expect("review item");
    engine.approve_review(&id, "dr.grey").expect("approve");

    let same = ask(vec![payer("Northwind Health Plan")]);
    assert_eq!(same.status, AnswerStatus::Answered);
    assert_eq!(same.answerer, "reviewed");

    let other_payer = ask(vec![payer("Acme Health")]);
    assert_ne!(other_payer.answerer, "reviewed", "{other_payer:#?}");
    assert_ne!(other_payer.review_id.as_deref(), Some(id.as_str()));
    let no_filter = ask(Vec::new());
    assert_ne!(no_filter.answerer, "reviewed", "{no_filter:#?}");
}

#[test]
fn bad_requests_are_refused_with_stable_codes() {
    let data = tempfile::tempdir().expect("tempdir");
    let engine = engine(data.path());
    engine
        .ingest_paths(&[repo_root().join("corpus")], &mut no_progress())
        .expect("ingest");
    let search = |query: &str, k: usize, filters: Vec<MetadataFilter>| {
        engine.search(&SearchRequest {
            access: Default::default(),
            query: query.into(),
            mode: SearchMode::Hybrid,
            k,
            filters,
            as_of: None,
        })
    };
    let ask = |question: &str, k: Option<usize>, filters: Vec<MetadataFilter>| {
        engine.ask(&AskRequest {
            question: question.into(),
            k,
            filters,
            dry_run: true,
            ..AskRequest::default()
        })
    };
    let unknown = || {
        vec![MetadataFilter {
            key: "colour".into(),
            value: "blue".into(),
        }]
    };
    let long = "sepsis ".repeat(15_000);
    let cases = [
        (
            "empty search",
            search("", 5, vec![]).err(),
            "question_empty",
        ),
        (
            "blank search",
            search(" \t\n", 5, vec![]).err(),
            "question_empty",
        ),
        (
            "k 0 search",
            search("sepsis", 0, vec![]).err(),
            "k_out_of_range",
        ),
        (
            "huge k search",
            search("sepsis", 4_000_000_000_000, vec![]).err(),
            "k_out_of_range",
        ),
        (
            "long search",
            search(&long, 5, vec![]).err(),
            "question_too_long",
        ),
        (
            "unknown filter search",
            search("sepsis", 5, unknown()).err(),
            "bad_filter",
        ),
        (
            "empty ask",
            ask("   ", None, vec![]).err(),
            "question_empty",
        ),
        (
            "k 0 ask",
            ask("sepsis antibiotics", Some(0), vec![]).err(),
            "k_out_of_range",
        ),
        (
            "huge k ask",
            ask("sepsis antibiotics", Some(4_000_000_000_000), vec![]).err(),
            "k_out_of_range",
        ),
        (
            "long ask",
            ask(&long, None, vec![]).err(),
            "question_too_long",
        ),
        (
            "unknown filter ask",
            ask("sepsis", None, unknown()).err(),
            "bad_filter",
        ),
    ];
    for (name, err, code) in cases {
        let err = err.unwrap_or_else(|| panic!("{name}: accepted"));
        assert_eq!(err.kind(), ErrorKind::BadRequest, "{name}: {err}");
        assert_eq!(err.code(), code, "{name}: {err}");
    }
    let not_found = engine
        .document_versions("NO-SUCH-DOC", &cited_core::Access::Operator)
        .expect_err("unknown");
    assert_eq!(not_found.kind(), ErrorKind::NotFound);
    // A known field with a value nothing has is a fine request with no results.
    let none = search(
        "sepsis",
        5,
        vec![MetadataFilter {
            key: "payer".into(),
            value: "Acme".into(),
        }],
    )
    .expect("search");
    assert!(none.hits.is_empty());
}

#[test]
fn every_answer_can_carry_its_trace() {
    let data = tempfile::tempdir().expect("tempdir");
    let engine = engine(data.path());
    engine
        .ingest_paths(&[repo_root().join("corpus")], &mut no_progress())
        .expect("ingest");
    let response = engine
        .ask(&AskRequest {
            question: "How soon must antibiotics be given in sepsis?".into(),
            trace: true,
            dry_run: true,
            ..AskRequest::default()
        })
        .expect("ask");
    let trace = response.trace.expect("trace requested");
    assert!(!trace.request_id.is_empty());
    assert!(!trace.candidates.is_empty());
    assert!(
        trace
            .candidates
            .iter()
            .any(|c| c.bm25_score.is_some() && c.dense_score.is_some()),
        "both retrievers' scores: {:#?}",
        trace.candidates
    );
    assert_eq!(
        trace.passages.len(),
        engine.config().answer.k.min(trace.candidates.len())
    );
    assert!(trace.drafted.iter().any(|d| d.verdict == "kept"));
    let stages: Vec<&str> = trace.stages.iter().map(|s| s.stage.as_str()).collect();
    assert_eq!(stages, STAGES);
    assert_eq!(trace.answerer, "extractive");
    assert!((trace.confidence - response.confidence).abs() < 1e-6);
    assert!(trace.route.starts_with(&response.status.to_string()));
    // Not asked for, not sent.
    let plain = engine
        .ask(&AskRequest {
            question: "How soon must antibiotics be given in sepsis?".into(),
            dry_run: true,
            ..AskRequest::default()
        })
        .expect("ask");
    assert!(plain.trace.is_none());
}
