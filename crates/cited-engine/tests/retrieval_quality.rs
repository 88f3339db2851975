//! Retrieval quality on the real NCD corpus and its dev questions: the acceptance bar of the spine.
//! (SciFact takes ~6 minutes to embed, so it runs from `make eval-scifact`; results are in evals/.)

mod common;

use cited_core::SearchMode;
use cited_engine::eval;
use common::*;

#[test]
fn ncd_dev_evidence_in_top_5_and_pdf_pages_found() {
    let data = tempfile::tempdir().expect("tempdir");
    let engine = engine(data.path());
    let shared = shared_data();
    let report = engine
        .ingest_paths(
            &[shared.join("ncd"), shared.join("guidelines-pdf")],
            &mut no_progress(),
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

    let check = engine.check().expect("check");
    assert!(check.is_consistent(), "{check:?}");
}
