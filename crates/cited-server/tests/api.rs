//! The HTTP API on a real loopback server over the sample hospital: every route for every role, no token
//! and a revoked token; the ask contract; errors as JSON with stable codes; a request id on every
//! response.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cited_engine::{Config, Engine, Role};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// A server on an ephemeral port over `engine`; it stops when the test process ends.
fn start(engine: Arc<Engine>) -> String {
    start_with(cited_server::AppState::new(engine))
}

fn start_with(state: cited_server::AppState) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr"))
                .expect("send addr");
            cited_server::serve(state, listener, std::future::pending())
                .await
                .expect("serve");
        });
    });
    let addr = rx.recv().expect("server address");
    format!("http://{addr}")
}

#[test]
fn every_route_for_every_role_and_the_ask_contract() {
    let data = tempfile::tempdir().expect("tempdir");
    let root = repo_root();
    let mut config = Config {
        data_dir: data.path().to_path_buf(),
        ..Config::default()
    };
    config.models.dir = root.join(&config.models.dir);
    config.models.onnxruntime = root.join(&config.models.onnxruntime);
    config.answer.review_threshold = 0.999; // every drafted answer goes to review: items to work on
    let engine = Arc::new(Engine::open(config).expect("engine"));
    engine
        .ingest_paths(&[root.join("corpus")], &mut |_| {})
        .expect("ingest");
    let mut tokens: Vec<(&str, Option<String>)> = vec![("none", None)];
    for role in Role::ALL {
        let (_, secret) = engine
            .create_token(&format!("user-{}", role.as_str()), &[role], &[])
            .expect("token");
        tokens.push((role.as_str(), Some(secret)));
    }
    let (revoked_id, revoked) = engine
        .create_token("gone", &[Role::Admin], &[])
        .expect("token");
    engine.revoke_token(&revoked_id).expect("revoke");
    tokens.push(("revoked", Some(revoked)));
    let base = start(engine.clone());
    let http = Client::new();

    // A review item to address.
    let first = engine
        .ask(&cited_engine::AskRequest {
            question: "How soon must antibiotics be given in sepsis?".into(),
            ..Default::default()
        })
        .expect("ask");
    let review_id = first.review_id.expect("needs review");

    let readers = ["clinician", "staff", "reviewer", "compliance", "admin"];
    let reviewers = ["reviewer", "admin"];
    type Route<'a> = (&'a str, String, Option<Value>, &'a [&'a str], StatusCode);
    let routes: Vec<Route<'_>> = vec![
        ("GET", "/healthz".into(), None, &[], StatusCode::OK),
        ("GET", "/readyz".into(), None, &[], StatusCode::OK),
        ("GET", "/metrics".into(), None, &[], StatusCode::OK),
        (
            "POST",
            "/v1/ask".into(),
            Some(json!({"question": "How soon must antibiotics be given in sepsis?"})),
            &readers,
            StatusCode::OK,
        ),
        (
            "GET",
            "/v1/search?q=sepsis%20antibiotics&k=3".into(),
            None,
            &readers,
            StatusCode::OK,
        ),
        (
            "GET",
            "/v1/documents".into(),
            None,
            &readers,
            StatusCode::OK,
        ),
        (
            "GET",
            "/v1/documents/SBH-PROT-001/versions/2".into(),
            None,
            &readers,
            StatusCode::OK,
        ),
        (
            "GET",
            "/v1/reviews".into(),
            None,
            &reviewers,
            StatusCode::OK,
        ),
        (
            "GET",
            format!("/v1/reviews/{review_id}"),
            None,
            &reviewers,
            StatusCode::OK,
        ),
        // An unknown decision passes authorisation and is then refused as a bad request.
        (
            "POST",
            format!("/v1/reviews/{review_id}/decision"),
            Some(json!({"decision": "maybe"})),
            &reviewers,
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (method, path, body, allowed, ok) in &routes {
        for (who, token) in &tokens {
            let mut request = match *method {
                "POST" => http.post(format!("{base}{path}")),
                _ => http.get(format!("{base}{path}")),
            };
            if let Some(t) = token {
                request = request.bearer_auth(t);
            }
            if let Some(b) = body {
                request = request.json(b);
            }
            let response = request.send().expect("request");
            let expected = if allowed.is_empty() {
                *ok
            } else if token.is_none() || *who == "revoked" {
                StatusCode::UNAUTHORIZED
            } else if allowed.contains(who) {
                *ok
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(response.status(), expected, "{method} {path} as {who}");
            assert!(
                response.headers().contains_key(cited_server::REQUEST_ID),
                "request id on {method} {path}"
            );
            if response.status() != StatusCode::OK {
                let error: Value = response.json().expect("JSON error");
                assert!(
                    error["code"].is_string() && error["message"].is_string(),
                    "{error}"
                );
            }
        }
    }

    // The ask contract over HTTP, and errors with the engine's codes.
    let clinician = tokens[1].1.clone().expect("clinician token");
    let asked: Value = http
        .post(format!("{base}/v1/ask"))
        .bearer_auth(&clinician)
        .json(&json!({"question": "What enoxaparin dose is used when creatinine clearance is below 30 mL/min?", "trace": true}))
        .send()
        .expect("ask")
        .json()
        .expect("json");
    assert!(asked["status"].is_string(), "{asked}");
    assert!(!asked["citations"].as_array().expect("citations").is_empty());
    assert!(asked["trace"]["stages"].is_array());
    for (body, code) in [
        (json!({"question": "  "}), "question_empty"),
        (json!({"question": "x", "k": 0}), "k_out_of_range"),
        (
            json!({"question": "x", "filters": {"colour": "blue"}}),
            "bad_filter",
        ),
        (json!({"question": "x", "as_of": "yesterday"}), "bad_date"),
        (json!({"question": "x".repeat(3000)}), "question_too_long"),
        (json!({"questoin": "typo"}), "bad_json"),
    ] {
        let response = http
            .post(format!("{base}/v1/ask"))
            .bearer_auth(&clinician)
            .json(&body)
            .send()
            .expect("ask");
        let status = response.status();
        let error: Value = response.json().expect("json");
        assert_eq!(error["code"], code, "{body}: {error}");
        assert!(status.is_client_error(), "{body}: {status}");
    }
    let huge = "y".repeat(200_000);
    let response = http
        .post(format!("{base}/v1/ask"))
        .bearer_auth(&clinician)
        .header("content-type", "application/json")
        .body(format!("{{\"question\": \"{huge}\"}}"))
        .send()
        .expect("ask");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // The server closes a connection whose body it refused to read: a new client, not that connection.
    let missing = Client::new()
        .get(format!("{base}/v1/documents/NOPE/versions/1"))
        .bearer_auth(&clinician)
        .send()
        .expect("get");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    // Metrics count what happened above, by route pattern (never a raw path with an id in it).
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .expect("metrics")
        .text()
        .expect("text");
    assert!(
        metrics.contains("cited_http_requests_total{route=\"/v1/ask\",status=\"200\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("route=\"/v1/reviews/{id}\",status=\"403\""));
    assert!(!metrics.contains(&review_id), "no ids in labels");
    assert!(metrics.contains("cited_answers_total{status="));
    assert!(metrics.contains("cited_review_queue_depth "));

    // Saturated: with no ask permit free, an ask is refused at once with 503 and Retry-After, while
    // the other routes keep answering.
    let mut saturated = cited_server::AppState::new(engine.clone());
    saturated.asks = Arc::new(tokio::sync::Semaphore::new(0));
    let busy_base = start_with(saturated);
    let busy = Client::new()
        .post(format!("{busy_base}/v1/ask"))
        .bearer_auth(&clinician)
        .json(&json!({"question": "How soon must antibiotics be given in sepsis?"}))
        .send()
        .expect("ask");
    assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        busy.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let error: Value = busy.json().expect("json");
    assert_eq!(error["code"], "busy");
    let listing = Client::new()
        .get(format!("{busy_base}/v1/documents"))
        .bearer_auth(&clinician)
        .send()
        .expect("documents");
    assert_eq!(listing.status(), StatusCode::OK);
}
