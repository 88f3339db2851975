use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Catalog row id of one document version. Index entries carry it so that search can be limited to the
/// versions the catalog says are committed and in force.
pub type VersionId = i64;

/// Where a version's status stands relative to a date (usually today). Derived from effective dates and the
/// declared status, never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    /// The version in force on the date.
    Active,
    /// Effective date still in the future: it replaces the active one on that date.
    Scheduled,
    /// A later version of the same document is in force.
    Superseded,
    /// Terminated or declared retired: in force for nobody.
    Retired,
}

impl fmt::Display for VersionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Active => "active",
            Self::Scheduled => "scheduled",
            Self::Superseded => "superseded",
            Self::Retired => "retired",
        })
    }
}

/// Whether a version's chunks are in both indexes yet. Only committed versions are ever searched; pending
/// ones are what a crash leaves behind, and start-up recovery removes their chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionState {
    /// Recorded in the catalog, chunks possibly partly indexed.
    Pending,
    /// Chunks committed in the lexical and the vector index.
    Committed,
}

/// One version of a document as the catalog records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentVersion {
    /// Catalog row id.
    pub version_id: VersionId,
    /// Stable document id, e.g. `NCD 240.4`.
    pub doc_id: String,
    /// Version label from the metadata, or a content-hash prefix when the source has none.
    pub version: String,
    /// Title shown with hits and citations.
    pub title: String,
    /// Document type, e.g. `payer_policy`, `clinical_protocol`.
    pub doc_type: String,
    /// First day the version is in force; `None` means in force from the start.
    pub effective_date: Option<NaiveDate>,
    /// First day the version is no longer in force (termination), if any.
    pub end_date: Option<NaiveDate>,
    /// The status the source declares (`active`, `retired`, ...), if any.
    pub declared_status: Option<String>,
    /// SHA-256 of the canonical text.
    pub content_hash: String,
    /// Where the version was read from (path as given to ingest).
    pub source: String,
    /// Every metadata field of the source, unknown ones too.
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// Monotonic ingest sequence; breaks ties between versions with the same effective date.
    pub ingest_seq: i64,
    /// Pending or committed.
    pub state: VersionState,
}

impl DocumentVersion {
    /// The fields [`crate::in_force_on`] needs.
    pub fn timeline(&self) -> VersionTimeline {
        VersionTimeline {
            version_id: self.version_id,
            effective_date: self.effective_date,
            end_date: self.end_date,
            declared_retired: self
                .declared_status
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("retired")),
            ingest_seq: self.ingest_seq,
        }
    }
}

pub use crate::in_force::VersionTimeline;

/// A chunk about to be stored: a span of a version's canonical text inside one section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewChunk {
    /// Position of the chunk in its version, from 0.
    pub ordinal: u32,
    /// Heading trail, joined with " > " (empty for a document without headings).
    pub section: String,
    /// 1-based page number for paged sources (PDF).
    pub page: Option<u32>,
    /// UTF-8 byte offset of the first byte in the canonical text.
    pub start: usize,
    /// UTF-8 byte offset one past the last byte; `canonical_text[start..end]` is the chunk text.
    pub end: usize,
}

/// A stored chunk, with its catalog id and the text it spans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    /// Catalog row id; also the point id in the vector index and the key in the lexical index.
    pub chunk_id: u64,
    /// The version the chunk belongs to.
    pub version_id: VersionId,
    /// Position, section, page and span.
    #[serde(flatten)]
    pub span: NewChunk,
    /// `canonical_text[start..end]` of its version.
    pub text: String,
}
