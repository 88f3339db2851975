use std::path::PathBuf;

/// Why one file could not be turned into a document. Each variant names the reason in words a user can act on;
/// the path travels with it.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is empty or holds only white space.
    #[error("{path}: empty file")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// Over the configured size limit.
    #[error(
        "{path}: file is {size} bytes, over the limit of {limit} bytes (ingest.max_file_bytes)"
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A text format whose bytes are binary.
    #[error("{path}: binary content in a text file (NUL byte at offset {offset})")]
    Binary {
        /// The file.
        path: PathBuf,
        /// Offset of the first NUL byte.
        offset: usize,
    },
    /// Not UTF-8.
    #[error("{path}: not valid UTF-8 (invalid byte at offset {offset})")]
    InvalidUtf8 {
        /// The file.
        path: PathBuf,
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// Front matter or sidecar metadata that does not parse.
    #[error("{path}: broken metadata: {reason}")]
    Metadata {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A PDF that poppler cannot read, or one without a text layer.
    #[error("{path}: unreadable PDF: {reason}")]
    Pdf {
        /// The file.
        path: PathBuf,
        /// What pdftotext said, or why the text is unusable.
        reason: String,
    },
    /// No text left after extraction (an HTML page of scripts, a scanned PDF).
    #[error("{path}: no text to index after extraction")]
    NoText {
        /// The file.
        path: PathBuf,
    },
}

impl ParseError {
    /// The file the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Self::Io { path, .. }
            | Self::Empty { path }
            | Self::TooLarge { path, .. }
            | Self::Binary { path, .. }
            | Self::InvalidUtf8 { path, .. }
            | Self::Metadata { path, .. }
            | Self::Pdf { path, .. }
            | Self::NoText { path } => path,
        }
    }
}

/// The chunker could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ChunkError {
    /// The tokenizer file is missing or unreadable.
    #[error("cannot load tokenizer {path}: {reason} (run `make models`)")]
    Tokenizer {
        /// Path of `tokenizer.json`.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// Chunk sizes that the splitter rejects.
    #[error("invalid chunk size: {0}")]
    Config(String),
}
