//! PHI never lands anywhere: questions naming a patient (name, MRN, SSN, phone, date of birth) are asked
//! through the command line and the HTTP API, with the extractive answerer and with the `llm` answerer
//! against a recording stub endpoint; a reviewer rejects one with a note naming the patient. Then every
//! file of the data directory (SQLite database, WAL, tantivy index, vector shard), the logs and every
//! request the stub received are searched for each identifier: none may be found.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const NAME: &str = "Jane Roe";
const MRN: &str = "00482913";
const SSN: &str = "123-45-6789";
const PHONE: &str = "614-555-0132";
const DOB: &str = "03/14/1952";

mod common;

use common::*;

/// `cited` with its logs (at debug level: whatever a debug session would write must be clean too)
/// appended to `log`.
fn cited_logged(data_dir: &Path, log: &Path) -> Command {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("log file");
    let mut cmd = cited(data_dir);
    cmd.env("CITED_LOG", "debug").stderr(log);
    cmd
}

/// The questions: one the sample hospital answers, one it sends to review.
fn questions() -> Vec<String> {
    vec![
        format!(
            "pt {NAME} mrn {MRN} ssn {SSN} dob {DOB}, daughter calls {PHONE}: how soon must antibiotics be given in sepsis?"
        ),
        format!(
            "{NAME} (mrn {MRN}, dob {DOB}, ssn {SSN}, cell {PHONE}) has platelets 38k on the ward, can I still give enoxaparin for VTE prophylaxis?"
        ),
    ]
}

/// A chat-completions stub that records every request body and answers with one faithful sentence.
fn stub() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/v1", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorded = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut length = 0;
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            recorded
                .lock()
                .expect("lock")
                .push(format!("{head}\n{}", String::from_utf8_lossy(&body)));
            let content = serde_json::json!({ "sentences": [
                { "text": "Give broad-spectrum intravenous antibiotics within 1 hour of recognition of sepsis or septic shock.", "citations": [1] }
            ]})
            .to_string();
            let reply = serde_json::json!({ "choices": [{ "message": { "role": "assistant", "content": content } }] })
                .to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            );
        }
    });
    (url, seen)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// `cited serve` on loopback, ready.
fn serve(mut cmd: Command) -> (Child, String) {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let child = cmd
        .args(["serve", "--addr", &addr])
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(r) = reqwest::blocking::get(format!("http://{addr}/readyz"))
            && r.status().is_success()
        {
            break;
        }
        assert!(Instant::now() < deadline, "server did not become ready");
        std::thread::sleep(Duration::from_millis(200));
    }
    (child, format!("http://{addr}"))
}

fn stop(mut child: Child) {
    // SIGTERM: graceful shutdown, so the catalog is checkpointed as in production.
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.wait();
}

fn http_asks(base: &str, token: &str) -> Vec<serde_json::Value> {
    let client = reqwest::blocking::Client::new();
    questions()
        .into_iter()
        .map(|q| {
            let r = client
                .post(format!("{base}/v1/ask"))
                .bearer_auth(token)
                .json(&serde_json::json!({ "question": q }))
                .send()
                .expect("ask over HTTP");
            assert!(r.status().is_success(), "HTTP ask: {}", r.status());
            r.json().expect("ask JSON")
        })
        .collect()
}

/// Every occurrence of each identifier (as typed, lower case, digits only) in `bytes`.
fn leaks(bytes: &[u8], what: &str) -> Vec<String> {
    let mut needles = vec![
        NAME.to_string(),
        NAME.to_lowercase(),
        "Roe".to_string(),
        MRN.to_string(),
        SSN.to_string(),
        SSN.replace('-', ""),
        PHONE.to_string(),
        PHONE.replace('-', ""),
        DOB.to_string(),
    ];
    needles.dedup();
    needles
        .into_iter()
        .filter(|n| bytes.windows(n.len()).any(|w| w == n.as_bytes()))
        .map(|n| format!("{what}: {n:?}"))
        .collect()
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn identifiers_asked_through_cli_and_http_land_nowhere() {
    let data = tempfile::tempdir().expect("tempdir");
    let logs = tempfile::tempdir().expect("tempdir");
    let log = logs.path().join("cited.log");
    let (llm_url, requests) = stub();

    let out = cited_logged(data.path(), &log)
        .arg("ingest")
        .arg(repo_root().join("corpus"))
        .stdout(Stdio::null())
        .status()
        .expect("ingest");
    assert!(out.success(), "ingest");

    // Command line, extractive and llm.
    let mut review_ids = Vec::new();
    for answerer in ["extractive", "llm"] {
        for q in questions() {
            let out = cited_logged(data.path(), &log)
                .env("CITED_ANSWER_ANSWERER", answerer)
                .env("CITED_LLM_BASE_URL", &llm_url)
                .args(["ask", "--json", &q])
                .output()
                .expect("ask");
            let answer: serde_json::Value =
                serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
                    panic!(
                        "ask --json ({answerer}): {e}: {}",
                        String::from_utf8_lossy(&out.stdout)
                    )
                });
            if let Some(id) = answer["review_id"].as_str() {
                review_ids.push(id.to_string());
            }
        }
    }
    assert!(
        !review_ids.is_empty(),
        "one question goes to review, so the queue is exercised"
    );
    // A reviewer's note naming the patient.
    let out = cited_logged(data.path(), &log)
        .args(["review", "reject", &review_ids[0], "--reviewer", "rev"])
        .arg("--note")
        .arg(format!(
            "asked again about {NAME}, mrn {MRN}; not in the protocol"
        ))
        .stdout(Stdio::null())
        .status()
        .expect("reject");
    assert!(out.success(), "reject");

    // HTTP, extractive and llm (the answerer is the server's setting: two servers in turn).
    let token_out = cited_logged(data.path(), &log)
        .args(["token", "create", "--user", "nurse", "--roles", "clinician"])
        .output()
        .expect("token");
    let token = String::from_utf8_lossy(&token_out.stdout)
        .lines()
        .last()
        .expect("token secret")
        .trim()
        .to_string();
    for answerer in ["extractive", "llm"] {
        let mut cmd = cited_logged(data.path(), &log);
        cmd.env("CITED_ANSWER_ANSWERER", answerer)
            .env("CITED_LLM_BASE_URL", &llm_url);
        let (child, base) = serve(cmd);
        let answers = http_asks(&base, &token);
        // The asker's own answer is theirs to see; it is what is stored that must be clean.
        assert_eq!(answers.len(), 2);
        // Ask over a connection that also sends the identifiers in a header a proxy might log.
        let mut stream = TcpStream::connect(base.trim_start_matches("http://")).expect("connect");
        let _ = write!(
            stream,
            "GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        );
        let mut sink = String::new();
        let _ = stream.read_to_string(&mut sink);
        stop(child);
    }

    let sent = requests.lock().expect("lock").clone();
    assert!(
        sent.len() >= 4,
        "the llm answerer called the stub for each llm ask ({} calls)",
        sent.len()
    );
    assert!(
        sent.iter().any(|r| r.contains("[NAME]")),
        "the model saw the question with placeholders"
    );

    let mut found = Vec::new();
    let mut files = Vec::new();
    files_under(data.path(), &mut files);
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().contains("catalog.sqlite")),
        "the catalog is among the files searched"
    );
    for file in &files {
        let bytes = std::fs::read(file).expect("read data file");
        found.extend(leaks(&bytes, &file.display().to_string()));
    }
    let log_bytes = std::fs::read(&log).expect("log");
    assert!(!log_bytes.is_empty(), "debug logs were written");
    found.extend(leaks(&log_bytes, "logs"));
    for (i, request) in sent.iter().enumerate() {
        found.extend(leaks(request.as_bytes(), &format!("LLM request {i}")));
    }
    assert!(found.is_empty(), "identifiers found: {found:#?}");

    // And the audit trail holds the questions, redacted.
    let out = cited_logged(data.path(), &log)
        .args(["audit", "export"])
        .output()
        .expect("export");
    let export = String::from_utf8_lossy(&out.stdout);
    assert!(
        export.contains("pt [NAME] mrn [MRN] ssn [SSN] dob [DATE]"),
        "the audit trail keeps the redacted question: {}",
        export.lines().next().unwrap_or("")
    );
}
