//! Text embeddings. [`Embedder`] is the seam; [`MiniLmEmbedder`] runs all-MiniLM-L6-v2 (ONNX, mean pooling,
//! 256-token window) through fastembed and a dynamically loaded ONNX Runtime, all from local files.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use fastembed::{
    InitOptionsUserDefined, Pooling, TextEmbedding, TokenizerFiles, UserDefinedEmbeddingModel,
};

/// Embedding failures.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// A model or runtime file is not where the configuration says.
    #[error("missing {what} at {path} (run `make models`, or set models.dir / models.onnxruntime)")]
    MissingFile {
        /// Which file.
        what: &'static str,
        /// Where it was expected.
        path: PathBuf,
    },
    /// ONNX Runtime could not be loaded, or is too old.
    #[error("cannot load ONNX Runtime from {path}: {reason}")]
    Runtime {
        /// The shared library.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The model failed to load or run.
    #[error("embedding model: {0}")]
    Model(String),
    /// The lock around the model was poisoned.
    #[error("embedding model lock poisoned")]
    Poisoned,
}

/// Cosine similarity of two vectors (0 when either is all zeros).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

/// Turns text into vectors. Queries and passages may be embedded differently by some models.
pub trait Embedder: Send + Sync {
    /// Vector size.
    fn dim(&self) -> usize;
    /// Embeds passages for indexing.
    fn embed_passages(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError>;
    /// Embeds one query.
    fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbedError>;
}

/// Where the model files are.
#[derive(Debug, Clone)]
pub struct MiniLmFiles {
    /// Folder with `model.onnx`, `tokenizer.json`, `config.json`, `special_tokens_map.json`,
    /// `tokenizer_config.json`.
    pub model_dir: PathBuf,
    /// `libonnxruntime.so` (≥ 1.24).
    pub onnxruntime: PathBuf,
}

impl MiniLmFiles {
    /// The tokenizer the chunker must share with the model.
    pub fn tokenizer_json(&self) -> PathBuf {
        self.model_dir.join("tokenizer.json")
    }
}

/// all-MiniLM-L6-v2 through fastembed.
pub struct MiniLmEmbedder {
    model: Mutex<TextEmbedding>,
    batch_size: usize,
}

/// Vector size of all-MiniLM-L6-v2.
pub const MINILM_DIM: usize = 384;
/// The model was trained on 256-token inputs; longer ones are truncated.
pub const MAX_TOKENS: usize = 256;

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>, EmbedError> {
    std::fs::read(path).map_err(|_| EmbedError::MissingFile {
        what,
        path: path.to_path_buf(),
    })
}

impl MiniLmEmbedder {
    /// Checks every file, loads ONNX Runtime and the model. Fails with a clear error, never a panic, when a
    /// file is missing or the runtime is unusable.
    pub fn load(
        files: &MiniLmFiles,
        batch_size: usize,
        threads: Option<usize>,
    ) -> Result<Self, EmbedError> {
        let dir = &files.model_dir;
        let onnx = read(&dir.join("model.onnx"), "ONNX model")?;
        let tokenizer_files = TokenizerFiles {
            tokenizer_file: read(&dir.join("tokenizer.json"), "tokenizer.json")?,
            config_file: read(&dir.join("config.json"), "config.json")?,
            special_tokens_map_file: read(
                &dir.join("special_tokens_map.json"),
                "special_tokens_map.json",
            )?,
            tokenizer_config_file: read(
                &dir.join("tokenizer_config.json"),
                "tokenizer_config.json",
            )?,
        };
        if !files.onnxruntime.is_file() {
            return Err(EmbedError::MissingFile {
                what: "ONNX Runtime library",
                path: files.onnxruntime.clone(),
            });
        }
        // The builder is only needed to register the library; fastembed builds its own sessions.
        let _environment = ort::init_from(&files.onnxruntime).map_err(|e| EmbedError::Runtime {
            path: files.onnxruntime.clone(),
            reason: e.to_string(),
        })?;
        let model =
            UserDefinedEmbeddingModel::new(onnx, tokenizer_files).with_pooling(Pooling::Mean);
        let mut options = InitOptionsUserDefined::new().with_max_length(MAX_TOKENS);
        if let Some(t) = threads {
            options = options.with_intra_threads(t);
        }
        let model = TextEmbedding::try_new_from_user_defined(model, options)
            .map_err(|e| EmbedError::Model(e.to_string()))?;
        let embedder = Self {
            model: Mutex::new(model),
            batch_size: batch_size.max(1),
        };
        // Fail now, not at the first request, if the graph does not produce 384-d vectors.
        let probe = embedder.embed_query("start-up check")?;
        if probe.len() != MINILM_DIM {
            return Err(EmbedError::Model(format!(
                "model produced {} dimensions, expected {MINILM_DIM}",
                probe.len()
            )));
        }
        Ok(embedder)
    }

    /// Embeds in length order and returns vectors in input order: batches are padded to their longest
    /// text, so grouping similar lengths saves most of the padding work (NCD ingest: 67 s → 51 s).
    fn run(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        let sorted: Vec<&str> = order.iter().map(|&i| texts[i].as_str()).collect();
        let vectors = {
            let mut model = self.model.lock().map_err(|_| EmbedError::Poisoned)?;
            model
                .embed(&sorted, Some(self.batch_size))
                .map_err(|e| EmbedError::Model(e.to_string()))?
        };
        if vectors.len() != texts.len() {
            return Err(EmbedError::Model(format!(
                "{} vectors for {} texts",
                vectors.len(),
                texts.len()
            )));
        }
        let mut out = vec![Vec::new(); texts.len()];
        for (vector, &i) in vectors.into_iter().zip(&order) {
            out[i] = vector;
        }
        Ok(out)
    }
}

impl Embedder for MiniLmEmbedder {
    fn dim(&self) -> usize {
        MINILM_DIM
    }

    fn embed_passages(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.run(texts)
    }

    fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        self.run(&[text.to_string()])?
            .pop()
            .ok_or_else(|| EmbedError::Model("no vector returned".into()))
    }
}
