//! BM25 over chunk text, and the seam for where it runs. [`LexicalStore`] is the trait the engine uses;
//! [`TantivyIndex`] keeps a tantivy index in the data directory (the default). A Qdrant server backend
//! (`cited-qdrant`) implements the same trait with sparse vectors, so an app node keeps nothing on disk.
//! Both analyse text the same way ([`terms`]: lower-cased, English stop words removed, stemmed), so a
//! question's words mean the same thing to either store.

use std::path::Path;
use std::sync::Mutex;

use cited_core::{VersionFilter, VersionId};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery, TermSetQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};

/// Lexical index failures.
#[derive(Debug, thiserror::Error)]
pub enum LexicalError {
    /// tantivy said no.
    #[error("lexical index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The index directory could not be opened.
    #[error("lexical index directory: {0}")]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    /// The lock around the writer was poisoned.
    #[error("lexical index writer lock poisoned")]
    Poisoned,
    /// The stop-word list is missing from this tantivy build.
    #[error("lexical index: no English stop-word list")]
    StopWords,
    /// A remote backend said no.
    #[error("lexical index: {0}")]
    Backend(String),
}

/// Results of lexical stores.
pub type Result<T> = std::result::Result<T, LexicalError>;

const ANALYZER: &str = "cited_en";
const WRITER_HEAP_BYTES: usize = 64 * 1024 * 1024;

/// A chunk to index.
#[derive(Debug, Clone, Copy)]
pub struct LexicalChunk<'a> {
    /// Catalog chunk id.
    pub chunk_id: u64,
    /// Catalog version id.
    pub version_id: VersionId,
    /// Text to index (title, section and body).
    pub text: &'a str,
}

/// Where chunk text is indexed for BM25. Implementations apply `filter` inside the search (a filtered
/// search returns a full top-k), make added and deleted chunks visible after [`LexicalStore::commit`] at
/// the latest, and are safe to share between threads.
pub trait LexicalStore: Send + Sync {
    /// Adds chunks (visible after [`Self::commit`]).
    fn add(&self, chunks: &[LexicalChunk<'_>]) -> Result<()>;
    /// Deletes every chunk of these versions (gone after [`Self::commit`]).
    fn delete_versions(&self, ids: &[VersionId]) -> Result<()>;
    /// Makes added and deleted chunks durable and visible.
    fn commit(&self) -> Result<()>;
    /// Number of chunks of one version (consistency checks).
    fn count_version(&self, id: VersionId) -> Result<usize>;
    /// Total number of chunks.
    fn len(&self) -> Result<u64>;
    /// True when the index holds no chunk.
    fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }
    /// The words of `text` (as [`terms`] analyses them) that no indexed chunk contains. A question about
    /// something the documents never mention is not answerable from them, however similar its other
    /// words are.
    fn unknown_terms(&self, text: &str) -> Result<Vec<String>>;
    /// Share of indexed chunks (0..1) that contain `word` as [`terms`] analyses it: how rare a question
    /// word is in the corpus. A stop word (no term) counts as everywhere (1.0).
    fn chunk_share(&self, word: &str) -> Result<f64>;
    /// BM25 top `limit` chunk ids with scores, limited to the versions `filter` allows.
    fn search(&self, query: &str, filter: &VersionFilter, limit: usize) -> Result<Vec<(u64, f32)>>;
}

/// The terms of `text` as every lexical store indexes and queries them: split on non-alphanumerics,
/// words over 40 bytes dropped, lower-cased, English stop words removed, Snowball-stemmed. In order, with
/// repeats.
pub fn terms(text: &str) -> Result<Vec<String>> {
    static SHARED: std::sync::OnceLock<Option<TextAnalyzer>> = std::sync::OnceLock::new();
    let mut analyzer = SHARED
        .get_or_init(|| analyzer().ok())
        .clone()
        .ok_or(LexicalError::StopWords)?;
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push(token.text.clone());
    }
    Ok(out)
}

/// The tantivy index of one data directory.
pub struct TantivyIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<Option<IndexWriter>>,
    chunk_id: Field,
    version_id: Field,
    body: Field,
}

fn analyzer() -> Result<TextAnalyzer> {
    let stop = StopWordFilter::new(Language::English).ok_or(LexicalError::StopWords)?;
    Ok(TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(stop)
        .filter(Stemmer::new(Language::English))
        .build())
}

impl TantivyIndex {
    /// Opens the index in `dir`, creating it if empty.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| {
            tantivy::TantivyError::from(
                tantivy::directory::error::OpenDirectoryError::wrap_io_error(e, dir.to_path_buf()),
            )
        })?;
        let mut builder = Schema::builder();
        let chunk_id = builder.add_u64_field("chunk_id", INDEXED | STORED | FAST);
        let version_id = builder.add_u64_field("version_id", INDEXED | FAST);
        let text_options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let body = builder.add_text_field("body", text_options);
        let schema = builder.build();
        let directory = tantivy::directory::MmapDirectory::open(dir)?;
        let index = Index::open_or_create(directory, schema)?;
        index.tokenizers().register(ANALYZER, analyzer()?);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(Self {
            index,
            reader,
            writer: Mutex::new(None),
            chunk_id,
            version_id,
            body,
        })
    }

    fn with_writer<T>(&self, f: impl FnOnce(&mut IndexWriter) -> Result<T>) -> Result<T> {
        let mut guard = self.writer.lock().map_err(|_| LexicalError::Poisoned)?;
        if guard.is_none() {
            *guard = Some(self.index.writer_with_num_threads(1, WRITER_HEAP_BYTES)?);
        }
        match guard.as_mut() {
            Some(w) => f(w),
            None => Err(LexicalError::Poisoned),
        }
    }
}

impl LexicalStore for TantivyIndex {
    fn add(&self, chunks: &[LexicalChunk<'_>]) -> Result<()> {
        self.with_writer(|w| {
            for c in chunks {
                w.add_document(doc!(
                    self.chunk_id => c.chunk_id,
                    self.version_id => c.version_id as u64,
                    self.body => c.text,
                ))?;
            }
            Ok(())
        })
    }

    fn delete_versions(&self, ids: &[VersionId]) -> Result<()> {
        self.with_writer(|w| {
            for id in ids {
                w.delete_term(Term::from_field_u64(self.version_id, *id as u64));
            }
            Ok(())
        })
    }

    fn commit(&self) -> Result<()> {
        self.with_writer(|w| {
            w.commit()?;
            Ok(())
        })?;
        self.reader.reload()?;
        Ok(())
    }

    fn count_version(&self, id: VersionId) -> Result<usize> {
        let q = TermQuery::new(
            Term::from_field_u64(self.version_id, id as u64),
            IndexRecordOption::Basic,
        );
        Ok(self
            .reader
            .searcher()
            .search(&q, &tantivy::collector::Count)?)
    }

    fn len(&self) -> Result<u64> {
        Ok(self.reader.searcher().num_docs())
    }

    fn unknown_terms(&self, text: &str) -> Result<Vec<String>> {
        let mut analyzer = self.index.tokenizer_for_field(self.body)?;
        let searcher = self.reader.searcher();
        let mut unknown = Vec::new();
        let mut stream = analyzer.token_stream(text);
        while let Some(token) = stream.next() {
            let term = Term::from_field_text(self.body, &token.text);
            if searcher.doc_freq(&term)? == 0 && !unknown.contains(&token.text) {
                unknown.push(token.text.clone());
            }
        }
        Ok(unknown)
    }

    fn chunk_share(&self, word: &str) -> Result<f64> {
        let mut analyzer = self.index.tokenizer_for_field(self.body)?;
        let searcher = self.reader.searcher();
        let total = searcher.num_docs();
        if total == 0 {
            return Ok(0.0);
        }
        let mut stream = analyzer.token_stream(word);
        let mut best: Option<u64> = None;
        while let Some(token) = stream.next() {
            let term = Term::from_field_text(self.body, &token.text);
            best = Some(best.unwrap_or(0).max(searcher.doc_freq(&term)?));
        }
        Ok(best.map_or(1.0, |b| b as f64 / total as f64))
    }

    fn search(&self, query: &str, filter: &VersionFilter, limit: usize) -> Result<Vec<(u64, f32)>> {
        if filter.is_empty_match() || limit == 0 {
            return Ok(Vec::new());
        }
        let mut analyzer = self.index.tokenizer_for_field(self.body)?;
        let mut terms: Vec<Term> = Vec::new();
        let mut stream = analyzer.token_stream(query);
        while let Some(token) = stream.next() {
            let term = Term::from_field_text(self.body, &token.text);
            if !terms.contains(&term) {
                terms.push(term);
            }
        }
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let text_query: Box<dyn Query> = Box::new(BooleanQuery::new(
            terms
                .into_iter()
                .map(|t| {
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs)) as Box<dyn Query>,
                    )
                })
                .collect(),
        ));
        let mut clauses = vec![(Occur::Must, text_query)];
        let (occur, ids) = match filter {
            VersionFilter::Only(ids) => (Occur::Must, ids),
            VersionFilter::Except(ids) => (Occur::MustNot, ids),
        };
        if !(ids.is_empty() && occur == Occur::MustNot) {
            let set = TermSetQuery::new(
                ids.iter()
                    .map(|id| Term::from_field_u64(self.version_id, *id as u64)),
            );
            clauses.push((occur, Box::new(ConstScoreQuery::new(Box::new(set), 0.0))));
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        let mut out = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(id) = doc.get_first(self.chunk_id).and_then(|v| v.as_u64()) {
                out.push((id, score));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filtered_bm25_and_delete() {
        let dir = tempfile::tempdir().expect("tempdir");
        let idx = TantivyIndex::open(dir.path()).expect("open");
        idx.add(&[
            LexicalChunk {
                chunk_id: 1,
                version_id: 10,
                text: "Oxygen therapy at home requires arterial blood gas testing",
            },
            LexicalChunk {
                chunk_id: 2,
                version_id: 11,
                text: "Oxygen therapy coverage ended",
            },
            LexicalChunk {
                chunk_id: 3,
                version_id: 12,
                text: "CPAP trial of twelve weeks",
            },
        ])
        .expect("add");
        idx.commit().expect("commit");
        let all = idx
            .search("home oxygen tests", &VersionFilter::Except(vec![]), 10)
            .expect("search");
        assert_eq!(all.first().map(|h| h.0), Some(1));
        assert_eq!(all.len(), 2);
        let only = idx
            .search("oxygen", &VersionFilter::Only(vec![11]), 10)
            .expect("search");
        assert_eq!(only.iter().map(|h| h.0).collect::<Vec<_>>(), vec![2]);
        let except = idx
            .search("oxygen", &VersionFilter::Except(vec![10]), 10)
            .expect("search");
        assert_eq!(except.iter().map(|h| h.0).collect::<Vec<_>>(), vec![2]);
        idx.delete_versions(&[10]).expect("delete");
        idx.commit().expect("commit");
        assert_eq!(idx.count_version(10).expect("count"), 0);
        assert_eq!(idx.len().expect("len"), 2);
        // Reopen: data is on disk.
        drop(idx);
        let idx = TantivyIndex::open(dir.path()).expect("reopen");
        assert_eq!(idx.len().expect("len"), 2);
    }
}
