//! `cited migrate`: an embedded catalog copied into PostgreSQL (a fresh database on the machine's server)
//! keeps its documents, tokens and audit trail, answers a question set exactly as before, and is used by the
//! same data directory from then on; a second copy into a database that is not empty is refused.

use std::process::Output;

mod common;

use cited_catalog::postgres::ScratchDatabase;
use common::*;

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn an_embedded_catalog_moves_to_postgres_and_answers_the_same() {
    let server = std::env::var("CITED_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
    let db = ScratchDatabase::create(&server, "migrate")
        .expect("the machine's PostgreSQL server answers");
    let data = tempfile::tempdir().expect("tempdir");
    let keys = tempfile::tempdir().expect("tempdir");
    let key = keys.path().join("audit.key");
    ok(cited(data.path())
        .args(["audit", "keygen", "--out"])
        .arg(&key)
        .output()
        .expect("keygen"));
    let with_key = |cmd: &mut std::process::Command| {
        cmd.env("CITED_AUDIT_SIGNING_KEY", &key);
    };
    let mut ingest = cited(data.path());
    with_key(&mut ingest);
    ingest.arg("ingest").arg(repo_root().join("corpus"));
    let status = ingest.output().expect("ingest").status.code();
    assert!(
        matches!(status, Some(0) | Some(3)),
        "ingest exit {status:?}"
    );
    ok(cited(data.path())
        .args([
            "token",
            "create",
            "--user",
            "dr.grey",
            "--roles",
            "clinician",
        ])
        .output()
        .expect("token"));
    let mut ask = cited(data.path());
    with_key(&mut ask);
    ok(ask
        .args(["ask", "How soon must antibiotics be given in sepsis?"])
        .output()
        .expect("ask"));
    let mut head = cited(data.path());
    with_key(&mut head);
    ok(head.args(["audit", "head"]).output().expect("head"));

    let questions = repo_root().join("evals/questions/hospital.jsonl");
    let mut migrate = cited(data.path());
    with_key(&mut migrate);
    let out = ok(migrate
        .args(["migrate", "--to-postgres", &db.url, "--json", "--check"])
        .arg(&questions)
        .output()
        .expect("migrate"));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let rows = |table: &str| report["copied"]["catalog"][table].as_u64().unwrap_or(0);
    assert!(
        rows("versions") > 5 && rows("chunks") > rows("versions"),
        "{report}"
    );
    assert_eq!(rows("api_tokens"), 1);
    assert!(rows("audit_log") >= 3, "ingest, token, ask: {report}");
    let checked = report["check"]["questions"].as_u64().unwrap_or(0);
    assert!(checked >= 20, "{report}");
    assert_eq!(
        report["check"]["differing"],
        serde_json::json!([]),
        "{report}"
    );

    // From now on the same data directory runs on the PostgreSQL catalog.
    let on_postgres = || {
        let mut cmd = cited(data.path());
        cmd.env("CITED_STORAGE_CATALOG", "postgres")
            .env("CITED_POSTGRES_URL", &db.url)
            .env("CITED_AUDIT_SIGNING_KEY", &key);
        cmd
    };
    ok(on_postgres().args(["check"]).output().expect("check"));
    let verify = ok(on_postgres()
        .args(["audit", "verify", "--json"])
        .output()
        .expect("verify"));
    let verified: serde_json::Value = serde_json::from_slice(&verify.stdout).expect("verify JSON");
    assert!(
        verified["heads_checked"].as_u64().unwrap_or(0) >= 1,
        "the signed head made before the copy still verifies: {verified}"
    );
    let tokens = ok(on_postgres()
        .args(["token", "list", "--json"])
        .output()
        .expect("tokens"));
    assert!(String::from_utf8_lossy(&tokens.stdout).contains("dr.grey"));
    ok(on_postgres()
        .args(["ask", "How soon must antibiotics be given in sepsis?"])
        .output()
        .expect("ask"));

    // A second copy into the same (now full) database is refused and changes nothing.
    let mut again = cited(data.path());
    with_key(&mut again);
    let out = again
        .args(["migrate", "--to-postgres", &db.url])
        .output()
        .expect("migrate again");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not empty"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
