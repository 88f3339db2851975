//! `cited redact`, `cited eval redact` and `cited bench redact`: the PHI redactor from outside, with
//! no data directory or model needed.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use cited_eval::redaction::{self, byte_to_char};
use cited_redact::Redactor;
use clap::Args;
use serde::Serialize;

/// `cited redact`.
#[derive(Args, Debug)]
pub struct RedactArgs {
    /// Print one JSON object per input line: the redacted text and the spans found (type, text,
    /// code-point and byte offsets into the input line).
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct LineSpan<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    text: &'a str,
    start: usize,
    end: usize,
    start_byte: usize,
    end_byte: usize,
}

#[derive(Serialize)]
struct Line<'a> {
    text: &'a str,
    spans: Vec<LineSpan<'a>>,
}

/// Reads standard input line by line and writes each line redacted (one output line per input line).
pub fn redact(args: &RedactArgs) -> Result<ExitCode> {
    let redactor = Redactor::shared();
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut buf = Vec::new();
    let mut input = stdin.lock();
    loop {
        buf.clear();
        if input
            .read_until(b'\n', &mut buf)
            .context("reading standard input")?
            == 0
        {
            break;
        }
        // Bad UTF-8 is replaced, never dropped: the line count stays one for one.
        let raw = String::from_utf8_lossy(&buf);
        let line = raw.trim_end_matches(['\n', '\r']);
        let redacted = redactor.redact(line);
        if args.json {
            let spans = redacted
                .spans
                .iter()
                .map(|s| LineSpan {
                    kind: s.kind.label(),
                    text: &line[s.start..s.end],
                    start: byte_to_char(line, s.start),
                    end: byte_to_char(line, s.end),
                    start_byte: s.start,
                    end_byte: s.end,
                })
                .collect();
            let json = serde_json::to_string(&Line {
                text: &redacted.text,
                spans,
            })?;
            writeln!(out, "{json}")?;
        } else {
            writeln!(out, "{}", redacted.text)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `cited eval redact`: planted identifiers per type, clean cases, and real documents' sentences.
pub fn eval(cases: &[PathBuf], corpus: &[PathBuf], examples: bool, json: bool) -> Result<ExitCode> {
    let redactor = Redactor::shared();
    let mut reports = Vec::new();
    for path in cases {
        reports.push(redaction::score_cases(redactor, path)?);
    }
    let corpus_report = if corpus.is_empty() {
        None
    } else {
        Some(redaction::score_corpus(redactor, corpus)?)
    };
    if json {
        let value = serde_json::json!({ "cases": reports, "corpus": corpus_report });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    for r in &reports {
        println!("{} — {} cases", r.file, r.cases);
        println!("  type       planted  not leaked  recall   exact  marked  for nothing");
        for (kind, s) in &r.types {
            println!(
                "  {kind:<9} {:>8} {:>11} {:>7.3} {:>7} {:>7} {:>12}",
                s.planted, s.covered, s.recall, s.exact, s.predicted, s.spurious
            );
        }
        println!(
            "  all       {:>8} {:>11} {:>7.3}",
            r.planted, r.covered, r.recall
        );
        println!(
            "  clean cases changed: {}/{} ({:.1} %); keep strings kept: {}/{}; expected text exact: {}/{}",
            r.clean_changed,
            r.clean_cases,
            100.0 * r.clean_changed_share,
            r.keep_kept,
            r.keep_total,
            r.expected_equal,
            r.cases
        );
        if examples {
            for leak in &r.leaks {
                println!("  leaked   {} {:<8} {}", leak.id, leak.kind, leak.text);
            }
            for s in &r.spurious {
                println!("  marked   {} {:<8} {}", s.id, s.kind.label(), s.text);
            }
        }
    }
    if let Some(c) = &corpus_report {
        println!(
            "documents: {} — {} sentences, {} changed ({:.2} %), clinical strings removed: {}",
            c.documents,
            c.sentences,
            c.changed,
            100.0 * c.changed_share,
            c.clinical_removed
        );
        for (kind, n) in &c.by_type {
            println!("  {kind:<9} {n}");
        }
        if examples {
            for e in &c.examples {
                let removed: Vec<String> = e
                    .removed
                    .iter()
                    .map(|(k, v)| format!("{}={v}", k.label()))
                    .collect();
                println!("  {} | {} | {}", e.source, removed.join(", "), e.redacted);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `cited bench redact`.
pub fn bench(cases: &Path, bytes: usize, runs: usize, json: bool) -> Result<ExitCode> {
    let report = redaction::bench(Redactor::shared(), cases, bytes, runs)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "redact: {} texts of {} bytes — p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            report.runs, report.bytes, report.p50_ms, report.p99_ms, report.max_ms
        );
    }
    Ok(ExitCode::SUCCESS)
}
