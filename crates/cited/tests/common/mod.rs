//! Shared set-up for the binary's tests: the `cited` binary under test with the real model files from
//! `models/` (fetched by `make models`) and real data from `../shared/data`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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

/// `cited --data-dir DATA_DIR` with the model files, no config file and no standard input.
pub fn cited(data_dir: &Path) -> Command {
    let root = repo_root();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cited"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .env("CITED_MODELS_DIR", root.join("models/all-minilm-l6-v2"))
        .env(
            "CITED_MODELS_ONNXRUNTIME",
            root.join("models/onnxruntime/libonnxruntime.so"),
        )
        .env_remove("CITED_CONFIG")
        .stdin(Stdio::null());
    cmd
}
