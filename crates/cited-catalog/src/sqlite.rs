//! The catalog in one SQLite file in the data directory (the embedded default). One connection behind a
//! mutex: catalog calls are short, the indexes do the heavy reads. WAL journal, `synchronous = FULL`;
//! append-only tables are guarded by triggers; the schema version is `PRAGMA user_version`.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::sync::Mutex;

use chrono::{NaiveDate, Utc};
use cited_core::{Chunk, DocumentVersion, MetadataFilter, NewChunk, VersionId, VersionState};
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use crate::{
    ApiToken, AuditEntry, AuditQuery, CatalogCounts, CatalogError, CatalogStore, ChunkWithVersion,
    IngestLease, NewReview, NewVersion, RestrictedDocument, Result, ReviewEvent, ReviewRecord,
    ReviewTransition, audience_groups, audit_query_sql, audit_record, scope_state_clause,
};

/// The SQLite catalog. One connection behind a mutex: catalog calls are short, the indexes do the heavy reads.
pub struct SqliteCatalog {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = r#"
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
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
CREATE TABLE IF NOT EXISTS review_events (
    review_id     TEXT NOT NULL REFERENCES review_items(review_id),
    seq           INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('created', 'approved', 'edited', 'rejected', 'reopened')),
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL,
    note          TEXT,
    answer_before TEXT,
    answer_after  TEXT,
    PRIMARY KEY (review_id, seq)
);
CREATE TRIGGER IF NOT EXISTS review_events_append_only_update BEFORE UPDATE ON review_events
BEGIN SELECT RAISE(ABORT, 'review events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS review_events_append_only_delete BEFORE DELETE ON review_events
BEGIN SELECT RAISE(ABORT, 'review events are append-only'); END;
CREATE TABLE IF NOT EXISTS catalog_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS catalog_owner (id INTEGER PRIMARY KEY CHECK (id = 1), owner TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_tokens (
    token_hash  TEXT PRIMARY KEY,
    token_id    TEXT NOT NULL UNIQUE,
    user_id     TEXT NOT NULL,
    roles_json  TEXT NOT NULL,
    groups_json TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
INSERT OR IGNORE INTO catalog_meta(key, value) VALUES ('generation', 0);
CREATE TABLE IF NOT EXISTS audit_log (
    seq         INTEGER PRIMARY KEY,
    record_id   TEXT NOT NULL UNIQUE,
    at          TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    action      TEXT NOT NULL,
    status      TEXT,
    record_json TEXT NOT NULL,
    leaf_hash   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_user ON audit_log(user_id, at);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log(at);
CREATE TABLE IF NOT EXISTS audit_citations (
    seq     INTEGER NOT NULL REFERENCES audit_log(seq),
    doc_id  TEXT NOT NULL,
    version TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_citations_doc ON audit_citations(doc_id, version);
CREATE TABLE IF NOT EXISTS audit_heads (
    size      INTEGER NOT NULL,
    timestamp TEXT NOT NULL,
    head_json TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_citations_append_only_update BEFORE UPDATE ON audit_citations
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_citations_append_only_delete BEFORE DELETE ON audit_citations
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
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

/// Brings a catalog written by an earlier release up to this schema (`PRAGMA user_version`).
fn migrate(conn: &Connection) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version < 1 {
        // Review items gained a scope, a trace and an event history. Items from before recorded no filters:
        // they get the unfiltered scope (`question_key|`, see the engine's `scope_key`).
        let columns: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info('review_items')")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let tx = conn.unchecked_transaction()?;
        if !columns.iter().any(|c| c == "scope_key") {
            tx.execute_batch(
                "ALTER TABLE review_items ADD COLUMN scope_key TEXT NOT NULL DEFAULT '';
                 ALTER TABLE review_items ADD COLUMN trace_json TEXT;
                 UPDATE review_items SET scope_key = question_key || '|';",
            )?;
        }
        tx.execute_batch(
            "CREATE INDEX IF NOT EXISTS review_items_scope ON review_items(scope_key, state);",
        )?;
        // Items decided before events existed get their history from what the row recorded.
        tx.execute_batch(
            "INSERT INTO review_events(review_id, seq, kind, at, actor)
                 SELECT review_id, 1, 'created', created_at, 'cited' FROM review_items i
                 WHERE NOT EXISTS (SELECT 1 FROM review_events e WHERE e.review_id = i.review_id);
             INSERT INTO review_events(review_id, seq, kind, at, actor, note, answer_after)
                 SELECT review_id, 2, state, COALESCE(decided_at, created_at), COALESCE(reviewer, 'unknown'),
                        note, answer_json
                 FROM review_items i WHERE state != 'pending'
                   AND NOT EXISTS (SELECT 1 FROM review_events e WHERE e.review_id = i.review_id AND e.seq = 2);
             PRAGMA user_version = 1;",
        )?;
        tx.commit()?;
    }
    Ok(())
}

impl SqliteCatalog {
    /// Opens (creating if needed) the catalog at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch(SCHEMA)?;
        migrate(&conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// The `synchronous` setting of the connection (2 = FULL: a reported commit survives a power cut).
    pub fn synchronous(&self) -> Result<i64> {
        Ok(self
            .conn()?
            .query_row("PRAGMA synchronous", [], |r| r.get(0))?)
    }

    pub(crate) fn conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>> {
        self.conn.lock().map_err(|_| CatalogError::Poisoned)
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

    fn reviews_where(&self, clause: &str, arg: &str) -> Result<Vec<ReviewRecord>> {
        let conn = self.conn()?;
        let sql = format!(
            "SELECT review_id, question, question_key, created_at, confidence, reasons_json, draft_json, state,
                    reviewer, decided_at, note, answer_json, scope_key, trace_json
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
                        scope_key: r.get(12)?,
                        created_at: r.get(3)?,
                        confidence: r.get(4)?,
                        reasons: serde_json::Value::Null,
                        draft: serde_json::Value::Null,
                        state: r.get(7)?,
                        reviewer: r.get(8)?,
                        decided_at: r.get(9)?,
                        note: r.get(10)?,
                        answer: None,
                        trace: None,
                        events: Vec::new(),
                    },
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<String>>(11)?,
                    r.get::<_, Option<String>>(13)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(mut rec, reasons, draft, answer, trace)| {
                rec.reasons = serde_json::from_str(&reasons)?;
                rec.draft = serde_json::from_str(&draft)?;
                rec.answer = answer.map(|a| serde_json::from_str(&a)).transpose()?;
                rec.trace = trace.map(|t| serde_json::from_str(&t)).transpose()?;
                Ok(rec)
            })
            .collect()
    }

    fn tokens_where(&self, clause: &str, arg: &str) -> Result<Vec<ApiToken>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&format!(
            "SELECT token_hash, token_id, user_id, roles_json, groups_json, created_at, revoked_at
             FROM api_tokens WHERE {clause} ORDER BY created_at, token_id"
        ))?;
        let rows = stmt
            .query_map([arg], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(
                |(token_hash, token_id, user_id, roles, groups, created_at, revoked_at)| {
                    Ok(ApiToken {
                        token_id,
                        token_hash,
                        user_id,
                        roles: serde_json::from_str(&roles)?,
                        groups: serde_json::from_str(&groups)?,
                        created_at,
                        revoked_at,
                    })
                },
            )
            .collect()
    }
}

fn insert_review_in(tx: &rusqlite::Transaction<'_>, r: &NewReview<'_>) -> Result<()> {
    let now = Utc::now().to_rfc3339();
    tx.execute(
            "INSERT INTO review_items(review_id, question, question_key, scope_key, created_at, confidence,
                reasons_json, draft_json, trace_json, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending')",
            params![
                r.review_id,
                r.question,
                r.question_key,
                r.scope_key,
                now,
                r.confidence,
                r.reasons.to_string(),
                r.draft.to_string(),
                r.trace.map(|t| t.to_string()),
            ],
        )?;
    tx.execute(
            "INSERT INTO review_events(review_id, seq, kind, at, actor) VALUES (?1, 1, 'created', ?2, 'cited')",
            params![r.review_id, now],
        )?;
    Ok(())
}

impl CatalogStore for SqliteCatalog {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn durable_commits(&self) -> Result<bool> {
        Ok(self.synchronous()? >= 2)
    }

    fn set_index_owner(&self, owner: &str) -> Result<()> {
        self.conn()?.execute(
            "INSERT INTO catalog_owner(id, owner) VALUES (1, ?1)
             ON CONFLICT(id) DO UPDATE SET owner = excluded.owner",
            [owner],
        )?;
        Ok(())
    }

    fn index_owner(&self, candidate: &str) -> Result<String> {
        let conn = self.conn()?;
        conn.execute(
            "INSERT OR IGNORE INTO catalog_owner(id, owner) VALUES (1, ?1)",
            [candidate],
        )?;
        Ok(
            conn.query_row("SELECT owner FROM catalog_owner WHERE id = 1", [], |r| {
                r.get(0)
            })?,
        )
    }

    fn generation(&self) -> Result<i64> {
        Ok(self.conn()?.query_row(
            "SELECT value FROM catalog_meta WHERE key = 'generation'",
            [],
            |r| r.get(0),
        )?)
    }

    fn unchanged_source(&self, path: &str, fingerprint: &str) -> Result<Option<VersionId>> {
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

    fn record_source(&self, path: &str, fingerprint: &str, version_id: VersionId) -> Result<()> {
        self.conn()?.execute(
            "INSERT INTO sources(path, fingerprint, version_id) VALUES (?1, ?2, ?3)
             ON CONFLICT(path) DO UPDATE SET fingerprint = excluded.fingerprint, version_id = excluded.version_id",
            params![path, fingerprint, version_id],
        )?;
        Ok(())
    }

    fn find_version(&self, doc_id: &str, version: &str) -> Result<Option<DocumentVersion>> {
        let sql =
            format!("SELECT {VERSION_COLUMNS} FROM versions WHERE doc_id = ?1 AND version = ?2");
        let raw = self
            .conn()?
            .query_row(&sql, params![doc_id, version], version_from_row)
            .optional()?;
        raw.map(finish_version).transpose()
    }

    fn insert_pending(
        &self,
        v: &NewVersion<'_>,
        chunks: &[NewChunk],
    ) -> Result<(VersionId, Vec<u64>)> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let existing: Option<(String, String)> = tx
            .query_row(
                "SELECT content_hash, source FROM versions WHERE doc_id = ?1 AND version = ?2",
                params![v.doc_id, v.version],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((existing, existing_source)) = existing {
            return Err(CatalogError::VersionConflict {
                doc_id: v.doc_id.to_string(),
                version: v.version.to_string(),
                existing,
                existing_source,
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

    fn commit_versions(&self, ids: &[VersionId]) -> Result<()> {
        self.update_versions(
            "UPDATE versions SET state = 'committed' WHERE version_id = ?1",
            ids,
        )
    }

    fn pending_versions(&self) -> Result<Vec<VersionId>> {
        self.version_ids(
            "SELECT version_id FROM versions WHERE state = 'pending' ORDER BY version_id",
        )
    }

    /// The data directory's lock (taken by the engine) already makes this process the only writer.
    fn ingest_lease(&self, _wait: bool) -> Result<Option<IngestLease>> {
        Ok(Some(IngestLease::new(Box::new(()))))
    }

    fn delete_versions(&self, ids: &[VersionId]) -> Result<()> {
        self.update_versions("DELETE FROM versions WHERE version_id = ?1", ids)
    }

    fn all_version_ids(&self) -> Result<Vec<VersionId>> {
        self.version_ids("SELECT version_id FROM versions")
    }

    fn committed_versions(&self) -> Result<Vec<DocumentVersion>> {
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

    fn versions_of(&self, doc_id: &str) -> Result<Vec<DocumentVersion>> {
        let conn = self.conn()?;
        let sql =
            format!("SELECT {VERSION_COLUMNS} FROM versions WHERE doc_id = ?1 ORDER BY version_id");
        let mut stmt = conn.prepare(&sql)?;
        let raws = stmt
            .query_map([doc_id], version_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raws.into_iter().map(finish_version).collect()
    }

    fn canonical_text(&self, version_id: VersionId) -> Result<Option<String>> {
        Ok(self
            .conn()?
            .query_row(
                "SELECT canonical_text FROM versions WHERE version_id = ?1",
                [version_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn filter_keys(&self) -> Result<BTreeSet<String>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT DISTINCT j.key FROM versions v, json_each(v.metadata_json) j WHERE v.state = 'committed'",
        )?;
        let mut keys = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<BTreeSet<_>>>()?;
        keys.extend(["doc_type", "doc_id", "version"].map(String::from));
        Ok(keys)
    }

    fn metadata_values(&self, key: &str) -> Result<BTreeSet<String>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT DISTINCT json_extract(metadata_json, '$.' || ?1) FROM versions
             WHERE state = 'committed' AND json_type(metadata_json, '$.' || ?1) = 'text'",
        )?;
        let values = stmt
            .query_map([key], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<BTreeSet<_>>>()?;
        Ok(values)
    }

    fn restricted_documents(&self) -> Result<Vec<RestrictedDocument>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT doc_id, version_id, json_extract(metadata_json, '$.audience') FROM versions
             WHERE doc_id IN (SELECT doc_id FROM versions
                              WHERE json_type(metadata_json, '$.audience') IS NOT NULL)
             ORDER BY doc_id, version_id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, VersionId>(1)?,
                    r.get::<_, rusqlite::types::Value>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut docs: Vec<RestrictedDocument> = Vec::new();
        for (doc_id, version_id, value) in rows {
            if docs.last().is_none_or(|d| d.doc_id != doc_id) {
                docs.push(RestrictedDocument {
                    doc_id,
                    audiences: Vec::new(),
                    version_ids: Vec::new(),
                });
            }
            let Some(doc) = docs.last_mut() else { continue };
            doc.version_ids.push(version_id);
            // json_extract gives a string unquoted and a list as its JSON text.
            let value = match value {
                rusqlite::types::Value::Null => continue,
                rusqlite::types::Value::Text(t) if t.trim_start().starts_with('[') => {
                    serde_json::from_str(&t).unwrap_or(serde_json::Value::Null)
                }
                rusqlite::types::Value::Text(t) => serde_json::Value::String(t),
                _ => serde_json::Value::Null,
            };
            doc.audiences.push(audience_groups(&value));
        }
        Ok(docs)
    }

    fn versions_matching(&self, filters: &[MetadataFilter]) -> Result<HashSet<VersionId>> {
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

    fn chunks(&self, ids: &[u64]) -> Result<Vec<ChunkWithVersion>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT c.chunk_id, c.version_id, c.ordinal, c.section, c.page, c.start, c.\"end\",
                    CAST(substr(CAST(v.canonical_text AS BLOB), c.start + 1, c.\"end\" - c.start) AS TEXT),
                    v.doc_id, v.version, v.title
             FROM chunks c JOIN versions v USING (version_id)
             WHERE c.chunk_id = ?1 AND v.state = 'committed'",
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

    fn chunk_ids_of(&self, version_id: VersionId) -> Result<Vec<u64>> {
        let conn = self.conn()?;
        let mut stmt =
            conn.prepare("SELECT chunk_id FROM chunks WHERE version_id = ?1 ORDER BY ordinal")?;
        let ids = stmt
            .query_map([version_id], |r| r.get::<_, i64>(0))?
            .map(|r| r.map(|v| v as u64))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(ids)
    }

    fn counts(&self) -> Result<CatalogCounts> {
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

    fn insert_review(&self, r: &NewReview<'_>) -> Result<()> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        insert_review_in(&tx, r)?;
        tx.commit()?;
        Ok(())
    }

    fn append_audit(&self, entry: &AuditEntry<'_>, review: Option<&NewReview<'_>>) -> Result<u64> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if let Some(r) = review {
            insert_review_in(&tx, r)?;
        }
        let last: Option<(u64, String)> = tx
            .query_row(
                "SELECT seq, leaf_hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (seq, prev_leaf) = match last {
            Some((seq, leaf)) => (seq + 1, leaf),
            None => (0, String::new()),
        };
        let (json, leaf) = audit_record(entry, seq, &prev_leaf);
        tx.execute(
            "INSERT INTO audit_log(seq, record_id, at, user_id, action, status, record_json, leaf_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                seq,
                entry.record_id,
                entry.at,
                entry.user_id,
                entry.action,
                entry.status,
                json,
                leaf
            ],
        )?;
        for (doc_id, version) in entry.citations {
            tx.execute(
                "INSERT INTO audit_citations(seq, doc_id, version) VALUES (?1, ?2, ?3)",
                params![seq, doc_id, version],
            )?;
        }
        tx.commit()?;
        Ok(seq)
    }

    fn audit_records(&self, query: &AuditQuery) -> Result<Vec<cited_audit::StoredRecord>> {
        let (sql, args) = audit_query_sql(query, '?', "");
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt
            .query_map(params_from_iter(args.iter()), |r| {
                Ok(cited_audit::StoredRecord {
                    seq: r.get(0)?,
                    record_id: r.get(1)?,
                    json: r.get(2)?,
                    leaf_hash: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    fn insert_audit_head(&self, size: u64, timestamp: &str, head_json: &str) -> Result<()> {
        self.conn()?.execute(
            "INSERT INTO audit_heads(size, timestamp, head_json) VALUES (?1, ?2, ?3)",
            params![size, timestamp, head_json],
        )?;
        Ok(())
    }

    fn audit_heads(&self) -> Result<Vec<String>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare("SELECT head_json FROM audit_heads ORDER BY rowid")?;
        let heads = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(heads)
    }

    fn transition_review(&self, t: &ReviewTransition<'_>) -> Result<bool> {
        let ReviewTransition {
            review_id,
            from,
            kind,
            to,
            actor,
            note,
            answer,
            draft,
        } = *t;
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let before: Option<Option<String>> = tx
            .query_row(
                "SELECT answer_json FROM review_items WHERE review_id = ?1 AND state = ?2",
                params![review_id, from],
                |r| r.get(0),
            )
            .optional()?;
        let Some(before) = before else {
            return Ok(false);
        };
        let now = Utc::now().to_rfc3339();
        let after = answer.map(|a| a.to_string());
        tx.execute(
            "INSERT INTO review_events(review_id, seq, kind, at, actor, note, answer_before, answer_after)
             VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM review_events WHERE review_id = ?1),
                     ?2, ?3, ?4, ?5, ?6, ?7)",
            params![review_id, kind, now, actor, note, before, after],
        )?;
        tx.execute(
            "UPDATE review_items SET state = ?2, reviewer = ?3, decided_at = ?4, note = ?5, answer_json = ?6,
                draft_json = COALESCE(?7, draft_json)
             WHERE review_id = ?1",
            params![
                review_id,
                to,
                (to != "pending").then_some(actor),
                (to != "pending").then_some(now.as_str()),
                note,
                after,
                draft.map(|d| d.to_string())
            ],
        )?;
        tx.commit()?;
        Ok(true)
    }

    fn review_events(&self, review_id: &str) -> Result<Vec<ReviewEvent>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT seq, kind, at, actor, note, answer_before, answer_after FROM review_events
             WHERE review_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt
            .query_map([review_id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let json = |t: Option<String>| -> Result<Option<serde_json::Value>> {
            Ok(t.map(|t| serde_json::from_str(&t)).transpose()?)
        };
        rows.into_iter()
            .map(|(seq, kind, at, actor, note, before, after)| {
                Ok(ReviewEvent {
                    seq,
                    kind,
                    at,
                    actor,
                    note,
                    answer_before: json(before)?,
                    answer_after: json(after)?,
                })
            })
            .collect()
    }

    fn review(&self, review_id: &str) -> Result<Option<ReviewRecord>> {
        let Some(mut item) = self
            .reviews_where("review_id = ?1", review_id)?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        item.events = self.review_events(review_id)?;
        Ok(Some(item))
    }

    fn reviews_in_state(&self, state: &str) -> Result<Vec<ReviewRecord>> {
        self.reviews_where("state = ?1", state)
    }

    fn insert_token(&self, t: &ApiToken) -> Result<()> {
        self.conn()?.execute(
            "INSERT INTO api_tokens(token_hash, token_id, user_id, roles_json, groups_json, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                t.token_hash,
                t.token_id,
                t.user_id,
                serde_json::to_string(&t.roles)?,
                serde_json::to_string(&t.groups)?,
                t.created_at
            ],
        )?;
        Ok(())
    }

    fn token_by_hash(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        Ok(self
            .tokens_where("token_hash = ?1", token_hash)?
            .into_iter()
            .next())
    }

    fn tokens(&self) -> Result<Vec<ApiToken>> {
        self.tokens_where("?1 = ?1", "")
    }

    fn revoke_token(&self, token_id: &str) -> Result<bool> {
        let changed = self.conn()?.execute(
            "UPDATE api_tokens SET revoked_at = ?2 WHERE token_id = ?1 AND revoked_at IS NULL",
            params![token_id, Utc::now().to_rfc3339()],
        )?;
        Ok(changed == 1)
    }

    fn review_in_scope(&self, scope_key: &str, state: &str) -> Result<Option<ReviewRecord>> {
        let clause = format!("scope_key = ?1 AND {}", scope_state_clause(state));
        Ok(self.reviews_where(&clause, scope_key)?.into_iter().next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A catalog written before review events existed: its decided items get their history, its
    /// approvals the unfiltered scope, and events cannot be changed afterwards.
    #[test]
    fn old_review_items_are_migrated_and_events_are_append_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("catalog.sqlite");
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch(
                "CREATE TABLE review_items (
                    review_id TEXT PRIMARY KEY, question TEXT NOT NULL, question_key TEXT NOT NULL,
                    created_at TEXT NOT NULL, confidence REAL NOT NULL, reasons_json TEXT NOT NULL,
                    draft_json TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
                    reviewer TEXT, decided_at TEXT, note TEXT, answer_json TEXT);
                 INSERT INTO review_items VALUES ('r1', 'Q?', 'q', '2026-01-01T00:00:00Z', 0.5, '[]', '{}',
                    'approved', 'dr.grey', '2026-01-02T00:00:00Z', NULL, '{\"sentences\": []}');
                 INSERT INTO review_items VALUES ('r2', 'P?', 'p', '2026-01-01T00:00:00Z', 0.5, '[]', '{}',
                    'pending', NULL, NULL, NULL, NULL);",
            )
            .expect("old schema");
        }
        let catalog = SqliteCatalog::open(&path).expect("migrate");
        let approved = catalog
            .review_in_scope("q|", "approved")
            .expect("query")
            .expect("the old approval keeps working, unfiltered");
        assert_eq!(approved.review_id, "r1");
        let history = catalog.review("r1").expect("read").expect("item").events;
        let kinds: Vec<&str> = history.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["created", "approved"]);
        assert_eq!(history[1].actor, "dr.grey");
        assert!(history[1].answer_after.is_some());
        assert_eq!(catalog.review_events("r2").expect("events").len(), 1);
        // Opening again migrates nothing twice.
        drop(catalog);
        let catalog = SqliteCatalog::open(&path).expect("reopen");
        assert_eq!(catalog.review_events("r1").expect("events").len(), 2);

        let conn = catalog.conn().expect("conn");
        assert!(
            conn.execute("UPDATE review_events SET actor = 'someone else'", [])
                .is_err()
        );
        assert!(conn.execute("DELETE FROM review_events", []).is_err());
    }
}
