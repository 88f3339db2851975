//! From retrieved passages to a grounded answer: answerers draft sentences with citations, verification
//! keeps only sentences the cited passages support (numbers included), and confidence decides whether the
//! answer reaches the user, goes to a reviewer, or is withheld. No storage and no HTTP here: the engine
//! hands passages in and recomputes every quote from the catalog.

mod clauses;
mod confidence;
mod cues;
mod extractive;
mod facts;
mod llm;
mod markers;
mod question;
mod sentences;
mod shape;
mod terms;
mod verify;

pub use clauses::{
    SupportUnit, draft_clauses, introduces_list, is_list_item, list_extent, support_units,
};
pub use confidence::{
    ConfidenceSignals, calibrate, confidence, evidence_score, rescale_relevance, specificity,
};
pub use cues::{negated, scope_mismatch};
pub use extractive::ExtractiveAnswerer;
pub use facts::{Comparator, Fact, answers_unit, asked_unit, facts, unsupported_facts};
pub use llm::{LlmAnswerer, LlmSettings, parse_reply, user_prompt};
pub use markers::{parse_marked_text, strip_markers};
pub use question::{
    AskedQuantity, ConditionFit, asked_quantity, asks_definition, asks_for_code, asks_for_list,
    asks_for_number, asks_preamble, condition_fit, is_comparative, is_definition,
    is_preamble_section, question_parts, stated_values, states_quantity,
};
pub use sentences::split_sentences;
pub use shape::{
    AnswerShape, answer_shape, asks_for_items, defined_acronyms, gives_items, with_acronyms,
};
pub use terms::content_terms;
pub use verify::{RemovedSentence, SupportPolicy, VerifiedAnswer, VerifiedSentence, verify};

use cited_embed::EmbedError;
use serde::{Deserialize, Serialize};

/// Answer failures (not "no answer": that is a normal outcome).
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// The embedding model failed.
    #[error(transparent)]
    Embed(#[from] EmbedError),
    /// The language model endpoint failed or answered outside the contract.
    #[error("answer model: {0}")]
    Model(String),
}

/// A retrieved passage as the answerers see it, numbered from 1 in prompt order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    /// Number used in `[n]` markers.
    pub n: usize,
    /// Catalog chunk id.
    pub chunk_id: u64,
    /// Document id.
    pub doc_id: String,
    /// Version label.
    pub version: String,
    /// Title.
    pub title: String,
    /// Section trail.
    pub section: String,
    /// Page, for paged sources.
    pub page: Option<u32>,
    /// Byte offset of the passage in the version's canonical text.
    pub start: usize,
    /// End byte offset.
    pub end: usize,
    /// The passage text (`canonical_text[start..end]`).
    pub text: String,
    /// Rank in the BM25 list (1-based), if the passage was there.
    pub bm25_rank: Option<usize>,
    /// Rank in the dense list (1-based), if the passage was there.
    pub dense_rank: Option<usize>,
}

impl From<&cited_core::SearchHit> for Passage {
    fn from(hit: &cited_core::SearchHit) -> Self {
        Self {
            n: hit.rank,
            chunk_id: hit.chunk_id,
            doc_id: hit.doc_id.clone(),
            version: hit.version.clone(),
            title: hit.title.clone(),
            section: hit.section.clone(),
            page: hit.page,
            start: hit.start,
            end: hit.end,
            text: hit.text.clone(),
            bm25_rank: hit.bm25_rank,
            dense_rank: hit.dense_rank,
        }
    }
}

/// A sentence an answerer proposes, citing passages by number; `span` narrows a citation to a byte range
/// inside the passage when the answerer knows it (the extractive answerer always does).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftSentence {
    /// Sentence text.
    pub text: String,
    /// Passage numbers cited.
    pub citations: Vec<usize>,
    /// Byte range of the supporting text inside the first cited passage, if known.
    pub span: Option<(usize, usize)>,
    /// The answerer's own relevance score for the sentence (0..1), if it has one.
    pub relevance: Option<f32>,
}

/// Something that drafts an answer from passages: extractive selection or a language model.
pub trait Answerer: Send + Sync {
    /// Short name for responses and audit (`extractive`, `llm`).
    fn name(&self) -> &'static str;
    /// The model that drafts, for the trace (none for the extractive answerer).
    fn model(&self) -> Option<&str> {
        None
    }
    /// SHA-256 of the prompt template, for the trace: a changed prompt shows in every later answer.
    fn prompt_template_hash(&self) -> Option<String> {
        None
    }
    /// Drafts cited sentences. An empty draft means the answerer found no answer in the passages.
    fn draft(
        &self,
        question: &str,
        passages: &[Passage],
    ) -> Result<Vec<DraftSentence>, AnswerError>;
}
