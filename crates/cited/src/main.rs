//! `cited`: the command line of Cited. Thin: parses arguments, opens the engine, prints results.

mod commands;
mod evals;

use std::path::PathBuf;
use std::process::ExitCode;

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
    /// Timing benchmarks (latency of search in one warm process).
    Bench {
        /// bench subcommand.
        #[command(subcommand)]
        command: commands::BenchCommand,
    },
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
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
