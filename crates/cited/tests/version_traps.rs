//! Version traps (evals/version-traps): fixture policies and protocols whose later versions changed a
//! number or a criterion, or retired the policy. Asked without a date, every answer cites the version in
//! force today; asked as of an earlier date, the version in force then; a retired policy gets no
//! confident answer. Run through `cited eval answers`, as a user of the command would.

mod common;

use common::*;

#[test]
fn every_version_trap_cites_the_version_in_force_on_the_date_asked() {
    let data = tempfile::tempdir().expect("tempdir");
    let traps = repo_root().join("evals/version-traps");
    let out = cited(data.path())
        .arg("ingest")
        .arg(traps.join("docs"))
        .output()
        .expect("ingest");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cited(data.path())
        .args(["eval", "answers", "--json", "--questions"])
        .arg(traps.join("questions.jsonl"))
        .output()
        .expect("eval answers");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let cases = report["cases"].as_array().expect("cases");
    assert!(cases.len() >= 30, "at least 30 traps: {}", cases.len());
    let wrong: Vec<String> = cases
        .iter()
        .filter(|c| c["right_version"] != true)
        .map(|c| format!("{} ({}): {}", c["id"], c["status"], c["answer"]))
        .collect();
    assert!(
        wrong.is_empty(),
        "wrong version or retired policy answered: {wrong:#?}"
    );
    // Retired policies are not answered, and say so.
    for c in cases.iter().filter(|c| c["kind"] == "version_retired") {
        assert_ne!(c["status"], "answered", "{}", c["id"]);
        let notices = c["notices"].to_string().to_lowercase();
        assert!(notices.contains("retired"), "{}: {notices}", c["id"]);
    }
}
