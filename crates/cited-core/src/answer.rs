use serde::{Deserialize, Serialize};

/// How an ask ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerStatus {
    /// Verified, confident answer shown to the user.
    Answered,
    /// Not confident enough: a reviewer decides; the user sees the evidence only.
    NeedsReview,
    /// Nothing in the documents in force answers it.
    NoAnswer,
}

impl std::fmt::Display for AnswerStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Answered => "answered",
            Self::NeedsReview => "needs_review",
            Self::NoAnswer => "no_answer",
        })
    }
}

/// A citation: an exact span of one document version. `quote` is always recomputed from the catalog's
/// canonical text of that version, never taken from a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    /// Number used in `[n]` markers.
    pub n: usize,
    /// Document id.
    pub doc_id: String,
    /// Version label.
    pub version: String,
    /// SHA-256 of the version's canonical text.
    pub content_hash: String,
    /// Document title.
    pub title: String,
    /// Section trail.
    pub section: String,
    /// Page for paged sources.
    pub page: Option<u32>,
    /// Start byte offset in the canonical text.
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
    /// `canonical_text[start..end]`.
    pub quote: String,
}

/// An answer sentence with the citation numbers that support it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerSentence {
    /// Sentence text.
    pub text: String,
    /// Numbers of [`Citation`]s.
    pub citations: Vec<usize>,
}
