use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cited_core::{VersionFilter, VersionId};
use cited_lexical::{LexicalChunk, LexicalError, LexicalStore, terms};
use qdrant_client::qdrant::{
    Condition, CreateCollectionBuilder, FieldType, Filter, ListValue, Modifier, PointStruct,
    SparseVectorParamsBuilder, SparseVectorsConfigBuilder, Value, Vector, VectorInput, value::Kind,
};

use crate::{QdrantConnection, QdrantStoreError, VERSION_FIELD, version_filter};

/// Name of the sparse vector in each point.
const SPARSE_NAME: &str = "bm25";
/// Payload key of a chunk's distinct terms (keyword index): document frequencies for
/// [`LexicalStore::unknown_terms`] and [`LexicalStore::chunk_share`], which a sparse vector cannot give.
const TERMS_FIELD: &str = "terms";
/// BM25's term-frequency saturation and length normalisation, as tantivy uses them.
const K1: f32 = 1.2;
const B: f32 = 0.75;
/// How long a document frequency is reused. They change only when documents are ingested, possibly by
/// another node; they steer only the rare-word heuristics, so a short staleness is harmless.
const FREQUENCY_TTL: Duration = Duration::from_secs(30);

/// BM25 in the collection `<prefix>_bm25` of a Qdrant server: one point per chunk with a sparse vector
/// of BM25 term weights (term-frequency part, computed here) under the server's IDF modifier (the IDF
/// part, computed by the server over the whole collection), so a dot product with the query's terms is
/// the chunk's BM25 score. Terms are [`cited_lexical::terms`], the tantivy index's analysis; a term's
/// dimension is its 32-bit FNV-1a hash.
pub struct QdrantLexicalIndex {
    connection: Arc<QdrantConnection>,
    collection: String,
    avg_terms: f32,
    frequencies: Mutex<HashMap<String, (u64, Instant)>>,
}

impl QdrantLexicalIndex {
    /// Opens the collection, creating it when missing. `avg_terms` is BM25's average chunk length (in
    /// terms) used for length normalisation: fixed by configuration, since nodes index concurrently and
    /// no one of them sees the whole corpus.
    pub fn open(
        connection: Arc<QdrantConnection>,
        avg_terms: f32,
    ) -> Result<Self, QdrantStoreError> {
        let collection = connection.collection(SPARSE_NAME);
        let mut sparse = SparseVectorsConfigBuilder::default();
        sparse.add_named_vector_params(
            SPARSE_NAME,
            SparseVectorParamsBuilder::default().modifier(Modifier::Idf),
        );
        let create = CreateCollectionBuilder::new(collection.clone()).sparse_vectors_config(sparse);
        let info = connection.ensure_collection(&collection, create)?;
        let modifier = info
            .config
            .as_ref()
            .and_then(|c| c.params.as_ref())
            .and_then(|p| p.sparse_vectors_config.as_ref())
            .and_then(|s| s.map.get(SPARSE_NAME))
            .map(|p| p.modifier);
        if modifier != Some(Some(Modifier::Idf as i32)) {
            return Err(QdrantStoreError::Schema {
                collection,
                reason: format!("has no sparse vector {SPARSE_NAME:?} with the IDF modifier"),
            });
        }
        connection.ensure_index(&collection, Some(&info), VERSION_FIELD, FieldType::Integer)?;
        connection.ensure_index(&collection, Some(&info), TERMS_FIELD, FieldType::Keyword)?;
        Ok(Self {
            connection,
            collection,
            avg_terms: avg_terms.max(1.0),
            frequencies: Mutex::new(HashMap::new()),
        })
    }

    /// The collection's name.
    pub fn collection(&self) -> &str {
        &self.collection
    }

    /// Number of chunks containing `term` (already analysed), from the cache when fresh.
    fn document_frequency(&self, term: &str) -> Result<u64, LexicalError> {
        let filter = Filter::must([Condition::matches(TERMS_FIELD, term.to_string())]);
        self.cached_count(term, Some(filter))
    }

    /// Number of chunks, from the cache when fresh (asked for every rare-word check of a question).
    fn cached_len(&self) -> Result<u64, LexicalError> {
        // The empty string is never a term, so it can stand for "all chunks".
        self.cached_count("", None)
    }

    /// The number of chunks matching `filter`, cached under `key` for [`FREQUENCY_TTL`].
    fn cached_count(&self, key: &str, filter: Option<Filter>) -> Result<u64, LexicalError> {
        if let Ok(cache) = self.frequencies.lock()
            && let Some((count, at)) = cache.get(key)
            && at.elapsed() < FREQUENCY_TTL
        {
            return Ok(*count);
        }
        let count = self.connection.count(&self.collection, filter)?;
        if let Ok(mut cache) = self.frequencies.lock() {
            if cache.len() > 100_000 {
                cache.clear();
            }
            cache.insert(key.to_string(), (count, Instant::now()));
        }
        Ok(count)
    }

    fn forget_frequencies(&self) {
        if let Ok(mut cache) = self.frequencies.lock() {
            cache.clear();
        }
    }
}

/// A term's dimension in the sparse vectors.
fn dimension(term: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in term.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// BM25's term-frequency part for each distinct term of a chunk of `length` terms, by dimension (terms
/// that share a hash add up).
fn chunk_weights(chunk_terms: &[String], avg_terms: f32) -> BTreeMap<u32, f32> {
    let mut counts: HashMap<&str, f32> = HashMap::new();
    for t in chunk_terms {
        *counts.entry(t.as_str()).or_default() += 1.0;
    }
    let norm = K1 * (1.0 - B + B * chunk_terms.len() as f32 / avg_terms);
    let mut weights = BTreeMap::new();
    for (term, tf) in counts {
        *weights.entry(dimension(term)).or_default() += tf * (K1 + 1.0) / (tf + norm);
    }
    weights
}

/// A query's distinct terms, weight 1 each (so the score is BM25's sum over them).
fn query_weights(query_terms: &[String]) -> BTreeMap<u32, f32> {
    let mut seen: Vec<&str> = Vec::new();
    let mut weights = BTreeMap::new();
    for t in query_terms {
        if !seen.contains(&t.as_str()) {
            seen.push(t);
            *weights.entry(dimension(t)).or_default() += 1.0;
        }
    }
    weights
}

fn distinct(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items.dedup();
    items
}

impl LexicalStore for QdrantLexicalIndex {
    fn add(&self, chunks: &[LexicalChunk<'_>]) -> Result<(), LexicalError> {
        let mut structs: Vec<PointStruct> = Vec::with_capacity(chunks.len());
        for c in chunks {
            let chunk_terms = terms(c.text)?;
            let weights = chunk_weights(&chunk_terms, self.avg_terms);
            let (indices, values): (Vec<u32>, Vec<f32>) = weights.into_iter().unzip();
            let vectors: HashMap<String, Vector> =
                HashMap::from([(SPARSE_NAME.to_string(), Vector::new_sparse(indices, values))]);
            let listed = ListValue::from(
                distinct(chunk_terms)
                    .into_iter()
                    .map(Value::from)
                    .collect::<Vec<_>>(),
            );
            let payload: HashMap<&str, Value> = HashMap::from([
                (VERSION_FIELD, Value::from(c.version_id)),
                (
                    TERMS_FIELD,
                    Value {
                        kind: Some(Kind::ListValue(listed)),
                    },
                ),
            ]);
            structs.push(PointStruct::new(c.chunk_id, vectors, payload));
        }
        self.connection
            .upsert("upsert terms", &self.collection, structs)?;
        self.forget_frequencies();
        Ok(())
    }

    fn delete_versions(&self, ids: &[VersionId]) -> Result<(), LexicalError> {
        self.connection.delete_versions(&self.collection, ids)?;
        self.forget_frequencies();
        Ok(())
    }

    /// Writes wait for the server to apply them, so they are durable and visible already.
    fn commit(&self) -> Result<(), LexicalError> {
        Ok(())
    }

    fn count_version(&self, id: VersionId) -> Result<usize, LexicalError> {
        let filter = version_filter(&VersionFilter::Only(vec![id]));
        Ok(self.connection.count(&self.collection, filter)? as usize)
    }

    fn len(&self) -> Result<u64, LexicalError> {
        Ok(self.connection.count(&self.collection, None)?)
    }

    fn unknown_terms(&self, text: &str) -> Result<Vec<String>, LexicalError> {
        let mut unknown: Vec<String> = Vec::new();
        for term in terms(text)? {
            if !unknown.contains(&term) && self.document_frequency(&term)? == 0 {
                unknown.push(term);
            }
        }
        Ok(unknown)
    }

    fn chunk_share(&self, word: &str) -> Result<f64, LexicalError> {
        let total = self.cached_len()?;
        if total == 0 {
            return Ok(0.0);
        }
        let mut best: Option<u64> = None;
        for term in terms(word)? {
            best = Some(best.unwrap_or(0).max(self.document_frequency(&term)?));
        }
        Ok(best.map_or(1.0, |b| b as f64 / total as f64))
    }

    fn search(
        &self,
        query: &str,
        filter: &VersionFilter,
        limit: usize,
    ) -> Result<Vec<(u64, f32)>, LexicalError> {
        if filter.is_empty_match() || limit == 0 {
            return Ok(Vec::new());
        }
        let weights = query_weights(&terms(query)?);
        if weights.is_empty() {
            return Ok(Vec::new());
        }
        let (indices, values): (Vec<u32>, Vec<f32>) = weights.into_iter().unzip();
        Ok(self.connection.nearest(
            "search terms",
            &self.collection,
            SPARSE_NAME,
            VectorInput::new_sparse(indices, values),
            version_filter(filter),
            limit,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_saturate_and_normalise_by_length() {
        let one = vec!["oxygen".to_string()];
        let three = vec!["oxygen".to_string(); 3];
        let w1 = chunk_weights(&one, 1.0)[&dimension("oxygen")];
        let w3 = chunk_weights(&three, 3.0)[&dimension("oxygen")];
        assert!(w3 > w1 && w3 < (K1 + 1.0), "tf saturates: {w1} {w3}");
        let long: Vec<String> = std::iter::once("oxygen".to_string())
            .chain((0..99).map(|i| format!("w{i}")))
            .collect();
        let short_w = chunk_weights(&one, 10.0)[&dimension("oxygen")];
        let long_w = chunk_weights(&long, 10.0)[&dimension("oxygen")];
        assert!(short_w > long_w, "a term counts more in a short chunk");
    }

    #[test]
    fn query_terms_count_once() {
        let q = vec![
            "oxygen".to_string(),
            "home".to_string(),
            "oxygen".to_string(),
        ];
        let w = query_weights(&q);
        assert_eq!(w.len(), 2);
        assert!(w.values().all(|v| (*v - 1.0).abs() < f32::EPSILON));
    }
}
