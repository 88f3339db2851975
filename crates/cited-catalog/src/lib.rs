//! The catalog: documents, versions (with their canonical text), chunks and source fingerprints in one
//! SQLite file. It is the source of truth: the indexes hold copies keyed by chunk id, and only versions the
//! catalog marks committed are ever searched.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;

use chrono::{NaiveDate, Utc};
use cited_core::{Chunk, DocumentVersion, MetadataFilter, NewChunk, VersionId, VersionState};
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

/// Catalog failures.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// SQLite said no.
    #[error("catalog database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Stored JSON that does not parse (a damaged catalog).
    #[error("catalog metadata JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A stored date that does not parse (a damaged catalog).
    #[error("catalog date {0:?} is not YYYY-MM-DD")]
    Date(String),
    /// The lock around the connection was poisoned by a panic elsewhere.
    #[error("catalog lock poisoned")]
    Poisoned,
    /// The same document version exists with other content.
    #[error(
        "{doc_id} version {version} is already in the catalog with different content (hash {existing}); give the new text a new version label"
    )]
    VersionConflict {
        /// Document id.
        doc_id: String,
        /// Version label.
        version: String,
        /// Hash of the stored text.
        existing: String,
    },
}

type Result<T> = std::result::Result<T, CatalogError>;

/// A version about to be recorded.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    /// Document id.
    pub doc_id: &'a str,
    /// Version label.
    pub version: &'a str,
    /// Title.
    pub title: &'a str,
    /// Document type.
    pub doc_type: &'a str,
    /// First day in force.
    pub effective_date: Option<NaiveDate>,
    /// Termination date.
    pub end_date: Option<NaiveDate>,
    /// Declared status.
    pub declared_status: Option<&'a str>,
    /// SHA-256 of the canonical text.
    pub content_hash: &'a str,
    /// Source path.
    pub source: &'a str,
    /// All metadata.
    pub metadata: &'a serde_json::Map<String, serde_json::Value>,
    /// The canonical text.
    pub canonical_text: &'a str,
}

/// A chunk with the version fields a search hit shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkWithVersion {
    /// The chunk and its text.
    pub chunk: Chunk,
    /// Document id.
    pub doc_id: String,
    /// Version label.
    pub version: String,
    /// Title.
    pub title: String,
}

/// A review queue item as stored. The JSON columns are owned by the engine, which defines their shape.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReviewRecord {
    /// Item id.
    pub review_id: String,
    /// The question as asked.
    pub question: String,
    /// Normalised question, for reuse of approved answers.
    pub question_key: String,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// Confidence of the draft.
    pub confidence: f64,
    /// Why it needs review.
    pub reasons: serde_json::Value,
    /// Draft answer and evidence.
    pub draft: serde_json::Value,
    /// `pending`, `approved` or `rejected`.
    pub state: String,
    /// Who decided.
    pub reviewer: Option<String>,
    /// When (RFC 3339).
    pub decided_at: Option<String>,
    /// Reviewer's note.
    pub note: Option<String>,
    /// The approved (possibly edited) answer.
    pub answer: Option<serde_json::Value>,
}

/// Counts for `docs list` and the ingest summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CatalogCounts {
    /// Distinct document ids with a committed version.
    pub documents: u64,
    /// Committed versions.
    pub versions: u64,
    /// Chunks of committed versions.
    pub chunks: u64,
}

/// The SQLite catalog. One connection behind a mutex: catalog calls are short, the indexes do the heavy reads.
pub struct Catalog {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = r#"
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA foreign_keys = ON;
CREATE TABLE IF NOT EXISTS versions (
    version_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id          TEXT NOT NULL,
    version         TEXT NOT NULL,
    title           TEXT NOT NULL,
    doc_type        TEXT NOT NULL,
    effective_date  TEXT,
    end_date        TEXT,
    declared_status TEXT,
    content_hash    TEXT NOT NULL,
    source          TEXT NOT NULL,
    metadata_json   TEXT NOT NULL,
    canonical_text  TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'committed')),
    ingested_at     TEXT NOT NULL,
    UNIQUE (doc_id, version)
);
CREATE INDEX IF NOT EXISTS versions_state ON versions(state);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    version_id INTEGER NOT NULL REFERENCES versions(version_id) ON DELETE CASCADE,
    ordinal    INTEGER NOT NULL,
    section    TEXT NOT NULL,
    page       INTEGER,
    start      INTEGER NOT NULL,
    "end"      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_version ON chunks(version_id);
CREATE TABLE IF NOT EXISTS sources (
    path        TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    version_id  INTEGER NOT NULL REFERENCES versions(version_id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS review_items (
    review_id    TEXT PRIMARY KEY,
    question     TEXT NOT NULL,
    question_key TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    confidence   REAL NOT NULL,
    reasons_json TEXT NOT NULL,
    draft_json   TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
    reviewer     TEXT,
    decided_at   TEXT,
    note         TEXT,
    answer_json  TEXT
);
CREATE INDEX IF NOT EXISTS review_items_key ON review_items(question_key, state);
CREATE TABLE IF NOT EXISTS catalog_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO catalog_meta(key, value) VALUES ('generation', 0);
"#;

const VERSION_COLUMNS: &str = "version_id, doc_id, version, title, doc_type, effective_date, end_date, \
     declared_status, content_hash, source, metadata_json, state";

fn parse_date(s: Option<String>) -> Result<Option<NaiveDate>> {
    s.map(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| CatalogError::Date(s)))
        .transpose()
}

fn version_from_row(
    row: &rusqlite::Row<'_>,
) -> rusqlite::Result<(DocumentVersion, Option<String>, Option<String>, String)> {
    let state: String = row.get(11)?;
    Ok((
        DocumentVersion {
            version_id: row.get(0)?,
            doc_id: row.get(1)?,
            version: row.get(2)?,
            title: row.get(3)?,
            doc_type: row.get(4)?,
            effective_date: None,
            end_date: None,
            declared_status: row.get(7)?,
            content_hash: row.get(8)?,
            source: row.get(9)?,
            metadata: serde_json::Map::new(),
            ingest_seq: row.get(0)?,
            state: if state == "committed" {
                VersionState::Committed
            } else {
                VersionState::Pending
            },
        },
        row.get(5)?,
        row.get(6)?,
        row.get(10)?,
    ))
}

/// Every change that alters what search may see bumps the generation, so readers refresh their caches.
fn bump_generation(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<usize> {
    tx.execute(
        "UPDATE catalog_meta SET value = value + 1 WHERE key = 'generation'",
        [],
    )
}

fn finish_version(
    raw: (DocumentVersion, Option<String>, Option<String>, String),
) -> Result<DocumentVersion> {
    let (mut v, eff, end, meta) = raw;
    v.effective_date = parse_date(eff)?;
    v.end_date = parse_date(end)?;
    v.metadata = serde_json::from_str(&meta)?;
    Ok(v)
}

impl Catalog {
    /// Opens (creating if needed) the catalog at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>> {
        self.conn.lock().map_err(|_| CatalogError::Poisoned)
    }

    /// Bumped on every change that alters what search may see; readers use it to refresh caches.
    pub fn generation(&self) -> Result<i64> {
        Ok(self.conn()?.query_row(
            "SELECT value FROM catalog_meta WHERE key = 'generation'",
            [],
            |r| r.get(0),
        )?)
    }

    /// The committed version a source file produced last time, if its fingerprint is unchanged.
    pub fn unchanged_source(&self, path: &str, fingerprint: &str) -> Result<Option<VersionId>> {
        Ok(self
            .conn()?
            .query_row(
                "SELECT s.version_id FROM sources s JOIN versions v USING (version_id)
                 WHERE s.path = ?1 AND s.fingerprint = ?2 AND v.state = 'committed'",
                params![path, fingerprint],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Records that `path` with `fingerprint` produced `version_id`.
    pub fn record_source(
        &self,
        path: &str,
        fingerprint: &str,
        version_id: VersionId,
    ) -> Result<()> {
        self.conn()?.execute(
            "INSERT INTO sources(path, fingerprint, version_id) VALUES (?1, ?2, ?3)
             ON CONFLICT(path) DO UPDATE SET fingerprint = excluded.fingerprint, version_id = excluded.version_id",
            params![path, fingerprint, version_id],
        )?;
        Ok(())
    }

    /// The version with this id and label, if recorded.
    pub fn find_version(&self, doc_id: &str, version: &str) -> Result<Option<DocumentVersion>> {
        let sql =
            format!("SELECT {VERSION_COLUMNS} FROM versions WHERE doc_id = ?1 AND version = ?2");
        let raw = self
            .conn()?
            .query_row(&sql, params![doc_id, version], version_from_row)
            .optional()?;
        raw.map(finish_version).transpose()
    }

    /// Records a new version and its chunks as pending, in one transaction. Returns the version id and the
    /// chunk ids in chunk order. Fails with [`CatalogError::VersionConflict`] when the label exists with
    /// other content.
    pub fn insert_pending(
        &self,
        v: &NewVersion<'_>,
        chunks: &[NewChunk],
    ) -> Result<(VersionId, Vec<u64>)> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let existing: Option<String> = tx
            .query_row(
                "SELECT content_hash FROM versions WHERE doc_id = ?1 AND version = ?2",
                params![v.doc_id, v.version],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(existing) = existing {
            return Err(CatalogError::VersionConflict {
                doc_id: v.doc_id.to_string(),
                version: v.version.to_string(),
                existing,
            });
        }
        tx.execute(
            "INSERT INTO versions(doc_id, version, title, doc_type, effective_date, end_date, declared_status,
                content_hash, source, metadata_json, canonical_text, state, ingested_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'pending', ?12)",
            params![
                v.doc_id,
                v.version,
                v.title,
                v.doc_type,
                v.effective_date.map(|d| d.to_string()),
                v.end_date.map(|d| d.to_string()),
                v.declared_status,
                v.content_hash,
                v.source,
                serde_json::to_string(v.metadata)?,
                v.canonical_text,
                Utc::now().to_rfc3339(),
            ],
        )?;
        let version_id = tx.last_insert_rowid();
        bump_generation(&tx)?;
        let mut ids = Vec::with_capacity(chunks.len());
        {
            let mut stmt = tx.prepare(
                "INSERT INTO chunks(version_id, ordinal, section, page, start, \"end\") VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for c in chunks {
                stmt.execute(params![
                    version_id,
                    c.ordinal,
                    c.section,
                    c.page,
                    c.start as i64,
                    c.end as i64
                ])?;
                ids.push(tx.last_insert_rowid() as u64);
            }
        }
        tx.commit()?;
        Ok((version_id, ids))
    }

    /// Runs `sql` (one `?1` parameter) for each version id in one transaction and bumps the generation.
    fn update_versions(&self, sql: &str, ids: &[VersionId]) -> Result<()> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare(sql)?;
            for id in ids {
                stmt.execute([id])?;
            }
        }
        bump_generation(&tx)?;
        tx.commit()?;
        Ok(())
    }

    fn version_ids(&self, sql: &str) -> Result<Vec<VersionId>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(sql)?;
        let ids = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(ids)
    }

    /// Marks versions committed (their chunks are durable in both indexes) and bumps the generation.
    pub fn commit_versions(&self, ids: &[VersionId]) -> Result<()> {
        self.update_versions(
            "UPDATE versions SET state = 'committed' WHERE version_id = ?1",
            ids,
        )
    }

    /// Versions left pending (by a crash or a failed ingest).
    pub fn pending_versions(&self) -> Result<Vec<VersionId>> {
        self.version_ids(
            "SELECT version_id FROM versions WHERE state = 'pending' ORDER BY version_id",
        )
    }

    /// Removes versions and their chunks. Call only after their index entries are gone.
    pub fn delete_versions(&self, ids: &[VersionId]) -> Result<()> {
        self.update_versions("DELETE FROM versions WHERE version_id = ?1", ids)
    }

    /// Every version id in the catalog, pending ones included: everything an index may hold.
    pub fn all_version_ids(&self) -> Result<Vec<VersionId>> {
        self.version_ids("SELECT version_id FROM versions")
    }

    /// All committed versions without metadata or text: what in-force resolution needs.
    pub fn committed_versions(&self) -> Result<Vec<DocumentVersion>> {
        let conn = self.conn()?;
        let sql = "SELECT version_id, doc_id, version, title, doc_type, effective_date, end_date, declared_status,
                    content_hash, source, '{}', state
             FROM versions WHERE state = 'committed' ORDER BY doc_id, version_id";
        let mut stmt = conn.prepare(sql)?;
        let raws = stmt
            .query_map([], version_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raws.into_iter().map(finish_version).collect()
    }

    /// Versions of one document (committed and pending), oldest first, with metadata.
    pub fn versions_of(&self, doc_id: &str) -> Result<Vec<DocumentVersion>> {
        let conn = self.conn()?;
        let sql =
            format!("SELECT {VERSION_COLUMNS} FROM versions WHERE doc_id = ?1 ORDER BY version_id");
        let mut stmt = conn.prepare(&sql)?;
        let raws = stmt
            .query_map([doc_id], version_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raws.into_iter().map(finish_version).collect()
    }

    /// Canonical text of a version.
    pub fn canonical_text(&self, version_id: VersionId) -> Result<Option<String>> {
        Ok(self
            .conn()?
            .query_row(
                "SELECT canonical_text FROM versions WHERE version_id = ?1",
                [version_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Committed versions whose fields match every filter. `doc_type` and `doc_id` are columns; any other
    /// key is looked up in the metadata (for a list field, any item may match).
    pub fn versions_matching(&self, filters: &[MetadataFilter]) -> Result<HashSet<VersionId>> {
        let mut sql = String::from("SELECT version_id FROM versions v WHERE state = 'committed'");
        let mut args: Vec<String> = Vec::new();
        for f in filters {
            match f.key.as_str() {
                "doc_type" | "doc_id" | "version" => {
                    sql.push_str(&format!(" AND v.{} = ?", f.key));
                    args.push(f.value.clone());
                }
                key => {
                    // Key is validated (letters, digits, '_', '-') by MetadataFilter's parser; quote it anyway.
                    sql.push_str(
                        " AND EXISTS (SELECT 1 FROM json_each(v.metadata_json, ?) j WHERE CAST(j.value AS TEXT) = ?)",
                    );
                    args.push(format!("$.\"{}\"", key.replace('"', "")));
                    args.push(f.value.clone());
                }
            }
        }
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&sql)?;
        let ids = stmt
            .query_map(params_from_iter(args.iter()), |r| r.get(0))?
            .collect::<rusqlite::Result<HashSet<_>>>()?;
        Ok(ids)
    }

    /// Chunks by id with their text (sliced from the canonical text) and version labels, in the order asked.
    /// Ids not in the catalog are left out.
    pub fn chunks(&self, ids: &[u64]) -> Result<Vec<ChunkWithVersion>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT c.chunk_id, c.version_id, c.ordinal, c.section, c.page, c.start, c.\"end\",
                    CAST(substr(CAST(v.canonical_text AS BLOB), c.start + 1, c.\"end\" - c.start) AS TEXT),
                    v.doc_id, v.version, v.title
             FROM chunks c JOIN versions v USING (version_id) WHERE c.chunk_id = ?1",
        )?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let row = stmt
                .query_row([*id as i64], |r| {
                    let start: i64 = r.get(5)?;
                    let end: i64 = r.get(6)?;
                    Ok(ChunkWithVersion {
                        chunk: Chunk {
                            chunk_id: r.get::<_, i64>(0)? as u64,
                            version_id: r.get(1)?,
                            span: NewChunk {
                                ordinal: r.get(2)?,
                                section: r.get(3)?,
                                page: r.get(4)?,
                                start: start as usize,
                                end: end as usize,
                            },
                            text: r.get(7)?,
                        },
                        doc_id: r.get(8)?,
                        version: r.get(9)?,
                        title: r.get(10)?,
                    })
                })
                .optional()?;
            out.extend(row);
        }
        Ok(out)
    }

    /// Chunk ids and texts of one version, for (re-)indexing.
    pub fn chunk_ids_of(&self, version_id: VersionId) -> Result<Vec<u64>> {
        let conn = self.conn()?;
        let mut stmt =
            conn.prepare("SELECT chunk_id FROM chunks WHERE version_id = ?1 ORDER BY ordinal")?;
        let ids = stmt
            .query_map([version_id], |r| r.get::<_, i64>(0))?
            .map(|r| r.map(|v| v as u64))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(ids)
    }

    /// Counts of committed documents, versions and chunks.
    pub fn counts(&self) -> Result<CatalogCounts> {
        let conn = self.conn()?;
        let (documents, versions): (i64, i64) = conn.query_row(
            "SELECT COUNT(DISTINCT doc_id), COUNT(*) FROM versions WHERE state = 'committed'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let chunks: i64 = conn.query_row(
            "SELECT COUNT(*) FROM chunks c JOIN versions v USING (version_id) WHERE v.state = 'committed'",
            [],
            |r| r.get(0),
        )?;
        Ok(CatalogCounts {
            documents: documents as u64,
            versions: versions as u64,
            chunks: chunks as u64,
        })
    }

    /// Adds a pending review item.
    pub fn insert_review(
        &self,
        review_id: &str,
        question: &str,
        question_key: &str,
        confidence: f64,
        reasons: &serde_json::Value,
        draft: &serde_json::Value,
    ) -> Result<()> {
        self.conn()?.execute(
            "INSERT INTO review_items(review_id, question, question_key, created_at, confidence, reasons_json,
                draft_json, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending')",
            params![
                review_id,
                question,
                question_key,
                Utc::now().to_rfc3339(),
                confidence,
                reasons.to_string(),
                draft.to_string()
            ],
        )?;
        Ok(())
    }

    /// Records a decision on a pending item. Returns false when no pending item has that id.
    pub fn decide_review(
        &self,
        review_id: &str,
        state: &str,
        reviewer: &str,
        note: Option<&str>,
        answer: Option<&serde_json::Value>,
    ) -> Result<bool> {
        let changed = self.conn()?.execute(
            "UPDATE review_items SET state = ?2, reviewer = ?3, decided_at = ?4, note = ?5, answer_json = ?6
             WHERE review_id = ?1 AND state = 'pending'",
            params![review_id, state, reviewer, Utc::now().to_rfc3339(), note, answer.map(|a| a.to_string())],
        )?;
        Ok(changed == 1)
    }

    fn reviews_where(&self, clause: &str, arg: &str) -> Result<Vec<ReviewRecord>> {
        let conn = self.conn()?;
        let sql = format!(
            "SELECT review_id, question, question_key, created_at, confidence, reasons_json, draft_json, state,
                    reviewer, decided_at, note, answer_json
             FROM review_items WHERE {clause} ORDER BY created_at DESC, review_id"
        );
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt
            .query_map([arg], |r| {
                Ok((
                    ReviewRecord {
                        review_id: r.get(0)?,
                        question: r.get(1)?,
                        question_key: r.get(2)?,
                        created_at: r.get(3)?,
                        confidence: r.get(4)?,
                        reasons: serde_json::Value::Null,
                        draft: serde_json::Value::Null,
                        state: r.get(7)?,
                        reviewer: r.get(8)?,
                        decided_at: r.get(9)?,
                        note: r.get(10)?,
                        answer: None,
                    },
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<String>>(11)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(mut rec, reasons, draft, answer)| {
                rec.reasons = serde_json::from_str(&reasons)?;
                rec.draft = serde_json::from_str(&draft)?;
                rec.answer = answer.map(|a| serde_json::from_str(&a)).transpose()?;
                Ok(rec)
            })
            .collect()
    }

    /// One review item.
    pub fn review(&self, review_id: &str) -> Result<Option<ReviewRecord>> {
        Ok(self
            .reviews_where("review_id = ?1", review_id)?
            .into_iter()
            .next())
    }

    /// Review items in a state (`pending`, `approved`, `rejected`), newest first.
    pub fn reviews_in_state(&self, state: &str) -> Result<Vec<ReviewRecord>> {
        self.reviews_where("state = ?1", state)
    }

    /// The most recent approved item for a normalised question.
    pub fn approved_review(&self, question_key: &str) -> Result<Option<ReviewRecord>> {
        Ok(self
            .reviews_where("question_key = ?1 AND state = 'approved'", question_key)?
            .into_iter()
            .next())
    }
}
