//! The write path. Commit protocol: a version and its chunks are first recorded *pending* in the catalog,
//! then written to both indexes, then both indexes commit, and only then does the catalog mark the version
//! committed. Search only sees committed versions, and start-up recovery deletes the index entries of
//! pending ones, so a crash at any step leaves no half document.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::Utc;
use cited_catalog::{CatalogError, NewVersion};
use cited_core::{VersionId, VersionStatus, in_force_on};
use cited_ingest::{ParsedDocument, discover, parse_file, sidecar_path};
use cited_lexical::{LexicalChunk, LexicalStore};
use cited_vectors::{VectorPoint, VectorStore};
use serde::Serialize;

use crate::{Engine, EngineError};

/// Chunks embedded per call: bounds memory, and gives the embedder's length sorting enough chunks to form
/// batches of similar length.
const EMBED_BLOCK: usize = 256;

/// A file that was rejected, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedFile {
    /// The file (or document id for in-memory sources).
    pub path: String,
    /// Why.
    pub reason: String,
}

/// What one version of the run came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionOutcome {
    /// Document id.
    pub doc_id: String,
    /// Version label.
    pub version: String,
    /// `added` (new document), `updated` (new version of a known one) or `unchanged`.
    pub outcome: &'static str,
    /// Chunks written (0 when unchanged).
    pub chunks: usize,
}

/// Summary of an ingest run (`cited ingest --json` prints it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    /// Files considered (supported types).
    pub files: usize,
    /// New documents.
    pub added: usize,
    /// New versions of known documents.
    pub updated: usize,
    /// Files or versions already in the catalog with the same content.
    pub unchanged: usize,
    /// Versions that stopped being in force today because a new version took over.
    pub superseded: usize,
    /// Rejected files with reasons.
    pub failed: Vec<FailedFile>,
    /// Files passed over (unsupported types).
    pub skipped: Vec<FailedFile>,
    /// Chunks written.
    pub chunks: usize,
    /// Passages embedded.
    pub embedded: usize,
    /// Per-version outcomes.
    pub versions: Vec<VersionOutcome>,
    /// What was ingested but looks wrong: a new version whose title differs from its document's earlier
    /// versions may be a different document that reused an id (it becomes that document's newer version).
    pub warnings: Vec<String>,
    /// Wall time.
    pub took_ms: u64,
}

/// Progress of a run, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct IngestProgress<'a> {
    /// Files done.
    pub done: usize,
    /// Files in the run.
    pub total: usize,
    /// The file being read.
    pub current: &'a Path,
}

struct PendingChunk {
    chunk_id: u64,
    version_id: VersionId,
    text: String,
}

#[derive(Default)]
struct Batch {
    versions: Vec<VersionId>,
    sources: Vec<(String, String, VersionId)>,
    chunks: Vec<PendingChunk>,
}

/// Versions that may end up superseded by this run, by document: the one in force before the run and
/// every version the run adds.
type Touched = BTreeMap<String, HashSet<VersionId>>;

/// The text both indexes see for a chunk: title and section trail give the passage its context.
fn indexed_text(title: &str, section: &str, body: &str) -> String {
    if section.is_empty() {
        format!("{title}\n\n{body}")
    } else {
        format!("{title}\n{section}\n\n{body}")
    }
}

fn fingerprint(path: &Path) -> std::io::Result<String> {
    let mut bytes = std::fs::read(path)?;
    if let Some(sidecar) = sidecar_path(path) {
        bytes.extend_from_slice(b"\0sidecar\0");
        bytes.extend(std::fs::read(sidecar)?);
    }
    Ok(cited_core::content_hash(&bytes))
}

impl Engine {
    /// Ingests files and folders (recursively). Rejected files are listed in the report with their reasons and
    /// never stop the others; an `Err` means the data directory itself failed.
    pub fn ingest_paths(
        &self,
        paths: &[PathBuf],
        progress: &mut dyn FnMut(IngestProgress<'_>),
    ) -> Result<IngestReport, EngineError> {
        let _writer = self.writer();
        let _lease = self.ingest_lease()?;
        self.cleaning_up_on_failure(self.ingest_paths_as_writer(paths, progress))
    }

    /// A failed ingest (a full disk, a model error) leaves pending versions; a long-running process removes
    /// them at once instead of at its next start, so their chunks never linger in the indexes.
    fn cleaning_up_on_failure<T>(&self, result: Result<T, EngineError>) -> Result<T, EngineError> {
        if result.is_err() {
            match self.recover_as_writer() {
                Ok(r) if r.removed_pending_versions > 0 => tracing::warn!(
                    versions = r.removed_pending_versions,
                    "ingest failed: removed its pending versions"
                ),
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = %e, "ingest failed and its pending versions remain until restart")
                }
            }
        }
        result
    }

    fn ingest_paths_as_writer(
        &self,
        paths: &[PathBuf],
        progress: &mut dyn FnMut(IngestProgress<'_>),
    ) -> Result<IngestReport, EngineError> {
        let started = Instant::now();
        let (files, skipped) = discover(paths);
        let mut report = IngestReport {
            files: files.len(),
            ..IngestReport::default()
        };
        for s in skipped {
            let entry = FailedFile {
                path: s.path.display().to_string(),
                reason: s.reason,
            };
            if s.failed {
                report.failed.push(entry);
            } else {
                if !entry.reason.starts_with("unsupported") {
                    tracing::warn!(path = %entry.path, reason = %entry.reason, "file skipped");
                }
                report.skipped.push(entry);
            }
        }
        let options = self.parse_options();
        let mut touched = Touched::new();
        let mut batch = Batch::default();
        let mut docs_in_batch = 0;
        for (i, file) in files.iter().enumerate() {
            progress(IngestProgress {
                done: i,
                total: files.len(),
                current: &file.path,
            });
            let key = file
                .path
                .canonicalize()
                .unwrap_or_else(|_| file.path.clone())
                .display()
                .to_string();
            let fp = match fingerprint(&file.path) {
                Ok(fp) => fp,
                Err(e) => {
                    report.failed.push(FailedFile {
                        path: file.path.display().to_string(),
                        reason: format!("cannot read: {e}"),
                    });
                    continue;
                }
            };
            if self.catalog.unchanged_source(&key, &fp)?.is_some() {
                report.unchanged += 1;
                continue;
            }
            match parse_file(file, &options) {
                Ok(doc) => {
                    if self.stage(doc, Some((key, fp)), &mut batch, &mut touched, &mut report)? {
                        docs_in_batch += 1;
                    }
                }
                Err(e) => report.failed.push(FailedFile {
                    path: file.path.display().to_string(),
                    reason: e.to_string(),
                }),
            }
            if docs_in_batch >= self.config.ingest.commit_every {
                self.commit_batch(std::mem::take(&mut batch), &mut report)?;
                docs_in_batch = 0;
            }
        }
        self.finish(batch, &touched, &mut report, started)?;
        Ok(report)
    }

    /// Ingests documents already parsed (evals over JSONL corpora). Same protocol as files.
    pub fn ingest_documents(
        &self,
        docs: Vec<ParsedDocument>,
        progress: &mut dyn FnMut(IngestProgress<'_>),
    ) -> Result<IngestReport, EngineError> {
        let _writer = self.writer();
        let _lease = self.ingest_lease()?;
        self.cleaning_up_on_failure(self.ingest_documents_as_writer(docs, progress))
    }

    fn ingest_documents_as_writer(
        &self,
        docs: Vec<ParsedDocument>,
        progress: &mut dyn FnMut(IngestProgress<'_>),
    ) -> Result<IngestReport, EngineError> {
        let started = Instant::now();
        let mut report = IngestReport {
            files: docs.len(),
            ..IngestReport::default()
        };
        let mut touched = Touched::new();
        let mut batch = Batch::default();
        let mut docs_in_batch = 0;
        let total = docs.len();
        for (i, doc) in docs.into_iter().enumerate() {
            progress(IngestProgress {
                done: i,
                total,
                current: Path::new(&doc.source),
            });
            if self.stage(doc, None, &mut batch, &mut touched, &mut report)? {
                docs_in_batch += 1;
            }
            if docs_in_batch >= self.config.ingest.commit_every {
                self.commit_batch(std::mem::take(&mut batch), &mut report)?;
                docs_in_batch = 0;
            }
        }
        self.finish(batch, &touched, &mut report, started)?;
        Ok(report)
    }

    fn finish(
        &self,
        batch: Batch,
        touched: &Touched,
        report: &mut IngestReport,
        started: Instant,
    ) -> Result<(), EngineError> {
        self.commit_batch(batch, report)?;
        report.superseded = self.count_superseded(touched)?;
        if report.chunks > 0 {
            // Qdrant Edge builds its HNSW graph only when asked.
            self.vectors.optimize()?;
            self.vectors.flush()?;
        }
        report.took_ms = started.elapsed().as_millis() as u64;
        Ok(())
    }

    /// Records one parsed document as a pending version and queues its chunks. Returns whether a new
    /// version was staged.
    fn stage(
        &self,
        doc: ParsedDocument,
        source: Option<(String, String)>,
        batch: &mut Batch,
        touched: &mut Touched,
        report: &mut IngestReport,
    ) -> Result<bool, EngineError> {
        if let Some(existing) = self.catalog.find_version(&doc.doc_id, &doc.version)? {
            if existing.content_hash == doc.content_hash {
                report.unchanged += 1;
                report.versions.push(VersionOutcome {
                    doc_id: doc.doc_id,
                    version: doc.version,
                    outcome: "unchanged",
                    chunks: 0,
                });
                if let Some((key, fp)) = source {
                    if existing.state == cited_core::VersionState::Committed {
                        self.catalog.record_source(&key, &fp, existing.version_id)?;
                    } else {
                        batch.sources.push((key, fp, existing.version_id));
                    }
                }
                return Ok(false);
            }
            let conflict = CatalogError::VersionConflict {
                doc_id: doc.doc_id.clone(),
                version: doc.version.clone(),
                existing: existing.content_hash,
                existing_source: existing.source,
            };
            report.failed.push(FailedFile {
                path: doc.source.clone(),
                reason: conflict.to_string(),
            });
            return Ok(false);
        }
        let chunks = self.chunker()?.chunk(&doc);
        if chunks.is_empty() {
            report.failed.push(FailedFile {
                path: doc.source.clone(),
                reason: "no text to index after extraction".into(),
            });
            return Ok(false);
        }
        let earlier = self.catalog.versions_of(&doc.doc_id)?;
        let committed: Vec<_> = earlier
            .iter()
            .filter(|v| v.state == cited_core::VersionState::Committed)
            .map(|v| v.timeline())
            .collect();
        let is_update = !earlier.is_empty();
        let same_title = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
        if let Some(last) = earlier.iter().max_by_key(|v| v.ingest_seq)
            && !same_title(&last.title, &doc.title)
        {
            report.warnings.push(format!(
                "{} v{} is titled {:?} but v{} is titled {:?}: if they are different documents, give one \
                 its own id (it was ingested as a new version of the other)",
                doc.doc_id, doc.version, doc.title, last.version, last.title
            ));
        }
        let new = NewVersion {
            doc_id: &doc.doc_id,
            version: &doc.version,
            title: &doc.title,
            doc_type: &doc.doc_type,
            effective_date: doc.effective_date,
            end_date: doc.end_date,
            declared_status: doc.declared_status.as_deref(),
            content_hash: &doc.content_hash,
            source: &doc.source,
            metadata: &doc.metadata,
            canonical_text: &doc.canonical_text,
        };
        let (version_id, chunk_ids) = self.catalog.insert_pending(&new, &chunks)?;
        batch.versions.push(version_id);
        if let Some((key, fp)) = source {
            batch.sources.push((key, fp, version_id));
        }
        let candidates = touched.entry(doc.doc_id.clone()).or_default();
        candidates.insert(version_id);
        candidates.extend(in_force_on(&committed, Utc::now().date_naive()).0);
        for (chunk, id) in chunks.iter().zip(chunk_ids) {
            let body = &doc.canonical_text[chunk.start..chunk.end];
            batch.chunks.push(PendingChunk {
                chunk_id: id,
                version_id,
                text: indexed_text(&doc.title, &chunk.section, body),
            });
        }
        if is_update {
            report.updated += 1;
        } else {
            report.added += 1;
        }
        report.chunks += chunks.len();
        report.versions.push(VersionOutcome {
            doc_id: doc.doc_id,
            version: doc.version,
            outcome: if is_update { "updated" } else { "added" },
            chunks: chunks.len(),
        });
        if batch.chunks.len() >= EMBED_BLOCK {
            self.index_chunks(std::mem::take(&mut batch.chunks), report)?;
        }
        Ok(true)
    }

    /// Embeds chunks and writes them to both indexes (not yet committed).
    fn index_chunks(
        &self,
        chunks: Vec<PendingChunk>,
        report: &mut IngestReport,
    ) -> Result<(), EngineError> {
        if chunks.is_empty() {
            return Ok(());
        }
        let texts: Vec<String> = chunks.iter().map(|c| c.text.clone()).collect();
        let embed_started = Instant::now();
        let vectors = self.embedder()?.embed_passages(&texts)?;
        tracing::debug!(
            passages = texts.len(),
            ms = embed_started.elapsed().as_millis() as u64,
            "embedded"
        );
        if vectors.len() != chunks.len() {
            return Err(EngineError::Internal(format!(
                "embedder returned {} vectors for {} passages",
                vectors.len(),
                chunks.len()
            )));
        }
        report.embedded += vectors.len();
        let lexical: Vec<LexicalChunk<'_>> = chunks
            .iter()
            .map(|c| LexicalChunk {
                chunk_id: c.chunk_id,
                version_id: c.version_id,
                text: &c.text,
            })
            .collect();
        self.lexical.add(&lexical)?;
        let points = chunks
            .iter()
            .zip(vectors)
            .map(|(c, vector)| VectorPoint {
                chunk_id: c.chunk_id,
                version_id: c.version_id,
                vector,
            })
            .collect();
        self.vectors.upsert(points)?;
        Ok(())
    }

    /// Makes a batch durable in both indexes, then (and only then) marks its versions committed.
    fn commit_batch(&self, mut batch: Batch, report: &mut IngestReport) -> Result<(), EngineError> {
        self.index_chunks(std::mem::take(&mut batch.chunks), report)?;
        if batch.versions.is_empty() && batch.sources.is_empty() {
            return Ok(());
        }
        if !batch.versions.is_empty() {
            self.lexical.commit()?;
            self.vectors.flush()?;
            self.catalog.commit_versions(&batch.versions)?;
        }
        for (key, fp, version_id) in &batch.sources {
            self.catalog.record_source(key, fp, *version_id)?;
        }
        Ok(())
    }

    /// Versions this run pushed out of force today: the previously active one, or one the run itself
    /// added, that is now superseded by a newer version.
    fn count_superseded(&self, touched: &Touched) -> Result<usize, EngineError> {
        let today = Utc::now().date_naive();
        let mut count = 0;
        for (doc_id, candidates) in touched {
            let versions = self.catalog.versions_of(doc_id)?;
            let timelines: Vec<_> = versions
                .iter()
                .filter(|v| v.state == cited_core::VersionState::Committed)
                .map(|v| v.timeline())
                .collect();
            let (_, statuses) = in_force_on(&timelines, today);
            count += timelines
                .iter()
                .zip(statuses)
                .filter(|(t, s)| {
                    candidates.contains(&t.version_id) && *s == VersionStatus::Superseded
                })
                .count();
        }
        Ok(count)
    }
}

/// What [`Engine::copy_indexes_to_qdrant`] copied.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct IndexCopyReport {
    /// Vectors copied as stored (nothing re-embedded).
    pub vectors: usize,
    /// Chunks of committed versions indexed for BM25.
    pub lexical_chunks: usize,
}

impl Engine {
    /// Copies this data directory's indexes into the collections of a Qdrant server (`cited migrate
    /// --to-qdrant`): every vector as stored, so nothing is re-embedded, and the indexed text of every
    /// chunk of a committed version for BM25. The collections must be empty: copying into a deployment
    /// already in use would mix two catalogs' chunk ids.
    pub fn copy_indexes_to_qdrant(
        &self,
        settings: cited_qdrant::QdrantSettings,
        avg_terms: f32,
    ) -> Result<IndexCopyReport, EngineError> {
        let _writer = self.writer();
        let _lease = self.ingest_lease()?;
        let server = cited_qdrant::QdrantConnection::connect(settings)?;
        let vectors =
            cited_qdrant::QdrantVectorStore::open(server.clone(), cited_embed::MINILM_DIM)?;
        let lexical = cited_qdrant::QdrantLexicalIndex::open(server, avg_terms)?;
        if !vectors.is_empty()? || !lexical.is_empty()? {
            return Err(EngineError::Internal(format!(
                "the collections {} and {} already hold points: copy into empty ones (another \
                 storage.qdrant_collection prefix)",
                vectors.collection(),
                lexical.collection()
            )));
        }
        let mut report = IndexCopyReport::default();
        let mut from = None;
        loop {
            let (page, next) = self.vectors.scroll(from, 512)?;
            report.vectors += page.len();
            vectors.upsert(page)?;
            match next {
                Some(n) => from = Some(n),
                None => break,
            }
        }
        for version in self.catalog.committed_versions()? {
            let ids = self.catalog.chunk_ids_of(version.version_id)?;
            let chunks = self.catalog.chunks(&ids)?;
            let texts: Vec<String> = chunks
                .iter()
                .map(|c| indexed_text(&c.title, &c.chunk.span.section, &c.chunk.text))
                .collect();
            let batch: Vec<LexicalChunk<'_>> = chunks
                .iter()
                .zip(&texts)
                .map(|(c, text)| LexicalChunk {
                    chunk_id: c.chunk.chunk_id,
                    version_id: c.chunk.version_id,
                    text,
                })
                .collect();
            report.lexical_chunks += batch.len();
            lexical.add(&batch)?;
        }
        lexical.commit()?;
        Ok(report)
    }
}
