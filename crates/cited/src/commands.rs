use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use cited_core::{Access, AnswerStatus, MetadataFilter, SearchMode, SearchRequest};
use cited_engine::{Actor, AskRequest, Config, Engine, IngestReport};
use cited_eval as eval;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::{Cli, Command};

/// Exit code when some files were rejected but the rest were ingested.
const EXIT_SOME_REJECTED: u8 = 3;

#[derive(Args, Debug)]
pub struct IngestArgs {
    /// Files or folders.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Print a machine-readable summary.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// The query.
    query: String,
    /// hybrid, bm25 or dense.
    #[arg(long, default_value = "hybrid")]
    mode: SearchMode,
    /// Number of hits.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// key=value on document metadata (doc_type, payer, status, any front-matter field); repeatable.
    #[arg(long = "filter")]
    filters: Vec<MetadataFilter>,
    /// Search the versions in force on this date (YYYY-MM-DD) instead of today.
    #[arg(long, value_parser = parse_date)]
    as_of: Option<NaiveDate>,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args, Debug)]
pub struct AskArgs {
    /// The question.
    question: String,
    /// key=value on document metadata; repeatable.
    #[arg(long = "filter")]
    filters: Vec<MetadataFilter>,
    /// Answer from the versions in force on this date (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    as_of: Option<NaiveDate>,
    /// Passages to retrieve (default: answer.k in the config).
    #[arg(long)]
    k: Option<usize>,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// With --json: add the trace (candidates and their scores, passages, each drafted sentence's
    /// verdict, confidence signals, stage timings, answerer and model).
    #[arg(long, requires = "json")]
    trace: bool,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (default: server.addr in the config, 127.0.0.1:8080).
    #[arg(long)]
    addr: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token; its secret is printed once, alone on the last line.
    Create {
        /// User id the token acts as (recorded on review decisions).
        #[arg(long)]
        user: String,
        /// Comma-separated roles: clinician, staff, reviewer, compliance, admin.
        #[arg(long, value_delimiter = ',', required = true)]
        roles: Vec<String>,
        /// Comma-separated groups (per-document access).
        #[arg(long, value_delimiter = ',')]
        groups: Vec<String>,
    },
    /// Every token (id, user, roles, groups, created, revoked); never a secret.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its id.
    Revoke {
        /// Token id (from `token list`).
        id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ReviewCommand {
    /// Items in a state (default: pending).
    List {
        /// pending, approved or rejected.
        #[arg(long, default_value = "pending")]
        state: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One item: question, draft, evidence, reasons, decision.
    Show {
        /// Item id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve the draft as it stands.
    Approve {
        /// Item id.
        id: String,
        /// Reviewer name (default: CITED_REVIEWER, then USER).
        #[arg(long)]
        reviewer: Option<String>,
    },
    /// Approve your own answer: sentences with [n] markers citing the item's evidence numbers.
    Edit {
        /// Item id.
        id: String,
        /// File holding the answer text.
        #[arg(long)]
        answer_file: PathBuf,
        /// Reviewer name (default: CITED_REVIEWER, then USER).
        #[arg(long)]
        reviewer: Option<String>,
        /// Note kept with the decision.
        #[arg(long)]
        note: Option<String>,
    },
    /// Reject the draft.
    Reject {
        /// Item id.
        id: String,
        /// Why (kept with the decision).
        #[arg(long, required = true)]
        note: String,
        /// Reviewer name (default: CITED_REVIEWER, then USER).
        #[arg(long)]
        reviewer: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum DocsCommand {
    /// Every document with its version in force today.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One document: metadata, versions, and the canonical text of one version.
    Show {
        /// Document id.
        id: String,
        /// Version label (default: the one in force today, else the newest).
        #[arg(long)]
        version: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum EvalCommand {
    /// nDCG@10, recall@5/10 and MRR@10 for bm25, dense and hybrid.
    Retrieval(RetrievalArgs),
    /// Answers scored by key facts (evals/questions/*.jsonl: correct among answered, unanswerable
    /// withheld, calibration, risk–coverage per half), or by evidence quotes (ncd-dev format).
    Answers {
        /// Question files (JSONL). With key facts: question, expect, docs, key_facts, must_not, split.
        /// Without: query, answerable, evidence.
        #[arg(long, required = true)]
        questions: Vec<PathBuf>,
        /// Only this half of a keyed set: tune, check or all (all reports each half separately).
        #[arg(long, default_value = "all")]
        split: String,
        /// Files or folders to ingest first (unchanged ones are skipped).
        #[arg(long)]
        corpus: Vec<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Adversarial drafts (evals/verify-adversarial.jsonl) sent through the `llm` answerer from a stub
    /// endpoint on loopback, then verification: unfaithful sentences shown, faithful ones kept.
    Verify {
        /// Cases (JSONL: category, expect keep|reject, passages, citations, sentence, split).
        #[arg(long)]
        cases: PathBuf,
        /// Only this half: tune, check or all.
        #[arg(long, default_value = "all")]
        split: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The PHI redactor: recall per identifier type on planted cases (evals/phi/*.jsonl), clean cases
    /// changed, and the share of real documents' sentences it would change. Needs no data directory.
    Redact {
        /// Cases (JSONL: text, spans with code-point offsets and type, keep, expected).
        #[arg(long)]
        cases: Vec<PathBuf>,
        /// Files or folders whose every sentence is redacted (documents hold no patient data, so every
        /// change is a false positive).
        #[arg(long)]
        corpus: Vec<PathBuf>,
        /// List leaks, spans marked for nothing and changed sentences.
        #[arg(long)]
        examples: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Latency of the PHI redactor on texts of about `--bytes` bytes built from a cases file.
    Redact {
        /// Cases (JSONL with a `text` field), e.g. evals/phi/check.jsonl.
        #[arg(long)]
        cases: PathBuf,
        /// Length of each text redacted.
        #[arg(long, default_value_t = 2048)]
        bytes: usize,
        /// Texts to redact.
        #[arg(long, default_value_t = 2000)]
        runs: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Latency of N searches in one warm process (p50, p95, mean), after one warm-up query.
    Search {
        /// Query source: a TSV with a `question` column, or JSONL with a `query` field.
        #[arg(long)]
        questions: PathBuf,
        /// Number of queries, spread evenly over the file.
        #[arg(long, default_value_t = 200)]
        n: usize,
        /// hybrid, bm25 or dense.
        #[arg(long, default_value = "hybrid")]
        mode: SearchMode,
        /// Hits per query.
        #[arg(long, default_value_t = 10)]
        k: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Latency of `ask` (default answerer) in one warm process, next to the hybrid search inside it:
    /// every question of a set, several rounds. Round 1 meets each passage for the first time; later
    /// rounds show what a warm server sees for repeated questions. No review items are created.
    Ask {
        /// JSONL with a `query` (or `question`) field, e.g. ../shared/data/evals/ncd-dev.jsonl.
        #[arg(long)]
        questions: PathBuf,
        /// Rounds over the whole set.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct RetrievalArgs {
    /// A BEIR data set folder (corpus.jsonl, queries.jsonl, qrels/); its corpus is ingested first.
    #[arg(long, conflicts_with = "questions")]
    beir: Option<PathBuf>,
    /// The qrels split of the BEIR set.
    #[arg(long, default_value = "test")]
    split: String,
    /// A question file (JSONL with evidence doc ids and quotes).
    #[arg(long, required_unless_present = "beir")]
    questions: Option<PathBuf>,
    /// Files or folders to ingest before a question eval (unchanged ones are skipped).
    #[arg(long)]
    corpus: Vec<PathBuf>,
    /// Evaluate only the first N queries.
    #[arg(long)]
    limit: Option<usize>,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD)"))
}

fn open(cli: &Cli) -> Result<Engine> {
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(dir) = &cli.data_dir {
        config.data_dir = dir.clone();
    }
    let engine = Engine::open(config)?;
    let removed = engine.recovery().removed_pending_versions;
    if removed > 0 {
        eprintln!(
            "recovered: removed {removed} version(s) left half-written by an interrupted ingest; rerun it to complete"
        );
    }
    Ok(engine)
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    // The redactor needs no data directory and no model.
    if let Some(result) = without_engine(&cli.command) {
        return result;
    }
    let engine = open(&cli)?;
    match &cli.command {
        Command::Ingest(args) => ingest(&engine, args),
        Command::Search(args) => search(&engine, args),
        Command::Docs { command } => docs(&engine, command),
        Command::Ask(args) => ask(&engine, args),
        Command::Review { command } => review(&engine, command),
        Command::Eval {
            command:
                EvalCommand::Answers {
                    questions,
                    split,
                    corpus,
                    json,
                },
        } => eval_answers(&engine, questions, split, corpus, *json),
        Command::Eval {
            command: EvalCommand::Verify { cases, split, json },
        } => {
            let report = crate::evals::verify_cases(&engine, cases, split)?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                crate::evals::print_verify(&report)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { json } => check(&engine, *json),
        Command::Serve(args) => serve(engine, args),
        Command::Migrate(args) => crate::migrate::migrate(engine, args),
        Command::Token { command } => token(&engine, command),
        Command::Audit { command } => crate::audit::audit(&engine, command),
        Command::Bench {
            command:
                BenchCommand::Ask {
                    questions,
                    rounds,
                    json,
                },
        } => bench_ask(&engine, questions, *rounds, *json),
        Command::Bench {
            command:
                BenchCommand::Search {
                    questions,
                    n,
                    mode,
                    k,
                    json,
                },
        } => bench_search(&engine, questions, *n, *mode, *k, *json),
        Command::Eval {
            command: EvalCommand::Retrieval(args),
        } => eval_retrieval(&engine, args),
        Command::Redact(_)
        | Command::Eval {
            command: EvalCommand::Redact { .. },
        }
        | Command::Bench {
            command: BenchCommand::Redact { .. },
        } => without_engine(&cli.command).unwrap_or(Ok(ExitCode::SUCCESS)),
    }
}

/// Commands that need no data directory and no model (the PHI redactor), run without opening one.
fn without_engine(command: &Command) -> Option<Result<ExitCode>> {
    match command {
        Command::Redact(args) => Some(crate::redact::redact(args)),
        Command::Eval {
            command:
                EvalCommand::Redact {
                    cases,
                    corpus,
                    examples,
                    json,
                },
        } => Some(crate::redact::eval(cases, corpus, *examples, *json)),
        Command::Bench {
            command:
                BenchCommand::Redact {
                    cases,
                    bytes,
                    runs,
                    json,
                },
        } => Some(crate::redact::bench(cases, *bytes, *runs, *json)),
        _ => None,
    }
}

fn progress_bar() -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed} {wide_msg}")
    {
        bar.set_style(style);
    }
    Some(bar)
}

fn with_progress<T>(f: impl FnOnce(&mut dyn FnMut(cited_engine::IngestProgress<'_>)) -> T) -> T {
    let bar = progress_bar();
    let mut tick = |p: cited_engine::IngestProgress<'_>| {
        if let Some(bar) = &bar {
            bar.set_length(p.total as u64);
            bar.set_position(p.done as u64);
            bar.set_message(p.current.display().to_string());
        }
    };
    let out = f(&mut tick);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    out
}

fn print_ingest_summary(report: &IngestReport) -> Result<()> {
    outln!(
        "{} files: {} added, {} updated, {} unchanged, {} superseded, {} failed, {} skipped; {} chunks ({} embedded) in {:.1} s",
        report.files,
        report.added,
        report.updated,
        report.unchanged,
        report.superseded,
        report.failed.len(),
        report.skipped.len(),
        report.chunks,
        report.embedded,
        report.took_ms as f64 / 1000.0
    );
    for f in &report.failed {
        outln!("  rejected {}: {}", f.path, f.reason);
    }
    for w in &report.warnings {
        outln!("  warning: {w}");
    }
    for f in report
        .skipped
        .iter()
        .filter(|f| !f.reason.starts_with("unsupported"))
    {
        outln!("  skipped {}: {}", f.path, f.reason);
    }
    Ok(())
}

fn ingest(engine: &Engine, args: &IngestArgs) -> Result<ExitCode> {
    let result = with_progress(|tick| engine.ingest_paths(&args.paths, tick));
    let paths: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
    engine.record_ingest(
        &Actor::operator(),
        result.as_ref(),
        json!({ "paths": paths }),
    )?;
    let report = result?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_ingest_summary(&report)?;
    }
    Ok(if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_SOME_REJECTED)
    })
}

fn search(engine: &Engine, args: &SearchArgs) -> Result<ExitCode> {
    let request = SearchRequest {
        access: Access::Operator,
        query: args.query.clone(),
        mode: args.mode,
        k: args.k,
        filters: args.filters.clone(),
        as_of: args.as_of,
    };
    let response = engine.search(&request)?;
    engine.record_search(&Actor::operator(), &request, &response)?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&response)?);
        return Ok(ExitCode::SUCCESS);
    }
    if response.hits.is_empty() {
        outln!(
            "no results (searched the versions in force on {})",
            response.as_of
        );
    }
    for h in &response.hits {
        let page = h.page.map(|p| format!(", p. {p}")).unwrap_or_default();
        let section = if h.section.is_empty() {
            String::new()
        } else {
            format!(" > {}", h.section)
        };
        outln!(
            "{:>2}. [{:.4}] {} v{} — {}{}{}",
            h.rank,
            h.score,
            h.doc_id,
            h.version,
            h.title,
            section,
            page
        );
        let snippet: String = h
            .text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(240)
            .collect();
        outln!("    {snippet}");
    }
    Ok(ExitCode::SUCCESS)
}

fn ask(engine: &Engine, args: &AskArgs) -> Result<ExitCode> {
    let request = AskRequest {
        access: Access::Operator,
        question: args.question.clone(),
        filters: args.filters.clone(),
        as_of: args.as_of,
        k: args.k,
        trace: args.trace,
        ..AskRequest::default()
    };
    let response = engine.ask(&request)?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&response)?);
        return Ok(ExitCode::SUCCESS);
    }
    if !response.corrections.is_empty() {
        let read: Vec<String> = response
            .corrections
            .iter()
            .map(|c| format!("{} → {}", c.from, c.to))
            .collect();
        outln!("(read as: {})", read.join(", "));
    }
    for notice in &response.notices {
        outln!("Note: {notice}");
    }
    match response.status {
        AnswerStatus::Answered => {
            outln!("{}", response.answer.as_deref().unwrap_or_default());
            if let Some(by) = &response.reviewed_by {
                outln!("(reviewed by {by})");
            }
        }
        AnswerStatus::NeedsReview => outln!(
            "Not answered automatically: sent to review ({}). The evidence found:",
            response.review_id.as_deref().unwrap_or("-")
        ),
        AnswerStatus::NoAnswer => outln!(
            "No answer in the documents in force on {}. Closest passages:",
            response.as_of
        ),
    }
    outln!();
    for c in &response.citations {
        let page = c.page.map(|p| format!(", p. {p}")).unwrap_or_default();
        let section = if c.section.is_empty() {
            String::new()
        } else {
            format!(" > {}", c.section)
        };
        outln!(
            "[{}] {} v{} — {}{}{} [{}..{}]",
            c.n,
            c.doc_id,
            c.version,
            c.title,
            section,
            page,
            c.start,
            c.end
        );
        outln!(
            "    \"{}\"",
            c.quote.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }
    outln!(
        "\nconfidence {:.2}{}",
        response.confidence,
        if response.reasons.is_empty() {
            String::new()
        } else {
            format!("; {}", response.reasons.join("; "))
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn serve(engine: Engine, args: &ServeArgs) -> Result<ExitCode> {
    let addr = args
        .addr
        .clone()
        .unwrap_or_else(|| engine.config().server.addr.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let state = cited_server::AppState::new(std::sync::Arc::new(engine));
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr()?;
        outln!("Cited API on http://{local}/ (Ctrl-C to stop)");
        cited_server::serve(state, listener, cited_server::shutdown_signal())
            .await
            .context("server failed")
    })?;
    Ok(ExitCode::SUCCESS)
}

fn token(engine: &Engine, command: &TokenCommand) -> Result<ExitCode> {
    match command {
        TokenCommand::Create {
            user,
            roles,
            groups,
        } => {
            let roles = roles
                .iter()
                .map(|r| r.parse())
                .collect::<Result<Vec<cited_engine::Role>, _>>()?;
            let (id, secret) = engine.create_token(user, &roles, groups)?;
            engine.record(
                &Actor::operator(),
                "token.create",
                None,
                json!({ "token_id": id, "for_user": user, "granted_roles": roles, "groups": groups }),
            )?;
            outln!("token {id} for {user}; the secret is shown once:");
            outln!("{secret}");
        }
        TokenCommand::List { json } => {
            let tokens = engine.tokens()?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&tokens)?);
            } else {
                for t in &tokens {
                    outln!(
                        "{}\t{}\t{}\t{}\t{}{}",
                        t.token_id,
                        t.user_id,
                        t.roles.join(","),
                        t.groups.join(","),
                        t.created_at,
                        t.revoked_at
                            .as_deref()
                            .map(|r| format!("\trevoked {r}"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        TokenCommand::Revoke { id } => {
            engine.revoke_token(id)?;
            engine.record(
                &Actor::operator(),
                "token.revoke",
                None,
                json!({ "token_id": id }),
            )?;
            outln!("revoked {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn reviewer_name(given: &Option<String>) -> Result<String> {
    given
        .clone()
        .or_else(|| std::env::var("CITED_REVIEWER").ok())
        .or_else(|| std::env::var("USER").ok())
        .filter(|n| !n.trim().is_empty())
        .context("name the reviewer with --reviewer (or CITED_REVIEWER)")
}

fn review(engine: &Engine, command: &ReviewCommand) -> Result<ExitCode> {
    match command {
        ReviewCommand::List { state, json } => {
            let items = engine.reviews(state, &Access::Operator)?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&items)?);
            } else {
                for i in &items {
                    outln!(
                        "{}\t{}\t{:.2}\t{}",
                        i.review_id,
                        i.created_at,
                        i.confidence,
                        i.question
                    );
                }
                outln!("{} {state} item(s)", items.len());
            }
        }
        ReviewCommand::Show { id, json } => {
            let item = engine.review(id, &Access::Operator)?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&item)?);
            } else {
                outln!(
                    "{}: {} ({}; confidence {:.2})",
                    item.review_id,
                    item.question,
                    item.state,
                    item.confidence
                );
                outln!("reasons: {}", item.reasons);
                outln!("draft: {}", serde_json::to_string_pretty(&item.draft)?);
                outln!("history:");
                for e in &item.events {
                    outln!(
                        "  {} {} {} by {}{}",
                        e.seq,
                        e.at,
                        e.kind,
                        e.actor,
                        e.note
                            .as_deref()
                            .map(|n| format!(": {n}"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        ReviewCommand::Approve { id, reviewer } => {
            engine.approve_review(id, &reviewer_name(reviewer)?)?;
            engine.record_review(&Actor::operator(), "approve", id, None, None)?;
            outln!("approved {id}");
        }
        ReviewCommand::Edit {
            id,
            answer_file,
            reviewer,
            note,
        } => {
            let text = std::fs::read_to_string(answer_file)
                .with_context(|| format!("reading {}", answer_file.display()))?;
            engine.edit_review(id, &reviewer_name(reviewer)?, &text, note.as_deref())?;
            engine.record_review(&Actor::operator(), "edit", id, Some(&text), note.as_deref())?;
            outln!("approved {id} with the edited answer");
        }
        ReviewCommand::Reject { id, note, reviewer } => {
            engine.reject_review(id, &reviewer_name(reviewer)?, note)?;
            engine.record_review(&Actor::operator(), "reject", id, None, Some(note))?;
            outln!("rejected {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn eval_answers(
    engine: &Engine,
    files: &[PathBuf],
    split: &str,
    corpus: &[PathBuf],
    json: bool,
) -> Result<ExitCode> {
    if !corpus.is_empty() {
        let report = with_progress(|tick| engine.ingest_paths(corpus, tick))?;
        eprintln!(
            "corpus: {} added, {} unchanged, {} failed",
            report.added,
            report.unchanged,
            report.failed.len()
        );
    }
    let keyed = files
        .iter()
        .map(|f| crate::evals::has_answer_keys(f))
        .collect::<Result<Vec<bool>>>()?;
    if keyed.iter().all(|k| *k) {
        let report = crate::evals::answers(engine, files, split)?;
        if json {
            outln!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            crate::evals::print_answers(&report)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let [questions] = files else {
        bail!("question files without key facts are evaluated one at a time");
    };
    let report = eval::evaluate_answers(engine, questions)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "answer eval on {}: {} answerable, {} unanswerable",
        questions.display(),
        report.answerable,
        report.unanswerable
    );
    outln!(
        "  answered (answerable)           {:.1} %",
        100.0 * report.answered_share
    );
    outln!(
        "  answered citing evidence doc    {:.1} %",
        100.0 * report.correct_doc_share
    );
    outln!(
        "  answered with overlapping quote {:.1} %",
        100.0 * report.correct_source_share
    );
    outln!(
        "  abstained (unanswerable)        {:.1} %",
        100.0 * report.abstention_share
    );
    outln!(
        "  verbatim quotes                 {:.1} % of {}",
        100.0 * report.verbatim_share,
        report.citations
    );
    outln!(
        "  unsupported sentences removed   {}",
        report.unsupported_sentences
    );
    outln!(
        "  ask latency p50 / p95           {:.1} / {:.1} ms",
        report.p50_ms,
        report.p95_ms
    );
    outln!("  threshold  answered  correct  abstained");
    for r in &report.risk_coverage {
        outln!(
            "  {:>9.2}  {:>8.2}  {:>7.2}  {:>9.2}",
            r.threshold,
            r.answered_share,
            r.correct_share,
            r.abstention_share
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn docs(engine: &Engine, command: &DocsCommand) -> Result<ExitCode> {
    match command {
        DocsCommand::List { json } => {
            let docs = engine.list_documents(&[], &Access::Operator)?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&docs)?);
            } else {
                for d in &docs {
                    let active = d
                        .active_version
                        .as_deref()
                        .map(|v| format!("v{v}"))
                        .unwrap_or_else(|| "not in force".into());
                    outln!(
                        "{}\t{}\t{}\t{} version(s)\t{}",
                        d.doc_id,
                        active,
                        d.doc_type,
                        d.versions,
                        d.title
                    );
                }
                outln!("{} documents", docs.len());
            }
        }
        DocsCommand::Show { id, version, json } => {
            let versions = engine.document_versions(id, &Access::Operator)?;
            let chosen = match version {
                Some(label) => versions
                    .iter()
                    .find(|v| &v.version.version == label)
                    .with_context(|| format!("{id} has no version {label:?}"))?,
                None => versions
                    .iter()
                    .find(|v| v.status == cited_core::VersionStatus::Active)
                    .or(versions.last())
                    .context("document has no versions")?,
            };
            let text = engine.version_text(chosen.version.version_id)?;
            if *json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&json!({
                        "doc_id": id,
                        "versions": versions,
                        "version": chosen,
                        "text": text,
                    }))?
                );
            } else {
                for v in &versions {
                    let eff = v
                        .version
                        .effective_date
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "-".into());
                    outln!(
                        "v{}\t{}\teffective {}\t{} chunks\t{}",
                        v.version.version,
                        v.status,
                        eff,
                        v.chunks,
                        v.version.content_hash
                    );
                }
                outln!(
                    "\n--- {} v{}: {} ---\n{}",
                    id,
                    chosen.version.version,
                    chosen.version.title,
                    text
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_queries(path: &std::path::Path) -> Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut lines = text.lines();
    let queries: Vec<String> = if path.extension().is_some_and(|e| e == "tsv") {
        let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
        let col = header
            .iter()
            .position(|h| *h == "question")
            .context("TSV has no `question` column")?;
        lines
            .filter_map(|l| l.split('\t').nth(col).map(str::to_string))
            .collect()
    } else {
        lines
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l)?;
                Ok(v["query"]
                    .as_str()
                    .or(v["question"].as_str())
                    .unwrap_or_default()
                    .to_string())
            })
            .collect::<Result<_>>()?
    };
    Ok(queries
        .into_iter()
        .filter(|q| !q.trim().is_empty())
        .collect())
}

/// p50, p95 and mean of a list of milliseconds.
fn latency(mut ms: Vec<f64>) -> serde_json::Value {
    if ms.is_empty() {
        return json!(null);
    }
    ms.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    json!({ "n": ms.len(), "p50_ms": pct(0.5), "p95_ms": pct(0.95), "mean_ms": mean })
}

fn bench_ask(
    engine: &Engine,
    path: &std::path::Path,
    rounds: usize,
    json: bool,
) -> Result<ExitCode> {
    let questions = read_queries(path)?;
    if questions.is_empty() || rounds == 0 {
        bail!("no questions to run");
    }
    // Load the models once, outside the measurement.
    engine.ask(&AskRequest {
        access: Access::Operator,
        question: "warm-up question about coverage".into(),
        dry_run: true,
        ..AskRequest::default()
    })?;
    let mut search_ms = Vec::new();
    let mut per_round = Vec::new();
    let mut stages: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
    for round in 1..=rounds {
        let mut ms = Vec::with_capacity(questions.len());
        for q in &questions {
            let started = std::time::Instant::now();
            let response = engine.ask(&AskRequest {
                access: Access::Operator,
                question: q.clone(),
                dry_run: true,
                trace: true,
                ..AskRequest::default()
            })?;
            ms.push(started.elapsed().as_secs_f64() * 1000.0);
            if round == rounds {
                for s in response.trace.map(|t| t.stages).unwrap_or_default() {
                    stages.entry(s.stage).or_default().push(s.ms);
                }
            }
            if round == 1 {
                let started = std::time::Instant::now();
                engine.search(&SearchRequest {
                    access: Access::Operator,
                    query: q.clone(),
                    mode: SearchMode::Hybrid,
                    k: engine.config().answer.k,
                    filters: vec![],
                    as_of: None,
                })?;
                search_ms.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
        per_round.push(latency(ms));
    }
    let stage_ms: serde_json::Map<String, serde_json::Value> =
        stages.into_iter().map(|(k, v)| (k, latency(v))).collect();
    let result = json!({
        "questions": questions.len(),
        "rounds": per_round,
        "hybrid_search": latency(search_ms),
        "last_round_stages": stage_ms,
    });
    if json {
        outln!("{result}");
    } else {
        for (i, r) in result["rounds"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            outln!(
                "ask round {}: p50 {:.1} ms, p95 {:.1} ms ({} questions)",
                i + 1,
                r["p50_ms"].as_f64().unwrap_or_default(),
                r["p95_ms"].as_f64().unwrap_or_default(),
                questions.len()
            );
        }
        outln!(
            "hybrid search: p50 {:.1} ms",
            result["hybrid_search"]["p50_ms"]
                .as_f64()
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn bench_search(
    engine: &Engine,
    path: &std::path::Path,
    n: usize,
    mode: SearchMode,
    k: usize,
    json: bool,
) -> Result<ExitCode> {
    let all = read_queries(path)?;
    if all.is_empty() || n == 0 {
        bail!("no queries to run");
    }
    let stride = (all.len() / n).max(1);
    let queries: Vec<&String> = all.iter().step_by(stride).take(n).collect();
    let request = |q: &str| SearchRequest {
        access: Access::Operator,
        query: q.to_string(),
        mode,
        k,
        filters: vec![],
        as_of: None,
    };
    engine.search(&request("warm-up query"))?;
    let mut ms: Vec<f64> = Vec::with_capacity(queries.len());
    for q in &queries {
        let started = std::time::Instant::now();
        engine.search(&request(q))?;
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    let result = json!({ "queries": ms.len(), "mode": mode, "k": k, "p50_ms": pct(0.5), "p95_ms": pct(0.95), "mean_ms": mean });
    if json {
        outln!("{result}");
    } else {
        outln!(
            "{} queries ({mode:?}, k={k}): p50 {:.2} ms, p95 {:.2} ms, mean {:.2} ms",
            ms.len(),
            pct(0.5),
            pct(0.95),
            mean
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn check(engine: &Engine, json: bool) -> Result<ExitCode> {
    let report = engine.check()?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        outln!(
            "{} versions ({} pending); chunks: catalog {}, lexical {}, vectors {}",
            report.versions,
            report.pending_versions,
            report.catalog_chunks,
            report.lexical_chunks,
            report.vector_chunks
        );
        for m in &report.mismatched {
            outln!("  mismatch: {m}");
        }
        outln!(
            "{}",
            if report.is_consistent() {
                "consistent"
            } else {
                "INCONSISTENT"
            }
        );
    }
    Ok(if report.is_consistent() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn eval_retrieval(engine: &Engine, args: &RetrievalArgs) -> Result<ExitCode> {
    let (mut queries, filters, label) = if let Some(dir) = &args.beir {
        let docs = eval::beir_corpus(dir)?;
        let report = with_progress(|tick| engine.ingest_documents(docs, tick))?;
        eprintln!(
            "corpus: {} added, {} unchanged, {} chunks in {:.1} s",
            report.added,
            report.unchanged,
            report.chunks,
            report.took_ms as f64 / 1000.0
        );
        (
            eval::beir_queries(dir, &args.split)?,
            vec![eval::beir_filter(dir)],
            format!("{} ({})", dir.display(), args.split),
        )
    } else if let Some(file) = &args.questions {
        if !args.corpus.is_empty() {
            let report = with_progress(|tick| engine.ingest_paths(&args.corpus, tick))?;
            eprintln!(
                "corpus: {} added, {} unchanged, {} failed, {} chunks",
                report.added,
                report.unchanged,
                report.failed.len(),
                report.chunks
            );
        }
        let queries = eval::question_set(file)?;
        let missing: Vec<String> = eval::relevant_docs(&queries)
            .into_iter()
            .filter(|d| engine.document_versions(d, &Access::Operator).is_err())
            .collect();
        if !missing.is_empty() {
            bail!(
                "the data directory lacks evidence documents {missing:?}; ingest their corpus (--corpus)"
            );
        }
        (queries, Vec::new(), file.display().to_string())
    } else {
        bail!("give --beir DIR or --questions FILE");
    };
    if let Some(n) = args.limit {
        queries.truncate(n);
    }
    let results = eval::evaluate_modes(engine, &queries, &filters)?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        outln!("retrieval eval on {label}: {} queries", queries.len());
        outln!(
            "{:<8} {:>8} {:>9} {:>10} {:>7} {:>10} {:>8}",
            "mode",
            "nDCG@10",
            "recall@5",
            "recall@10",
            "MRR@10",
            "passage@5",
            "mean ms"
        );
        for (mode, m) in &results {
            let passage = m
                .passage_5
                .map(|p| format!("{p:.3}"))
                .unwrap_or_else(|| "-".into());
            outln!(
                "{:<8} {:>8.3} {:>9.3} {:>10.3} {:>7.3} {:>10} {:>8.1}",
                mode,
                m.ndcg_10,
                m.recall_5,
                m.recall_10,
                m.mrr_10,
                passage,
                m.mean_ms
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
