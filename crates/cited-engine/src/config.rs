//! Configuration: one TOML file plus `CITED_*` environment overrides. Every option is documented in
//! `config/cited.toml`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use cited_core::FusionMethod;
use cited_ingest::{ChunkerOptions, ParseOptions};
use serde::{Deserialize, Serialize};

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown or mistyped keys.
    #[error("config {path}: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An environment override with a value of the wrong type.
    #[error("environment variable {name}={value:?}: {reason}")]
    Env {
        /// Variable name.
        name: String,
        /// Its value.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// A value out of range.
    #[error("config: {0}")]
    Invalid(String),
}

/// Everything Cited can be configured with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Folder holding the catalog, the lexical index and the vector shard.
    pub data_dir: PathBuf,
    /// Model files.
    pub models: ModelsConfig,
    /// Ingestion.
    pub ingest: IngestConfig,
    /// Retrieval.
    pub search: SearchConfig,
    /// Answers, verification, confidence and review.
    pub answer: AnswerConfig,
    /// Caps on what one request may ask for.
    pub limits: LimitsConfig,
    /// The HTTP server (`cited serve`).
    pub server: ServerConfig,
    /// The audit trail.
    pub audit: AuditConfig,
    /// PHI redaction, per place text is written or sent.
    pub redaction: RedactionConfig,
    /// Where the catalog (documents, review queue, tokens, audit trail) is kept.
    pub storage: StorageConfig,
}

/// Where each store lives. The default keeps everything in the data directory; `catalog = "postgres"`
/// moves the catalog, the review queue, the tokens and the audit trail to a PostgreSQL server (the
/// indexes stay in the data directory).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// `sqlite` (`catalog.sqlite` in the data directory) or `postgres` (`postgres_url`).
    pub catalog: String,
    /// `postgres://user:password@host:port/database`; read from `CITED_POSTGRES_URL` so the password need
    /// not sit in the file. Never logged or printed.
    #[serde(skip_serializing)]
    pub postgres_url: Option<String>,
    /// PostgreSQL connections kept open at most.
    pub postgres_max_connections: u32,
    /// The vector index: `edge` (a Qdrant Edge shard in the data directory) or `qdrant` (the collection
    /// `<qdrant_collection>_dense` of the server at `qdrant_url`).
    pub vectors: String,
    /// The lexical index: `tantivy` (in the data directory) or `qdrant` (BM25 as sparse vectors in the
    /// collection `<qdrant_collection>_bm25`). With both indexes and the catalog on servers, an app node
    /// keeps nothing on its disk and any number of nodes can share them.
    pub lexical: String,
    /// gRPC URL of the Qdrant server (`http://host:6334`; `https://` for TLS). `CITED_QDRANT_URL`.
    pub qdrant_url: Option<String>,
    /// Qdrant API key; read from `CITED_QDRANT_API_KEY` so it need not sit in the file. Never logged or
    /// printed.
    #[serde(skip_serializing)]
    pub qdrant_api_key: Option<String>,
    /// Prefix of the two collections. One per catalog: two catalogs on one prefix would mix chunk ids.
    pub qdrant_collection: String,
    /// Deadline of each Qdrant request, in seconds.
    pub qdrant_timeout_secs: u64,
    /// Retries of a Qdrant request that failed transiently (unavailable, deadline, overloaded), with
    /// exponential backoff.
    pub qdrant_retries: u32,
    /// BM25's average chunk length in analysed terms, for `lexical = "qdrant"` (tantivy measures it
    /// itself). Chunks of the default chunker average about this many.
    pub qdrant_bm25_avg_terms: f32,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            catalog: "sqlite".into(),
            postgres_url: None,
            postgres_max_connections: 8,
            vectors: "edge".into(),
            lexical: "tantivy".into(),
            qdrant_url: None,
            qdrant_api_key: None,
            qdrant_collection: "cited".into(),
            qdrant_timeout_secs: 10,
            qdrant_retries: 3,
            qdrant_bm25_avg_terms: 100.0,
        }
    }
}

// By hand: the URL may hold a password, and configs are printed in errors and traces.
impl std::fmt::Debug for StorageConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorageConfig")
            .field("catalog", &self.catalog)
            .field("postgres_url", &self.postgres_url.as_ref().map(|_| "<set>"))
            .field("postgres_max_connections", &self.postgres_max_connections)
            .field("vectors", &self.vectors)
            .field("lexical", &self.lexical)
            .field("qdrant_url", &self.qdrant_url)
            .field(
                "qdrant_api_key",
                &self.qdrant_api_key.as_ref().map(|_| "<set>"),
            )
            .field("qdrant_collection", &self.qdrant_collection)
            .field("qdrant_timeout_secs", &self.qdrant_timeout_secs)
            .field("qdrant_retries", &self.qdrant_retries)
            .field("qdrant_bm25_avg_terms", &self.qdrant_bm25_avg_terms)
            .finish()
    }
}

impl StorageConfig {
    /// True when either index lives on a Qdrant server.
    pub fn uses_qdrant(&self) -> bool {
        self.vectors == "qdrant" || self.lexical == "qdrant"
    }

    /// True when no index lives in the data directory: app nodes are interchangeable.
    pub fn indexes_remote(&self) -> bool {
        self.vectors == "qdrant" && self.lexical == "qdrant"
    }

    /// How to reach the Qdrant server.
    pub fn qdrant_settings(&self) -> Result<cited_qdrant::QdrantSettings, ConfigError> {
        let url = match self.qdrant_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => url.to_string(),
            _ => {
                return Err(ConfigError::Invalid(
                    "storage.vectors or storage.lexical = \"qdrant\" needs storage.qdrant_url (or \
                     CITED_QDRANT_URL)"
                        .into(),
                ));
            }
        };
        Ok(cited_qdrant::QdrantSettings {
            url,
            api_key: self.qdrant_api_key.clone().filter(|k| !k.trim().is_empty()),
            collection_prefix: self.qdrant_collection.clone(),
            timeout: std::time::Duration::from_secs(self.qdrant_timeout_secs),
            retries: self.qdrant_retries,
        })
    }

    /// Where the catalog of a data directory `data_dir` lives.
    pub fn catalog_location(
        &self,
        data_dir: &std::path::Path,
    ) -> Result<cited_catalog::CatalogLocation, ConfigError> {
        match self.catalog.as_str() {
            "sqlite" => Ok(cited_catalog::CatalogLocation::Sqlite(
                data_dir.join("catalog.sqlite"),
            )),
            "postgres" => match self.postgres_url.as_deref().map(str::trim) {
                Some(url) if !url.is_empty() => Ok(cited_catalog::CatalogLocation::Postgres {
                    url: url.to_string(),
                    max_connections: self.postgres_max_connections,
                }),
                _ => Err(ConfigError::Invalid(
                    "storage.catalog = \"postgres\" needs storage.postgres_url (or CITED_POSTGRES_URL)".into(),
                )),
            },
            other => Err(ConfigError::Invalid(format!(
                "storage.catalog {other:?} is not sqlite or postgres"
            ))),
        }
    }
}

/// Where patient identifiers are replaced by typed placeholders (`[NAME]`, `[MRN]`, …) before text is
/// written or sent. Each sink is on by default; turning one off sends that sink the text as typed. The
/// user's own screen always shows what they typed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedactionConfig {
    /// The question in audit records.
    pub audit: bool,
    /// The question, reasons and unverified draft sentences of review items, and reviewer notes.
    pub review_queue: bool,
    /// The question sent to the `llm` answerer's endpoint.
    pub llm: bool,
}

impl Default for RedactionConfig {
    fn default() -> Self {
        Self {
            audit: true,
            review_queue: true,
            llm: true,
        }
    }
}

/// The audit trail's signing key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Ed25519 key that signs tree heads (`cited audit keygen --out PATH`). It must live outside the data
    /// directory: whoever can rewrite the log must not also hold the key that vouches for it.
    pub signing_key: Option<PathBuf>,
    /// Record every ask. Off only to measure what the trail costs (`make load` runs both); a deployment
    /// keeps it on, and the server warns at start when it is off.
    pub record_asks: bool,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            signing_key: None,
            record_asks: true,
        }
    }
}

/// The HTTP server.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on.
    pub addr: String,
    /// Asks answered at once; more get 503 with Retry-After instead of queueing without bound.
    pub max_concurrent_asks: usize,
    /// Seconds before a request is answered with 504.
    pub request_timeout_secs: u64,
    /// Largest request body in bytes (document uploads may be up to `ingest.max_file_bytes`).
    pub max_body_bytes: usize,
    /// Serve the web UI's files from this folder instead of the copies built into the binary (for UI
    /// development; unset in production).
    pub ui_dir: Option<PathBuf>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            addr: "127.0.0.1:8080".into(),
            max_concurrent_asks: 8,
            request_timeout_secs: 30,
            max_body_bytes: 64 * 1024,
            ui_dir: None,
        }
    }
}

/// Caps on one search or question, so that no request can exhaust the process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest `k` (hits or passages) a request may ask for.
    pub max_k: usize,
    /// Longest question or query, in characters.
    pub max_question_chars: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_k: 100,
            max_question_chars: 2000,
        }
    }
}

/// How answers are drafted, verified and routed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnswerConfig {
    /// `extractive` (no model needed) or `llm` (see [`LlmConfig`]).
    pub answerer: String,
    /// Passages retrieved for an answer.
    pub k: usize,
    /// Sentences in an extractive answer at most.
    pub max_sentences: usize,
    /// Minimum support score (0..1) of a sentence against the passage it cites.
    pub min_support: f32,
    /// Below this confidence an answer goes to review instead of to the user.
    pub review_threshold: f32,
    /// Below this confidence there is no answer at all (the evidence is still shown).
    pub no_answer_floor: f32,
    /// English word list (one word a line): question words found there are ordinary words, never
    /// "unknown" and never spelling-corrected. Debian's `wamerican`; missing → the model vocabulary only.
    pub dictionary: PathBuf,
    /// The OpenAI-compatible endpoint of the `llm` answerer.
    pub llm: LlmConfig,
}

/// An OpenAI-compatible chat-completions endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LlmConfig {
    /// Base URL up to the API version, e.g. `http://127.0.0.1:8080/v1`.
    pub base_url: String,
    /// Model name sent with each request.
    pub model: String,
    /// Environment variable holding the API key (never the key itself in the file).
    pub api_key_env: String,
    /// Seconds before a request is abandoned (the question then goes to review).
    pub timeout_secs: u64,
    /// Completion length limit in tokens.
    pub max_tokens: u32,
    /// Ask for JSON with `response_format` + JSON schema (turn off for servers that reject it).
    pub json_schema: bool,
}

impl Default for LlmConfig {
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:8080/v1".into(),
            model: "local".into(),
            api_key_env: "CITED_LLM_API_KEY".into(),
            timeout_secs: 30,
            max_tokens: 512,
            json_schema: true,
        }
    }
}

impl Default for AnswerConfig {
    fn default() -> Self {
        Self {
            answerer: "extractive".into(),
            k: 8,
            max_sentences: 4,
            min_support: 0.55,
            review_threshold: 0.40,
            no_answer_floor: 0.08,
            dictionary: PathBuf::from("/usr/share/dict/words"),
            llm: LlmConfig::default(),
        }
    }
}

/// Where the embedding model and ONNX Runtime are.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelsConfig {
    /// Folder with all-MiniLM-L6-v2's `model.onnx` and tokenizer files.
    pub dir: PathBuf,
    /// ONNX Runtime shared library (1.24 or newer).
    pub onnxruntime: PathBuf,
    /// Passages per embedding batch (8 keeps peak memory under 1 GB).
    pub batch_size: usize,
    /// ONNX Runtime intra-op threads; 0 means one per core.
    pub threads: usize,
    /// Vectors of questions and passage sentences kept in memory for the read path (0 = none).
    pub cached_vectors: usize,
}

/// How files are read and chunked.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    /// Files larger than this many bytes are rejected.
    pub max_file_bytes: u64,
    /// `doc_type` for files whose metadata and folder say nothing.
    pub default_doc_type: String,
    /// `doc_type` by folder name.
    pub doc_type_by_folder: HashMap<String, String>,
    /// The `pdftotext` executable (poppler-utils).
    pub pdftotext: PathBuf,
    /// Seconds a `pdftotext` run may take before the PDF is rejected.
    pub pdftotext_timeout_secs: u64,
    /// Bytes of text one PDF may expand to before it is rejected.
    pub pdftotext_max_output_bytes: u64,
    /// Chunks aim for this many tokens.
    pub chunk_target_tokens: usize,
    /// No chunk is longer than this many tokens.
    pub chunk_max_tokens: usize,
    /// Documents per index commit: fewer means less work lost to a crash, more means faster bulk ingest.
    pub commit_every: usize,
}

/// How search ranks.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SearchConfig {
    /// `rrf` or `convex`.
    pub fusion: String,
    /// k of reciprocal rank fusion.
    pub rrf_k: f32,
    /// Weight of the dense retriever in fusion (0..1; BM25 gets the rest).
    pub dense_weight: f32,
    /// Candidates each retriever contributes before fusion.
    pub candidates: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            models: ModelsConfig::default(),
            ingest: IngestConfig::default(),
            search: SearchConfig::default(),
            answer: AnswerConfig::default(),
            limits: LimitsConfig::default(),
            server: ServerConfig::default(),
            audit: AuditConfig::default(),
            redaction: RedactionConfig::default(),
            storage: StorageConfig::default(),
        }
    }
}

impl Default for ModelsConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("models/all-minilm-l6-v2"),
            onnxruntime: PathBuf::from("models/onnxruntime/libonnxruntime.so"),
            batch_size: 8,
            threads: 0,
            cached_vectors: 50_000,
        }
    }
}

impl Default for IngestConfig {
    /// The parser's and chunker's own defaults, so each value is defined once.
    fn default() -> Self {
        let parse = ParseOptions::default();
        let chunk = ChunkerOptions::default();
        Self {
            max_file_bytes: parse.max_file_bytes,
            default_doc_type: parse.default_doc_type,
            doc_type_by_folder: parse.doc_type_by_folder,
            pdftotext: parse.pdftotext,
            pdftotext_timeout_secs: parse.pdftotext_timeout.as_secs(),
            pdftotext_max_output_bytes: parse.pdftotext_max_output_bytes,
            chunk_target_tokens: chunk.target_tokens,
            chunk_max_tokens: chunk.max_tokens,
            commit_every: 200,
        }
    }
}

impl Default for SearchConfig {
    fn default() -> Self {
        Self {
            fusion: "rrf".into(),
            rrf_k: 20.0,
            dense_weight: 0.5,
            candidates: 50,
        }
    }
}

fn parse_env<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e: T::Err| ConfigError::Env {
        name: name.to_string(),
        value: value.to_string(),
        reason: e.to_string(),
    })
}

impl Config {
    /// Reads `path` (or the defaults when `None`), then applies `CITED_*` overrides from the process
    /// environment, then validates.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let mut config = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.to_path_buf(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: p.to_path_buf(),
                    reason: e.to_string(),
                })?
            }
            None => Config::default(),
        };
        config.apply_env(std::env::vars())?;
        config.validate()?;
        Ok(config)
    }

    /// Applies `CITED_*` variables. Unknown `CITED_` names are ignored so that other tools may share the prefix.
    pub fn apply_env(
        &mut self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), ConfigError> {
        for (name, value) in vars {
            let v = value.as_str();
            match name.as_str() {
                "CITED_DATA_DIR" => self.data_dir = PathBuf::from(v),
                "CITED_STORAGE_CATALOG" => self.storage.catalog = v.to_string(),
                "CITED_POSTGRES_URL" => self.storage.postgres_url = Some(v.to_string()),
                "CITED_STORAGE_VECTORS" => self.storage.vectors = v.to_string(),
                "CITED_STORAGE_LEXICAL" => self.storage.lexical = v.to_string(),
                "CITED_QDRANT_URL" => self.storage.qdrant_url = Some(v.to_string()),
                "CITED_QDRANT_API_KEY" => self.storage.qdrant_api_key = Some(v.to_string()),
                "CITED_QDRANT_COLLECTION" => self.storage.qdrant_collection = v.to_string(),
                "CITED_QDRANT_TIMEOUT_SECS" => {
                    self.storage.qdrant_timeout_secs = parse_env(&name, v)?
                }
                "CITED_QDRANT_RETRIES" => self.storage.qdrant_retries = parse_env(&name, v)?,
                "CITED_QDRANT_BM25_AVG_TERMS" => {
                    self.storage.qdrant_bm25_avg_terms = parse_env(&name, v)?
                }
                "CITED_STORAGE_POSTGRES_MAX_CONNECTIONS" => {
                    self.storage.postgres_max_connections = parse_env(&name, v)?
                }
                "CITED_MODELS_DIR" => self.models.dir = PathBuf::from(v),
                "CITED_MODELS_ONNXRUNTIME" | "ORT_DYLIB_PATH" => {
                    self.models.onnxruntime = PathBuf::from(v)
                }
                "CITED_MODELS_BATCH_SIZE" => self.models.batch_size = parse_env(&name, v)?,
                "CITED_MODELS_THREADS" => self.models.threads = parse_env(&name, v)?,
                "CITED_MODELS_CACHED_VECTORS" => self.models.cached_vectors = parse_env(&name, v)?,
                "CITED_INGEST_MAX_FILE_BYTES" => self.ingest.max_file_bytes = parse_env(&name, v)?,
                "CITED_INGEST_DEFAULT_DOC_TYPE" => self.ingest.default_doc_type = v.to_string(),
                "CITED_INGEST_PDFTOTEXT" => self.ingest.pdftotext = PathBuf::from(v),
                "CITED_INGEST_PDFTOTEXT_TIMEOUT_SECS" => {
                    self.ingest.pdftotext_timeout_secs = parse_env(&name, v)?
                }
                "CITED_INGEST_PDFTOTEXT_MAX_OUTPUT_BYTES" => {
                    self.ingest.pdftotext_max_output_bytes = parse_env(&name, v)?
                }
                "CITED_SERVER_ADDR" => self.server.addr = v.to_string(),
                "CITED_SERVER_MAX_CONCURRENT_ASKS" => {
                    self.server.max_concurrent_asks = parse_env(&name, v)?
                }
                "CITED_SERVER_REQUEST_TIMEOUT_SECS" => {
                    self.server.request_timeout_secs = parse_env(&name, v)?
                }
                "CITED_SERVER_MAX_BODY_BYTES" => self.server.max_body_bytes = parse_env(&name, v)?,
                "CITED_SERVER_UI_DIR" => self.server.ui_dir = Some(PathBuf::from(v)),
                "CITED_AUDIT_SIGNING_KEY" => self.audit.signing_key = Some(PathBuf::from(v)),
                "CITED_AUDIT_RECORD_ASKS" => self.audit.record_asks = parse_env(&name, v)?,
                "CITED_REDACTION_AUDIT" => self.redaction.audit = parse_env(&name, v)?,
                "CITED_REDACTION_REVIEW_QUEUE" => {
                    self.redaction.review_queue = parse_env(&name, v)?
                }
                "CITED_REDACTION_LLM" => self.redaction.llm = parse_env(&name, v)?,
                "CITED_LIMITS_MAX_K" => self.limits.max_k = parse_env(&name, v)?,
                "CITED_LIMITS_MAX_QUESTION_CHARS" => {
                    self.limits.max_question_chars = parse_env(&name, v)?
                }
                "CITED_INGEST_CHUNK_TARGET_TOKENS" => {
                    self.ingest.chunk_target_tokens = parse_env(&name, v)?
                }
                "CITED_INGEST_CHUNK_MAX_TOKENS" => {
                    self.ingest.chunk_max_tokens = parse_env(&name, v)?
                }
                "CITED_INGEST_COMMIT_EVERY" => self.ingest.commit_every = parse_env(&name, v)?,
                "CITED_SEARCH_FUSION" => self.search.fusion = v.to_string(),
                "CITED_SEARCH_RRF_K" => self.search.rrf_k = parse_env(&name, v)?,
                "CITED_SEARCH_DENSE_WEIGHT" => self.search.dense_weight = parse_env(&name, v)?,
                "CITED_SEARCH_CANDIDATES" => self.search.candidates = parse_env(&name, v)?,
                "CITED_ANSWER_ANSWERER" => self.answer.answerer = v.to_string(),
                "CITED_ANSWER_K" => self.answer.k = parse_env(&name, v)?,
                "CITED_ANSWER_MAX_SENTENCES" => self.answer.max_sentences = parse_env(&name, v)?,
                "CITED_ANSWER_MIN_SUPPORT" => self.answer.min_support = parse_env(&name, v)?,
                "CITED_ANSWER_DICTIONARY" => self.answer.dictionary = PathBuf::from(v),
                "CITED_ANSWER_REVIEW_THRESHOLD" => {
                    self.answer.review_threshold = parse_env(&name, v)?
                }
                "CITED_ANSWER_NO_ANSWER_FLOOR" => {
                    self.answer.no_answer_floor = parse_env(&name, v)?
                }
                "CITED_LLM_BASE_URL" => self.answer.llm.base_url = v.to_string(),
                "CITED_LLM_MODEL" => self.answer.llm.model = v.to_string(),
                "CITED_LLM_TIMEOUT_SECS" => self.answer.llm.timeout_secs = parse_env(&name, v)?,
                "CITED_LLM_MAX_TOKENS" => self.answer.llm.max_tokens = parse_env(&name, v)?,
                "CITED_LLM_JSON_SCHEMA" => self.answer.llm.json_schema = parse_env(&name, v)?,
                _ => {}
            }
        }
        Ok(())
    }

    /// Rejects values that cannot work, with the option's name.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.fusion()?;
        self.storage.catalog_location(&self.data_dir)?;
        let st = &self.storage;
        for (option, value, embedded) in [
            ("storage.vectors", &st.vectors, "edge"),
            ("storage.lexical", &st.lexical, "tantivy"),
        ] {
            if value != embedded && value != "qdrant" {
                return Err(ConfigError::Invalid(format!(
                    "{option} {value:?} is not {embedded:?} (in the data directory) or \"qdrant\""
                )));
            }
        }
        if st.uses_qdrant() {
            st.qdrant_settings()?;
            let name = &st.qdrant_collection;
            if name.is_empty()
                || name.len() > 200
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(ConfigError::Invalid(format!(
                    "storage.qdrant_collection {name:?}: use letters, digits, '_' and '-' (at most 200)"
                )));
            }
            if st.qdrant_timeout_secs == 0 {
                return Err(ConfigError::Invalid(
                    "storage.qdrant_timeout_secs must be at least 1".into(),
                ));
            }
            if !(st.qdrant_bm25_avg_terms.is_finite() && st.qdrant_bm25_avg_terms >= 1.0) {
                return Err(ConfigError::Invalid(
                    "storage.qdrant_bm25_avg_terms must be a number of at least 1".into(),
                ));
            }
        }
        if self.storage.postgres_max_connections == 0 {
            return Err(ConfigError::Invalid(
                "storage.postgres_max_connections must be at least 1".into(),
            ));
        }
        if let Some(key) = &self.audit.signing_key {
            let inside = |p: &std::path::Path| {
                let abs = |p: &std::path::Path| {
                    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
                };
                abs(p).starts_with(abs(&self.data_dir))
            };
            if inside(key) {
                return Err(ConfigError::Invalid(format!(
                    "audit.signing_key {} is inside the data directory: keep it elsewhere",
                    key.display()
                )));
            }
        }
        if self.models.batch_size == 0 {
            return Err(ConfigError::Invalid(
                "models.batch_size must be at least 1".into(),
            ));
        }
        if self.ingest.chunk_max_tokens + 40 > cited_embed::MAX_TOKENS {
            return Err(ConfigError::Invalid(format!(
                "ingest.chunk_max_tokens must leave 40 tokens of the model's {} for title and section",
                cited_embed::MAX_TOKENS
            )));
        }
        if self.ingest.chunk_target_tokens == 0
            || self.ingest.chunk_target_tokens > self.ingest.chunk_max_tokens
        {
            return Err(ConfigError::Invalid(
                "ingest.chunk_target_tokens must be 1..=chunk_max_tokens".into(),
            ));
        }
        let a = &self.answer;
        if !matches!(a.answerer.as_str(), "extractive" | "llm") {
            return Err(ConfigError::Invalid(format!(
                "answer.answerer {:?} is not extractive or llm",
                a.answerer
            )));
        }
        let url = &a.llm.base_url;
        if a.answerer == "llm" && !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ConfigError::Invalid(format!(
                "answer.llm.base_url {url:?} is not an http(s) URL"
            )));
        }
        if a.k == 0 || a.max_sentences == 0 {
            return Err(ConfigError::Invalid(
                "answer.k and answer.max_sentences must be at least 1".into(),
            ));
        }
        let unit = 0.0..=1.0;
        if !unit.contains(&a.min_support)
            || !unit.contains(&a.review_threshold)
            || !unit.contains(&a.no_answer_floor)
        {
            return Err(ConfigError::Invalid(
                "answer.min_support, review_threshold and no_answer_floor are 0..1".into(),
            ));
        }
        if a.no_answer_floor > a.review_threshold {
            return Err(ConfigError::Invalid(
                "answer.no_answer_floor must not exceed answer.review_threshold".into(),
            ));
        }
        if self.limits.max_k == 0 || self.limits.max_question_chars == 0 {
            return Err(ConfigError::Invalid(
                "limits.max_k and limits.max_question_chars must be at least 1".into(),
            ));
        }
        if a.k > self.limits.max_k {
            return Err(ConfigError::Invalid(format!(
                "answer.k {} is above limits.max_k {}",
                a.k, self.limits.max_k
            )));
        }
        if self.server.max_concurrent_asks == 0 || self.server.request_timeout_secs == 0 {
            return Err(ConfigError::Invalid(
                "server.max_concurrent_asks and server.request_timeout_secs must be at least 1"
                    .into(),
            ));
        }
        if self.ingest.pdftotext_timeout_secs == 0 {
            return Err(ConfigError::Invalid(
                "ingest.pdftotext_timeout_secs must be at least 1".into(),
            ));
        }
        if self.search.candidates == 0 {
            return Err(ConfigError::Invalid(
                "search.candidates must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// The fusion method the search section describes.
    pub fn fusion(&self) -> Result<FusionMethod, ConfigError> {
        let w = self.search.dense_weight;
        if !(0.0..=1.0).contains(&w) {
            return Err(ConfigError::Invalid(format!(
                "search.dense_weight {w} must be within 0..1"
            )));
        }
        match self.search.fusion.as_str() {
            "rrf" if self.search.rrf_k > 0.0 => Ok(FusionMethod::Rrf {
                k: self.search.rrf_k,
                dense_weight: w,
            }),
            "rrf" => Err(ConfigError::Invalid("search.rrf_k must be positive".into())),
            "convex" => Ok(FusionMethod::Convex { dense_weight: w }),
            other => Err(ConfigError::Invalid(format!(
                "search.fusion {other:?} is not rrf or convex"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_file_and_bad_values_are_named() {
        let mut c: Config =
            toml::from_str("data_dir = \"x\"\n[search]\nfusion = \"convex\"\n").expect("toml");
        c.apply_env([("CITED_DATA_DIR".to_string(), "/tmp/d".to_string())])
            .expect("env");
        assert_eq!(c.data_dir, PathBuf::from("/tmp/d"));
        assert!(matches!(c.fusion(), Ok(FusionMethod::Convex { .. })));
        let err = c
            .apply_env([("CITED_SEARCH_RRF_K".to_string(), "many".to_string())])
            .expect_err("bad");
        assert!(err.to_string().contains("CITED_SEARCH_RRF_K"));
        assert!(
            toml::from_str::<Config>("[search]\nfusoin = \"rrf\"\n").is_err(),
            "typos are rejected"
        );
    }

    #[test]
    fn each_store_is_chosen_on_its_own_and_qdrant_needs_a_url() {
        let env = |pairs: &[(&str, &str)]| -> Result<Config, ConfigError> {
            let mut c = Config::default();
            c.apply_env(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))?;
            c.validate()?;
            Ok(c)
        };
        let c = env(&[("CITED_STORAGE_VECTORS", "qdrant")]).expect_err("no url");
        assert!(c.to_string().contains("CITED_QDRANT_URL"), "{c}");
        let c = env(&[
            ("CITED_STORAGE_VECTORS", "qdrant"),
            ("CITED_QDRANT_URL", "http://qdrant:6334"),
            ("CITED_QDRANT_API_KEY", "k3y-never-shown"),
        ])
        .expect("qdrant vectors with embedded BM25");
        assert!(c.storage.uses_qdrant() && !c.storage.indexes_remote());
        assert!(!format!("{:?}", c.storage).contains("k3y-never-shown"));
        assert!(
            !toml::to_string(&c)
                .expect("toml")
                .contains("k3y-never-shown")
        );
        let c = env(&[
            ("CITED_STORAGE_VECTORS", "qdrant"),
            ("CITED_STORAGE_LEXICAL", "qdrant"),
            ("CITED_QDRANT_URL", "http://qdrant:6334"),
        ])
        .expect("both on the server");
        assert!(c.storage.indexes_remote());
        let c = env(&[("CITED_STORAGE_LEXICAL", "elastic")]).expect_err("unknown store");
        assert!(c.to_string().contains("storage.lexical"), "{c}");
        let c = env(&[
            ("CITED_STORAGE_LEXICAL", "qdrant"),
            ("CITED_QDRANT_URL", "http://qdrant:6334"),
            ("CITED_QDRANT_COLLECTION", "a b"),
        ])
        .expect_err("bad collection name");
        assert!(c.to_string().contains("qdrant_collection"), "{c}");
    }

    #[test]
    fn the_documented_config_parses_and_names_every_option() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/cited.toml");
        let text = std::fs::read_to_string(path).expect("config/cited.toml");
        toml::from_str::<Config>(&text).expect("config/cited.toml parses");
        fn keys(prefix: &str, value: &toml::Value, out: &mut Vec<(String, String)>) {
            if let toml::Value::Table(table) = value {
                for (k, v) in table {
                    match v {
                        toml::Value::Table(_) => keys(&format!("{prefix}{k}."), v, out),
                        _ => out.push((format!("{prefix}{k}"), k.clone())),
                    }
                }
            }
        }
        let mut all = Vec::new();
        keys(
            "",
            &toml::Value::try_from(Config::default()).expect("toml"),
            &mut all,
        );
        let documented = |key: &str| {
            text.lines().any(|l| {
                let l = l.trim_start_matches(['#', ' ']);
                l.starts_with(&format!("{key} =")) || l.starts_with(&format!("{key}="))
            })
        };
        let missing: Vec<&String> = all
            .iter()
            .filter(|(_, k)| !documented(k))
            .map(|(p, _)| p)
            .collect();
        assert!(
            missing.is_empty(),
            "options missing from config/cited.toml: {missing:?}"
        );
    }
}
