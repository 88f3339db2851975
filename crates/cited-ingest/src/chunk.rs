use std::path::Path;

use cited_core::NewChunk;
use text_splitter::{ChunkConfig, MarkdownSplitter, TextSplitter};
use tokenizers::Tokenizer;

use crate::document::{ParsedDocument, TextKind};
use crate::error::ChunkError;

/// Chunk sizes, in tokens of the embedding model's tokenizer.
#[derive(Debug, Clone, Copy)]
pub struct ChunkerOptions {
    /// Chunks aim for at least this many tokens when a section is long enough.
    pub target_tokens: usize,
    /// Hard upper bound; with the title and section prefix the embedded text must fit the model's window.
    pub max_tokens: usize,
}

impl Default for ChunkerOptions {
    fn default() -> Self {
        Self {
            target_tokens: 120,
            max_tokens: 200,
        }
    }
}

/// Splits a document's sections into chunks, sized with the embedding model's own tokenizer so no chunk is
/// silently truncated by the model.
pub struct Chunker {
    markdown: MarkdownSplitter<Tokenizer>,
    plain: TextSplitter<Tokenizer>,
    tokenizer: Tokenizer,
}

impl Chunker {
    /// Loads `tokenizer.json` and builds the splitters.
    pub fn new(tokenizer_json: &Path, options: ChunkerOptions) -> Result<Self, ChunkError> {
        let mut tokenizer =
            Tokenizer::from_file(tokenizer_json).map_err(|e| ChunkError::Tokenizer {
                path: tokenizer_json.to_path_buf(),
                reason: e.to_string(),
            })?;
        // Sizes must reflect the whole text: a truncating or padding tokenizer would undercount.
        tokenizer
            .with_truncation(None)
            .map_err(|e| ChunkError::Tokenizer {
                path: tokenizer_json.to_path_buf(),
                reason: e.to_string(),
            })?;
        tokenizer.with_padding(None);
        if options.target_tokens == 0 || options.target_tokens > options.max_tokens {
            return Err(ChunkError::Config(format!(
                "target_tokens {} must be between 1 and max_tokens {}",
                options.target_tokens, options.max_tokens
            )));
        }
        let range = options.target_tokens..=options.max_tokens;
        let config = |t: Tokenizer| ChunkConfig::new(range.clone()).with_sizer(t);
        Ok(Self {
            markdown: MarkdownSplitter::new(config(tokenizer.clone())),
            plain: TextSplitter::new(config(tokenizer.clone())),
            tokenizer,
        })
    }

    /// Whether `word` (lower case) is a whole word of the model's vocabulary: common English words are;
    /// drug names, product names and jargon the model never saw whole are not.
    pub fn is_common_word(&self, word: &str) -> bool {
        self.tokenizer.token_to_id(word).is_some()
    }

    /// Chunks of `doc`, in order, each inside one section.
    pub fn chunk(&self, doc: &ParsedDocument) -> Vec<NewChunk> {
        let mut out = Vec::new();
        for section in &doc.sections {
            let text = &doc.canonical_text[section.start..section.end];
            let pieces: Vec<(usize, &str)> = match doc.kind {
                TextKind::Markdown => self.markdown.chunk_indices(text).collect(),
                TextKind::Plain => self.plain.chunk_indices(text).collect(),
            };
            for (offset, piece) in pieces {
                if piece.trim().is_empty() {
                    continue;
                }
                let start = section.start + offset;
                out.push(NewChunk {
                    ordinal: u32::try_from(out.len()).unwrap_or(u32::MAX),
                    section: section.path.clone(),
                    page: section.page,
                    start,
                    end: start + piece.len(),
                });
            }
        }
        out
    }
}
