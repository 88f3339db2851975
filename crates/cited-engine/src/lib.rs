//! The engine behind every Cited command: one data directory holding the SQLite catalog, the tantivy index
//! and the Qdrant Edge shard; the write path (ingest with its commit protocol and crash recovery) and the
//! read path (in-force filtering, hybrid retrieval, fusion). No HTTP and no terminal output live here.

mod answer;
mod audit;
pub mod config;
mod documents;
pub mod fusion;
mod ingest;
mod review;
mod search;
mod tokens;
mod trace;
mod understand;

use std::collections::HashSet;
use std::fs::File;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use cited_catalog::{CatalogError, CatalogStore};
use cited_embed::{CachingEmbedder, EmbedError, Embedder, MiniLmEmbedder, MiniLmFiles};
use cited_ingest::{ChunkError, Chunker, ChunkerOptions, ParseOptions};
use cited_lexical::{LexicalError, LexicalStore, TantivyIndex};
use cited_qdrant::{QdrantConnection, QdrantLexicalIndex, QdrantVectorStore};
use cited_vectors::{EdgeVectorStore, VectorStore, VectorStoreError};

pub use answer::{AskEvent, AskRequest, AskResponse, question_key, render_answer, scope_key};
pub use audit::{Actor, ImpactReport, ImpactedAnswer, ImpactedReview};
pub use cited_audit;
pub use cited_catalog::AuditQuery;
pub use cited_catalog::{ReviewEvent, ReviewRecord};
pub use config::{Config, ConfigError};
pub use documents::{
    ChunkSpan, DiffOp, DiffPiece, DocumentSummary, OpenedVersion, SectionChange, SectionChangeKind,
    SectionSpan, VersionComparison, VersionSummary, VersionView, word_diff,
};
pub use ingest::{FailedFile, IndexCopyReport, IngestProgress, IngestReport};
pub use search::SearchResponse;
pub use tokens::{Principal, Role, TokenRecord};
pub use trace::{AskTrace, STAGES, StageTiming, TraceCandidate, TracePassage, TraceSentence};
pub use understand::Correction;

/// Engine failures. Input problems with single files are not errors: they are listed in the ingest report.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The catalog failed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The lexical index failed.
    #[error(transparent)]
    Lexical(#[from] LexicalError),
    /// The vector store failed.
    #[error(transparent)]
    Vectors(#[from] VectorStoreError),
    /// The Qdrant server could not be reached or holds collections of another layout.
    #[error(transparent)]
    Qdrant(#[from] cited_qdrant::QdrantStoreError),
    /// Drafting or verifying an answer failed.
    #[error(transparent)]
    Answer(#[from] cited_answer::AnswerError),
    /// The embedding model failed or is missing.
    #[error(transparent)]
    Embed(#[from] EmbedError),
    /// The chunker could not be built.
    #[error(transparent)]
    Chunk(#[from] ChunkError),
    /// The audit signing key could not be read or made.
    #[error(transparent)]
    AuditKey(cited_audit::AuditError),
    /// The data directory could not be created or locked.
    #[error("data directory {path}: {reason}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A request the engine refuses as asked: the caller can fix it (HTTP 400).
    #[error("{message}")]
    BadRequest {
        /// Stable code a client can act on without parsing the message.
        code: BadRequestCode,
        /// What is wrong, in words a user can act on.
        message: String,
    },
    /// The request names something the catalog does not hold (HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// A failure inside the engine (a damaged record, a poisoned lock): not the caller's fault.
    #[error("{0}")]
    Internal(String),
}

/// Why a request was refused. The snake_case names are a stable contract (CLI JSON, HTTP API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BadRequestCode {
    /// The question or query is empty or blank.
    QuestionEmpty,
    /// The question or query is longer than `limits.max_question_chars`.
    QuestionTooLong,
    /// `k` is 0 or above `limits.max_k`.
    KOutOfRange,
    /// A metadata filter names a field no document has, or is not `key=value`.
    BadFilter,
    /// A date that is not YYYY-MM-DD.
    BadDate,
    /// A review state, reviewer or decision that is not allowed now.
    BadReview,
    /// A reviewer's answer that fails verification or is empty.
    BadAnswer,
    /// A token request without a user or with an unknown role.
    BadToken,
    /// An audit request that cannot be served as asked: no signing key configured, a malformed head, a
    /// proof out of range, an unknown filter.
    BadAudit,
}

impl BadRequestCode {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::QuestionEmpty => "question_empty",
            Self::QuestionTooLong => "question_too_long",
            Self::KOutOfRange => "k_out_of_range",
            Self::BadFilter => "bad_filter",
            Self::BadDate => "bad_date",
            Self::BadReview => "bad_review",
            Self::BadAnswer => "bad_answer",
            Self::BadToken => "bad_token",
            Self::BadAudit => "bad_audit",
        }
    }
}

/// The three ways a request can fail, as a server maps them (400, 404, 500).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The caller asked for something invalid.
    BadRequest,
    /// The caller named something that does not exist.
    NotFound,
    /// The engine failed.
    Internal,
}

impl EngineError {
    /// A bad request with its code.
    pub fn bad_request(code: BadRequestCode, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// Whether the caller or the engine is at fault.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::BadRequest { .. } => ErrorKind::BadRequest,
            Self::NotFound(_) => ErrorKind::NotFound,
            _ => ErrorKind::Internal,
        }
    }

    /// A stable code: the bad-request code, `not_found` or `internal`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. } => code.as_str(),
            Self::NotFound(_) => "not_found",
            _ => "internal",
        }
    }
}

impl From<cited_audit::AuditError> for EngineError {
    fn from(e: cited_audit::AuditError) -> Self {
        match e {
            cited_audit::AuditError::Key { .. } => Self::AuditKey(e),
            other => Self::bad_request(BadRequestCode::BadAudit, other.to_string()),
        }
    }
}

/// What start-up recovery found and removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RecoveryReport {
    /// Versions left pending by an interrupted ingest; their chunks were removed from both indexes.
    pub removed_pending_versions: usize,
}

#[derive(Clone)]
struct Embedders {
    model: Arc<dyn Embedder>,
    cached: Arc<CachingEmbedder>,
}

/// An open data directory. One process at a time holds it (a lock file guards the indexes).
pub struct Engine {
    config: Config,
    catalog: Box<dyn CatalogStore>,
    lexical: Box<dyn LexicalStore>,
    vectors: Box<dyn VectorStore>,
    /// The model for ingest, and the same model behind a vector cache for the read path.
    embedder: Mutex<Option<Embedders>>,
    chunker: Mutex<Option<Arc<Chunker>>>,
    /// The `llm` answerer, built on first use.
    llm: Mutex<Option<Arc<dyn cited_answer::Answerer>>>,
    in_force_cache: Mutex<Option<search::InForceCache>>,
    /// Each restricted version's `audience`, by catalog generation.
    audience_cache: Mutex<Option<(i64, Arc<Vec<cited_catalog::RestrictedDocument>>)>>,
    /// Canonical texts already read, by version id.
    text_cache: Mutex<search::TextCache>,
    /// Words of the catalog's documents for spelling, rebuilt when the catalog generation changes.
    vocabulary: Mutex<Option<(i64, Arc<understand::Vocabulary>)>>,
    /// The English word list, read on first use.
    dictionary: OnceLock<HashSet<String>>,
    recovery: RecoveryReport,
    /// The one writer: ingest, review decisions and recovery hold it; reads never wait for it.
    writer: Mutex<()>,
    _lock: File,
}

// Many threads read through one `&Engine` (a server shares it): this fails to compile if a field stops
// being shareable.
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<Engine>();
};

/// Binds the catalog to the indexes it describes, and refuses a catalog bound to other indexes: two sets
/// of indexes on one catalog would each miss the other's chunks, and their start-up recoveries would
/// remove each other's work. Indexes in a data directory are named by the directory's id (`catalog-owner`
/// holds it); indexes on a Qdrant server by their collection prefix, so every node of a cluster names
/// the same owner.
fn claim_catalog(
    catalog: &dyn CatalogStore,
    dir: &std::path::Path,
    remote_indexes: Option<&str>,
) -> Result<(), String> {
    let mine = match remote_indexes {
        Some(prefix) => qdrant_index_owner(prefix),
        None => data_dir_id(dir)?,
    };
    let owner = catalog.index_owner(&mine).map_err(|e| e.to_string())?;
    if owner != mine {
        return Err(format!(
            "the {} catalog belongs to other indexes ({owner}; these are {mine}). Give these indexes \
             their own database, or use the ones the catalog describes",
            catalog.backend()
        ));
    }
    Ok(())
}

/// How a catalog names indexes that live in the Qdrant collections of `prefix`.
pub fn qdrant_index_owner(prefix: &str) -> String {
    format!("qdrant:{prefix}")
}

/// The data directory's id (made on first use).
fn data_dir_id(dir: &std::path::Path) -> Result<String, String> {
    let path = dir.join("catalog-owner");
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => Ok(id.trim().to_string()),
        Ok(_) => Err(format!("{} is empty", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let id = uuid::Uuid::new_v4().to_string();
            std::fs::write(&path, format!("{id}\n")).map_err(|e| e.to_string())?;
            Ok(id)
        }
        Err(e) => Err(e.to_string()),
    }
}

impl Engine {
    /// Opens (creating if needed) the data directory of `config`, takes its lock and removes what an
    /// interrupted ingest left behind. Models are loaded on first use, so commands that need none (docs,
    /// BM25 search) start fast and work without them.
    pub fn open(config: Config) -> Result<Self, EngineError> {
        config.validate()?;
        let dir = config.data_dir.clone();
        let data_err = |reason: String| EngineError::DataDir {
            path: dir.clone(),
            reason,
        };
        std::fs::create_dir_all(&dir).map_err(|e| data_err(e.to_string()))?;
        let lock = File::create(dir.join(".lock")).map_err(|e| data_err(e.to_string()))?;
        lock.try_lock()
            .map_err(|_| data_err("in use by another cited process (ingest or serve); wait for it or use another --data-dir".into()))?;
        let catalog = cited_catalog::open(&config.storage.catalog_location(&dir)?)?;
        let storage = &config.storage;
        let remote = storage
            .indexes_remote()
            .then_some(storage.qdrant_collection.as_str());
        claim_catalog(catalog.as_ref(), &dir, remote).map_err(data_err)?;
        let qdrant = if storage.uses_qdrant() {
            Some(QdrantConnection::connect(storage.qdrant_settings()?)?)
        } else {
            None
        };
        let lexical: Box<dyn LexicalStore> = match &qdrant {
            Some(server) if storage.lexical == "qdrant" => Box::new(QdrantLexicalIndex::open(
                server.clone(),
                storage.qdrant_bm25_avg_terms,
            )?),
            _ => Box::new(TantivyIndex::open(&dir.join("lexical"))?),
        };
        let vectors: Box<dyn VectorStore> = match &qdrant {
            Some(server) if storage.vectors == "qdrant" => Box::new(QdrantVectorStore::open(
                server.clone(),
                cited_embed::MINILM_DIM,
            )?),
            _ => Box::new(EdgeVectorStore::open(
                &dir.join("vectors"),
                cited_embed::MINILM_DIM,
            )?),
        };
        let mut engine = Self {
            config,
            catalog,
            lexical,
            vectors,
            embedder: Mutex::new(None),
            chunker: Mutex::new(None),
            llm: Mutex::new(None),
            in_force_cache: Mutex::new(None),
            audience_cache: Mutex::new(None),
            text_cache: Mutex::new(search::TextCache::default()),
            vocabulary: Mutex::new(None),
            dictionary: OnceLock::new(),
            recovery: RecoveryReport::default(),
            writer: Mutex::new(()),
            _lock: lock,
        };
        engine.recovery = engine.recover()?;
        Ok(engine)
    }

    /// Uses `embedder` instead of loading the configured model (tests, other models).
    pub fn with_embedder(self, embedder: Arc<dyn Embedder>) -> Self {
        let embedders = self.embedders_of(embedder);
        if let Ok(mut slot) = self.embedder.lock() {
            *slot = Some(embedders);
        }
        self
    }

    fn embedders_of(&self, model: Arc<dyn Embedder>) -> Embedders {
        Embedders {
            cached: Arc::new(CachingEmbedder::new(
                model.clone(),
                self.config.models.cached_vectors,
            )),
            model,
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What start-up recovery removed.
    pub fn recovery(&self) -> &RecoveryReport {
        &self.recovery
    }

    /// The catalog (read access for commands and tests).
    pub fn catalog(&self) -> &dyn CatalogStore {
        self.catalog.as_ref()
    }

    /// Chunks in the lexical index and in the vector store, for consistency checks.
    pub fn index_counts(&self) -> Result<(u64, usize), EngineError> {
        Ok((self.lexical.len()?, self.vectors.len()?))
    }

    /// Removes chunks of versions the catalog never committed, then the versions themselves, so an ingest
    /// killed at any point leaves no half document. A rerun of the ingest completes the work. When
    /// another node holds the ingest lease, its pending versions are its work in progress: left alone.
    fn recover(&self) -> Result<RecoveryReport, EngineError> {
        let Some(_lease) = self.catalog.ingest_lease(false)? else {
            tracing::info!("another node is ingesting; pending versions are left to it");
            return Ok(RecoveryReport::default());
        };
        self.recover_as_writer()
    }

    /// [`Self::recover`] for the holder of the ingest lease.
    pub(crate) fn recover_as_writer(&self) -> Result<RecoveryReport, EngineError> {
        let pending = self.catalog.pending_versions()?;
        if pending.is_empty() {
            return Ok(RecoveryReport::default());
        }
        tracing::warn!(
            versions = pending.len(),
            "removing chunks of an interrupted ingest"
        );
        self.lexical.delete_versions(&pending)?;
        self.lexical.commit()?;
        self.vectors.delete_versions(&pending)?;
        self.vectors.flush()?;
        self.catalog.delete_versions(&pending)?;
        Ok(RecoveryReport {
            removed_pending_versions: pending.len(),
        })
    }

    /// Takes the write side. Writes are serialised; reads go on meanwhile and see only committed versions.
    pub(crate) fn writer(&self) -> std::sync::MutexGuard<'_, ()> {
        // A writer that panicked left nothing half-visible (pending versions are invisible and cleaned),
        // so a poisoned lock is taken over rather than refused.
        self.writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes the catalog's ingest lease, waiting while another node ingests (see
    /// [`CatalogStore::ingest_lease`]).
    pub(crate) fn ingest_lease(&self) -> Result<cited_catalog::IngestLease, EngineError> {
        self.catalog.ingest_lease(true)?.ok_or_else(|| {
            EngineError::Internal("the catalog gave no ingest lease to a waiting writer".into())
        })
    }

    fn model_files(&self) -> MiniLmFiles {
        MiniLmFiles {
            model_dir: self.config.models.dir.clone(),
            onnxruntime: self.config.models.onnxruntime.clone(),
        }
    }

    fn embedders(&self) -> Result<Embedders, EngineError> {
        loaded_once(&self.embedder, "embedder", || {
            let threads = (self.config.models.threads > 0).then_some(self.config.models.threads);
            let model: Arc<dyn Embedder> = Arc::new(MiniLmEmbedder::load(
                &self.model_files(),
                self.config.models.batch_size,
                threads,
            )?);
            Ok(self.embedders_of(model))
        })
    }

    /// Whether the embedding model is loaded (a server is ready once it is).
    pub fn models_loaded(&self) -> bool {
        self.embedder.lock().map(|s| s.is_some()).unwrap_or(false)
    }

    /// The embedding model, loaded on first use (ingest: chunk texts are embedded once, not cached).
    pub fn embedder(&self) -> Result<Arc<dyn Embedder>, EngineError> {
        Ok(self.embedders()?.model)
    }

    /// The embedding model behind the vector cache (questions, sentences of passages): the read path.
    pub(crate) fn read_embedder(&self) -> Result<Arc<dyn Embedder>, EngineError> {
        Ok(self.embedders()?.cached)
    }

    fn chunker(&self) -> Result<Arc<Chunker>, EngineError> {
        loaded_once(&self.chunker, "chunker", || {
            let options = ChunkerOptions {
                target_tokens: self.config.ingest.chunk_target_tokens,
                max_tokens: self.config.ingest.chunk_max_tokens,
            };
            Ok(Arc::new(Chunker::new(
                &self.model_files().tokenizer_json(),
                options,
            )?))
        })
    }

    fn parse_options(&self) -> ParseOptions {
        let c = &self.config.ingest;
        ParseOptions {
            max_file_bytes: c.max_file_bytes,
            default_doc_type: c.default_doc_type.clone(),
            doc_type_by_folder: c.doc_type_by_folder.clone(),
            pdftotext: c.pdftotext.clone(),
            pdftotext_timeout: std::time::Duration::from_secs(c.pdftotext_timeout_secs),
            pdftotext_max_output_bytes: c.pdftotext_max_output_bytes,
        }
    }
}

/// The value in `slot`, made by `make` on first use. Loading happens under the slot's lock, so two
/// threads asking at once load the model once.
pub(crate) fn loaded_once<T: Clone>(
    slot: &Mutex<Option<T>>,
    what: &str,
    make: impl FnOnce() -> Result<T, EngineError>,
) -> Result<T, EngineError> {
    let mut slot = slot
        .lock()
        .map_err(|_| EngineError::Internal(format!("{what} lock poisoned")))?;
    if let Some(value) = slot.as_ref() {
        return Ok(value.clone());
    }
    let value = make()?;
    *slot = Some(value.clone());
    Ok(value)
}

/// Result of [`Engine::check`]: whether the catalog and both indexes agree.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ConsistencyReport {
    /// Committed versions.
    pub versions: usize,
    /// Pending versions (should be 0 outside an ingest).
    pub pending_versions: usize,
    /// Chunks of committed versions in the catalog.
    pub catalog_chunks: u64,
    /// Chunks in the lexical index.
    pub lexical_chunks: u64,
    /// Points in the vector store.
    pub vector_chunks: u64,
    /// Versions whose chunk counts differ between catalog, lexical index and vector store.
    pub mismatched: Vec<String>,
}

impl ConsistencyReport {
    /// True when every committed version has exactly its chunks in both indexes and nothing else is there.
    pub fn is_consistent(&self) -> bool {
        self.pending_versions == 0
            && self.mismatched.is_empty()
            && self.lexical_chunks == self.catalog_chunks
            && self.vector_chunks == self.catalog_chunks
    }
}

impl Engine {
    /// Compares, version by version, the chunks the catalog records with those in both indexes.
    pub fn check(&self) -> Result<ConsistencyReport, EngineError> {
        let committed = self.catalog.committed_versions()?;
        let counts = self.catalog.counts()?;
        let mut report = ConsistencyReport {
            versions: committed.len(),
            pending_versions: self.catalog.pending_versions()?.len(),
            catalog_chunks: counts.chunks,
            lexical_chunks: self.lexical.len()?,
            vector_chunks: self.vectors.len()? as u64,
            mismatched: Vec::new(),
        };
        for v in &committed {
            let want = self.catalog.chunk_ids_of(v.version_id)?.len();
            let lexical = self.lexical.count_version(v.version_id)?;
            let vectors = self.vectors.count_version(v.version_id)?;
            if lexical != want || vectors != want {
                report.mismatched.push(format!(
                    "{} v{}: catalog {want}, lexical {lexical}, vectors {vectors}",
                    v.doc_id, v.version
                ));
            }
        }
        Ok(report)
    }
}
