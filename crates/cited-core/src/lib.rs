//! Plain types shared by every Cited crate: documents, versions, chunks, search requests and hits, and the
//! rule that decides which version of a document is in force on a date.
//!
//! This crate does no I/O. Everything here can be constructed and checked in a unit test.

mod answer;
mod hash;
mod in_force;
mod search;
mod version;

pub use answer::{AnswerSentence, AnswerStatus, Citation, TextSpan};
pub use hash::content_hash;
pub use in_force::{VersionTimeline, in_force_on};
pub use search::{
    Access, FusionMethod, MetadataFilter, SearchHit, SearchMode, SearchRequest, VersionFilter,
};
pub use version::{Chunk, DocumentVersion, NewChunk, VersionId, VersionState, VersionStatus};
