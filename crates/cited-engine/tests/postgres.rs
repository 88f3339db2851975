//! The engine with its catalog on the machine's PostgreSQL server (`[storage] catalog = "postgres"`, a
//! fresh database per run) answers exactly as with the embedded SQLite catalog, keeps a verifiable audit
//! trail there, and refuses a second data directory that would share the catalog with other indexes.

mod common;

use cited_catalog::postgres::ScratchDatabase;
use cited_engine::Engine;
use common::*;

fn postgres_engine(
    data_dir: &std::path::Path,
    url: &str,
) -> Result<Engine, cited_engine::EngineError> {
    let mut config = keyed_config(data_dir);
    config.storage.catalog = "postgres".into();
    config.storage.postgres_url = Some(url.to_string());
    Engine::open(config)
}

#[test]
fn a_postgres_catalog_answers_like_sqlite_and_belongs_to_one_data_directory() {
    let db = ScratchDatabase::create(&server_url(), "engine")
        .expect("the machine's PostgreSQL server answers");
    let pg_dir = tempfile::tempdir().expect("tempdir");
    let sqlite_dir = tempfile::tempdir().expect("tempdir");
    let corpus = repo_root().join("corpus");
    let questions = [
        "How soon must antibiotics be given in sepsis?",
        "What is the enoxaparin dose when creatinine clearance is below 30?",
        "Does Medicare cover a CPAP trial for an AHI of 10?",
    ];
    let mut answers = Vec::new();
    for postgres in [true, false] {
        let engine = if postgres {
            postgres_engine(pg_dir.path(), &db.url).expect("open with a PostgreSQL catalog")
        } else {
            Engine::open(keyed_config(sqlite_dir.path())).expect("open with a SQLite catalog")
        };
        assert_eq!(
            engine.catalog().backend(),
            if postgres { "postgres" } else { "sqlite" }
        );
        let report = engine
            .ingest_paths(std::slice::from_ref(&corpus), &mut no_progress())
            .expect("ingest");
        assert!(report.added > 5, "{report:#?}");
        assert!(engine.check().expect("check").is_consistent());
        answers.push(
            questions
                .iter()
                .map(|q| shown(&ask_as_clinician(&engine, q, false)))
                .collect::<Vec<_>>(),
        );
        let verified = engine.audit_verify(&[], None).expect("verify");
        assert!(verified.ok(), "{:?}", verified.problems);
        assert!(
            verified.size >= questions.len() as u64,
            "one record per ask at least"
        );
    }
    assert_eq!(
        answers[0], answers[1],
        "the same answers from either catalog"
    );

    // The catalog now describes pg_dir's indexes: another data directory may not use it.
    let other = tempfile::tempdir().expect("tempdir");
    let err = postgres_engine(other.path(), &db.url)
        .err()
        .expect("a second data directory is refused");
    assert!(
        err.to_string().contains("belongs to other indexes"),
        "{err}"
    );
    // The owner reopens it and finds everything.
    let engine = postgres_engine(pg_dir.path(), &db.url).expect("reopen");
    assert!(engine.check().expect("check").is_consistent());
    assert_eq!(
        shown(&ask_as_clinician(&engine, questions[0], false)),
        answers[0][0]
    );
}
