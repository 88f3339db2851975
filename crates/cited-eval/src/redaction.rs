//! Scores the PHI redactor: planted identifiers found (per type), clean texts left alone, clinical
//! strings kept (`evals/phi/*.jsonl`), and sentences of real documents changed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use cited_ingest::{ParseOptions, discover, parse_file};
use cited_redact::{PhiKind, PhiSpan, Redactor};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::{EvalError, input_err, read_jsonl};

/// One case of `evals/phi/*.jsonl`; offsets are Unicode code points.
#[derive(Debug, Clone, Deserialize)]
pub struct RedactionCase {
    /// Case id.
    pub id: String,
    /// `question`, `note` or `clean`.
    pub kind: String,
    /// The text as typed.
    pub text: String,
    /// The planted identifiers.
    #[serde(default)]
    pub spans: Vec<PlantedSpan>,
    /// Strings that must survive (doses, codes, policy dates).
    #[serde(default)]
    pub keep: Vec<String>,
    /// The text with each identifier replaced.
    #[serde(default)]
    pub expected: Option<String>,
}

/// A planted identifier.
#[derive(Debug, Clone, Deserialize)]
pub struct PlantedSpan {
    /// First code point.
    pub start: usize,
    /// One past the last code point.
    pub end: usize,
    /// `NAME`, `MRN`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// The identifier.
    pub text: String,
}

/// Figures for one identifier type.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TypeScore {
    /// Planted identifiers of this type.
    pub planted: usize,
    /// Of those, every character redacted (under any placeholder): not leaked.
    pub covered: usize,
    /// Of those, found with exactly these bounds and this type.
    pub exact: usize,
    /// `covered / planted`: the recall that matters for leaks.
    pub recall: f64,
    /// Spans the redactor marked with this type.
    pub predicted: usize,
    /// Of those, the ones that overlap no planted identifier (text redacted for nothing).
    pub spurious: usize,
}

/// A planted identifier the redactor left (partly) readable.
#[derive(Debug, Clone, Serialize)]
pub struct Leak {
    /// Case id.
    pub id: String,
    /// Planted type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The identifier.
    pub text: String,
}

/// A redacted span that overlaps no planted identifier.
#[derive(Debug, Clone, Serialize)]
pub struct Spurious {
    /// Case id.
    pub id: String,
    /// The type it was given.
    #[serde(rename = "type")]
    pub kind: PhiKind,
    /// The text redacted.
    pub text: String,
}

/// `cited eval redact --cases`.
#[derive(Debug, Clone, Serialize)]
pub struct RedactionReport {
    /// The cases file.
    pub file: String,
    /// Cases scored.
    pub cases: usize,
    /// Per identifier type, in `PhiKind` order.
    pub types: BTreeMap<String, TypeScore>,
    /// Every planted identifier.
    pub planted: usize,
    /// Not leaked.
    pub covered: usize,
    /// `covered / planted`.
    pub recall: f64,
    /// Cases with no identifier.
    pub clean_cases: usize,
    /// Of those, changed by the redactor.
    pub clean_changed: usize,
    /// `clean_changed / clean_cases` (goal ≤ 0.10).
    pub clean_changed_share: f64,
    /// Strings that had to survive.
    pub keep_total: usize,
    /// Of those, still in the redacted text.
    pub keep_kept: usize,
    /// Cases whose redacted text equals the expected one exactly.
    pub expected_equal: usize,
    /// Leaked identifiers.
    pub leaks: Vec<Leak>,
    /// Text redacted for nothing.
    pub spurious: Vec<Spurious>,
}

fn char_to_byte(text: &str) -> Vec<usize> {
    let mut map: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
    map.push(text.len());
    map
}

/// Byte offset → code point offset.
pub fn byte_to_char(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())].chars().count()
}

/// Scores `redactor` on one cases file.
pub fn score_cases(redactor: &Redactor, path: &Path) -> Result<RedactionReport, EvalError> {
    let cases: Vec<RedactionCase> = read_jsonl(path)?;
    let mut types: BTreeMap<String, TypeScore> = PhiKind::ALL
        .iter()
        .map(|k| (k.label().to_string(), TypeScore::default()))
        .collect();
    let mut report = RedactionReport {
        file: path.display().to_string(),
        cases: cases.len(),
        types: BTreeMap::new(),
        planted: 0,
        covered: 0,
        recall: 0.0,
        clean_cases: 0,
        clean_changed: 0,
        clean_changed_share: 0.0,
        keep_total: 0,
        keep_kept: 0,
        expected_equal: 0,
        leaks: Vec::new(),
        spurious: Vec::new(),
    };
    for case in &cases {
        let map = char_to_byte(&case.text);
        let redacted = redactor.redact(&case.text);
        let planted: Vec<(usize, usize, &PlantedSpan)> = case
            .spans
            .iter()
            .map(|s| {
                let at = |i: usize| map.get(i).copied().unwrap_or(case.text.len());
                (at(s.start), at(s.end), s)
            })
            .collect();
        for (start, end, span) in &planted {
            let score = types.entry(span.kind.clone()).or_default();
            score.planted += 1;
            report.planted += 1;
            if covered(&redacted.spans, *start, *end) {
                score.covered += 1;
                report.covered += 1;
            } else {
                report.leaks.push(Leak {
                    id: case.id.clone(),
                    kind: span.kind.clone(),
                    text: span.text.clone(),
                });
            }
            if redacted
                .spans
                .iter()
                .any(|p| p.start == *start && p.end == *end && p.kind.label() == span.kind)
            {
                score.exact += 1;
            }
        }
        for p in &redacted.spans {
            let score = types.entry(p.kind.label().to_string()).or_default();
            score.predicted += 1;
            if !planted.iter().any(|(s, e, _)| p.start < *e && p.end > *s) {
                score.spurious += 1;
                report.spurious.push(Spurious {
                    id: case.id.clone(),
                    kind: p.kind,
                    text: case.text[p.start..p.end].to_string(),
                });
            }
        }
        if case.spans.is_empty() {
            report.clean_cases += 1;
            if redacted.changed() {
                report.clean_changed += 1;
            }
        }
        for keep in &case.keep {
            report.keep_total += 1;
            if redacted.text.contains(keep.as_str()) {
                report.keep_kept += 1;
            }
        }
        if case.expected.as_deref() == Some(redacted.text.as_str()) {
            report.expected_equal += 1;
        }
    }
    for score in types.values_mut() {
        score.recall = ratio(score.covered, score.planted);
    }
    types.retain(|_, s| s.planted > 0 || s.predicted > 0);
    report.types = types;
    report.recall = ratio(report.covered, report.planted);
    report.clean_changed_share = ratio(report.clean_changed, report.clean_cases);
    Ok(report)
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// Every byte of `start..end` inside some redacted span (white space between two spans counts).
fn covered(spans: &[PhiSpan], start: usize, end: usize) -> bool {
    let mut at = start;
    let mut sorted: Vec<&PhiSpan> = spans
        .iter()
        .filter(|s| s.end > start && s.start < end)
        .collect();
    sorted.sort_by_key(|s| s.start);
    for s in sorted {
        if s.start > at + 1 {
            return false;
        }
        at = at.max(s.end);
    }
    at >= end
}

/// A sentence the redactor changed.
#[derive(Debug, Clone, Serialize)]
pub struct ChangedSentence {
    /// The file.
    pub source: String,
    /// The sentence after redaction (no patient data: these are published documents).
    pub redacted: String,
    /// What was taken out, with its type.
    pub removed: Vec<(PhiKind, String)>,
}

/// `cited eval redact --corpus`: how often real documents would be changed.
#[derive(Debug, Clone, Serialize)]
pub struct CorpusReport {
    /// Documents read.
    pub documents: usize,
    /// Sentences in them.
    pub sentences: usize,
    /// Sentences the redactor changed.
    pub changed: usize,
    /// `changed / sentences` (goal ≤ 0.005).
    pub changed_share: f64,
    /// Removed strings that look like a dose, a code or a policy number (goal 0).
    pub clinical_removed: usize,
    /// Changed sentences per type.
    pub by_type: BTreeMap<String, usize>,
    /// The changed sentences.
    pub examples: Vec<ChangedSentence>,
}

/// Redacts every sentence of every document under `paths` (as ingest reads them).
pub fn score_corpus(redactor: &Redactor, paths: &[PathBuf]) -> Result<CorpusReport, EvalError> {
    let (files, skipped) = discover(paths);
    if let Some(missing) = skipped.iter().find(|s| s.failed) {
        return Err(input_err(&missing.path, &missing.reason));
    }
    let clinical = Regex::new(
        r"(?i)^(?:\d+(?:\.\d+)?\s?(?:mg|mcg|g|ml|units?|%|mmol/l|mg/dl|hours?|days?|weeks?|months?)|[A-TV-Z]\d{2}(?:\.\w{1,4})?|\d{5}|[A-V]\d{4}|\d{2,3}(?:\.\d+)+)$",
    )
    .map_err(|e| input_err(Path::new("clinical pattern"), e))?;
    let options = ParseOptions::default();
    let mut report = CorpusReport {
        documents: 0,
        sentences: 0,
        changed: 0,
        changed_share: 0.0,
        clinical_removed: 0,
        by_type: BTreeMap::new(),
        examples: Vec::new(),
    };
    for file in &files {
        // Data dictionaries and other noise that ingest would skip are skipped here too.
        let Ok(doc) = parse_file(file, &options) else {
            continue;
        };
        report.documents += 1;
        let text = &doc.canonical_text;
        for (s, e) in cited_answer::split_sentences(text) {
            let sentence = text[s..e].trim();
            if sentence.is_empty() {
                continue;
            }
            report.sentences += 1;
            let redacted = redactor.redact(sentence);
            if !redacted.changed() {
                continue;
            }
            report.changed += 1;
            let mut removed = Vec::new();
            for span in &redacted.spans {
                let value = sentence[span.start..span.end].to_string();
                if clinical.is_match(value.trim()) {
                    report.clinical_removed += 1;
                }
                *report
                    .by_type
                    .entry(span.kind.label().to_string())
                    .or_default() += 1;
                removed.push((span.kind, value));
            }
            report.examples.push(ChangedSentence {
                source: file.path.display().to_string(),
                redacted: redacted.text,
                removed,
            });
        }
    }
    report.changed_share = if report.sentences == 0 {
        0.0
    } else {
        report.changed as f64 / report.sentences as f64
    };
    Ok(report)
}

/// Latency of redacting texts of about `target_bytes` (cases joined with spaces), `rounds` times.
#[derive(Debug, Clone, Serialize)]
pub struct RedactionBench {
    /// Texts redacted.
    pub runs: usize,
    /// Average length in bytes.
    pub bytes: usize,
    /// Median, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile, milliseconds (goal < 5 for 2 KB).
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

/// Times the redactor on 2 KB-ish texts built from the cases of `path`.
pub fn bench(
    redactor: &Redactor,
    path: &Path,
    target_bytes: usize,
    runs: usize,
) -> Result<RedactionBench, EvalError> {
    let cases: Vec<RedactionCase> = read_jsonl(path)?;
    if cases.is_empty() {
        return Err(input_err(path, "no cases"));
    }
    let mut texts = Vec::new();
    let mut at = 0;
    while texts.len() < runs.max(1) {
        let mut text = String::new();
        while text.len() < target_bytes {
            text.push_str(&cases[at % cases.len()].text);
            text.push(' ');
            at += 1;
        }
        texts.push(text);
    }
    let _ = redactor.redact(&texts[0]); // warm
    let mut times: Vec<f64> = texts
        .iter()
        .map(|t| {
            let started = Instant::now();
            let _ = redactor.redact(t);
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let pick = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    Ok(RedactionBench {
        runs: times.len(),
        bytes: texts.iter().map(String::len).sum::<usize>() / texts.len(),
        p50_ms: pick(0.5),
        p99_ms: pick(0.99),
        max_ms: pick(1.0),
    })
}
