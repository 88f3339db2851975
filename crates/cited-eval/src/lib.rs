//! Evaluation of a Cited engine from outside, through its public API like any other client: retrieval on
//! BEIR data sets (corpus, queries, qrels) and on our question format (evidence document and verbatim
//! quote), and answers on the dev question sets. Retrieval metrics are computed at document level
//! (nDCG@10, recall@5/10, MRR@10), plus, for question sets, whether a chunk holding the evidence quote is
//! in the top 5.

pub mod redaction;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use cited_core::{Access, MetadataFilter, SearchMode, SearchRequest};
use cited_ingest::{ParseOptions, ParsedDocument, parse_source};
use serde::{Deserialize, Serialize};

use cited_engine::{AskRequest, Engine, EngineError};

/// Evaluation failures.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// An eval input that cannot be read.
    #[error("eval input {path}: {reason}")]
    Input {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        reason: String,
    },
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// Metrics of one retrieval mode.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RetrievalMetrics {
    /// Mean nDCG@10 over queries.
    #[serde(rename = "ndcg@10")]
    pub ndcg_10: f64,
    /// Mean share of relevant documents in the top 5.
    #[serde(rename = "recall@5")]
    pub recall_5: f64,
    /// Mean share of relevant documents in the top 10.
    #[serde(rename = "recall@10")]
    pub recall_10: f64,
    /// Mean reciprocal rank of the first relevant document within 10.
    #[serde(rename = "mrr@10")]
    pub mrr_10: f64,
    /// Queries evaluated.
    pub queries: usize,
    /// Share of queries with at least one relevant document in the top 5.
    #[serde(rename = "hit@5")]
    pub hit_5: f64,
    /// Question sets only: ids of queries with no relevant document in the top 5.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hit_5_misses: Vec<String>,
    /// Question sets only: share of questions with a chunk holding the evidence quote in the top 5 chunks.
    #[serde(rename = "passage@5", skip_serializing_if = "Option::is_none")]
    pub passage_5: Option<f64>,
    /// Question sets only: ids of questions whose evidence passage was not in the top 5.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub passage_misses: Vec<String>,
    /// Mean search latency in milliseconds.
    pub mean_ms: f64,
}

/// One query to evaluate.
#[derive(Debug, Clone)]
pub struct EvalQuery {
    /// Query id.
    pub id: String,
    /// Query text.
    pub text: String,
    /// Relevant document ids with graded relevance.
    pub relevant: HashMap<String, f64>,
    /// Evidence passages (document id, whitespace-normalised quote, pages) for passage-level checks.
    pub evidence: Vec<(String, String, Vec<u32>)>,
}

/// The modes every eval reports, side by side.
pub const MODES: [SearchMode; 3] = [SearchMode::Bm25, SearchMode::Dense, SearchMode::Hybrid];

fn input_err(path: &Path, reason: impl ToString) -> EvalError {
    EvalError::Input {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|e| input_err(path, e))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| input_err(path, format!("line {}: {e}", i + 1)))
        })
        .collect()
}

/// Collapses white space so quotes compare the way `pdftotext` and Markdown reflow them.
pub fn normalise_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Deserialize)]
struct BeirDoc {
    #[serde(rename = "_id")]
    id: String,
    #[serde(default)]
    title: String,
    text: String,
}

#[derive(Deserialize)]
struct BeirQuery {
    #[serde(rename = "_id")]
    id: String,
    text: String,
}

/// Prefix of BEIR document ids in the catalog, so a BEIR corpus can share a data directory.
pub fn beir_doc_id(set: &str, id: &str) -> String {
    format!("{set}/{id}")
}

fn beir_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "beir".into())
}

/// Reads a BEIR `corpus.jsonl` into documents of type `beir:<set>`.
pub fn beir_corpus(dir: &Path) -> Result<Vec<ParsedDocument>, EvalError> {
    let set = beir_name(dir);
    let path = dir.join("corpus.jsonl");
    let docs: Vec<BeirDoc> = read_jsonl(&path)?;
    let options = ParseOptions {
        default_doc_type: format!("beir:{set}"),
        ..ParseOptions::default()
    };
    docs.into_iter()
        .filter(|d| !d.text.trim().is_empty())
        .map(|d| {
            let mut meta = serde_json::Map::new();
            meta.insert("doc_type".into(), format!("beir:{set}").into());
            parse_source(&beir_doc_id(&set, &d.id), &d.title, &d.text, meta, &options)
                .map_err(|e| input_err(&path, e))
        })
        .collect()
}

/// Reads BEIR queries with their qrels for `split`.
pub fn beir_queries(dir: &Path, split: &str) -> Result<Vec<EvalQuery>, EvalError> {
    let set = beir_name(dir);
    let qrels_path = dir.join("qrels").join(format!("{split}.tsv"));
    let qrels = std::fs::read_to_string(&qrels_path).map_err(|e| input_err(&qrels_path, e))?;
    let mut relevant: HashMap<String, HashMap<String, f64>> = HashMap::new();
    for (i, line) in qrels.lines().enumerate() {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 || (i == 0 && cols[0] == "query-id") {
            continue;
        }
        let grade: f64 = cols[2]
            .trim()
            .parse()
            .map_err(|_| input_err(&qrels_path, format!("line {}: bad score", i + 1)))?;
        if grade > 0.0 {
            relevant
                .entry(cols[0].to_string())
                .or_default()
                .insert(beir_doc_id(&set, cols[1]), grade);
        }
    }
    let queries: Vec<BeirQuery> = read_jsonl(&dir.join("queries.jsonl"))?;
    let mut out: Vec<EvalQuery> = queries
        .into_iter()
        .filter_map(|q| {
            relevant.remove(&q.id).map(|rel| EvalQuery {
                id: q.id,
                text: q.text,
                relevant: rel,
                evidence: Vec::new(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

#[derive(Deserialize)]
struct Question {
    case_id: String,
    query: String,
    answerable: bool,
    #[serde(default)]
    evidence: Vec<Evidence>,
}

#[derive(Deserialize)]
struct Evidence {
    doc_id: Option<String>,
    file: Option<String>,
    #[serde(default)]
    pages: Vec<u32>,
    quote: String,
}

/// Reads our question format; unanswerable questions are left out (they have no evidence to retrieve).
/// Evidence given as `file` maps to the id ingest gives that file (`folder/stem`).
pub fn question_set(path: &Path) -> Result<Vec<EvalQuery>, EvalError> {
    let questions: Vec<Question> = read_jsonl(path)?;
    let mut out = Vec::new();
    for q in questions.into_iter().filter(|q| q.answerable) {
        let mut evidence = Vec::new();
        for e in q.evidence {
            let doc = match (e.doc_id, e.file) {
                (Some(id), _) => id,
                (None, Some(file)) => Path::new(&file)
                    .with_extension("")
                    .to_string_lossy()
                    .replace('\\', "/"),
                (None, None) => {
                    return Err(input_err(
                        path,
                        format!("{}: evidence without doc_id or file", q.case_id),
                    ));
                }
            };
            evidence.push((doc, normalise_ws(&e.quote), e.pages));
        }
        let relevant = evidence.iter().map(|(d, _, _)| (d.clone(), 1.0)).collect();
        out.push(EvalQuery {
            id: q.case_id,
            text: q.query,
            relevant,
            evidence,
        });
    }
    Ok(out)
}

fn dcg(gains: impl Iterator<Item = f64>) -> f64 {
    gains
        .enumerate()
        .map(|(i, g)| (2f64.powf(g) - 1.0) / ((i as f64) + 2.0).log2())
        .sum()
}

/// Runs every query in `mode` and averages the metrics. `filters` limits the search (e.g. to one BEIR set).
pub fn evaluate(
    engine: &Engine,
    queries: &[EvalQuery],
    mode: SearchMode,
    filters: &[MetadataFilter],
) -> Result<RetrievalMetrics, EvalError> {
    let mut m = RetrievalMetrics::default();
    let mut passage_hits = 0usize;
    let with_evidence = queries.iter().any(|q| !q.evidence.is_empty());
    let mut total_ms = 0.0;
    for q in queries {
        let request = SearchRequest {
            access: Access::Operator,
            query: q.text.clone(),
            mode,
            k: 50,
            filters: filters.to_vec(),
            as_of: None,
        };
        let response = engine.search(&request)?;
        total_ms += response.took_ms;
        let mut docs: Vec<&str> = Vec::new();
        for h in &response.hits {
            if !docs.contains(&h.doc_id.as_str()) {
                docs.push(&h.doc_id);
            }
        }
        docs.truncate(10);
        let gain = |d: &str| q.relevant.get(d).copied().unwrap_or(0.0);
        let mut ideal: Vec<f64> = q.relevant.values().copied().collect();
        ideal.sort_by(|a, b| b.total_cmp(a));
        let idcg = dcg(ideal.into_iter().take(10));
        if idcg > 0.0 {
            m.ndcg_10 += dcg(docs.iter().map(|d| gain(d))) / idcg;
        }
        let rel = q.relevant.len().max(1) as f64;
        m.recall_5 += docs.iter().take(5).filter(|d| gain(d) > 0.0).count() as f64 / rel;
        m.recall_10 += docs.iter().filter(|d| gain(d) > 0.0).count() as f64 / rel;
        if let Some(pos) = docs.iter().position(|d| gain(d) > 0.0) {
            m.mrr_10 += 1.0 / (pos as f64 + 1.0);
        }
        if docs.iter().take(5).any(|d| gain(d) > 0.0) {
            m.hit_5 += 1.0;
        } else if with_evidence {
            // Only question sets list misses: they are few and worth reading; BEIR sets have hundreds.
            m.hit_5_misses.push(q.id.clone());
        }
        if !q.evidence.is_empty() {
            let found = response.hits.iter().take(5).any(|h| {
                let text = normalise_ws(&h.text);
                q.evidence.iter().any(|(doc, quote, pages)| {
                    *doc == h.doc_id
                        && text.contains(quote.as_str())
                        && (pages.is_empty() || h.page.is_some_and(|p| pages.contains(&p)))
                })
            });
            if found {
                passage_hits += 1;
            } else {
                m.passage_misses.push(q.id.clone());
            }
        }
    }
    let n = queries.len().max(1) as f64;
    m.queries = queries.len();
    m.ndcg_10 /= n;
    m.recall_5 /= n;
    m.recall_10 /= n;
    m.mrr_10 /= n;
    m.hit_5 /= n;
    m.mean_ms = total_ms / n;
    if with_evidence {
        m.passage_5 = Some(passage_hits as f64 / n);
    }
    Ok(m)
}

/// Metrics keyed by mode name (`bm25`, `dense`, `hybrid`).
pub fn evaluate_modes(
    engine: &Engine,
    queries: &[EvalQuery],
    filters: &[MetadataFilter],
) -> Result<BTreeMap<String, RetrievalMetrics>, EvalError> {
    let mut out = BTreeMap::new();
    for mode in MODES {
        let name = match mode {
            SearchMode::Bm25 => "bm25",
            SearchMode::Dense => "dense",
            SearchMode::Hybrid => "hybrid",
        };
        out.insert(name.to_string(), evaluate(engine, queries, mode, filters)?);
    }
    Ok(out)
}

/// The filter that limits a search to one BEIR set.
pub fn beir_filter(dir: &Path) -> MetadataFilter {
    MetadataFilter {
        key: "doc_type".into(),
        value: format!("beir:{}", beir_name(dir)),
    }
}

/// Relevant document ids of a question set, for checks that the corpus holds them.
pub fn relevant_docs(queries: &[EvalQuery]) -> HashSet<String> {
    queries
        .iter()
        .flat_map(|q| q.relevant.keys().cloned())
        .collect()
}

/// One question of an answer eval.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerCase {
    /// Question id.
    pub id: String,
    /// Whether the set marks it answerable.
    pub answerable: bool,
    /// Status under the configured thresholds.
    pub status: cited_core::AnswerStatus,
    /// Confidence.
    pub confidence: f32,
    /// A verified answer exists (before thresholds).
    pub has_answer: bool,
    /// A citation names an evidence document.
    pub correct_doc: bool,
    /// ... and its quote overlaps the evidence quote.
    pub correct_quote: bool,
    /// Latency of `ask`.
    pub ms: f64,
}

/// One row of the risk–coverage table.
#[derive(Debug, Clone, Serialize)]
pub struct RiskCoverageRow {
    /// Review threshold.
    pub threshold: f32,
    /// Share of all questions answered automatically.
    pub answered_share: f64,
    /// Share of automatic answers that are answerable questions with a correct source.
    pub correct_share: f64,
    /// Share of unanswerable questions that were not answered.
    pub abstention_share: f64,
}

/// `cited eval answers` results.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerEvalReport {
    /// Answerable questions.
    pub answerable: usize,
    /// Unanswerable questions.
    pub unanswerable: usize,
    /// Answerable questions answered (status answered).
    pub answered_share: f64,
    /// Answerable questions answered with a citation to an evidence document.
    pub correct_doc_share: f64,
    /// ... whose quote also overlaps the evidence quote.
    pub correct_source_share: f64,
    /// Unanswerable questions ending as needs_review or no_answer.
    pub abstention_share: f64,
    /// Citations whose quote is verbatim `canonical_text[start..end]` of the named version with its hash.
    pub verbatim_share: f64,
    /// Citations checked.
    pub citations: usize,
    /// Sentences verification removed, over all questions.
    pub unsupported_sentences: usize,
    /// Latency of ask, p50.
    pub p50_ms: f64,
    /// Latency of ask, p95.
    pub p95_ms: f64,
    /// The review threshold used for the shares above.
    pub review_threshold: f32,
    /// Answered and correct shares at other thresholds.
    pub risk_coverage: Vec<RiskCoverageRow>,
    /// Every question.
    pub cases: Vec<AnswerCase>,
}

#[derive(Deserialize)]
struct AnswerQuestion {
    case_id: String,
    query: String,
    answerable: bool,
    #[serde(default)]
    evidence: Vec<Evidence>,
}

fn quote_overlaps(citation: &str, evidence: &str) -> bool {
    let (c, e) = (
        normalise_ws(citation).to_lowercase(),
        normalise_ws(evidence).to_lowercase(),
    );
    if c.contains(&e) || e.contains(&c) {
        return true;
    }
    let terms = cited_answer::content_terms(&e);
    let have = cited_answer::content_terms(&c);
    !terms.is_empty() && terms.iter().filter(|t| have.contains(t)).count() * 2 >= terms.len()
}

/// Asks every question of a question file and scores the answers.
pub fn evaluate_answers(engine: &Engine, path: &Path) -> Result<AnswerEvalReport, EvalError> {
    let questions: Vec<AnswerQuestion> = read_jsonl(path)?;
    let threshold = engine.config().answer.review_threshold;
    let floor = engine.config().answer.no_answer_floor;
    let mut cases = Vec::new();
    let (mut citations, mut verbatim, mut unsupported) = (0usize, 0usize, 0usize);
    for q in &questions {
        // Route nothing: thresholds are applied below so the same answers give the whole table.
        let request = AskRequest {
            access: Access::Operator,
            question: q.query.clone(),
            thresholds: Some((0.0, 0.0)),
            dry_run: true,
            ..Default::default()
        };
        let response = engine.ask(&request)?;
        unsupported += response.unsupported_sentences;
        let has_answer = response.status == cited_core::AnswerStatus::Answered;
        let mut correct_doc = false;
        let mut correct_quote = false;
        for c in &response.citations {
            citations += 1;
            if engine.citation_is_verbatim(c)? {
                verbatim += 1;
            }
            if !has_answer {
                continue;
            }
            for e in &q.evidence {
                let doc = match (&e.doc_id, &e.file) {
                    (Some(id), _) => id.clone(),
                    (None, Some(file)) => Path::new(file)
                        .with_extension("")
                        .to_string_lossy()
                        .into_owned(),
                    (None, None) => continue,
                };
                if doc == c.doc_id {
                    correct_doc = true;
                    correct_quote |= quote_overlaps(&c.quote, &e.quote);
                }
            }
        }
        let status = if !has_answer {
            response.status
        } else if response.confidence < floor {
            cited_core::AnswerStatus::NoAnswer
        } else if response.confidence < threshold {
            cited_core::AnswerStatus::NeedsReview
        } else {
            cited_core::AnswerStatus::Answered
        };
        cases.push(AnswerCase {
            id: q.case_id.clone(),
            answerable: q.answerable,
            status,
            confidence: response.confidence,
            has_answer,
            correct_doc,
            correct_quote,
            ms: response.took_ms,
        });
    }
    let answerable = cases.iter().filter(|c| c.answerable).count();
    let unanswerable = cases.len() - answerable;
    let share = |n: usize, d: usize| if d == 0 { 0.0 } else { n as f64 / d as f64 };
    let answered_at = |c: &AnswerCase, t: f32| c.has_answer && c.confidence >= t.max(floor);
    let mut thresholds = vec![0.2f32, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, threshold];
    thresholds.sort_by(f32::total_cmp);
    thresholds.dedup();
    let risk_coverage = thresholds
        .into_iter()
        .map(|t| {
            let answered: Vec<&AnswerCase> = cases.iter().filter(|c| answered_at(c, t)).collect();
            let correct = answered
                .iter()
                .filter(|c| c.answerable && c.correct_quote)
                .count();
            let abstained = cases
                .iter()
                .filter(|c| !c.answerable && !answered_at(c, t))
                .count();
            RiskCoverageRow {
                threshold: t,
                answered_share: share(answered.len(), cases.len()),
                correct_share: share(correct, answered.len()),
                abstention_share: share(abstained, unanswerable),
            }
        })
        .collect();
    let mut ms: Vec<f64> = cases.iter().map(|c| c.ms).collect();
    ms.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| {
        if ms.is_empty() {
            0.0
        } else {
            ms[((ms.len() as f64 - 1.0) * p).round() as usize]
        }
    };
    let answered_ok =
        |c: &&AnswerCase| c.answerable && c.status == cited_core::AnswerStatus::Answered;
    Ok(AnswerEvalReport {
        answerable,
        unanswerable,
        answered_share: share(cases.iter().filter(answered_ok).count(), answerable),
        correct_doc_share: share(
            cases
                .iter()
                .filter(answered_ok)
                .filter(|c| c.correct_doc)
                .count(),
            answerable,
        ),
        correct_source_share: share(
            cases
                .iter()
                .filter(answered_ok)
                .filter(|c| c.correct_quote)
                .count(),
            answerable,
        ),
        abstention_share: share(
            cases
                .iter()
                .filter(|c| !c.answerable && c.status != cited_core::AnswerStatus::Answered)
                .count(),
            unanswerable,
        ),
        verbatim_share: share(verbatim, citations),
        citations,
        unsupported_sentences: unsupported,
        p50_ms: pct(0.5),
        p95_ms: pct(0.95),
        review_threshold: threshold,
        risk_coverage,
        cases,
    })
}
