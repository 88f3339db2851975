use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::version::VersionId;

/// Which retrievers a search runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    /// BM25 and dense, fused.
    #[default]
    Hybrid,
    /// BM25 (tantivy) only.
    Bm25,
    /// Dense vectors (Qdrant) only.
    Dense,
}

impl std::str::FromStr for SearchMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "hybrid" => Ok(Self::Hybrid),
            "bm25" => Ok(Self::Bm25),
            "dense" => Ok(Self::Dense),
            other => Err(format!(
                "unknown search mode {other:?} (hybrid, bm25, dense)"
            )),
        }
    }
}

/// How the two ranked lists of a hybrid search are combined.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum FusionMethod {
    /// Reciprocal rank fusion: score = Σ w / (k + rank).
    Rrf {
        /// The rank offset k.
        k: f32,
        /// Weight of the dense list (BM25 gets 1 - weight), times 2 so that 0.5 is plain RRF.
        dense_weight: f32,
    },
    /// Min-max normalised scores, combined as `w * dense + (1 - w) * bm25`.
    Convex {
        /// Weight of the dense score.
        dense_weight: f32,
    },
}

/// `key = value` on a version's metadata (`doc_type`, `payer`, `status`, or any front-matter field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataFilter {
    /// Metadata field name.
    pub key: String,
    /// Value it must equal (for a list field: one of its items).
    pub value: String,
}

impl std::str::FromStr for MetadataFilter {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (key, value) = s
            .split_once('=')
            .ok_or_else(|| format!("filter {s:?} is not key=value"))?;
        let key = key.trim();
        let valid = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(format!(
                "filter key {key:?} must be letters, digits, '_' or '-'"
            ));
        }
        Ok(Self {
            key: key.to_string(),
            value: value.trim().to_string(),
        })
    }
}

/// What a search asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRequest {
    /// The user's query text.
    pub query: String,
    /// Retrievers to run.
    pub mode: SearchMode,
    /// Number of hits to return.
    pub k: usize,
    /// Metadata filters; all must hold.
    pub filters: Vec<MetadataFilter>,
    /// Search the versions in force on this date instead of today.
    pub as_of: Option<NaiveDate>,
    /// Whose search it is: documents with an `audience` outside the caller's groups are never searched.
    #[serde(default)]
    pub access: Access,
}

/// What a caller may read, from a document's `audience` metadata (a list of groups; absent means
/// everyone). It is resolved into the [`VersionFilter`] both indexes apply, so a restricted passage is never
/// retrieved for a caller outside its groups, whatever the query.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Documents without an audience, plus those naming one of these groups. The default, with no groups,
    /// is the narrowest: unrestricted documents only.
    Groups(Vec<String>),
    /// Every document: the operator at the shell, who owns the data directory anyway.
    Operator,
    /// Same as `Groups(vec![])`; the default.
    #[default]
    Public,
}

impl Access {
    /// Access for a caller in `groups`.
    pub fn groups(groups: &[String]) -> Self {
        if groups.is_empty() {
            Self::Public
        } else {
            Self::Groups(groups.to_vec())
        }
    }

    /// Whether a document with this audience may be read: no audience is everyone's; otherwise the caller
    /// must be in one of its groups (an empty audience admits no caller but the operator).
    pub fn may_read(&self, audience: Option<&[String]>) -> bool {
        match (self, audience) {
            (Self::Operator, _) | (_, None) => true,
            (Self::Public, Some(_)) => false,
            (Self::Groups(mine), Some(theirs)) => theirs.iter().any(|g| mine.contains(g)),
        }
    }
}

/// The set of versions an index may return, resolved from the catalog before the index is asked. Whichever
/// of the two forms is smaller is sent, so the common case (everything in force) stays cheap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionFilter {
    /// Only chunks of these versions.
    Only(Vec<VersionId>),
    /// Every chunk except those of these versions.
    Except(Vec<VersionId>),
}

impl VersionFilter {
    /// True when no chunk can match, so the index need not be asked.
    pub fn is_empty_match(&self) -> bool {
        matches!(self, Self::Only(ids) if ids.is_empty())
    }

    /// Whether chunks of `version_id` pass.
    pub fn allows(&self, version_id: VersionId) -> bool {
        match self {
            Self::Only(ids) => ids.contains(&version_id),
            Self::Except(ids) => !ids.contains(&version_id),
        }
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    /// 1-based rank.
    pub rank: usize,
    /// Fused (or single-retriever) score; comparable only within one result list.
    pub score: f32,
    /// Catalog chunk id.
    pub chunk_id: u64,
    /// Document id.
    pub doc_id: String,
    /// Version label.
    pub version: String,
    /// Document title.
    pub title: String,
    /// Heading trail of the chunk.
    pub section: String,
    /// Page number for paged sources.
    pub page: Option<u32>,
    /// Byte offset of the chunk in the version's canonical text.
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
    /// The chunk text.
    pub text: String,
    /// Rank in the BM25 candidate list (1-based), when it was there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bm25_rank: Option<usize>,
    /// Rank in the dense candidate list (1-based), when it was there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dense_rank: Option<usize>,
    /// BM25 score, when the chunk was a BM25 candidate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bm25_score: Option<f32>,
    /// Cosine similarity to the query, when the chunk was a dense candidate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dense_score: Option<f32>,
}
