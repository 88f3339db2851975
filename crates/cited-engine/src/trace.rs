//! `AskTrace`: how one answer came about, stage by stage. It travels with the answer (`cited ask --json
//! --trace`), is stored with every review item, and is what the audit trail will record. It holds ids,
//! scores, verdicts and timings; the question and passage texts stay in the catalog.

use std::time::Instant;

use cited_answer::{ConfidenceSignals, Passage};
use cited_core::SearchHit;
use serde::{Deserialize, Serialize};

/// The stages of `ask`, in order.
pub const STAGES: [&str; 7] = [
    "read", "retrieve", "draft", "verify", "cite", "score", "route",
];

/// One retrieved candidate with the scores of both retrievers and of their fusion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceCandidate {
    /// Catalog chunk id.
    pub chunk_id: u64,
    /// Document id.
    pub doc_id: String,
    /// Version label.
    pub version: String,
    /// Rank and score in the BM25 list.
    pub bm25_rank: Option<usize>,
    /// BM25 score.
    pub bm25_score: Option<f32>,
    /// Rank in the dense list.
    pub dense_rank: Option<usize>,
    /// Cosine similarity.
    pub dense_score: Option<f32>,
    /// Fused score (the rank order of the candidates).
    pub fused_score: f32,
}

impl From<&SearchHit> for TraceCandidate {
    fn from(h: &SearchHit) -> Self {
        Self {
            chunk_id: h.chunk_id,
            doc_id: h.doc_id.clone(),
            version: h.version.clone(),
            bm25_rank: h.bm25_rank,
            bm25_score: h.bm25_score,
            dense_rank: h.dense_rank,
            dense_score: h.dense_score,
            fused_score: h.score,
        }
    }
}

/// A passage given to the answerer, by number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TracePassage {
    /// Number the answerer cites.
    pub n: usize,
    /// Catalog chunk id.
    pub chunk_id: u64,
    /// Document id.
    pub doc_id: String,
    /// Version label.
    pub version: String,
    /// Byte span in the version's canonical text.
    pub start: usize,
    /// End of the span.
    pub end: usize,
}

impl From<&Passage> for TracePassage {
    fn from(p: &Passage) -> Self {
        Self {
            n: p.n,
            chunk_id: p.chunk_id,
            doc_id: p.doc_id.clone(),
            version: p.version.clone(),
            start: p.start,
            end: p.end,
        }
    }
}

/// A drafted sentence and what verification decided about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceSentence {
    /// The drafted text.
    pub text: String,
    /// Passage numbers it cites.
    pub citations: Vec<usize>,
    /// `kept` or `removed`.
    pub verdict: String,
    /// Why it was removed, or its support score when kept.
    pub reason: String,
}

/// Wall time of one stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageTiming {
    /// One of [`STAGES`].
    pub stage: String,
    /// Milliseconds.
    pub ms: f64,
}

/// How an answer came about.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AskTrace {
    /// Id of this ask (also on its log lines).
    pub request_id: String,
    /// Retrieval candidates, best first.
    pub candidates: Vec<TraceCandidate>,
    /// Passages given to the answerer.
    pub passages: Vec<TracePassage>,
    /// Drafted sentences with their verdicts.
    pub drafted: Vec<TraceSentence>,
    /// Signals behind the confidence.
    pub signals: ConfidenceSignals,
    /// The confidence.
    pub confidence: f32,
    /// `answered`, `needs_review` or `no_answer`, and why.
    pub route: String,
    /// Time per stage, in order.
    pub stages: Vec<StageTiming>,
    /// Which answerer drafted (`extractive`, `llm`, `reviewed`, `catalog`).
    pub answerer: String,
    /// The model, for model answerers.
    pub model: Option<String>,
    /// SHA-256 of the model's prompt template.
    pub prompt_template_hash: Option<String>,
}

/// Times the stages of one ask: each call closes the stage that was running.
pub(crate) struct StageClock {
    last: Instant,
    stages: Vec<StageTiming>,
}

impl StageClock {
    pub(crate) fn start() -> Self {
        Self {
            last: Instant::now(),
            stages: Vec::with_capacity(STAGES.len()),
        }
    }

    /// Ends `stage` now and starts the next.
    pub(crate) fn done(&mut self, stage: &str) {
        let now = Instant::now();
        self.stages.push(StageTiming {
            stage: stage.to_string(),
            ms: (now - self.last).as_secs_f64() * 1000.0,
        });
        self.last = now;
    }

    pub(crate) fn timings(&self) -> Vec<StageTiming> {
        self.stages.clone()
    }
}
