//! `cited migrate`: moves the data directory's embedded SQLite catalog into a PostgreSQL database, ids and
//! audit bytes unchanged, so the directory's indexes keep working against it; then, optionally, asks a set
//! of questions against both catalogs and compares the answers.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use cited_catalog::{PostgresCatalog, SqliteCatalog, copy_sqlite_to_postgres};
use cited_core::Access;
use cited_engine::{AskRequest, AskResponse, Config, Engine};
use clap::Args;

/// `cited migrate` arguments.
#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// The PostgreSQL database to copy the catalog into; it must be empty (a new database).
    #[arg(long, env = "CITED_POSTGRES_URL", hide_env_values = true)]
    pub to_postgres: String,
    /// Questions (JSON Lines with a `question` field) to ask against both catalogs afterwards; exit 1 if
    /// any answer differs. The check records no audit entry and creates no review item.
    #[arg(long)]
    pub check: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Copies the catalog, then runs the check. `engine` holds the data directory (its lock, and recovery
/// has removed what an interrupted ingest left) for the length of the copy.
pub fn migrate(engine: Engine, args: &MigrateArgs) -> Result<ExitCode> {
    if engine.catalog().backend() != "sqlite" {
        bail!(
            "this data directory's catalog is already on {}: migrate copies an embedded SQLite catalog",
            engine.catalog().backend()
        );
    }
    let config = engine.config().clone();
    let copied = {
        let sqlite = SqliteCatalog::open(&config.data_dir.join("catalog.sqlite"))?;
        let postgres =
            PostgresCatalog::open(&args.to_postgres, config.storage.postgres_max_connections)?;
        copy_sqlite_to_postgres(&sqlite, &postgres).context("copying the catalog")?
    };
    drop(engine);
    let check = match &args.check {
        Some(file) => Some(compare_answers(&config, &args.to_postgres, file)?),
        None => None,
    };
    let identical = check.as_ref().is_none_or(|c| c.differing.is_empty());
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "copied": copied.tables,
                "check": check,
            }))?
        );
    } else {
        for (table, rows) in &copied.tables {
            outln!("{table:>16}  {rows} rows");
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
        outln!(
            "To use it: [storage] catalog = \"postgres\" (CITED_STORAGE_CATALOG=postgres) and the URL in \
             CITED_POSTGRES_URL, with this same data directory."
        );
    }
    Ok(if identical {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// How the two catalogs answered the check questions.
#[derive(Debug, serde::Serialize)]
pub struct AnswerCheck {
    /// Questions asked of each.
    pub questions: usize,
    /// Those whose answers differ.
    pub differing: Vec<String>,
}

fn compare_answers(config: &Config, url: &str, file: &Path) -> Result<AnswerCheck> {
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
    let mut quiet = config.clone();
    quiet.audit.record_asks = false;
    let answers_of = |config: Config| -> Result<Vec<serde_json::Value>> {
        let engine = Engine::open(config)?;
        questions
            .iter()
            .map(|q| Ok(shown(&engine.ask(&check_request(q))?)))
            .collect()
    };
    let embedded = answers_of(quiet.clone())?;
    quiet.storage.catalog = "postgres".into();
    quiet.storage.postgres_url = Some(url.to_string());
    let server = answers_of(quiet)?;
    Ok(AnswerCheck {
        questions: questions.len(),
        differing: questions
            .iter()
            .zip(embedded.iter().zip(&server))
            .filter(|(_, (a, b))| a != b)
            .map(|(q, _)| q.clone())
            .collect(),
    })
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
