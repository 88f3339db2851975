//! Text embeddings. [`Embedder`] is the seam; [`MiniLmEmbedder`] runs all-MiniLM-L6-v2 (ONNX, mean pooling,
//! 256-token window) through fastembed and a dynamically loaded ONNX Runtime, all from local files.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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
        // The lock is held per batch, not per call: a question's embedding waits for one batch of an
        // ingest running in the same process, not for the whole ingest block.
        let mut vectors = Vec::with_capacity(texts.len());
        for batch in sorted.chunks(self.batch_size) {
            let mut model = self.model.lock().map_err(|_| EmbedError::Poisoned)?;
            vectors.extend(
                model
                    .embed(batch, Some(self.batch_size))
                    .map_err(|e| EmbedError::Model(e.to_string()))?,
            );
        }
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

/// An [`Embedder`] that remembers the vectors of the texts it embedded, so that a sentence or question
/// seen before costs a hash lookup instead of a model run. Bounded: past `capacity` texts, the oldest
/// are forgotten. Keys are the exact texts, so a hit can never return another text's vector.
pub struct CachingEmbedder {
    inner: Arc<dyn Embedder>,
    capacity: usize,
    cache: Mutex<TextCache>,
}

#[derive(Default)]
struct TextCache {
    passages: HashMap<String, Arc<[f32]>>,
    queries: HashMap<String, Arc<[f32]>>,
    /// Insertion order for eviction: (is_query, text).
    order: VecDeque<(bool, String)>,
}

impl TextCache {
    fn insert(&mut self, query: bool, text: &str, vector: &[f32], capacity: usize) {
        let map = if query {
            &mut self.queries
        } else {
            &mut self.passages
        };
        if map.insert(text.to_string(), vector.into()).is_none() {
            self.order.push_back((query, text.to_string()));
        }
        while self.order.len() > capacity {
            let Some((q, old)) = self.order.pop_front() else {
                break;
            };
            if q {
                self.queries.remove(&old);
            } else {
                self.passages.remove(&old);
            }
        }
    }
}

impl CachingEmbedder {
    /// Wraps `inner`, keeping up to `capacity` vectors (0 turns caching off).
    pub fn new(inner: Arc<dyn Embedder>, capacity: usize) -> Self {
        Self {
            inner,
            capacity,
            cache: Mutex::new(TextCache::default()),
        }
    }

    /// Texts whose vectors are held now.
    pub fn cached_texts(&self) -> usize {
        self.cache.lock().map(|c| c.order.len()).unwrap_or(0)
    }
}

impl Embedder for CachingEmbedder {
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    fn embed_passages(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if self.capacity == 0 {
            return self.inner.embed_passages(texts);
        }
        let mut out: Vec<Option<Vec<f32>>> = {
            let cache = self.cache.lock().map_err(|_| EmbedError::Poisoned)?;
            texts
                .iter()
                .map(|t| cache.passages.get(t).map(|v| v.to_vec()))
                .collect()
        };
        // Each distinct missing text once, in one model call.
        let mut missing: Vec<String> = Vec::new();
        let mut slot: HashMap<&str, usize> = HashMap::new();
        for (t, v) in texts.iter().zip(&out) {
            if v.is_none() && !slot.contains_key(t.as_str()) {
                slot.insert(t, missing.len());
                missing.push(t.clone());
            }
        }
        if !missing.is_empty() {
            let vectors = self.inner.embed_passages(&missing)?;
            if vectors.len() != missing.len() {
                return Err(EmbedError::Model(format!(
                    "{} vectors for {} texts",
                    vectors.len(),
                    missing.len()
                )));
            }
            let mut cache = self.cache.lock().map_err(|_| EmbedError::Poisoned)?;
            for (t, v) in missing.iter().zip(&vectors) {
                cache.insert(false, t, v, self.capacity);
            }
            for (t, o) in texts.iter().zip(out.iter_mut()) {
                if o.is_none() {
                    *o = slot.get(t.as_str()).map(|&i| vectors[i].clone());
                }
            }
        }
        Ok(out.into_iter().map(Option::unwrap_or_default).collect())
    }

    fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        if self.capacity == 0 {
            return self.inner.embed_query(text);
        }
        if let Some(v) = self
            .cache
            .lock()
            .map_err(|_| EmbedError::Poisoned)?
            .queries
            .get(text)
        {
            return Ok(v.to_vec());
        }
        let v = self.inner.embed_query(text)?;
        self.cache
            .lock()
            .map_err(|_| EmbedError::Poisoned)?
            .insert(true, text, &v, self.capacity);
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts the texts it is asked to embed; the vector is the text's length.
    struct Counting(AtomicUsize);

    impl Embedder for Counting {
        fn dim(&self) -> usize {
            1
        }
        fn embed_passages(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
            self.0.fetch_add(texts.len(), Ordering::SeqCst);
            Ok(texts.iter().map(|t| vec![t.len() as f32]).collect())
        }
        fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(vec![-(text.len() as f32)])
        }
    }

    #[test]
    fn cached_texts_are_not_embedded_again_and_eviction_keeps_the_bound() {
        let inner = Arc::new(Counting(AtomicUsize::new(0)));
        let cached = CachingEmbedder::new(inner.clone(), 3);
        let texts: Vec<String> = ["a", "bb", "a"].map(String::from).to_vec();
        assert_eq!(
            cached.embed_passages(&texts).expect("embed"),
            vec![vec![1.0], vec![2.0], vec![1.0]]
        );
        assert_eq!(
            inner.0.load(Ordering::SeqCst),
            2,
            "a duplicate is embedded once"
        );
        cached.embed_passages(&texts).expect("embed");
        assert_eq!(inner.0.load(Ordering::SeqCst), 2, "all hits");
        // Queries and passages are kept apart: a model may embed them differently.
        assert_eq!(cached.embed_query("a").expect("query"), vec![-1.0]);
        assert_eq!(inner.0.load(Ordering::SeqCst), 3);
        cached.embed_passages(&["cccc".to_string()]).expect("embed");
        assert_eq!(cached.cached_texts(), 3, "bounded");
        cached.embed_passages(&["a".to_string()]).expect("embed");
        assert_eq!(
            inner.0.load(Ordering::SeqCst),
            5,
            "the oldest entry was evicted"
        );
    }
}
