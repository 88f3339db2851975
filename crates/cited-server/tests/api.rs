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

/// The default configuration on `data_dir`, with the repository's model files.
fn test_config(data_dir: &Path) -> Config {
    let root = repo_root();
    let mut config = Config {
        data_dir: data_dir.to_path_buf(),
        ..Config::default()
    };
    config.models.dir = root.join(&config.models.dir);
    config.models.onnxruntime = root.join(&config.models.onnxruntime);
    config
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

/// The route template a concrete path matches: ids become `{id}`, a version `{version}`.
fn openapi_path(path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    let parts: Vec<&str> = path.split('/').collect();
    let templated: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| match (i, parts.get(1), parts.get(2)) {
            (3, Some(&"v1"), Some(&("documents" | "reviews" | "jobs" | "tokens"))) => "{id}".into(),
            (5, Some(&"v1"), Some(&"documents")) => "{version}".into(),
            _ => p.to_string(),
        })
        .collect();
    templated.join("/")
}

/// A small Markdown document as an upload form.
fn note_form(file_name: &str) -> reqwest::blocking::multipart::Form {
    let text = format!(
        "# Upload Note\n\n## Purpose\n\nThe {file_name} note says badge readers are cleaned weekly.\n"
    );
    reqwest::blocking::multipart::Form::new().part(
        "file",
        reqwest::blocking::multipart::Part::bytes(text.into_bytes())
            .file_name(file_name.to_string()),
    )
}

/// Uploads a note as `token` and waits for its job to finish; returns the finished job.
fn upload(http: &Client, base: &str, token: &str, file_name: &str) -> Value {
    let accepted = http
        .post(format!("{base}/v1/documents"))
        .bearer_auth(token)
        .multipart(note_form(file_name))
        .send()
        .expect("upload");
    assert_eq!(accepted.status(), StatusCode::ACCEPTED);
    let job: Value = accepted.json().expect("job");
    let id = job["job_id"].as_str().expect("job id").to_string();
    for _ in 0..600 {
        let job: Value = http
            .get(format!("{base}/v1/jobs/{id}"))
            .bearer_auth(token)
            .send()
            .expect("job")
            .json()
            .expect("json");
        if job["state"] == "done" || job["state"] == "failed" {
            return job;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("job {id} did not finish in 60 s");
}

#[test]
fn every_route_for_every_role_and_the_ask_contract() {
    let data = tempfile::tempdir().expect("tempdir");
    let root = repo_root();
    let mut config = test_config(data.path());
    config.answer.review_threshold = 0.999; // every drafted answer goes to review: items to work on
    let keys = tempfile::tempdir().expect("tempdir");
    let key = keys.path().join("audit.key");
    cited_engine::cited_audit::generate_key(&key).expect("keygen");
    config.audit.signing_key = Some(key);
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

    // An upload's job to look at, and a token for the admin to revoke.
    let admin = tokens[5].1.clone().expect("admin token");
    let job = upload(&http, &base, &admin, "matrix-note.md");
    let job_id = job["job_id"].as_str().expect("job id").to_string();
    let (victim, _) = engine
        .create_token("victim", &[Role::Staff], &[])
        .expect("token");

    let readers = ["clinician", "staff", "reviewer", "compliance", "admin"];
    let reviewers = ["reviewer", "admin"];
    let admins = ["admin"];
    let auditors = ["compliance", "admin"];
    type Route<'a> = (&'a str, String, Option<Value>, &'a [&'a str], StatusCode);
    let routes: Vec<Route<'_>> = vec![
        ("GET", "/healthz".into(), None, &[], StatusCode::OK),
        ("GET", "/readyz".into(), None, &[], StatusCode::OK),
        ("GET", "/metrics".into(), None, &[], StatusCode::OK),
        ("GET", "/openapi.json".into(), None, &[], StatusCode::OK),
        ("GET", "/".into(), None, &[], StatusCode::OK),
        ("GET", "/ui/app.js".into(), None, &[], StatusCode::OK),
        ("GET", "/v1/me".into(), None, &readers, StatusCode::OK),
        (
            "GET",
            "/v1/documents/SBH-PROT-001/compare?from=1&to=2".into(),
            None,
            &readers,
            StatusCode::OK,
        ),
        (
            "MULTIPART",
            "/v1/documents".into(),
            None,
            &admins,
            StatusCode::ACCEPTED,
        ),
        (
            "GET",
            format!("/v1/jobs/{job_id}"),
            None,
            &admins,
            StatusCode::OK,
        ),
        ("GET", "/v1/tokens".into(), None, &admins, StatusCode::OK),
        (
            "GET",
            "/v1/audit?limit=5".into(),
            None,
            &auditors,
            StatusCode::OK,
        ),
        (
            "GET",
            "/v1/audit/verify".into(),
            None,
            &auditors,
            StatusCode::OK,
        ),
        (
            "GET",
            "/v1/audit/head".into(),
            None,
            &auditors,
            StatusCode::OK,
        ),
        (
            "POST",
            "/v1/tokens".into(),
            Some(json!({"user_id": "new-staff", "roles": ["staff"]})),
            &admins,
            StatusCode::CREATED,
        ),
        (
            "DELETE",
            format!("/v1/tokens/{victim}"),
            None,
            &admins,
            StatusCode::NO_CONTENT,
        ),
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
    // The OpenAPI document names every route of the matrix, with its method.
    let spec: Value = http
        .get(format!("{base}/openapi.json"))
        .send()
        .expect("openapi")
        .json()
        .expect("json");
    for (method, path, ..) in &routes {
        let template = openapi_path(path);
        let verb = match *method {
            "MULTIPART" => "post".to_string(),
            m => m.to_lowercase(),
        };
        assert!(
            spec["paths"][&template][&verb].is_object()
                || template == "/"
                || template.starts_with("/ui/"),
            "openapi.json lacks {verb} {template}"
        );
    }
    for (method, path, body, allowed, ok) in &routes {
        for (who, token) in &tokens {
            let mut request = match *method {
                "POST" => http.post(format!("{base}{path}")),
                "DELETE" => http.delete(format!("{base}{path}")),
                "MULTIPART" => http
                    .post(format!("{base}{path}"))
                    .multipart(note_form(&format!("note-by-{who}.md"))),
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
            assert_eq!(
                response
                    .headers()
                    .get("content-security-policy")
                    .and_then(|v| v.to_str().ok()),
                Some(cited_server::CONTENT_SECURITY_POLICY),
                "CSP on {method} {path}"
            );
            if !response.status().is_success() {
                let error: Value = response.json().expect("JSON error");
                assert!(
                    error["code"].is_string() && error["message"].is_string(),
                    "{error}"
                );
            }
        }
    }

    // Everything above is in the audit trail under the token's user, and the trail verifies.
    let compliance = tokens[4].1.clone().expect("compliance token");
    let trail: Value = http
        .get(format!("{base}/v1/audit?limit=10000"))
        .bearer_auth(&compliance)
        .send()
        .expect("audit")
        .json()
        .expect("json");
    let actions: Vec<(&str, &str)> = trail
        .as_array()
        .expect("records")
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap_or(""),
                r["user_id"].as_str().unwrap_or(""),
            )
        })
        .collect();
    for expected in [
        ("ask", "user-clinician"),
        ("search", "user-staff"),
        ("token.create", "user-admin"),
        ("token.revoke", "user-admin"),
        ("upload", "user-admin"),
        ("audit.export", "user-compliance"),
    ] {
        assert!(
            actions.contains(&expected),
            "{expected:?} not in {actions:?}"
        );
    }
    let verified: Value = http
        .get(format!("{base}/v1/audit/verify"))
        .bearer_auth(&compliance)
        .send()
        .expect("verify")
        .json()
        .expect("json");
    assert_eq!(verified["problems"], json!([]), "{verified}");

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

/// Reads a server-sent event stream into (event, data) pairs.
fn events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter_map(|block| {
            let mut name = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(n) = line.strip_prefix("event:") {
                    name = Some(n.trim().to_string());
                } else if let Some(d) = line.strip_prefix("data:") {
                    data.push_str(d.trim_start());
                }
            }
            Some((name?, serde_json::from_str(&data).ok()?))
        })
        .collect()
}

#[test]
fn audience_streaming_compare_and_upload_over_http() {
    let data = tempfile::tempdir().expect("tempdir");
    let root = repo_root();
    let engine = Arc::new(Engine::open(test_config(data.path())).expect("engine"));
    engine
        .ingest_paths(&[root.join("corpus")], &mut |_| {})
        .expect("ingest");
    let token = |user: &str, roles: &[Role], groups: &[&str]| {
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        engine.create_token(user, roles, &groups).expect("token").1
    };
    let outsider = token("ward-nurse", &[Role::Clinician], &["icu"]);
    let oncology = token("onc-nurse", &[Role::Clinician], &["oncology"]);
    let admin = token("admin", &[Role::Admin], &[]);
    let base = start(engine.clone());
    let http = Client::new();
    let get = |token: &str, path: &str| {
        http.get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .expect("get")
    };
    let ask = |token: &str, question: &str| -> Value {
        http.post(format!("{base}/v1/ask"))
            .bearer_auth(token)
            .json(&json!({ "question": question }))
            .send()
            .expect("ask")
            .json()
            .expect("json")
    };

    // SBH-PROT-040 has `audience: [oncology]`: it does not exist for anyone else, anywhere.
    let question = "What antidote is given for anthracycline extravasation?";
    for (who, t, sees) in [
        ("outsider", &outsider, false),
        ("oncology", &oncology, true),
    ] {
        let listed: Value = get(t, "/v1/documents").json().expect("json");
        let in_list = listed
            .as_array()
            .expect("list")
            .iter()
            .any(|d| d["doc_id"] == "SBH-PROT-040");
        assert_eq!(in_list, sees, "{who}: list");
        let searched: Value = get(t, "/v1/search?q=dexrazoxane%20extravasation&k=20")
            .json()
            .expect("json");
        for mode in ["bm25", "dense", "hybrid"] {
            let hits: Value = get(
                t,
                &format!("/v1/search?q=dexrazoxane%20extravasation&k=20&mode={mode}"),
            )
            .json()
            .expect("json");
            let found = hits["hits"]
                .as_array()
                .expect("hits")
                .iter()
                .any(|h| h["doc_id"] == "SBH-PROT-040");
            assert_eq!(found, sees, "{who}: {mode} search {searched}");
        }
        for path in [
            "/v1/documents/SBH-PROT-040/versions/1",
            "/v1/documents/SBH-PROT-040/compare?from=1&to=1",
        ] {
            let status = get(t, path).status();
            let expected = if sees {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(status, expected, "{who}: {path}");
        }
        let answer = ask(t, question);
        let cites = answer["citations"]
            .as_array()
            .expect("citations")
            .iter()
            .any(|c| c["doc_id"] == "SBH-PROT-040");
        assert_eq!(cites, sees, "{who}: {answer}");
        if !sees {
            assert!(
                !answer.to_string().to_lowercase().contains("dexrazoxane"),
                "the outsider's answer shows the restricted text: {answer}"
            );
        } else {
            assert_eq!(answer["status"], "answered", "{answer}");
        }
    }
    // A restricted document and a missing one look the same.
    let hidden: Value = get(&outsider, "/v1/documents/SBH-PROT-040/versions/1")
        .json()
        .expect("json");
    let missing: Value = get(&outsider, "/v1/documents/SBH-PROT-999/versions/1")
        .json()
        .expect("json");
    assert_eq!(hidden["code"], missing["code"]);
    assert!(
        hidden["message"]
            .as_str()
            .expect("message")
            .contains("no document")
    );

    // A version opened: the text with spans in all three units, and each section's span inside it.
    let opened: Value = get(&outsider, "/v1/documents/SBH-PROT-001/versions/2")
        .json()
        .expect("json");
    let text = opened["text"].as_str().expect("text");
    let sections = opened["sections"].as_array().expect("sections");
    assert!(sections.len() >= 5, "{sections:?}");
    let antibiotics = sections
        .iter()
        .find(|s| s["section"] == "Treatment > A. Antibiotics")
        .expect("antibiotics section");
    let span = |k: &str| antibiotics[k].as_u64().expect("offset") as usize;
    assert!(text[span("start")..span("end")].contains("within 1 hour"));
    assert_eq!(opened["status"], "active");

    // Compare the sepsis protocol's two versions: changed sections and the changed words.
    let compared: Value = get(&outsider, "/v1/documents/SBH-PROT-001/compare?from=1&to=2")
        .json()
        .expect("json");
    let change_of = |name: &str| {
        compared["sections"]
            .as_array()
            .expect("sections")
            .iter()
            .find(|s| s["section"] == name)
            .map(|s| s["change"].clone())
    };
    assert_eq!(
        change_of("Treatment > A. Antibiotics"),
        Some(json!("changed"))
    );
    assert_eq!(change_of("Treatment > B. Fluids"), Some(json!("unchanged")));
    let pieces = compared["diff"].as_array().expect("diff");
    let joined = |op: &str| -> String {
        pieces
            .iter()
            .filter(|p| p["op"] == op || p["op"] == "equal")
            .map(|p| p["text"].as_str().expect("text"))
            .collect()
    };
    let v1: Value = get(&outsider, "/v1/documents/SBH-PROT-001/versions/1")
        .json()
        .expect("json");
    assert_eq!(joined("delete"), v1["text"].as_str().expect("v1 text"));
    assert_eq!(joined("insert"), text, "the diff rebuilds both versions");
    assert!(
        pieces
            .iter()
            .any(|p| p["op"] == "insert" && p["text"] == "1 hour")
    );
    assert!(
        pieces
            .iter()
            .any(|p| p["op"] == "delete" && p["text"] == "3 hours")
    );
    let bad = get(&outsider, "/v1/documents/SBH-PROT-001/compare?from=1");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let no_version = get(&outsider, "/v1/documents/SBH-PROT-001/compare?from=1&to=9");
    assert_eq!(no_version.status(), StatusCode::NOT_FOUND);

    // Streaming: passages, then each sentence, then the whole contract, which matches a plain ask.
    let streamed = http
        .post(format!("{base}/v1/ask"))
        .bearer_auth(&outsider)
        .header("accept", "text/event-stream")
        .json(&json!({ "question": "How soon must antibiotics be given in sepsis?" }))
        .send()
        .expect("stream");
    assert!(
        streamed
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"))
    );
    let got = events(&streamed.text().expect("body"));
    let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"retrieved"), "{names:?}");
    assert_eq!(names.last(), Some(&"final"), "{names:?}");
    let final_answer = &got.last().expect("final").1;
    assert_eq!(final_answer["status"], "answered", "{final_answer}");
    let sentences: Vec<&Value> = got
        .iter()
        .filter(|(n, _)| n == "sentence")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(
        sentences.len(),
        final_answer["sentences"]
            .as_array()
            .expect("sentences")
            .len()
    );
    for (s, f) in sentences
        .iter()
        .zip(final_answer["sentences"].as_array().expect("sentences"))
    {
        assert_eq!(s["text"], f["text"]);
        let quoted: Vec<&Value> = s["citations"]
            .as_array()
            .expect("citations")
            .iter()
            .collect();
        assert!(!quoted.is_empty() && quoted.iter().all(|c| c["quote"].is_string()));
    }
    // A bad streamed question is refused before the stream starts, as JSON.
    let refused = http
        .post(format!("{base}/v1/ask"))
        .bearer_auth(&outsider)
        .header("accept", "text/event-stream")
        .json(&json!({ "question": " " }))
        .send()
        .expect("stream");
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    // Upload: the job ingests the file; its document is then searchable. A hostile name is refused.
    let job = upload(&http, &base, &admin, "badge-cleaning.md");
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["report"]["added"], 1, "{job}");
    let hits: Value = get(&outsider, "/v1/search?q=badge%20readers%20cleaned&k=3")
        .json()
        .expect("json");
    assert_eq!(hits["hits"][0]["doc_id"], "badge-cleaning", "{hits}");
    let hostile = http
        .post(format!("{base}/v1/documents"))
        .bearer_auth(&admin)
        .multipart(note_form("../../escape.md"))
        .send()
        .expect("upload");
    assert_eq!(
        hostile.status(),
        StatusCode::ACCEPTED,
        "the path is cut to its name"
    );
    let spaced_name = reqwest::blocking::multipart::Form::new().part(
        "file",
        reqwest::blocking::multipart::Part::bytes(b"# X\n\n## Y\n\nZ.\n".to_vec())
            .file_name("a b.md"),
    );
    let refused = http
        .post(format!("{base}/v1/documents"))
        .bearer_auth(&admin)
        .multipart(spaced_name)
        .send()
        .expect("upload");
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(!data.path().join("escape.md").exists());

    // Token admin over HTTP: create, use, revoke, refused.
    let created: Value = http
        .post(format!("{base}/v1/tokens"))
        .bearer_auth(&admin)
        .json(&json!({"user_id": "new-onc", "roles": ["clinician"], "groups": ["oncology"]}))
        .send()
        .expect("create")
        .json()
        .expect("json");
    let secret = created["token"].as_str().expect("secret");
    let me: Value = get(secret, "/v1/me").json().expect("json");
    assert_eq!(
        me,
        json!({"user_id": "new-onc", "roles": ["clinician"], "groups": ["oncology"]})
    );
    let listed = get(&admin, "/v1/tokens").text().expect("text");
    assert!(
        !listed.contains(secret),
        "a token list never shows a secret"
    );
    let revoked = http
        .delete(format!(
            "{base}/v1/tokens/{}",
            created["token_id"].as_str().expect("id")
        ))
        .bearer_auth(&admin)
        .send()
        .expect("revoke");
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(get(secret, "/v1/me").status(), StatusCode::UNAUTHORIZED);
    let bad_role = http
        .post(format!("{base}/v1/tokens"))
        .bearer_auth(&admin)
        .json(&json!({"user_id": "x", "roles": ["root"]}))
        .send()
        .expect("create");
    assert_eq!(bad_role.status(), StatusCode::BAD_REQUEST);
    // An admin cannot revoke the token in hand (a lockout); another admin token can.
    let (own_id, own) = engine
        .create_token("admin-2", &[Role::Admin], &[])
        .expect("token");
    let own_revoke = http
        .delete(format!("{base}/v1/tokens/{own_id}"))
        .bearer_auth(&own)
        .send()
        .expect("revoke");
    assert_eq!(own_revoke.status(), StatusCode::BAD_REQUEST);
    assert_eq!(get(&own, "/v1/me").status(), StatusCode::OK);
    let by_other = http
        .delete(format!("{base}/v1/tokens/{own_id}"))
        .bearer_auth(&admin)
        .send()
        .expect("revoke");
    assert_eq!(by_other.status(), StatusCode::NO_CONTENT);
}
