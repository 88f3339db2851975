//! Retrieval and answer quality on the real NCD corpus and its dev questions: the acceptance bars of
//! issues 2 and 3.
//! (SciFact takes ~6 minutes to embed, so it runs from `make eval-scifact`; results are in evals/.)

use std::path::{Path, PathBuf};

use cited_core::SearchMode;
use cited_engine::{Config, Engine};
use cited_eval as eval;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// The default configuration with the model paths made absolute (tests run in the crate's folder).
fn engine(data_dir: &Path) -> Engine {
    let root = repo_root();
    let mut config = Config {
        data_dir: data_dir.to_path_buf(),
        ..Config::default()
    };
    config.models.dir = root.join(&config.models.dir);
    config.models.onnxruntime = root.join(&config.models.onnxruntime);
    Engine::open(config).expect("open engine (models missing? run `make models`)")
}

#[test]
fn ncd_dev_evidence_in_top_5_and_pdf_pages_found() {
    let data = tempfile::tempdir().expect("tempdir");
    let engine = engine(data.path());
    let shared = repo_root().join("../shared/data");
    let report = engine
        .ingest_paths(
            &[shared.join("ncd"), shared.join("guidelines-pdf")],
            &mut |_| {},
        )
        .expect("ingest");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert!(report.added >= 352 + 3, "{} documents", report.added);

    let queries = eval::question_set(&shared.join("evals/ncd-dev.jsonl")).expect("questions");
    assert_eq!(queries.len(), 25);
    let hybrid = eval::evaluate(&engine, &queries, SearchMode::Hybrid, &[]).expect("eval");
    println!("ncd-dev hybrid: {hybrid:?}");
    assert_eq!(
        hybrid.hit_5, 1.0,
        "evidence document in the top 5 for every answerable question: misses {:?}",
        hybrid.hit_5_misses
    );
    let passage = hybrid.passage_5.expect("passage metric");
    assert!(
        passage >= 0.96,
        "evidence passage in the top 5 for ≥ 96 %: {passage:.3}, misses {:?}",
        hybrid.passage_misses
    );

    let pdf = eval::question_set(&shared.join("evals/pdf-dev.jsonl")).expect("pdf questions");
    let pdf_hybrid = eval::evaluate(&engine, &pdf, SearchMode::Hybrid, &[]).expect("eval");
    println!("pdf-dev hybrid: {pdf_hybrid:?}");
    assert_eq!(
        pdf_hybrid.hit_5, 1.0,
        "guideline PDF in the top 5: misses {:?}",
        pdf_hybrid.hit_5_misses
    );
    assert!(
        pdf_hybrid.passage_5.unwrap_or(0.0) >= 0.8,
        "quote on the right page in the top 5: {:?}",
        pdf_hybrid.passage_misses
    );

    // Answers over the same corpus (issue 3's bar): answerable → answered citing the evidence document for
    // ≥ 80 %, unanswerable → needs_review / no_answer for ≥ 85 %, every quote verbatim.
    let answers =
        eval::evaluate_answers(&engine, &shared.join("evals/ncd-dev.jsonl")).expect("answer eval");
    println!(
        "ncd-dev answers: answered {:.3}, evidence doc {:.3}, quote {:.3}, abstained {:.3}, verbatim {:.3}, p50 {:.0} ms",
        answers.answered_share,
        answers.correct_doc_share,
        answers.correct_source_share,
        answers.abstention_share,
        answers.verbatim_share,
        answers.p50_ms
    );
    assert!(
        answers.correct_doc_share >= 0.8,
        "answered with the evidence document: {:.3}",
        answers.correct_doc_share
    );
    assert!(
        answers.abstention_share >= 0.85,
        "unanswerable withheld: {:.3}",
        answers.abstention_share
    );
    assert_eq!(
        answers.verbatim_share, 1.0,
        "every citation quote is verbatim in its version"
    );
    assert!(answers.citations > 0);

    let check = engine.check().expect("check");
    assert!(check.is_consistent(), "{check:?}");
}
