//! The read path: which versions may be searched (in force on a date, metadata filters), hybrid retrieval
//! with the filter applied inside both indexes, fusion, and the catalog lookups that turn ids into hits.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use cited_catalog::RestrictedDocument;
use cited_core::{
    Access, DocumentVersion, MetadataFilter, SearchHit, SearchMode, SearchRequest, VersionFilter,
    VersionId, in_force_on,
};
use serde::Serialize;

use crate::fusion::fuse;
use crate::{BadRequestCode, Engine, EngineError};

/// What one caller may not read.
#[derive(Debug, Default)]
pub(crate) struct Hidden {
    /// Document ids.
    pub docs: HashSet<String>,
    /// Every version of those documents.
    pub versions: HashSet<VersionId>,
}

pub(crate) struct InForceCache {
    generation: i64,
    date: NaiveDate,
    in_force: Vec<VersionId>,
    known: Vec<VersionId>,
}

/// Search results.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResponse {
    /// Retrievers used.
    pub mode: SearchMode,
    /// The date whose in-force versions were searched.
    pub as_of: NaiveDate,
    /// Hits, best first.
    pub hits: Vec<SearchHit>,
    /// Wall time of the search.
    pub took_ms: f64,
}

/// Versions grouped by document id, in catalog order.
pub(crate) fn group_by_doc(versions: &[DocumentVersion]) -> BTreeMap<&str, Vec<&DocumentVersion>> {
    let mut by_doc: BTreeMap<&str, Vec<&DocumentVersion>> = BTreeMap::new();
    for v in versions {
        by_doc.entry(v.doc_id.as_str()).or_default().push(v);
    }
    by_doc
}

impl Engine {
    fn in_force(&self, date: NaiveDate) -> Result<(Vec<VersionId>, Vec<VersionId>), EngineError> {
        let generation = self.catalog.generation()?;
        let mut cache = self
            .in_force_cache
            .lock()
            .map_err(|_| EngineError::Internal("cache lock poisoned".into()))?;
        if let Some(c) = cache.as_ref()
            && c.generation == generation
            && c.date == date
        {
            return Ok((c.in_force.clone(), c.known.clone()));
        }
        let committed = self.catalog.committed_versions()?;
        let mut in_force = Vec::new();
        for versions in group_by_doc(&committed).values() {
            let timelines: Vec<_> = versions.iter().map(|v| v.timeline()).collect();
            in_force.extend(in_force_on(&timelines, date).0);
        }
        in_force.sort_unstable();
        let mut known = self.catalog.all_version_ids()?;
        known.sort_unstable();
        *cache = Some(InForceCache {
            generation,
            date,
            in_force: in_force.clone(),
            known: known.clone(),
        });
        Ok((in_force, known))
    }

    /// Documents restricted to an audience, by catalog generation.
    fn restricted_documents(&self) -> Result<Arc<Vec<RestrictedDocument>>, EngineError> {
        let generation = self.catalog.generation()?;
        let mut cache = self
            .audience_cache
            .lock()
            .map_err(|_| EngineError::Internal("cache lock poisoned".into()))?;
        if let Some((g, docs)) = cache.as_ref()
            && *g == generation
        {
            return Ok(docs.clone());
        }
        let docs = Arc::new(self.catalog.restricted_documents()?);
        *cache = Some((generation, docs.clone()));
        Ok(docs)
    }

    /// The documents `access` may not read, and all their versions. A document is read whole or not at
    /// all: if any version's audience excludes the caller, every version is hidden, so no version history,
    /// comparison or "what changed" answer can reach the restricted one.
    pub(crate) fn hidden(&self, access: &Access) -> Result<Hidden, EngineError> {
        let mut hidden = Hidden::default();
        if *access == Access::Operator {
            return Ok(hidden);
        }
        for doc in self.restricted_documents()?.iter() {
            if doc.audiences.iter().any(|a| !access.may_read(Some(a))) {
                hidden.docs.insert(doc.doc_id.clone());
                hidden.versions.extend(doc.version_ids.iter().copied());
            }
        }
        Ok(hidden)
    }

    /// The versions a search on `date` with `filters` by a caller with `access` may return, in whichever
    /// form is smaller. Both indexes apply it, so a restricted version never leaves an index.
    pub fn version_filter(
        &self,
        date: NaiveDate,
        filters: &[MetadataFilter],
        access: &Access,
    ) -> Result<VersionFilter, EngineError> {
        let (mut allowed, known) = self.in_force(date)?;
        if !filters.is_empty() {
            let matching = self.catalog.versions_matching(filters)?;
            allowed.retain(|id| matching.contains(id));
        }
        let hidden = self.hidden(access)?;
        allowed.retain(|id| !hidden.versions.contains(id));
        let allowed_set: HashSet<VersionId> = allowed.iter().copied().collect();
        let excluded: Vec<VersionId> = known
            .into_iter()
            .filter(|id| !allowed_set.contains(id))
            .collect();
        Ok(if allowed.len() <= excluded.len() {
            VersionFilter::Only(allowed)
        } else {
            VersionFilter::Except(excluded)
        })
    }

    /// Refuses a query the engine will not run, with a stable code: an empty or over-long text, `k` of 0
    /// or above `limits.max_k`, a filter on a field no document has (which would silently match nothing).
    pub fn check_query(
        &self,
        text: &str,
        k: usize,
        filters: &[MetadataFilter],
    ) -> Result<(), EngineError> {
        let limits = &self.config.limits;
        if text.trim().is_empty() {
            return Err(EngineError::bad_request(
                BadRequestCode::QuestionEmpty,
                "the question is empty",
            ));
        }
        let chars = text.chars().count();
        if chars > limits.max_question_chars {
            return Err(EngineError::bad_request(
                BadRequestCode::QuestionTooLong,
                format!(
                    "the question is {chars} characters long; the limit is {} (limits.max_question_chars)",
                    limits.max_question_chars
                ),
            ));
        }
        if k == 0 || k > limits.max_k {
            return Err(EngineError::bad_request(
                BadRequestCode::KOutOfRange,
                format!("k must be 1..={} (limits.max_k), got {k}", limits.max_k),
            ));
        }
        self.check_filters(filters)
    }

    /// Refuses a filter on a field no document has (it would silently match nothing).
    pub(crate) fn check_filters(&self, filters: &[MetadataFilter]) -> Result<(), EngineError> {
        if !filters.is_empty() {
            let known = self.catalog.filter_keys()?;
            if let Some(f) = filters.iter().find(|f| !known.contains(&f.key)) {
                let names: Vec<&str> = known.iter().map(String::as_str).collect();
                return Err(EngineError::bad_request(
                    BadRequestCode::BadFilter,
                    format!(
                        "no document has the field {:?}; filter on one of: {}",
                        f.key,
                        names.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Runs a search. BM25 and dense retrieval both apply the version filter inside their index.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse, EngineError> {
        self.check_query(&request.query, request.k, &request.filters)?;
        let as_of = request.as_of.unwrap_or_else(|| Utc::now().date_naive());
        let filter = self.version_filter(as_of, &request.filters, &request.access)?;
        self.search_versions(request, &filter)
    }

    /// The versions a search on `date` with `filters` may return, plus the committed versions that are
    /// not in force then: every version a question can name in its own words ("version 1", "the retired
    /// policy").
    pub(crate) fn all_versions_filter(
        &self,
        filters: &[MetadataFilter],
        access: &Access,
    ) -> Result<VersionFilter, EngineError> {
        let hidden = self.hidden(access)?;
        let mut ids: Vec<VersionId> = self
            .catalog
            .committed_versions()?
            .into_iter()
            .map(|v| v.version_id)
            .filter(|id| !hidden.versions.contains(id))
            .collect();
        if !filters.is_empty() {
            let matching = self.catalog.versions_matching(filters)?;
            ids.retain(|id| matching.contains(id));
        }
        Ok(VersionFilter::Only(ids))
    }

    /// Runs a search over exactly the versions `filter` allows (its `as_of` is only reported).
    pub(crate) fn search_versions(
        &self,
        request: &SearchRequest,
        filter: &VersionFilter,
    ) -> Result<SearchResponse, EngineError> {
        let started = Instant::now();
        let as_of = request.as_of.unwrap_or_else(|| Utc::now().date_naive());
        let filter = filter.clone();
        let candidates = self.config.search.candidates.max(request.k);
        let lexical = || -> Result<Vec<(u64, f32)>, EngineError> {
            if request.mode == SearchMode::Dense {
                return Ok(Vec::new());
            }
            Ok(self.lexical.search(&request.query, &filter, candidates)?)
        };
        let dense = || -> Result<Vec<(u64, f32)>, EngineError> {
            if request.mode == SearchMode::Bm25 || request.query.trim().is_empty() {
                return Ok(Vec::new());
            }
            let vector = self.read_embedder()?.embed_query(&request.query)?;
            Ok(self.vectors.search(&vector, &filter, candidates)?)
        };
        // A lexical store on a server answers over the network: ask it while the question is embedded
        // and the vectors searched, instead of one after the other.
        let (bm25, dense) = if self.config.storage.lexical == "qdrant" {
            std::thread::scope(|scope| {
                let bm25 = scope.spawn(lexical);
                let dense = dense();
                let bm25 = bm25.join().unwrap_or_else(|_| {
                    Err(EngineError::Internal("lexical search panicked".into()))
                });
                (bm25, dense)
            })
        } else {
            (lexical(), dense())
        };
        let (bm25, dense) = (bm25?, dense?);
        let rank_of = |list: &[(u64, f32)]| -> HashMap<u64, (usize, f32)> {
            list.iter()
                .enumerate()
                .map(|(i, (id, score))| (*id, (i + 1, *score)))
                .collect()
        };
        let (bm25_ranks, dense_ranks) = (rank_of(&bm25), rank_of(&dense));
        let ranked: Vec<(u64, f32)> = match request.mode {
            SearchMode::Bm25 => bm25.into_iter().take(request.k).collect(),
            SearchMode::Dense => dense.into_iter().take(request.k).collect(),
            SearchMode::Hybrid => fuse(self.config.fusion()?, &bm25, &dense, request.k),
        };
        let ids: Vec<u64> = ranked.iter().map(|(id, _)| *id).collect();
        let chunks = self.catalog.chunks(&ids)?;
        let mut hits = Vec::with_capacity(chunks.len());
        let scores: HashMap<u64, f32> = ranked.iter().copied().collect();
        for c in chunks {
            let score = scores.get(&c.chunk.chunk_id).copied().unwrap_or_default();
            // The indexes already filtered; this guards the invariant that no other version leaks out.
            if !filter.allows(c.chunk.version_id) {
                continue;
            }
            hits.push(SearchHit {
                rank: hits.len() + 1,
                score,
                chunk_id: c.chunk.chunk_id,
                doc_id: c.doc_id,
                version: c.version,
                title: c.title,
                section: c.chunk.span.section,
                page: c.chunk.span.page,
                start: c.chunk.span.start,
                end: c.chunk.span.end,
                text: c.chunk.text,
                bm25_rank: bm25_ranks.get(&c.chunk.chunk_id).map(|r| r.0),
                dense_rank: dense_ranks.get(&c.chunk.chunk_id).map(|r| r.0),
                bm25_score: bm25_ranks.get(&c.chunk.chunk_id).map(|r| r.1),
                dense_score: dense_ranks.get(&c.chunk.chunk_id).map(|r| r.1),
            });
        }
        Ok(SearchResponse {
            mode: request.mode,
            as_of,
            hits,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// Question words that no indexed chunk contains (see [`cited_lexical::LexicalStore::unknown_terms`]).
    pub fn unknown_terms(&self, text: &str) -> Result<Vec<String>, EngineError> {
        Ok(self.lexical.unknown_terms(text)?)
    }

    /// Whether a citation's quote is exactly `canonical_text[start..end]` of the version it names, and that
    /// version still has the content hash the citation carries.
    pub fn citation_is_verbatim(&self, c: &cited_core::Citation) -> Result<bool, EngineError> {
        Ok(match self.catalog.find_version(&c.doc_id, &c.version)? {
            Some(v) => {
                v.content_hash == c.content_hash
                    && self.version_text(v.version_id)?.get(c.start..c.end)
                        == Some(c.quote.as_str())
            }
            None => false,
        })
    }

    /// Canonical text of a version, from the engine's text cache when it holds it. A version's text never
    /// changes and version ids are never reused, so a cached text is never stale; the cache saves a catalog
    /// round trip (and, on a server, the transfer of the whole text) per citation checked.
    pub fn version_text(&self, version_id: VersionId) -> Result<Arc<str>, EngineError> {
        if let Ok(cache) = self.text_cache.lock()
            && let Some(text) = cache.texts.get(&version_id)
        {
            return Ok(text.clone());
        }
        let text: Arc<str> = self
            .catalog
            .canonical_text(version_id)?
            .ok_or_else(|| EngineError::NotFound(format!("no version with id {version_id}")))?
            .into();
        if let Ok(mut cache) = self.text_cache.lock() {
            if cache.bytes + text.len() > TEXT_CACHE_BYTES {
                cache.texts.clear();
                cache.bytes = 0;
            }
            cache.bytes += text.len();
            cache.texts.insert(version_id, text.clone());
        }
        Ok(text)
    }
}

/// Bytes of canonical text the engine keeps in memory at most (emptied, not evicted one by one, when full).
const TEXT_CACHE_BYTES: usize = 64 << 20;

/// Canonical texts by version id (see [`Engine::version_text`]).
#[derive(Default)]
pub(crate) struct TextCache {
    texts: HashMap<VersionId, Arc<str>>,
    bytes: usize,
}
