//! The `llm` answerer against a stub OpenAI-compatible server on loopback (the real llama.cpp server runs
//! from `make llm-test`): whatever the model returns, only verified sentences reach the user; timeouts,
//! 500s and malformed bodies send the question to review with the evidence.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use cited_core::AnswerStatus;
use cited_engine::{AskRequest, AskResponse, Engine};
use common::*;

/// What the stub answers with.
enum Reply {
    /// 200 with this chat-completions message content.
    Content(String),
    /// This status and body.
    Raw(u16, String),
    /// Nothing for this long.
    Stall(Duration),
}

/// Serves one request, returns its body through the channel.
fn stub(reply: Reply) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/v1", listener.local_addr().expect("addr"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut length = 0;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        let _ = reader.read_exact(&mut body);
        let _ = tx.send(String::from_utf8_lossy(&body).into_owned());
        let (status, body) = match reply {
            Reply::Content(content) => (
                200,
                serde_json::json!({ "choices": [{ "message": { "role": "assistant", "content": content } }] }).to_string(),
            ),
            Reply::Raw(status, body) => (status, body),
            Reply::Stall(d) => {
                std::thread::sleep(d);
                return;
            }
        };
        let _ = write!(
            stream,
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    });
    (url, rx)
}

fn llm_engine(data: &std::path::Path, url: &str) -> Engine {
    let mut config = config(data);
    config.answer.answerer = "llm".into();
    config.answer.llm.base_url = url.into();
    config.answer.llm.timeout_secs = 2;
    let engine = Engine::open(config).expect("open");
    engine
        .ingest_paths(&[repo_root().join("corpus")], &mut no_progress())
        .expect("ingest");
    engine
}

fn ask(engine: &Engine) -> AskResponse {
    engine
        .ask(&AskRequest {
            question: "What enoxaparin dose is used in renal impairment?".into(),
            ..AskRequest::default()
        })
        .expect("ask")
}

#[test]
fn invented_dose_and_unknown_citations_never_reach_the_user() {
    let data = tempfile::tempdir().expect("tempdir");
    // The renal-impairment passage is retrieved first; the model adds an 80 mg dose and cites [7] and [42].
    let (url, requests) = stub(Reply::Content(
        serde_json::json!({ "sentences": [
            { "text": "When creatinine clearance is below 30 mL/min, give enoxaparin 30 mg subcutaneously once daily.", "citations": [1] },
            { "text": "For patients over 100 kg, give enoxaparin 80 mg twice daily.", "citations": [1] },
            { "text": "Enoxaparin is always safe.", "citations": [42] }
        ]})
        .to_string(),
    ));
    let engine = llm_engine(data.path(), &url);
    let r = ask(&engine);
    let prompt = requests
        .recv_timeout(Duration::from_secs(5))
        .expect("the model was called");
    assert!(
        prompt.contains("<passage n=\\\"1\\\""),
        "passages are numbered and fenced: {prompt}"
    );
    assert!(
        prompt.contains("json_schema"),
        "the JSON schema is requested"
    );

    let shown = format!("{:?} {:?}", r.answer, r.sentences);
    assert!(
        !shown.contains("80 mg"),
        "the invented dose is never shown: {r:#?}"
    );
    assert!(
        !shown.contains("always safe"),
        "a sentence citing a passage that was not given is dropped"
    );
    assert_eq!(r.unsupported_sentences, 2, "{r:#?}");
    assert!(
        r.reasons.iter().any(|x| x.contains("80 mg")),
        "{:?}",
        r.reasons
    );
    for c in &r.citations {
        let v = engine
            .document_versions(&c.doc_id, &cited_core::Access::Operator)
            .expect("doc");
        let v = v
            .iter()
            .find(|v| v.version.version == c.version)
            .expect("version");
        assert_eq!(
            engine
                .version_text(v.version.version_id)
                .expect("text")
                .get(c.start..c.end),
            Some(c.quote.as_str())
        );
    }
    if r.status == AnswerStatus::Answered {
        assert_eq!(r.sentences.len(), 1);
        assert!(r.sentences[0].text.contains("30 mg"));
    }
}

#[test]
fn plain_text_with_markers_is_accepted() {
    let data = tempfile::tempdir().expect("tempdir");
    let (url, _requests) = stub(Reply::Content(
        "When creatinine clearance is below 30 mL/min, give enoxaparin 30 mg subcutaneously once daily [1].".into(),
    ));
    let r = ask(&llm_engine(data.path(), &url));
    assert_eq!(r.unsupported_sentences, 0, "{r:#?}");
    assert_ne!(r.status, AnswerStatus::NoAnswer, "{r:#?}");
}

#[test]
fn model_failures_go_to_review_with_the_evidence() {
    let cases = [
        (Reply::Raw(500, "{\"error\": \"overloaded\"}".into()), "500"),
        (Reply::Raw(200, "this is not json".into()), "not JSON"),
        (Reply::Stall(Duration::from_secs(5)), "timed out"),
    ];
    for (reply, expected) in cases {
        let data = tempfile::tempdir().expect("tempdir");
        let (url, _requests) = stub(reply);
        let engine = llm_engine(data.path(), &url);
        let r = ask(&engine);
        assert_eq!(r.status, AnswerStatus::NeedsReview, "{expected}: {r:#?}");
        assert!(r.answer.is_none() && r.sentences.is_empty());
        assert!(!r.citations.is_empty(), "{expected}: evidence is shown");
        assert!(r.review_id.is_some());
        assert!(
            r.reasons.iter().any(|x| x.contains(expected)),
            "{expected}: {:?}",
            r.reasons
        );
    }
}
