//! The `llm` answerer against a real language model: llama.cpp's llama-server with SmolLM2-135M-Instruct on
//! loopback. Building the server takes minutes, so this runs from `make llm-test`, which builds and starts
//! it and sets CITED_TEST_LLM_URL. Whatever the tiny model writes, the result must honour the contract:
//! verified sentences only (every number in a cited quote, every quote verbatim), or review / no answer.

mod common;

use cited_answer::unsupported_facts;
use cited_core::AnswerStatus;
use cited_engine::{AskRequest, Engine};
use common::*;

#[test]
#[ignore = "needs a running llama-server: run `make llm-test`"]
fn real_model_answers_honour_the_contract() {
    let url =
        std::env::var("CITED_TEST_LLM_URL").expect("CITED_TEST_LLM_URL (set by make llm-test)");
    let data = tempfile::tempdir().expect("tempdir");
    let mut config = config(data.path());
    config.answer.answerer = "llm".into();
    config.answer.llm.base_url = url;
    config.answer.llm.timeout_secs = 120;
    config.answer.llm.max_tokens = 256;
    let engine = Engine::open(config).expect("open");
    engine
        .ingest_paths(&[repo_root().join("corpus")], &mut no_progress())
        .expect("ingest");

    let questions = [
        "How soon must antibiotics be given in sepsis?",
        "What enoxaparin dose is used when creatinine clearance is below 30 mL/min?",
        "How long is the initial CPAP trial that Northwind covers?",
        "How often should patients at risk of pressure injury be repositioned?",
        "What is the cafeteria menu on Friday?",
    ];
    let mut statuses = Vec::new();
    for q in questions {
        let r = engine
            .ask(&AskRequest {
                question: q.into(),
                ..AskRequest::default()
            })
            .expect("ask");
        println!(
            "{q}\n  → {} ({:.2}, {} removed): {:?}",
            r.status, r.confidence, r.unsupported_sentences, r.answer
        );
        statuses.push(r.status);
        for c in &r.citations {
            let text = version_text(&engine, &c.doc_id, &c.version);
            assert_eq!(
                text.get(c.start..c.end),
                Some(c.quote.as_str()),
                "verbatim quote"
            );
        }
        match r.status {
            AnswerStatus::Answered => {
                assert!(!r.sentences.is_empty());
                for s in &r.sentences {
                    assert!(!s.citations.is_empty(), "{s:?}");
                    let quotes: String = s
                        .citations
                        .iter()
                        .filter_map(|n| r.citations.iter().find(|c| c.n == *n))
                        .map(|c| c.quote.as_str())
                        .collect::<Vec<_>>()
                        .join("\n");
                    assert!(
                        unsupported_facts(&s.text, &quotes).is_empty(),
                        "a number not in its quotes: {s:?}"
                    );
                }
            }
            AnswerStatus::NeedsReview | AnswerStatus::NoAnswer => {
                assert!(
                    r.answer.is_none() && r.sentences.is_empty(),
                    "no asserted text"
                );
            }
        }
    }
    assert_ne!(
        statuses[4],
        AnswerStatus::Answered,
        "the cafeteria menu is not in the documents"
    );
}
