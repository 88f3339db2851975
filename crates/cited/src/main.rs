//! `cited`: the command line of Cited. Thin: parses arguments, opens the engine, prints results.

/// `println!` that returns an error instead of panicking when stdout is closed (`cited docs list | head`):
/// `main` then ends quietly.
macro_rules! outln {
    () => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock())?;
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?;
    }};
}

mod audit;
mod commands;
mod evals;
mod migrate;
mod redact;

use std::path::PathBuf;
use std::process::ExitCode;

use std::io::Write as _;

use cited_engine::ErrorKind;
use clap::{Parser, Subcommand};

/// Answers from your clinical protocols and coverage policies, with citations.
#[derive(Parser, Debug)]
#[command(name = "cited", version, about)]
pub struct Cli {
    /// Configuration file (TOML); see config/cited.toml for every option.
    #[arg(long, global = true, env = "CITED_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory (catalog, indexes); overrides the config and CITED_DATA_DIR.
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Ingest files and folders (Markdown, text, HTML, PDF), recursively.
    Ingest(commands::IngestArgs),
    /// Search the documents in force (hybrid BM25 + dense by default).
    Search(commands::SearchArgs),
    /// Answer a question from the documents in force, with verified citations.
    Ask(commands::AskArgs),
    /// The human review queue.
    Review {
        /// review subcommand.
        #[command(subcommand)]
        command: commands::ReviewCommand,
    },
    /// List and inspect documents and their versions.
    Docs {
        /// docs subcommand.
        #[command(subcommand)]
        command: commands::DocsCommand,
    },
    /// Verify that the catalog and both indexes agree, version by version (exit 1 if not).
    Check {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Serve the HTTP API (see README "HTTP API") until Ctrl-C or SIGTERM.
    Serve(commands::ServeArgs),
    /// API tokens: create (the secret is printed once), list, revoke.
    Token {
        /// token subcommand.
        #[command(subcommand)]
        command: commands::TokenCommand,
    },
    /// Timing benchmarks (latency of search in one warm process).
    Bench {
        /// bench subcommand.
        #[command(subcommand)]
        command: commands::BenchCommand,
    },
    /// The audit trail: signed heads, verification, proofs, listing, export.
    Audit {
        /// audit subcommand.
        #[command(subcommand)]
        command: audit::AuditCommand,
    },
    /// Redact patient identifiers from standard input, one output line per input line (see
    /// README "PHI redaction"); the same redactor guards the audit trail, review queue and LLM calls.
    Redact(redact::RedactArgs),
    /// Copy this data directory's SQLite catalog into an empty PostgreSQL database (same ids, same audit
    /// trail), optionally checking that both answer a question set identically.
    Migrate(migrate::MigrateArgs),
    /// Measure retrieval quality.
    Eval {
        /// eval subcommand.
        #[command(subcommand)]
        command: commands::EvalCommand,
    },
}

/// Warnings from Cited; Qdrant Edge logs start-up notices at warn level that mean nothing to a user.
const DEFAULT_LOG_FILTER: &str = "warn,qdrant_edge=error";

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CITED_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER)),
        )
        .with_writer(std::io::stderr)
        .init();
    let json = match &cli.command {
        Command::Ask(a) => a.json,
        Command::Search(s) => s.json,
        _ => false,
    };
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) if closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => report_error(&e, json),
    }
}

/// Whether the error is stdout's reader going away (`| head`): not a failure of ours.
fn closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Exit code of a request the engine refused (bad input): fix the request and retry.
const EXIT_BAD_REQUEST: u8 = 2;
/// Exit code when the request names something the catalog does not hold.
const EXIT_NOT_FOUND: u8 = 4;

/// Prints the error (with its stable code for engine errors, and as JSON on stdout for `--json`) and picks
/// the exit code: 2 bad request, 4 not found, 1 anything else.
fn report_error(e: &anyhow::Error, json: bool) -> ExitCode {
    let engine = e.downcast_ref::<cited_engine::EngineError>();
    let (code, exit) = match engine.map(|e| e.kind()) {
        Some(ErrorKind::BadRequest) => (engine.map(|e| e.code()), EXIT_BAD_REQUEST),
        Some(ErrorKind::NotFound) => (Some("not_found"), EXIT_NOT_FOUND),
        _ => (None, 1),
    };
    match code {
        Some(code) => eprintln!("error ({code}): {e:#}"),
        None => eprintln!("error: {e:#}"),
    }
    if json {
        let body = serde_json::json!({
            "error": { "code": code.unwrap_or("internal"), "message": format!("{e:#}") }
        });
        // Nothing more to do if stdout is gone too.
        let _ = writeln!(std::io::stdout().lock(), "{body}");
    }
    ExitCode::from(exit)
}
