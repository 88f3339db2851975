//! `cited migrate`: moves an embedded deployment onto servers. `--to-postgres` copies the data
//! directory's SQLite catalog into a PostgreSQL database, ids and audit bytes unchanged, so the
//! directory's indexes keep working against it; `--to-qdrant` copies the indexes into a Qdrant server's
//! collections (vectors as stored, nothing re-embedded) and binds the catalog to them. Both together make
//! a cluster deployment whose app nodes keep nothing on disk. `--check` then asks a set of questions of
//! the old and the new deployment and compares the answers.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use cited_catalog::{CatalogStore, PostgresCatalog, SqliteCatalog, copy_sqlite_to_postgres};
use cited_core::Access;
use cited_engine::{AskRequest, AskResponse, Engine, qdrant_index_owner};
use clap::Args;

/// `cited migrate` arguments.
#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// The PostgreSQL database to copy the catalog into; it must be empty (a new database).
    #[arg(long)]
    pub to_postgres: Option<String>,
    /// The Qdrant server (gRPC URL) to copy the vector and lexical indexes into, as the collections of
    /// `storage.qdrant_collection` (they must be empty); its key from `CITED_QDRANT_API_KEY`.
    #[arg(long)]
    pub to_qdrant: Option<String>,
    /// Questions (JSON Lines with a `question` field) to ask of the old and the new deployment
    /// afterwards; exit 1 if any answer differs. The check records no audit entry and creates no review
    /// item.
    #[arg(long)]
    pub check: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Copies what was asked for, then runs the check. `engine` holds the data directory (its lock, and
/// recovery has removed what an interrupted ingest left) for the length of the copy.
pub fn migrate(engine: Engine, args: &MigrateArgs) -> Result<ExitCode> {
    if args.to_postgres.is_none() && args.to_qdrant.is_none() {
        bail!("say where to: --to-postgres URL, --to-qdrant URL, or both");
    }
    let before = engine.config().clone();
    let mut after = before.clone();
    // The old deployment answers first: once the indexes are copied, the catalog may belong to them.
    let questions = match &args.check {
        Some(file) => Some(read_questions(file)?),
        None => None,
    };
    let old_answers = match &questions {
        Some(qs) => Some(answers_of(&engine, qs)?),
        None => None,
    };
    let mut copied = serde_json::Map::new();
    if let Some(url) = &args.to_postgres {
        if engine.catalog().backend() != "sqlite" {
            bail!(
                "this data directory's catalog is already on {}: --to-postgres copies an embedded \
                 SQLite catalog",
                engine.catalog().backend()
            );
        }
        let sqlite = SqliteCatalog::open(&before.data_dir.join("catalog.sqlite"))?;
        let postgres = PostgresCatalog::open(url, before.storage.postgres_max_connections)?;
        let report = copy_sqlite_to_postgres(&sqlite, &postgres).context("copying the catalog")?;
        let tables: serde_json::Map<String, serde_json::Value> = report
            .tables
            .iter()
            .map(|(table, rows)| (table.clone(), serde_json::json!(rows)))
            .collect();
        copied.insert("catalog".into(), tables.into());
        after.storage.catalog = "postgres".into();
        after.storage.postgres_url = Some(url.clone());
    }
    if let Some(url) = &args.to_qdrant {
        if before.storage.uses_qdrant() {
            bail!(
                "this deployment's indexes are already on Qdrant: --to-qdrant copies embedded ones"
            );
        }
        let mut target = before.storage.clone();
        target.qdrant_url = Some(url.clone());
        let report = engine
            .copy_indexes_to_qdrant(target.qdrant_settings()?, target.qdrant_bm25_avg_terms)
            .context("copying the indexes")?;
        copied.insert("indexes".into(), serde_json::to_value(report)?);
        after.storage.vectors = "qdrant".into();
        after.storage.lexical = "qdrant".into();
        after.storage.qdrant_url = Some(url.clone());
    }
    drop(engine);
    if args.to_qdrant.is_some() {
        // The catalog the new deployment uses now describes the collections, not this directory.
        let catalog: Box<dyn CatalogStore> =
            cited_catalog::open(&after.storage.catalog_location(&after.data_dir)?)?;
        catalog.set_index_owner(&qdrant_index_owner(&after.storage.qdrant_collection))?;
    }
    let check = match (questions, old_answers) {
        (Some(questions), Some(old)) => {
            let mut quiet = after.clone();
            quiet.audit.record_asks = false;
            let new = answers_of(&Engine::open(quiet)?, &questions)?;
            Some(AnswerCheck {
                questions: questions.len(),
                differing: questions
                    .iter()
                    .zip(old.iter().zip(&new))
                    .filter(|(_, (a, b))| a != b)
                    .map(|(q, _)| q.clone())
                    .collect(),
            })
        }
        _ => None,
    };
    let identical = check.as_ref().is_none_or(|c| c.differing.is_empty());
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "copied": copied,
                "check": check,
            }))?
        );
    } else {
        if let Some(tables) = copied.get("catalog").and_then(|t| t.as_object()) {
            for (table, rows) in tables {
                outln!("{table:>16}  {rows} rows");
            }
        }
        if let Some(indexes) = copied.get("indexes") {
            outln!(
                "indexes: {} vectors, {} chunks for BM25, into {}_dense and {}_bm25",
                indexes["vectors"],
                indexes["lexical_chunks"],
                after.storage.qdrant_collection,
                after.storage.qdrant_collection
            );
        }
        if let Some(c) = &check {
            outln!(
                "check: {} questions, {} answered identically, {} differ",
                c.questions,
                c.questions - c.differing.len(),
                c.differing.len()
            );
            for q in &c.differing {
                outln!("  differs: {q}");
            }
        }
        if args.to_postgres.is_some() {
            outln!(
                "To use the catalog: [storage] catalog = \"postgres\" (CITED_STORAGE_CATALOG=postgres) \
                 and the URL in CITED_POSTGRES_URL."
            );
        }
        if args.to_qdrant.is_some() {
            outln!(
                "To use the indexes: [storage] vectors = lexical = \"qdrant\" \
                 (CITED_STORAGE_VECTORS=qdrant CITED_STORAGE_LEXICAL=qdrant) and the URL in \
                 CITED_QDRANT_URL. The catalog now belongs to them: this data directory's own indexes \
                 are no longer used with it."
            );
        }
    }
    Ok(if identical {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// How the two deployments answered the check questions.
#[derive(Debug, serde::Serialize)]
pub struct AnswerCheck {
    /// Questions asked of each.
    pub questions: usize,
    /// Those whose answers differ.
    pub differing: Vec<String>,
}

fn read_questions(file: &Path) -> Result<Vec<String>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let mut questions = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let value: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("{} line {}: not JSON", file.display(), n + 1))?;
        match value.get("question").and_then(|q| q.as_str()) {
            Some(q) => questions.push(q.to_string()),
            None => bail!("{} line {}: no \"question\" text", file.display(), n + 1),
        }
    }
    Ok(questions)
}

/// What `engine` shows for each question (dry runs: no audit record, no review item).
fn answers_of(engine: &Engine, questions: &[String]) -> Result<Vec<serde_json::Value>> {
    questions
        .iter()
        .map(|q| Ok(shown(&engine.ask(&check_request(q))?)))
        .collect()
}

fn check_request(question: &str) -> AskRequest {
    AskRequest {
        question: question.to_string(),
        access: Access::Operator,
        dry_run: true,
        ..AskRequest::default()
    }
}

/// What a user is shown of an answer: everything but timings, trace and review id.
pub fn shown(r: &AskResponse) -> serde_json::Value {
    let mut v = serde_json::to_value(r).unwrap_or_default();
    if let Some(map) = v.as_object_mut() {
        for varying in ["review_id", "took_ms", "trace"] {
            map.remove(varying);
        }
    }
    v
}
