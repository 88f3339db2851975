//! Answers a clinician can trust, on the sample hospital (versioned protocols, a retired policy): the
//! question's own values pick the branch, its own words pick the version, "what changed" compares versions,
//! a retired policy is named as retired with its date, a false premise is not answered around, lists come
//! with their items, Purpose sentences do not pad answers, and misspellings are read as the corpus spells.

mod common;

use cited_core::AnswerStatus;
use cited_engine::{AskRequest, AskResponse, Engine};
use common::*;

fn engine(data: &std::path::Path) -> Engine {
    let engine = Engine::open(config(data)).expect("open");
    let report = engine
        .ingest_paths(&[repo_root().join("corpus")], &mut no_progress())
        .expect("ingest");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    engine
}

fn ask(engine: &Engine, question: &str) -> AskResponse {
    engine
        .ask(&AskRequest {
            question: question.into(),
            ..AskRequest::default()
        })
        .expect("ask")
}

fn answer(r: &AskResponse) -> &str {
    r.answer.as_deref().unwrap_or_default()
}

#[test]
fn the_questions_own_words_choose_branch_version_and_status() {
    let data = tempfile::tempdir().expect("tempdir");
    let engine = engine(data.path());

    // A stated value picks the branch: 25 mL/min is below 30, so 30 mg, never the 40 mg branch.
    let r = ask(
        &engine,
        "What enoxaparin dose for a patient with creatinine clearance 25 mL/min?",
    );
    assert_eq!(r.status, AnswerStatus::Answered, "{r:#?}");
    assert!(answer(&r).contains("30 mg"), "{r:#?}");
    assert!(!answer(&r).contains("40 mg"), "{r:#?}");

    // Misspelled and abbreviated, the same question is read as the corpus spells it.
    let r = ask(
        &engine,
        "waht enoxaprin dose for renel impairment, crcl under 30?",
    );
    assert_eq!(r.status, AnswerStatus::Answered, "{r:#?}");
    assert!(answer(&r).contains("30 mg"), "{r:#?}");
    assert!(
        r.corrections.iter().any(|c| c.to == "enoxaparin"),
        "{:?}",
        r.corrections
    );

    // "Version 1" in the question is honoured like --as-of: the superseded 3-hour rule, said as such.
    let r = ask(
        &engine,
        "In version 1 of the sepsis bundle, how soon were antibiotics given?",
    );
    assert_eq!(r.status, AnswerStatus::Answered, "{r:#?}");
    assert!(answer(&r).contains("3 hours"), "{r:#?}");
    assert!(
        r.citations
            .iter()
            .all(|c| c.doc_id != "SBH-PROT-001" || c.version == "1")
    );
    assert!(
        r.notices.iter().any(|n| n.contains("v1")),
        "{:?}",
        r.notices
    );

    // "What changed" compares the two versions, each side cited to its own version.
    let r = ask(&engine, "What changed in the sepsis protocol?");
    assert_eq!(r.status, AnswerStatus::Answered, "{r:#?}");
    assert!(answer(&r).contains("1 hour") && answer(&r).contains("3 hours"));
    let versions: Vec<&str> = r.citations.iter().map(|c| c.version.as_str()).collect();
    assert!(
        versions.contains(&"1") && versions.contains(&"2"),
        "{versions:?}"
    );

    // A retired policy is named as retired, with its date, and nothing else answers in its place.
    let r = ask(
        &engine,
        "Does Northwind cover low-level laser therapy for chronic neck pain?",
    );
    assert_ne!(r.status, AnswerStatus::Answered, "{r:#?}");
    let notices = r.notices.join(" ");
    assert!(
        notices.contains("retired") && notices.contains("2023-12-31"),
        "{notices}"
    );

    // A false premise is not answered around.
    let r = ask(
        &engine,
        "Since sepsis antibiotics are due within 3 hours, who gives them?",
    );
    assert_ne!(r.status, AnswerStatus::Answered, "{r:#?}");
    assert!(
        r.reasons.iter().any(|x| x.contains("premise")),
        "{:?}",
        r.reasons
    );

    // A drug the documents never mention goes to a reviewer.
    let r = ask(
        &engine,
        "What rivaroxaban dose is used for VTE prophylaxis?",
    );
    assert_ne!(r.status, AnswerStatus::Answered, "{r:#?}");
}

#[test]
fn answers_hold_whole_lists_and_leave_out_the_purpose_section() {
    let data = tempfile::tempdir().expect("tempdir");
    let engine = engine(data.path());
    let r = ask(
        &engine,
        "What are the qSOFA screening criteria in the sepsis bundle?",
    );
    assert_eq!(r.status, AnswerStatus::Answered, "{r:#?}");
    assert!(
        !answer(&r).contains("standardises"),
        "the Purpose sentence pads nothing: {r:#?}"
    );
    for c in &r.citations {
        assert!(
            !c.quote.trim_end().ends_with(':'),
            "a list header is never cited without its items: {c:?}"
        );
    }
}

#[test]
fn a_question_about_another_payer_region_or_count_is_not_answered_from_the_nearest_policy() {
    let data = tempfile::tempdir().expect("tempdir");
    let engine = engine(data.path());
    // Medicare's CPAP NCD beside Northwind's CPAP policy: two payers in one catalog.
    let report = engine
        .ingest_paths(
            &[shared_data().join("ncd/ncd-240_4.md")],
            &mut no_progress(),
        )
        .expect("ingest");
    assert!(report.failed.is_empty(), "{:?}", report.failed);

    // Only Northwind states a nightly-use figure; a Medicare question must not get Northwind's rule.
    let r = ask(
        &engine,
        "medicare cpap compliance - how many hrs per night after the 12 wk trial",
    );
    assert_ne!(r.status, AnswerStatus::Answered, "{r:#?}");
    if r.citations.iter().all(|c| c.doc_id == "NWH-POL-240") && !r.citations.is_empty() {
        assert!(
            r.reasons.iter().any(|x| x.contains("Medicare")),
            "the reason names the payer asked about: {:?}",
            r.reasons
        );
    }
    let r = ask(
        &engine,
        "northwind cpap compliance - how many hours per night after the trial?",
    );
    assert_eq!(r.status, AnswerStatus::Answered, "{r:#?}");
    assert!(answer(&r).contains("4 hours per night"), "{r:#?}");

    // The lumbar MRI policy does not answer a cervical MRI question.
    let r = ask(
        &engine,
        "Does Northwind cover a cervical spine MRI for neck pain?",
    );
    assert_ne!(r.status, AnswerStatus::Answered, "{r:#?}");

    // "How many X" needs a number of X in the answer.
    let r = ask(
        &engine,
        "How many glucose test strips per month does Northwind cover?",
    );
    assert_ne!(r.status, AnswerStatus::Answered, "{r:#?}");
}
