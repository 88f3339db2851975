//! Evaluations that run Cited as a client would, through the engine's public API: answers scored by key
//! facts (`cited eval answers` on `evals/questions/*.jsonl`), and verification against adversarial drafts
//! sent through the real `llm` answerer path from a stub endpoint on loopback (`cited eval verify`).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use cited_answer::{Answerer, LlmAnswerer, LlmSettings, Passage, SupportPolicy, verify};
use cited_core::{Access, AnswerStatus};
use cited_engine::{AskRequest, Engine};
use serde::{Deserialize, Serialize};

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| format!("{}:{}", path.display(), i + 1))
        })
        .collect()
}

/// Whether a question file has answer keys (key facts) rather than evidence quotes only.
pub fn has_answer_keys(path: &Path) -> Result<bool> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text
        .lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.contains("\"key_facts\"")))
}

/// A question with its answer key.
#[derive(Debug, Clone, Deserialize)]
pub struct KeyedQuestion {
    id: String,
    question: String,
    #[serde(default)]
    kind: String,
    /// answered, withheld or either.
    expect: String,
    #[serde(default)]
    docs: Vec<String>,
    #[serde(default)]
    versions: Vec<String>,
    #[serde(default)]
    key_facts: Vec<String>,
    #[serde(default)]
    must_not: Vec<String>,
    #[serde(default)]
    as_of: Option<NaiveDate>,
    #[serde(default)]
    split: Option<String>,
}

/// How one question came out.
#[derive(Debug, Clone, Serialize)]
pub struct KeyedCase {
    id: String,
    kind: String,
    split: String,
    expect: String,
    status: AnswerStatus,
    /// Answered with no threshold at all (only rules routed it away).
    has_answer: bool,
    confidence: f32,
    /// A draft answer, judged by its key facts, cited documents and forbidden facts.
    draft_correct: bool,
    /// The outcome under the configured thresholds is right.
    correct: bool,
    /// For questions that name versions (version traps): every citation of the expected documents is
    /// of an expected version, and there is one; for a retired policy (expect withheld), no confident
    /// answer. `None` when the question names no version.
    right_version: Option<bool>,
    missing_facts: Vec<String>,
    forbidden_found: Vec<String>,
    answer: Option<String>,
    notices: Vec<String>,
    reasons: Vec<String>,
    signals: cited_answer::ConfidenceSignals,
    ms: f64,
}

/// One row of the risk–coverage table.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    threshold: f32,
    /// Share of all questions answered automatically.
    answered: f64,
    /// Share of automatic answers that are correct.
    precision: f64,
    /// Share of answerable questions answered correctly.
    answerable_correct: f64,
    /// Share of unanswerable questions not answered.
    withheld: f64,
}

/// The figures of one half (or the whole) of a question set.
#[derive(Debug, Clone, Serialize)]
pub struct HalfReport {
    split: String,
    questions: usize,
    answerable: usize,
    unanswerable: usize,
    either: usize,
    /// Among answered questions, the share that is correct.
    answered_correct: f64,
    /// Unanswerable questions not answered.
    unanswerable_withheld: f64,
    /// Answerable questions answered correctly.
    answerable_answered_correct: f64,
    /// Wrong answers shown, and the highest confidence among them.
    wrong_answers: usize,
    max_wrong_confidence: f32,
    /// Expected calibration error of the confidence of every drafted answer (10 bins).
    calibration_error: f64,
    risk_coverage: Vec<Coverage>,
    by_kind: BTreeMap<String, (usize, usize)>,
    /// Questions that name versions: (citing only the right version, or withheld for a retired policy;
    /// how many).
    right_version: (usize, usize),
}

/// `cited eval answers` on keyed question sets.
#[derive(Debug, Clone, Serialize)]
pub struct KeyedReport {
    review_threshold: f32,
    no_answer_floor: f32,
    verbatim_quotes: f64,
    citations: usize,
    p50_ms: f64,
    p95_ms: f64,
    halves: Vec<HalfReport>,
    cases: Vec<KeyedCase>,
}

/// Lower case, single spaces, digit-group commas dropped: how key facts are looked for.
fn normalise(text: &str) -> String {
    let mut s = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    // "5,000" and "5000" are one number.
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, c) in chars.iter().enumerate() {
        let digits_around = i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        if *c == ',' && digits_around {
            continue;
        }
        out.push(*c);
    }
    s = out;
    s
}

/// Whether `fact` (alternatives separated by `|`) occurs in `text` as whole words.
fn contains_fact(text: &str, fact: &str) -> bool {
    let hay = normalise(text);
    fact.split('|').any(|alt| {
        let needle = normalise(alt.trim());
        if needle.is_empty() {
            return false;
        }
        let mut from = 0;
        while let Some(i) = hay[from..].find(&needle) {
            let at = from + i;
            let before = hay[..at].chars().next_back();
            let after = hay[at + needle.len()..].chars().next();
            let edge = |c: Option<char>, n: Option<char>| {
                !(c.is_some_and(char::is_alphanumeric) && n.is_some_and(char::is_alphanumeric))
            };
            if edge(before, needle.chars().next()) && edge(after, needle.chars().next_back()) {
                return true;
            }
            from = at + needle.len().max(1);
        }
        false
    })
}

/// Asks every question (thresholds off, no review items) and scores the answers by their key facts.
pub fn answers(engine: &Engine, paths: &[PathBuf], split: &str) -> Result<KeyedReport> {
    let mut questions: Vec<KeyedQuestion> = Vec::new();
    for p in paths {
        questions.extend(read_jsonl::<KeyedQuestion>(p)?);
    }
    if split != "all" {
        questions.retain(|q| q.split.as_deref() == Some(split));
    }
    if questions.is_empty() {
        bail!("no questions to evaluate");
    }
    let threshold = engine.config().answer.review_threshold;
    let floor = engine.config().answer.no_answer_floor;
    let (mut citations, mut verbatim) = (0usize, 0usize);
    let mut cases = Vec::with_capacity(questions.len());
    for q in &questions {
        let response = engine.ask(&AskRequest {
            access: Access::Operator,
            question: q.question.clone(),
            as_of: q.as_of,
            thresholds: Some((0.0, 0.0)),
            dry_run: true,
            ..Default::default()
        })?;
        for c in &response.citations {
            citations += 1;
            if engine.citation_is_verbatim(c)? {
                verbatim += 1;
            }
        }
        let has_answer = response.status == AnswerStatus::Answered;
        let answer = response.answer.clone().unwrap_or_default();
        let notices = response.notices.join(" ");
        let shown = format!("{answer} {notices}");
        let missing_facts: Vec<String> = q
            .key_facts
            .iter()
            .filter(|f| !contains_fact(&shown, f))
            .cloned()
            .collect();
        let forbidden_found: Vec<String> = q
            .must_not
            .iter()
            .filter(|f| contains_fact(&answer, f))
            .cloned()
            .collect();
        let cites_doc = q.docs.is_empty()
            || response
                .citations
                .iter()
                .any(|c| q.docs.contains(&c.doc_id));
        let cites_version = q.versions.is_empty()
            || response
                .citations
                .iter()
                .any(|c| q.versions.contains(&c.version));
        let draft_correct = has_answer
            && q.expect != "withheld"
            && missing_facts.is_empty()
            && forbidden_found.is_empty()
            && cites_doc
            && cites_version;
        let status = if !has_answer {
            response.status
        } else if response.confidence < floor {
            AnswerStatus::NoAnswer
        } else if response.confidence < threshold {
            AnswerStatus::NeedsReview
        } else {
            AnswerStatus::Answered
        };
        let answered = status == AnswerStatus::Answered;
        let right_version = if q.versions.is_empty() && !q.kind.starts_with("version") {
            None
        } else if q.expect == "withheld" {
            Some(!answered)
        } else {
            let of_doc: Vec<&cited_core::Citation> = response
                .citations
                .iter()
                .filter(|c| q.docs.is_empty() || q.docs.contains(&c.doc_id))
                .collect();
            Some(!of_doc.is_empty() && of_doc.iter().all(|c| q.versions.contains(&c.version)))
        };
        // A withheld question is right when it is not answered (and says what its key facts name, e.g.
        // "retired" with the date); an answerable one when the answer is right.
        let correct = match q.expect.as_str() {
            "withheld" => !answered && missing_facts.is_empty(),
            "either" => !answered || draft_correct,
            _ => answered && draft_correct,
        };
        cases.push(KeyedCase {
            id: q.id.clone(),
            kind: q.kind.clone(),
            split: q.split.clone().unwrap_or_else(|| "all".into()),
            expect: q.expect.clone(),
            status,
            has_answer,
            confidence: response.confidence,
            draft_correct,
            correct,
            right_version,
            missing_facts,
            forbidden_found,
            answer: response.answer,
            notices: response.notices,
            reasons: response.reasons,
            signals: response.signals,
            ms: response.took_ms,
        });
    }
    let mut halves = Vec::new();
    let mut names: Vec<String> = cases.iter().map(|c| c.split.clone()).collect();
    names.sort();
    names.dedup();
    if names.len() > 1 {
        names.push("all".into());
    }
    for name in names {
        let subset: Vec<&KeyedCase> = cases
            .iter()
            .filter(|c| name == "all" || c.split == name)
            .collect();
        halves.push(half(&name, &subset, threshold, floor));
    }
    let mut ms: Vec<f64> = cases.iter().map(|c| c.ms).collect();
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    Ok(KeyedReport {
        review_threshold: threshold,
        no_answer_floor: floor,
        verbatim_quotes: verbatim as f64 / citations.max(1) as f64,
        citations,
        p50_ms: pct(0.5),
        p95_ms: pct(0.95),
        halves,
        cases,
    })
}

fn share(n: usize, d: usize) -> f64 {
    if d == 0 { 0.0 } else { n as f64 / d as f64 }
}

fn half(name: &str, cases: &[&KeyedCase], threshold: f32, floor: f32) -> HalfReport {
    let answered_at = |c: &KeyedCase, t: f32| c.has_answer && c.confidence >= t.max(floor);
    // Whether showing this case's answer is right: a correct draft of an answerable (or either) question.
    let right = |c: &KeyedCase| c.draft_correct;
    let answerable: Vec<&&KeyedCase> = cases.iter().filter(|c| c.expect == "answered").collect();
    let unanswerable: Vec<&&KeyedCase> = cases.iter().filter(|c| c.expect == "withheld").collect();
    let either = cases.iter().filter(|c| c.expect == "either").count();
    let answered: Vec<&&KeyedCase> = cases
        .iter()
        .filter(|c| c.status == AnswerStatus::Answered)
        .collect();
    let wrong: Vec<&&KeyedCase> = answered.iter().copied().filter(|c| !right(c)).collect();
    let mut thresholds = vec![0.2f32, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, threshold];
    thresholds.sort_by(f32::total_cmp);
    thresholds.dedup();
    let risk_coverage = thresholds
        .into_iter()
        .map(|t| {
            let shown: Vec<&&KeyedCase> = cases.iter().filter(|c| answered_at(c, t)).collect();
            Coverage {
                threshold: t,
                answered: share(shown.len(), cases.len()),
                precision: share(shown.iter().filter(|c| right(c)).count(), shown.len()),
                answerable_correct: share(
                    answerable
                        .iter()
                        .filter(|c| answered_at(c, t) && right(c))
                        .count(),
                    answerable.len(),
                ),
                withheld: share(
                    unanswerable.iter().filter(|c| !answered_at(c, t)).count(),
                    unanswerable.len(),
                ),
            }
        })
        .collect();
    // Calibration: every drafted answer's confidence against whether showing it would be right.
    let drafted: Vec<&&KeyedCase> = cases.iter().filter(|c| c.has_answer).collect();
    let mut bins = vec![(0usize, 0.0f64, 0usize); 10];
    for c in &drafted {
        let b = ((c.confidence * 10.0) as usize).min(9);
        bins[b].0 += 1;
        bins[b].1 += f64::from(c.confidence);
        bins[b].2 += usize::from(right(c));
    }
    let calibration_error = bins
        .iter()
        .filter(|b| b.0 > 0)
        .map(|(n, conf, ok)| {
            (*n as f64 / drafted.len().max(1) as f64)
                * ((conf / *n as f64) - (*ok as f64 / *n as f64)).abs()
        })
        .sum();
    let mut by_kind: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for c in cases {
        let e = by_kind.entry(c.kind.clone()).or_default();
        e.0 += usize::from(c.correct);
        e.1 += 1;
    }
    HalfReport {
        split: name.to_string(),
        questions: cases.len(),
        answerable: answerable.len(),
        unanswerable: unanswerable.len(),
        either,
        answered_correct: share(answered.len() - wrong.len(), answered.len()),
        unanswerable_withheld: share(
            unanswerable
                .iter()
                .filter(|c| c.status != AnswerStatus::Answered)
                .count(),
            unanswerable.len(),
        ),
        answerable_answered_correct: share(
            answerable.iter().filter(|c| c.correct).count(),
            answerable.len(),
        ),
        wrong_answers: wrong.len(),
        max_wrong_confidence: wrong.iter().map(|c| c.confidence).fold(0.0, f32::max),
        calibration_error,
        risk_coverage,
        by_kind,
        right_version: (
            cases
                .iter()
                .filter(|c| c.right_version == Some(true))
                .count(),
            cases.iter().filter(|c| c.right_version.is_some()).count(),
        ),
    }
}

/// Prints a keyed report for people.
pub fn print_answers(report: &KeyedReport) -> Result<()> {
    outln!(
        "answers: threshold {:.2}, floor {:.2}; verbatim quotes {:.1} % of {}; ask p50 / p95 {:.0} / {:.0} ms",
        report.review_threshold,
        report.no_answer_floor,
        100.0 * report.verbatim_quotes,
        report.citations,
        report.p50_ms,
        report.p95_ms
    );
    for h in &report.halves {
        outln!(
            "\n[{}] {} questions ({} answerable, {} unanswerable, {} either)",
            h.split,
            h.questions,
            h.answerable,
            h.unanswerable,
            h.either
        );
        outln!(
            "  answered and correct        {:.1} % of answered",
            100.0 * h.answered_correct
        );
        outln!(
            "  unanswerable withheld       {:.1} %",
            100.0 * h.unanswerable_withheld
        );
        outln!(
            "  answerable answered right   {:.1} %",
            100.0 * h.answerable_answered_correct
        );
        outln!(
            "  wrong answers shown         {} (max confidence {:.2})",
            h.wrong_answers,
            h.max_wrong_confidence
        );
        outln!("  calibration error (ECE)     {:.3}", h.calibration_error);
        outln!("  threshold  answered  precision  answerable-right  withheld");
        for r in &h.risk_coverage {
            outln!(
                "  {:>9.2}  {:>8.2}  {:>9.2}  {:>16.2}  {:>8.2}",
                r.threshold,
                r.answered,
                r.precision,
                r.answerable_correct,
                r.withheld
            );
        }
        let kinds: Vec<String> = h
            .by_kind
            .iter()
            .map(|(k, (ok, n))| format!("{k} {ok}/{n}"))
            .collect();
        outln!("  by kind: {}", kinds.join(", "));
        let (ok, n) = h.right_version;
        if n > 0 {
            outln!(
                "  right version cited       {ok}/{n} ({:.1} %; a retired policy: not answered)",
                100.0 * share(ok, n)
            );
        }
    }
    Ok(())
}

/// One adversarial verification case.
#[derive(Debug, Clone, Deserialize)]
struct VerifyCase {
    id: String,
    category: String,
    expect: String,
    passages: Vec<String>,
    citations: Vec<usize>,
    sentence: String,
    #[serde(default)]
    split: Option<String>,
}

/// Per-category results of `cited eval verify`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyCategory {
    cases: usize,
    /// Sentences shown (passed verification).
    shown: usize,
    /// Ids of cases decided wrongly.
    wrong: Vec<String>,
}

/// `cited eval verify` results.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Unfaithful sentences shown (goal 0).
    unfaithful_shown: usize,
    unfaithful: usize,
    /// Faithful sentences kept (goal ≥ 90 %).
    faithful_kept: usize,
    faithful: usize,
    categories: BTreeMap<String, VerifyCategory>,
    /// Why each case was removed, by id.
    reasons: BTreeMap<String, String>,
}

/// A chat-completions endpoint on loopback that answers every request with the current reply.
fn stub_endpoint(reply: Arc<Mutex<String>>) -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding the stub endpoint")?;
    let url = format!("http://{}/v1", listener.local_addr()?);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let Ok(clone) = stream.try_clone() else {
                continue;
            };
            let mut reader = BufReader::new(clone);
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let content = reply.lock().map(|r| r.clone()).unwrap_or_default();
            let body = serde_json::json!({
                "choices": [{ "message": { "role": "assistant", "content": content } }]
            })
            .to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    Ok(url)
}

/// Sends each case's sentence through the `llm` answerer (from a stub endpoint) and verification.
pub fn verify_cases(engine: &Engine, path: &Path, split: &str) -> Result<VerifyReport> {
    let mut cases: Vec<VerifyCase> = read_jsonl(path)?;
    if split != "all" {
        cases.retain(|c| c.split.as_deref() == Some(split));
    }
    if cases.is_empty() {
        bail!("no verification cases to run");
    }
    if let Some(bad) = cases
        .iter()
        .find(|c| c.expect != "keep" && c.expect != "reject")
    {
        bail!(
            "case {}: expect must be \"keep\" or \"reject\", not {:?}",
            bad.id,
            bad.expect
        );
    }
    let reply = Arc::new(Mutex::new(String::new()));
    let url = stub_endpoint(reply.clone())?;
    let answerer = LlmAnswerer::new(LlmSettings {
        base_url: url,
        model: "stub".into(),
        api_key: None,
        timeout: Duration::from_secs(10),
        max_tokens: 256,
        json_schema: true,
    })?;
    let embedder = engine.embedder()?;
    let policy = SupportPolicy {
        min_support: engine.config().answer.min_support,
    };
    let mut report = VerifyReport {
        unfaithful_shown: 0,
        unfaithful: 0,
        faithful_kept: 0,
        faithful: 0,
        categories: BTreeMap::new(),
        reasons: BTreeMap::new(),
    };
    for case in &cases {
        let passages: Vec<Passage> = case
            .passages
            .iter()
            .enumerate()
            .map(|(i, text)| Passage {
                n: i + 1,
                chunk_id: i as u64,
                doc_id: format!("case-{}", case.id),
                version: "1".into(),
                title: String::new(),
                section: String::new(),
                page: None,
                start: 0,
                end: text.len(),
                text: text.clone(),
                bm25_rank: None,
                dense_rank: None,
            })
            .collect();
        if let Ok(mut r) = reply.lock() {
            *r = serde_json::json!({
                "sentences": [{ "text": case.sentence, "citations": case.citations }]
            })
            .to_string();
        }
        let draft = answerer.draft("(adversarial verification case)", &passages)?;
        let verified = verify(draft, &passages, embedder.as_ref(), policy)?;
        let shown = !verified.sentences.is_empty();
        if let Some(r) = verified.removed.first() {
            report.reasons.insert(case.id.clone(), r.reason.clone());
        }
        let faithful = case.expect == "keep";
        let entry = report.categories.entry(case.category.clone()).or_default();
        entry.cases += 1;
        entry.shown += usize::from(shown);
        if shown != faithful {
            entry.wrong.push(case.id.clone());
        }
        if faithful {
            report.faithful += 1;
            report.faithful_kept += usize::from(shown);
        } else {
            report.unfaithful += 1;
            report.unfaithful_shown += usize::from(shown);
        }
    }
    Ok(report)
}

/// Prints a verification report for people.
pub fn print_verify(report: &VerifyReport) -> Result<()> {
    outln!(
        "unfaithful shown {} of {}; faithful kept {} of {} ({:.1} %)",
        report.unfaithful_shown,
        report.unfaithful,
        report.faithful_kept,
        report.faithful,
        100.0 * share(report.faithful_kept, report.faithful)
    );
    for (category, c) in &report.categories {
        outln!(
            "  {category:<22} {:>3} cases, {:>3} shown{}",
            c.cases,
            c.shown,
            if c.wrong.is_empty() {
                String::new()
            } else {
                format!("  wrong: {}", c.wrong.join(" "))
            }
        );
    }
    Ok(())
}
