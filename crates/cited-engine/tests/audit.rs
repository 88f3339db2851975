//! The audit trail end to end: every ask is recorded (with its review item, in one transaction) without
//! the question's text; the log verifies; edits, deletions and truncation made directly in the SQLite
//! file are named; and the independent verifier (`tools/verify_audit.py`, Python standard library only)
//! accepts an inclusion and a consistency proof the engine prints, and refuses a forged one.

mod common;

use std::process::Command;

use cited_core::Access;
use cited_engine::{AuditQuery, Engine};
use common::*;

const PLANTED: &str = "pt John Smith MRN 00482913: how soon must antibiotics be given in sepsis?";

fn python_verifier(args: &[&str]) -> (bool, String) {
    let out = Command::new("python3")
        .arg(repo_root().join("tools/verify_audit.py"))
        .args(args)
        .output()
        .expect("python3");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn asks_are_recorded_and_the_log_proves_itself() {
    let data = tempfile::tempdir().expect("tempdir");
    let keys = tempfile::tempdir().expect("tempdir");
    let key_path = keys.path().join("audit.key");
    let public = cited_engine::cited_audit::generate_key(&key_path).expect("keygen");
    let mut config = config(data.path());
    config.audit.signing_key = Some(key_path.clone());
    let engine = Engine::open(config).expect("engine");
    engine
        .ingest_paths(&[repo_root().join("corpus")], &mut no_progress())
        .expect("ingest");

    let answered = ask_as_clinician(&engine, PLANTED, false);
    let reviewed = ask_as_clinician(
        &engine,
        "What dose of enoxaparin for VTE prophylaxis?",
        true,
    );
    let review_id = reviewed.review_id.clone().expect("review item");
    let records = engine
        .audit_records(&AuditQuery::default())
        .expect("records");
    assert_eq!(records.len(), 2, "one record per ask");
    let first: serde_json::Value = serde_json::from_str(&records[0].json).expect("json");
    assert_eq!(first["action"], "ask");
    assert_eq!(first["user_id"], "dr.test");
    assert_eq!(first["request_id"], "req-1");
    assert_eq!(first["status"], answered.status.to_string());
    assert_eq!(
        first["citations"].as_array().expect("citations").len(),
        answered.citations.len()
    );
    assert!(first["citations"][0]["content_hash"].is_string());
    assert!(first["retrieved"].as_array().is_some_and(|r| !r.is_empty()));
    // The question is kept redacted: the clinical words stay, the identifiers do not.
    for planted in ["John Smith", "00482913"] {
        assert!(
            !records[0].json.contains(planted),
            "the record keeps an identifier: {planted}"
        );
    }
    let question = first["question"].as_str().expect("redacted question");
    assert!(
        question.contains("[NAME]") && question.contains("[MRN]"),
        "placeholders: {question}"
    );
    assert!(question.contains("antibiotics be given"), "{question}");
    assert_eq!(first["redacted"], true);
    let second: serde_json::Value = serde_json::from_str(&records[1].json).expect("json");
    assert_eq!(second["review_id"], review_id.as_str());
    assert_eq!(
        second["prev_leaf"],
        hex_leaf(&records[0].json),
        "each record names the one before it"
    );
    // "Every answer that cited SBH-PROT-001 v2."
    let cited = engine
        .audit_records(&AuditQuery {
            doc_id: Some("SBH-PROT-001".into()),
            version: Some("2".into()),
            ..AuditQuery::default()
        })
        .expect("filtered");
    assert_eq!(cited.len(), 1);
    assert_eq!(cited[0].record_id, records[0].record_id);

    let head = engine.audit_head().expect("head");
    assert_eq!(head.size, 2);
    assert!(engine.audit_verify(&[], None).expect("verify").ok());

    // Tampering in the database file itself (an attacker drops the append-only triggers first).
    let db = rusqlite::Connection::open(data.path().join("catalog.sqlite")).expect("db");
    db.execute_batch(
        "DROP TRIGGER audit_log_append_only_update; DROP TRIGGER audit_log_append_only_delete;
         PRAGMA foreign_keys = OFF;",
    )
    .expect("drop triggers");
    let original = records[1].json.clone();
    db.execute(
        "UPDATE audit_log SET record_json = replace(record_json, 'dr.test', 'dr.other') WHERE seq = 1",
        [],
    )
    .expect("edit");
    let report = engine.audit_verify(&[], None).expect("verify");
    assert!(!report.ok());
    assert!(report.problems[0].contains("record #1"), "{report:?}");
    db.execute(
        "UPDATE audit_log SET record_json = ?1 WHERE seq = 1",
        [&original],
    )
    .expect("restore");
    assert!(engine.audit_verify(&[], None).expect("verify").ok());
    db.execute("DELETE FROM audit_log WHERE seq = 1", [])
        .expect("truncate");
    let report = engine.audit_verify(&[], None).expect("verify");
    assert!(
        report.problems.iter().any(|p| p.contains("truncated")),
        "{report:?}"
    );
    db.execute(
        "INSERT INTO audit_log(seq, record_id, at, user_id, action, status, record_json, leaf_hash)
         VALUES (1, ?1, 'x', 'dr.test', 'ask', NULL, ?2, ?3)",
        rusqlite::params![records[1].record_id, original, records[1].leaf_hash],
    )
    .expect("put back");
    assert!(engine.audit_verify(&[], None).expect("verify").ok());

    // The independent verifier: an inclusion proof and a consistency proof, checked without the database.
    let out = keys.path();
    let public_file = out.join("audit.key.pub");
    assert_eq!(
        std::fs::read_to_string(&public_file).expect("pub").trim(),
        hex::encode(public.as_bytes())
    );
    let proof = engine.audit_prove(&records[0].record_id).expect("prove");
    let proof_file = out.join("inclusion.json");
    std::fs::write(&proof_file, serde_json::to_string(&proof).expect("json")).expect("write");
    let key_arg = public_file.to_str().expect("path");
    let (ok, text) = python_verifier(&[
        "inclusion",
        proof_file.to_str().expect("path"),
        "--public-key-file",
        key_arg,
    ]);
    assert!(ok && text.starts_with("OK"), "{text}");
    let mut forged = proof.clone();
    forged.record = forged.record.replace("dr.test", "dr.other");
    std::fs::write(&proof_file, serde_json::to_string(&forged).expect("json")).expect("write");
    let (ok, text) = python_verifier(&[
        "inclusion",
        proof_file.to_str().expect("path"),
        "--public-key-file",
        key_arg,
    ]);
    assert!(!ok && text.starts_with("FAIL"), "{text}");

    ask_as_clinician(&engine, "How often is hand hygiene audited?", false);
    let consistency = engine.audit_prove_consistency(head).expect("consistency");
    assert!(consistency.second.size > consistency.first.size);
    let consistency_file = out.join("consistency.json");
    std::fs::write(
        &consistency_file,
        serde_json::to_string(&consistency).expect("json"),
    )
    .expect("write");
    let (ok, text) = python_verifier(&[
        "consistency",
        consistency_file.to_str().expect("path"),
        "--public-key-file",
        key_arg,
    ]);
    assert!(ok && text.starts_with("OK"), "{text}");

    // Version 3 of the sepsis protocol takes effect: the impact report lists who was told v2.
    let src = tempfile::tempdir().expect("tempdir");
    write_sepsis_v3(src.path());
    engine
        .ingest_paths(&[src.path().to_path_buf()], &mut no_progress())
        .expect("ingest v3");
    let impact = engine.audit_impact("SBH-PROT-001", "2").expect("impact");
    assert_eq!(impact.status, cited_core::VersionStatus::Superseded);
    assert_eq!(impact.in_force_now.as_deref(), Some("3"));
    assert!(
        impact
            .answers
            .iter()
            .any(|a| a.record_id == records[0].record_id && a.user_id == "dr.test"),
        "{impact:?}"
    );
    assert!(engine.audit_impact("SBH-PROT-001", "9").is_err());
}

fn hex_leaf(json: &str) -> String {
    hex::encode(cited_engine::cited_audit::merkle::leaf_hash(
        json.as_bytes(),
    ))
}

#[test]
fn a_cited_version_stays_openable_after_it_is_superseded_and_its_file_deleted() {
    let data = tempfile::tempdir().expect("tempdir");
    let src = tempfile::tempdir().expect("tempdir");
    let engine = engine(data.path());
    let v1 = std::fs::read_to_string(repo_root().join("corpus/protocols/sepsis-bundle.v1.md"))
        .expect("read v1");
    let v1_path = write(src.path(), "sepsis-bundle.v1.md", &v1);
    engine
        .ingest_paths(&[src.path().to_path_buf()], &mut no_progress())
        .expect("ingest v1");
    // Asked while v1 is the only version: the answer cites v1.
    let answer = ask_as_clinician(
        &engine,
        "How soon must antibiotics be given in sepsis?",
        false,
    );
    let cited = answer
        .citations
        .iter()
        .find(|c| c.doc_id == "SBH-PROT-001")
        .expect("a citation of the sepsis bundle")
        .clone();
    assert_eq!(cited.version, "1");
    let before = version_text(&engine, "SBH-PROT-001", "1");

    // v2 supersedes it, and the file of v1 is deleted from the folder.
    let v2 = std::fs::read_to_string(repo_root().join("corpus/protocols/sepsis-bundle.v2.md"))
        .expect("read v2");
    write(src.path(), "sepsis-bundle.v2.md", &v2);
    std::fs::remove_file(&v1_path).expect("delete v1's file");
    engine
        .ingest_paths(&[src.path().to_path_buf()], &mut no_progress())
        .expect("ingest v2");

    // The version the record cites opens exactly as it was, and the cited span still quotes it.
    let opened = engine
        .open_version("SBH-PROT-001", "1", &Access::Operator)
        .expect("v1 still opens");
    assert_eq!(opened.text, before, "the text is unchanged");
    assert_eq!(opened.view.version.content_hash, cited.content_hash);
    assert_eq!(opened.view.status.to_string(), "superseded");
    assert_eq!(&opened.text[cited.start..cited.end], cited.quote);
    let records = engine
        .audit_records(&AuditQuery {
            doc_id: Some("SBH-PROT-001".into()),
            version: Some("1".into()),
            ..AuditQuery::default()
        })
        .expect("records");
    let record: serde_json::Value = serde_json::from_str(&records[0].json).expect("json");
    assert_eq!(
        record["citations"][0]["content_hash"].as_str(),
        Some(cited.content_hash.as_str()),
        "the record names the exact text it cited"
    );
}
