//! Turns source files into [`ParsedDocument`]s (canonical text, metadata, sections) and cuts them into
//! token-sized chunks that never cross a section. No index or catalog lives here: the engine decides what
//! to store.
//!
//! Formats: Markdown with YAML front matter, plain text, HTML and PDF (through poppler's `pdftotext`, one
//! page at a time, so chunks keep their page number). A sidecar `NAME.meta.yaml` adds metadata to any file.

mod chunk;
mod discover;
mod document;
mod error;
mod front_matter;
mod html;
mod markdown;
mod pdf;

pub use chunk::{Chunker, ChunkerOptions};
pub use discover::{SkippedFile, SourceFile, discover};
pub use document::{
    ParseOptions, ParsedDocument, Section, TextKind, parse_file, parse_source, sidecar_path,
};
pub use error::{ChunkError, ParseError};
