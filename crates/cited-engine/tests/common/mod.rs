//! Shared set-up for engine tests: real model files from `models/` (fetched by `make models`) and real
//! data from `../shared/data`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use cited_engine::{Config, Engine};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

pub fn shared_data() -> PathBuf {
    let p = repo_root().join("../shared/data");
    assert!(
        p.is_dir(),
        "{} is missing: tests use the shared data set next to the checkout",
        p.display()
    );
    p
}

pub fn config(data_dir: &Path) -> Config {
    let root = repo_root();
    let mut c = Config {
        data_dir: data_dir.to_path_buf(),
        ..Config::default()
    };
    c.models.dir = root.join("models/all-minilm-l6-v2");
    c.models.onnxruntime = root.join("models/onnxruntime/libonnxruntime.so");
    assert!(
        c.models.dir.join("model.onnx").is_file(),
        "model files missing: run `make models` (scripts/fetch-models.sh)"
    );
    c
}

pub fn engine(data_dir: &Path) -> Engine {
    Engine::open(config(data_dir)).expect("open engine")
}

pub fn no_progress() -> impl FnMut(cited_engine::IngestProgress<'_>) {
    |_| {}
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&p, text).expect("write");
    p
}

/// The canonical text of a committed version, by document id and version label.
pub fn version_text(engine: &Engine, doc_id: &str, version: &str) -> String {
    let versions = engine
        .document_versions(doc_id, &cited_core::Access::Operator)
        .expect("document");
    let v = versions
        .iter()
        .find(|v| v.version.version == version)
        .expect("version in the catalog");
    engine
        .version_text(v.version.version_id)
        .expect("text")
        .to_string()
}

/// Writes version 3 of the sample sepsis protocol (v2's text, effective 2026-01-01) into `dir`.
pub fn write_sepsis_v3(dir: &Path) -> PathBuf {
    let v2 = std::fs::read_to_string(repo_root().join("corpus/protocols/sepsis-bundle.v2.md"))
        .expect("read v2");
    let v3 = v2.replace("version: \"2\"", "version: \"3\"").replace(
        "effective_date: \"2025-03-01\"",
        "effective_date: \"2026-01-01\"",
    );
    write(dir, "sepsis-bundle.v3.md", &v3)
}

/// Asks as a clinician (`dr.test`, request `req-1`); `review_everything` sets thresholds that send any
/// draft to review.
pub fn ask_as_clinician(
    engine: &Engine,
    question: &str,
    review_everything: bool,
) -> cited_engine::AskResponse {
    engine
        .ask(&cited_engine::AskRequest {
            question: question.into(),
            access: cited_core::Access::Operator,
            actor: cited_engine::Actor {
                user_id: "dr.test".into(),
                roles: vec!["clinician".into()],
                request_id: Some("req-1".into()),
            },
            thresholds: review_everything.then_some((0.0, 0.999)),
            ..cited_engine::AskRequest::default()
        })
        .expect("ask")
}

/// The machine's PostgreSQL server (`CITED_TEST_POSTGRES_URL`).
pub fn server_url() -> String {
    std::env::var("CITED_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// The config of `data_dir`, with an audit signing key beside it (outside the data directory).
pub fn keyed_config(data_dir: &std::path::Path) -> cited_engine::Config {
    let mut config = config(data_dir);
    let key = data_dir.with_extension("audit.key");
    if !key.exists() {
        cited_engine::cited_audit::generate_key(&key).expect("keygen");
    }
    config.audit.signing_key = Some(key);
    config
}

/// What a user sees of an answer: status, sentences, citations (document, version, span), confidence.
pub fn shown(r: &cited_engine::AskResponse) -> serde_json::Value {
    let mut v = serde_json::to_value(r).expect("answer as JSON");
    if let Some(map) = v.as_object_mut() {
        for varying in ["review_id", "took_ms", "trace"] {
            map.remove(varying);
        }
    }
    v
}
