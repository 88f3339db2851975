//! The catalog on a PostgreSQL server, for deployments whose app nodes keep no catalog on their disks.
//!
//! Same tables and rules as the SQLite catalog (see [`crate::sqlite`]), with three differences that matter:
//! - the schema is a list of numbered migrations in `cited_schema_migrations`, applied at start-up under an
//!   advisory lock, so nodes that start together apply each migration once;
//! - the audit hash chain has a one-row head (`audit_chain_head`) that every append locks (`FOR UPDATE`)
//!   for the length of its transaction: appends from many nodes are serialised there and the chain never
//!   forks;
//! - append-only tables refuse `UPDATE`, `DELETE` and `TRUNCATE` by trigger.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use cited_core::{Chunk, DocumentVersion, MetadataFilter, NewChunk, VersionId, VersionState};
use postgres::types::ToSql;
use postgres::{Client, GenericClient, NoTls, Row, Statement, Transaction};

use crate::{
    ApiToken, AuditEntry, AuditQuery, CatalogCounts, CatalogError, CatalogStore, ChunkWithVersion,
    IngestLease, NewReview, NewVersion, RestrictedDocument, Result, ReviewEvent, ReviewRecord,
    ReviewTransition, audience_groups, audit_query_sql, audit_record, scope_state_clause,
};

type Pool = r2d2::Pool<Connector>;

/// Statements a connection has prepared, by SQL text: each distinct query is parsed by the server once per
/// connection, not on every call (a round trip less per query). Emptied when it reaches its size.
#[derive(Default)]
pub(crate) struct StatementCache(HashMap<String, Statement>);

const STATEMENT_CACHE_SIZE: usize = 256;

impl StatementCache {
    fn prepared<C: GenericClient>(&mut self, client: &mut C, sql: &str) -> Result<Statement> {
        if let Some(statement) = self.0.get(sql) {
            return Ok(statement.clone());
        }
        let statement = client.prepare(sql)?;
        if self.0.len() >= STATEMENT_CACHE_SIZE {
            self.0.clear();
        }
        self.0.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }
}

/// A pooled connection with its prepared statements.
pub(crate) struct CachedClient {
    /// Always set; taken only when the connection is dropped.
    client: Option<Client>,
    statements: StatementCache,
}

impl Drop for CachedClient {
    fn drop(&mut self) {
        // Closing a postgres::Client blocks on the crate's own runtime, which panics on a thread that drives
        // async tasks (a server drops its engine there when it shuts down): close it on a thread of its own.
        if let Some(client) = self.client.take() {
            let _ = std::thread::spawn(move || drop(client)).join();
        }
    }
}

fn closed() -> CatalogError {
    CatalogError::Damaged("the PostgreSQL connection was already closed".into())
}

impl CachedClient {
    /// Starts a transaction that uses (and adds to) this connection's prepared statements.
    pub(crate) fn transaction(&mut self) -> Result<CachedTransaction<'_>> {
        Ok(CachedTransaction {
            tx: self.client.as_mut().ok_or_else(closed)?.transaction()?,
            statements: &mut self.statements,
        })
    }

    /// The connection itself, without the statement cache.
    pub(crate) fn client(&mut self) -> Result<&mut Client> {
        self.client.as_mut().ok_or_else(closed)
    }
}

/// A transaction on a [`CachedClient`].
pub(crate) struct CachedTransaction<'a> {
    tx: Transaction<'a>,
    statements: &'a mut StatementCache,
}

impl CachedTransaction<'_> {
    /// Runs statements without parameters, unprepared.
    pub(crate) fn batch_execute(&mut self, sql: &str) -> Result<()> {
        Ok(self.tx.batch_execute(sql)?)
    }

    /// Commits.
    pub(crate) fn commit(self) -> Result<()> {
        Ok(self.tx.commit()?)
    }
}

/// Queries through the statement cache, on a connection or inside a transaction.
pub(crate) trait Queries {
    /// What the statements run on.
    type On: GenericClient;

    /// The client and the cache, borrowed apart.
    fn parts(&mut self) -> Result<(&mut Self::On, &mut StatementCache)>;

    /// All rows.
    fn query(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let (on, cache) = self.parts()?;
        let statement = cache.prepared(on, sql)?;
        Ok(on.query(&statement, params)?)
    }

    /// Exactly one row.
    fn query_one(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row> {
        let (on, cache) = self.parts()?;
        let statement = cache.prepared(on, sql)?;
        Ok(on.query_one(&statement, params)?)
    }

    /// At most one row.
    fn query_opt(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>> {
        let (on, cache) = self.parts()?;
        let statement = cache.prepared(on, sql)?;
        Ok(on.query_opt(&statement, params)?)
    }

    /// Rows changed.
    fn execute(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let (on, cache) = self.parts()?;
        let statement = cache.prepared(on, sql)?;
        Ok(on.execute(&statement, params)?)
    }
}

impl Queries for CachedClient {
    type On = Client;
    fn parts(&mut self) -> Result<(&mut Client, &mut StatementCache)> {
        Ok((
            self.client.as_mut().ok_or_else(closed)?,
            &mut self.statements,
        ))
    }
}

impl<'a> Queries for CachedTransaction<'a> {
    type On = Transaction<'a>;
    fn parts(&mut self) -> Result<(&mut Transaction<'a>, &mut StatementCache)> {
        Ok((&mut self.tx, self.statements))
    }
}

/// Opens connections for the pool.
pub(crate) struct Connector {
    config: postgres::Config,
}

impl r2d2::ManageConnection for Connector {
    type Connection = CachedClient;
    type Error = postgres::Error;

    fn connect(&self) -> std::result::Result<CachedClient, postgres::Error> {
        Ok(CachedClient {
            client: Some(self.config.connect(NoTls)?),
            statements: StatementCache::default(),
        })
    }

    fn is_valid(&self, conn: &mut CachedClient) -> std::result::Result<(), postgres::Error> {
        match conn.client.as_mut() {
            Some(client) => client.simple_query("").map(|_| ()),
            // Not reachable: a pooled connection keeps its client until dropped; has_broken says so.
            None => Ok(()),
        }
    }

    fn has_broken(&self, conn: &mut CachedClient) -> bool {
        conn.client.as_ref().is_none_or(Client::is_closed)
    }
}

/// Numbered schema migrations, applied in order, each once. Never edit a released one: add the next.
const MIGRATIONS: &[(i32, &str, &str)] = &[(
    1,
    "versions, chunks, sources, review queue, tokens, audit trail",
    r#"
CREATE TABLE versions (
    version_id      BIGSERIAL PRIMARY KEY,
    doc_id          TEXT NOT NULL,
    version         TEXT NOT NULL,
    title           TEXT NOT NULL,
    doc_type        TEXT NOT NULL,
    effective_date  DATE,
    end_date        DATE,
    declared_status TEXT,
    content_hash    TEXT NOT NULL,
    source          TEXT NOT NULL,
    metadata        JSONB NOT NULL,
    canonical_text  TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'committed')),
    ingested_at     TEXT NOT NULL,
    UNIQUE (doc_id, version)
);
CREATE INDEX versions_state ON versions(state);
CREATE TABLE chunks (
    chunk_id   BIGSERIAL PRIMARY KEY,
    version_id BIGINT NOT NULL REFERENCES versions(version_id) ON DELETE CASCADE,
    ordinal    BIGINT NOT NULL,
    section    TEXT NOT NULL,
    page       BIGINT,
    start      BIGINT NOT NULL,
    "end"      BIGINT NOT NULL
);
CREATE INDEX chunks_version ON chunks(version_id);
CREATE TABLE sources (
    path        TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    version_id  BIGINT NOT NULL REFERENCES versions(version_id) ON DELETE CASCADE
);
CREATE TABLE catalog_meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
CREATE TABLE catalog_owner (id BIGINT PRIMARY KEY CHECK (id = 1), owner TEXT NOT NULL);
INSERT INTO catalog_meta(key, value) VALUES ('generation', 0);
CREATE TABLE review_items (
    review_id    TEXT PRIMARY KEY,
    question     TEXT NOT NULL,
    question_key TEXT NOT NULL,
    scope_key    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    confidence   DOUBLE PRECISION NOT NULL,
    reasons_json TEXT NOT NULL,
    draft_json   TEXT NOT NULL,
    trace_json   TEXT,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
    reviewer     TEXT,
    decided_at   TEXT,
    note         TEXT,
    answer_json  TEXT
);
CREATE INDEX review_items_scope ON review_items(scope_key, state);
CREATE INDEX review_items_state ON review_items(state, created_at);
CREATE TABLE review_events (
    review_id     TEXT NOT NULL REFERENCES review_items(review_id),
    seq           BIGINT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('created', 'approved', 'edited', 'rejected', 'reopened')),
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL,
    note          TEXT,
    answer_before TEXT,
    answer_after  TEXT,
    PRIMARY KEY (review_id, seq)
);
CREATE TABLE api_tokens (
    token_hash  TEXT PRIMARY KEY,
    token_id    TEXT NOT NULL UNIQUE,
    user_id     TEXT NOT NULL,
    roles_json  TEXT NOT NULL,
    groups_json TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    record_id   TEXT NOT NULL UNIQUE,
    at          TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    action      TEXT NOT NULL,
    status      TEXT,
    record_json TEXT NOT NULL,
    leaf_hash   TEXT NOT NULL
);
CREATE INDEX audit_log_user ON audit_log(user_id, at);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE TABLE audit_citations (
    seq     BIGINT NOT NULL REFERENCES audit_log(seq),
    doc_id  TEXT NOT NULL,
    version TEXT NOT NULL
);
CREATE INDEX audit_citations_doc ON audit_citations(doc_id, version);
CREATE INDEX audit_citations_seq ON audit_citations(seq);
CREATE TABLE audit_heads (
    head_id   BIGSERIAL PRIMARY KEY,
    size      BIGINT NOT NULL,
    timestamp TEXT NOT NULL,
    head_json TEXT NOT NULL
);
-- The end of the hash chain: one row, locked by every append.
CREATE TABLE audit_chain_head (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    seq       BIGINT NOT NULL,
    leaf_hash TEXT NOT NULL
);
INSERT INTO audit_chain_head(id, seq, leaf_hash) VALUES (1, -1, '');
CREATE FUNCTION cited_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION cited_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION cited_append_only();
CREATE TRIGGER audit_citations_append_only BEFORE UPDATE OR DELETE ON audit_citations
    FOR EACH ROW EXECUTE FUNCTION cited_append_only();
CREATE TRIGGER audit_citations_no_truncate BEFORE TRUNCATE ON audit_citations
    FOR EACH STATEMENT EXECUTE FUNCTION cited_append_only();
CREATE TRIGGER review_events_append_only BEFORE UPDATE OR DELETE ON review_events
    FOR EACH ROW EXECUTE FUNCTION cited_append_only();
CREATE TRIGGER review_events_no_truncate BEFORE TRUNCATE ON review_events
    FOR EACH STATEMENT EXECUTE FUNCTION cited_append_only();
"#,
)];

/// Key of the advisory lock that serialises migrations between nodes starting at once ("cited" in ASCII).
const MIGRATION_LOCK: i64 = 0x0063_6974_6564;

/// Key of the advisory lock held by the node that ingests ("ingest" in ASCII).
const INGEST_LOCK: i64 = 0x696e_6765_7374;

/// The connection holding the ingest lock; unlocks before going back to the pool.
struct AdvisoryLease {
    conn: Option<r2d2::PooledConnection<Connector>>,
}

impl Drop for AdvisoryLease {
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take()
            && let Err(e) = conn.execute("SELECT pg_advisory_unlock($1)", &[&INGEST_LOCK])
        {
            // The session is gone, and the lock with it.
            tracing::warn!(error = %e, "could not release the ingest lock explicitly");
        }
    }
}

const VERSION_COLUMNS: &str = "version_id, doc_id, version, title, doc_type, effective_date, end_date, \
     declared_status, content_hash, source, metadata, state";

/// The PostgreSQL catalog: a small pool of connections; every call takes one for its duration.
pub struct PostgresCatalog {
    pool: Pool,
}

impl PostgresCatalog {
    /// Connects to `url` (`postgres://user:password@host:port/database`), then applies the migrations
    /// this release knows and the database lacks. Fails when the database was migrated by a newer release.
    pub fn open(url: &str, max_connections: u32) -> Result<Self> {
        let config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
            CatalogError::Config(format!("PostgreSQL URL is not valid: {e}"))
        })?;
        if config.get_ssl_mode() == postgres::config::SslMode::Require {
            return Err(CatalogError::Config(
                "the PostgreSQL URL asks for TLS (sslmode=require), which this release cannot do yet: \
                 reach the server over a trusted network with sslmode=disable, or through a TLS tunnel"
                    .into(),
            ));
        }
        // One connection first, outside the pool: a wrong host, port, user or database is named at once,
        // not after the pool's wait.
        drop(config.connect(NoTls)?);
        let manager = Connector { config };
        let pool = r2d2::Pool::builder()
            .max_size(max_connections.max(1))
            .min_idle(Some(0))
            .connection_timeout(Duration::from_secs(10))
            .build(manager)?;
        let catalog = Self { pool };
        catalog.migrate()?;
        Ok(catalog)
    }

    pub(crate) fn conn(&self) -> Result<r2d2::PooledConnection<Connector>> {
        Ok(self.pool.get()?)
    }

    /// The schema version this database is at (the highest migration applied).
    pub fn schema_version(&self) -> Result<i32> {
        let row = self.conn()?.query_one(
            "SELECT COALESCE(MAX(version), 0) FROM cited_schema_migrations",
            &[],
        )?;
        Ok(row.get(0))
    }

    fn migrate(&self) -> Result<()> {
        // Uncached: a migration that rolls back must not leave prepared statements on tables it undid.
        let mut conn = self.conn()?;
        let mut tx = conn.client()?.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS cited_schema_migrations (
                version     INTEGER PRIMARY KEY,
                description TEXT NOT NULL,
                applied_at  TEXT NOT NULL
            )",
        )?;
        let current: i32 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM cited_schema_migrations",
                &[],
            )?
            .get(0);
        let known = MIGRATIONS.last().map_or(0, |m| m.0);
        if current > known {
            return Err(CatalogError::SchemaTooNew {
                found: i64::from(current),
                supported: i64::from(known),
            });
        }
        for (version, description, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
            tx.batch_execute(sql)?;
            tx.execute(
                "INSERT INTO cited_schema_migrations(version, description, applied_at) VALUES ($1, $2, $3)",
                &[version, description, &Utc::now().to_rfc3339()],
            )?;
            tracing::info!(version, description, "catalog migration applied");
        }
        tx.commit()?;
        Ok(())
    }

    fn version_ids(&self, sql: &str) -> Result<Vec<VersionId>> {
        let rows = self.conn()?.query(sql, &[])?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Runs `sql` (one `$1` parameter: the id array) in one transaction and bumps the generation.
    fn update_versions(&self, sql: &str, ids: &[VersionId]) -> Result<()> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        tx.execute(sql, &[&ids])?;
        bump_generation(&mut tx)?;
        tx.commit()?;
        Ok(())
    }

    fn reviews_where(&self, clause: &str, arg: &str) -> Result<Vec<ReviewRecord>> {
        let sql = format!(
            "SELECT review_id, question, question_key, created_at, confidence, reasons_json, draft_json, state,
                    reviewer, decided_at, note, answer_json, scope_key, trace_json
             FROM review_items WHERE {clause} ORDER BY created_at COLLATE \"C\" DESC, review_id COLLATE \"C\""
        );
        let rows = self.conn()?.query(&sql, &[&arg])?;
        rows.iter()
            .map(|r| {
                let json = |i: usize| -> Result<Option<serde_json::Value>> {
                    Ok(r.get::<_, Option<String>>(i)
                        .map(|t| serde_json::from_str(&t))
                        .transpose()?)
                };
                Ok(ReviewRecord {
                    review_id: r.get(0),
                    question: r.get(1),
                    question_key: r.get(2),
                    scope_key: r.get(12),
                    created_at: r.get(3),
                    confidence: r.get(4),
                    reasons: serde_json::from_str(r.get(5))?,
                    draft: serde_json::from_str(r.get(6))?,
                    state: r.get(7),
                    reviewer: r.get(8),
                    decided_at: r.get(9),
                    note: r.get(10),
                    answer: json(11)?,
                    trace: json(13)?,
                    events: Vec::new(),
                })
            })
            .collect()
    }

    fn tokens_where(&self, clause: &str, arg: &str) -> Result<Vec<ApiToken>> {
        let sql = format!(
            "SELECT token_hash, token_id, user_id, roles_json, groups_json, created_at, revoked_at
             FROM api_tokens WHERE {clause} ORDER BY created_at COLLATE \"C\", token_id COLLATE \"C\""
        );
        let rows = self.conn()?.query(&sql, &[&arg])?;
        rows.iter()
            .map(|r| {
                Ok(ApiToken {
                    token_hash: r.get(0),
                    token_id: r.get(1),
                    user_id: r.get(2),
                    roles: serde_json::from_str(r.get(3))?,
                    groups: serde_json::from_str(r.get(4))?,
                    created_at: r.get(5),
                    revoked_at: r.get(6),
                })
            })
            .collect()
    }
}

fn bump_generation(tx: &mut CachedTransaction<'_>) -> Result<()> {
    tx.execute(
        "UPDATE catalog_meta SET value = value + 1 WHERE key = 'generation'",
        &[],
    )?;
    Ok(())
}

fn to_u32(value: i64, what: &str) -> Result<u32> {
    u32::try_from(value).map_err(|_| CatalogError::Damaged(format!("{what} {value} out of range")))
}

fn version_from_row(r: &Row) -> Result<DocumentVersion> {
    let state: String = r.get(11);
    let metadata = match r.get::<_, serde_json::Value>(10) {
        serde_json::Value::Object(map) => map,
        other => {
            return Err(CatalogError::Damaged(format!(
                "version metadata is not an object: {other}"
            )));
        }
    };
    Ok(DocumentVersion {
        version_id: r.get(0),
        doc_id: r.get(1),
        version: r.get(2),
        title: r.get(3),
        doc_type: r.get(4),
        effective_date: r.get::<_, Option<NaiveDate>>(5),
        end_date: r.get::<_, Option<NaiveDate>>(6),
        declared_status: r.get(7),
        content_hash: r.get(8),
        source: r.get(9),
        metadata,
        ingest_seq: r.get(0),
        state: if state == "committed" {
            VersionState::Committed
        } else {
            VersionState::Pending
        },
    })
}

fn insert_review_in(tx: &mut CachedTransaction<'_>, r: &NewReview<'_>) -> Result<()> {
    let now = Utc::now().to_rfc3339();
    tx.execute(
        "INSERT INTO review_items(review_id, question, question_key, scope_key, created_at, confidence,
            reasons_json, draft_json, trace_json, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending')",
        &[
            &r.review_id,
            &r.question,
            &r.question_key,
            &r.scope_key,
            &now,
            &r.confidence,
            &r.reasons.to_string(),
            &r.draft.to_string(),
            &r.trace.map(|t| t.to_string()),
        ],
    )?;
    tx.execute(
        "INSERT INTO review_events(review_id, seq, kind, at, actor) VALUES ($1, 1, 'created', $2, 'cited')",
        &[&r.review_id, &now],
    )?;
    Ok(())
}

impl CatalogStore for PostgresCatalog {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn durable_commits(&self) -> Result<bool> {
        let mut conn = self.conn()?;
        let fsync: String = conn.query_one("SHOW fsync", &[])?.get(0);
        let commit: String = conn.query_one("SHOW synchronous_commit", &[])?.get(0);
        Ok(fsync == "on" && commit != "off")
    }

    fn set_index_owner(&self, owner: &str) -> Result<()> {
        self.conn()?.execute(
            "INSERT INTO catalog_owner(id, owner) VALUES (1, $1)
             ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner",
            &[&owner],
        )?;
        Ok(())
    }

    fn index_owner(&self, candidate: &str) -> Result<String> {
        let mut conn = self.conn()?;
        conn.execute(
            "INSERT INTO catalog_owner(id, owner) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
            &[&candidate],
        )?;
        Ok(conn
            .query_one("SELECT owner FROM catalog_owner WHERE id = 1", &[])?
            .get(0))
    }

    fn generation(&self) -> Result<i64> {
        Ok(self
            .conn()?
            .query_one(
                "SELECT value FROM catalog_meta WHERE key = 'generation'",
                &[],
            )?
            .get(0))
    }

    fn unchanged_source(&self, path: &str, fingerprint: &str) -> Result<Option<VersionId>> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT s.version_id FROM sources s JOIN versions v USING (version_id)
                 WHERE s.path = $1 AND s.fingerprint = $2 AND v.state = 'committed'",
                &[&path, &fingerprint],
            )?
            .map(|r| r.get(0)))
    }

    fn record_source(&self, path: &str, fingerprint: &str, version_id: VersionId) -> Result<()> {
        self.conn()?.execute(
            "INSERT INTO sources(path, fingerprint, version_id) VALUES ($1, $2, $3)
             ON CONFLICT (path) DO UPDATE SET fingerprint = excluded.fingerprint, version_id = excluded.version_id",
            &[&path, &fingerprint, &version_id],
        )?;
        Ok(())
    }

    fn find_version(&self, doc_id: &str, version: &str) -> Result<Option<DocumentVersion>> {
        let sql =
            format!("SELECT {VERSION_COLUMNS} FROM versions WHERE doc_id = $1 AND version = $2");
        self.conn()?
            .query_opt(&sql, &[&doc_id, &version])?
            .as_ref()
            .map(version_from_row)
            .transpose()
    }

    fn insert_pending(
        &self,
        v: &NewVersion<'_>,
        chunks: &[NewChunk],
    ) -> Result<(VersionId, Vec<u64>)> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        if let Some(row) = tx.query_opt(
            "SELECT content_hash, source FROM versions WHERE doc_id = $1 AND version = $2",
            &[&v.doc_id, &v.version],
        )? {
            return Err(CatalogError::VersionConflict {
                doc_id: v.doc_id.to_string(),
                version: v.version.to_string(),
                existing: row.get(0),
                existing_source: row.get(1),
            });
        }
        let metadata = serde_json::Value::Object(v.metadata.clone());
        let version_id: VersionId = tx
            .query_one(
                "INSERT INTO versions(doc_id, version, title, doc_type, effective_date, end_date,
                    declared_status, content_hash, source, metadata, canonical_text, state, ingested_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', $12)
                 RETURNING version_id",
                &[
                    &v.doc_id,
                    &v.version,
                    &v.title,
                    &v.doc_type,
                    &v.effective_date,
                    &v.end_date,
                    &v.declared_status,
                    &v.content_hash,
                    &v.source,
                    &metadata,
                    &v.canonical_text,
                    &Utc::now().to_rfc3339(),
                ],
            )?
            .get(0);
        bump_generation(&mut tx)?;
        let insert = "INSERT INTO chunks(version_id, ordinal, section, page, start, \"end\")
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING chunk_id";
        let mut ids = Vec::with_capacity(chunks.len());
        for c in chunks {
            let id: i64 = tx
                .query_one(
                    insert,
                    &[
                        &version_id,
                        &i64::from(c.ordinal),
                        &c.section,
                        &c.page.map(i64::from),
                        &(c.start as i64),
                        &(c.end as i64),
                    ],
                )?
                .get(0);
            ids.push(id as u64);
        }
        tx.commit()?;
        Ok((version_id, ids))
    }

    fn commit_versions(&self, ids: &[VersionId]) -> Result<()> {
        self.update_versions(
            "UPDATE versions SET state = 'committed' WHERE version_id = ANY($1)",
            ids,
        )
    }

    fn pending_versions(&self) -> Result<Vec<VersionId>> {
        self.version_ids(
            "SELECT version_id FROM versions WHERE state = 'pending' ORDER BY version_id",
        )
    }

    /// A session-level advisory lock, held by a pooled connection that the lease keeps out of the pool.
    /// A node that dies loses its session and with it the lock, so its pending versions become the next
    /// holder's to remove.
    fn ingest_lease(&self, wait: bool) -> Result<Option<IngestLease>> {
        let mut conn = self.conn()?;
        let held = if wait {
            conn.execute("SELECT pg_advisory_lock($1)", &[&INGEST_LOCK])?;
            true
        } else {
            conn.query_one("SELECT pg_try_advisory_lock($1)", &[&INGEST_LOCK])?
                .get(0)
        };
        Ok(held.then(|| IngestLease::new(Box::new(AdvisoryLease { conn: Some(conn) }))))
    }

    fn delete_versions(&self, ids: &[VersionId]) -> Result<()> {
        self.update_versions("DELETE FROM versions WHERE version_id = ANY($1)", ids)
    }

    fn all_version_ids(&self) -> Result<Vec<VersionId>> {
        self.version_ids("SELECT version_id FROM versions ORDER BY version_id")
    }

    fn committed_versions(&self) -> Result<Vec<DocumentVersion>> {
        let rows = self.conn()?.query(
            "SELECT version_id, doc_id, version, title, doc_type, effective_date, end_date, declared_status,
                    content_hash, source, '{}'::jsonb, state
             FROM versions WHERE state = 'committed' ORDER BY doc_id COLLATE \"C\", version_id",
            &[],
        )?;
        rows.iter().map(version_from_row).collect()
    }

    fn versions_of(&self, doc_id: &str) -> Result<Vec<DocumentVersion>> {
        let sql =
            format!("SELECT {VERSION_COLUMNS} FROM versions WHERE doc_id = $1 ORDER BY version_id");
        let rows = self.conn()?.query(&sql, &[&doc_id])?;
        rows.iter().map(version_from_row).collect()
    }

    fn canonical_text(&self, version_id: VersionId) -> Result<Option<String>> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT canonical_text FROM versions WHERE version_id = $1",
                &[&version_id],
            )?
            .map(|r| r.get(0)))
    }

    fn filter_keys(&self) -> Result<BTreeSet<String>> {
        let rows = self.conn()?.query(
            "SELECT DISTINCT jsonb_object_keys(metadata) FROM versions WHERE state = 'committed'",
            &[],
        )?;
        let mut keys: BTreeSet<String> = rows.iter().map(|r| r.get(0)).collect();
        keys.extend(["doc_type", "doc_id", "version"].map(String::from));
        Ok(keys)
    }

    fn metadata_values(&self, key: &str) -> Result<BTreeSet<String>> {
        let rows = self.conn()?.query(
            "SELECT DISTINCT metadata ->> $1 FROM versions
             WHERE state = 'committed' AND jsonb_typeof(metadata -> $1) = 'string'",
            &[&key],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn restricted_documents(&self) -> Result<Vec<RestrictedDocument>> {
        let rows = self.conn()?.query(
            "SELECT doc_id, version_id, metadata -> 'audience' FROM versions
             WHERE doc_id IN (SELECT doc_id FROM versions WHERE metadata ? 'audience')
             ORDER BY doc_id COLLATE \"C\", version_id",
            &[],
        )?;
        let mut docs: Vec<RestrictedDocument> = Vec::new();
        for r in &rows {
            let doc_id: String = r.get(0);
            if docs.last().is_none_or(|d| d.doc_id != doc_id) {
                docs.push(RestrictedDocument {
                    doc_id,
                    audiences: Vec::new(),
                    version_ids: Vec::new(),
                });
            }
            let Some(doc) = docs.last_mut() else { continue };
            doc.version_ids.push(r.get(1));
            // A version without the key, or with JSON null, sets no audience (as in SQLite).
            match r.get::<_, Option<serde_json::Value>>(2) {
                None | Some(serde_json::Value::Null) => {}
                Some(value) => doc.audiences.push(audience_groups(&value)),
            }
        }
        Ok(docs)
    }

    fn versions_matching(&self, filters: &[MetadataFilter]) -> Result<HashSet<VersionId>> {
        let mut sql = String::from("SELECT version_id FROM versions v WHERE state = 'committed'");
        let mut args: Vec<String> = Vec::new();
        for f in filters {
            match f.key.as_str() {
                "doc_type" | "doc_id" | "version" => {
                    args.push(f.value.clone());
                    sql.push_str(&format!(" AND v.{} = ${}", f.key, args.len()));
                }
                key => {
                    // A list field matches when any item does; a scalar is a list of one.
                    args.push(key.to_string());
                    args.push(f.value.clone());
                    let (k, value) = (args.len() - 1, args.len());
                    sql.push_str(&format!(
                        " AND EXISTS (SELECT 1 FROM jsonb_array_elements(
                               CASE jsonb_typeof(v.metadata -> ${k}) WHEN 'array' THEN v.metadata -> ${k}
                                    ELSE jsonb_build_array(v.metadata -> ${k}) END) e
                           WHERE e #>> '{{}}' = ${value})"
                    ));
                }
            }
        }
        let params: Vec<&(dyn ToSql + Sync)> =
            args.iter().map(|a| a as &(dyn ToSql + Sync)).collect();
        let rows = self.conn()?.query(&sql, &params)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn chunks(&self, ids: &[u64]) -> Result<Vec<ChunkWithVersion>> {
        let wanted: Vec<i64> = ids.iter().map(|&id| id as i64).collect();
        // Offsets are UTF-8 byte offsets: the slice is cut from the text's bytes, as in SQLite.
        let rows = self.conn()?.query(
            "SELECT c.chunk_id, c.version_id, c.ordinal, c.section, c.page, c.start, c.\"end\",
                    convert_from(substring(convert_to(v.canonical_text, 'UTF8')
                                           FROM (c.start + 1)::int FOR (c.\"end\" - c.start)::int), 'UTF8'),
                    v.doc_id, v.version, v.title
             FROM chunks c JOIN versions v USING (version_id)
             WHERE c.chunk_id = ANY($1) AND v.state = 'committed'",
            &[&wanted],
        )?;
        let mut found: HashMap<u64, ChunkWithVersion> = HashMap::with_capacity(rows.len());
        for r in &rows {
            let start: i64 = r.get(5);
            let end: i64 = r.get(6);
            let chunk_id = r.get::<_, i64>(0) as u64;
            found.insert(
                chunk_id,
                ChunkWithVersion {
                    chunk: Chunk {
                        chunk_id,
                        version_id: r.get(1),
                        span: NewChunk {
                            ordinal: to_u32(r.get(2), "chunk ordinal")?,
                            section: r.get(3),
                            page: r
                                .get::<_, Option<i64>>(4)
                                .map(|p| to_u32(p, "page"))
                                .transpose()?,
                            start: start as usize,
                            end: end as usize,
                        },
                        text: r.get(7),
                    },
                    doc_id: r.get(8),
                    version: r.get(9),
                    title: r.get(10),
                },
            );
        }
        Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
    }

    fn chunk_ids_of(&self, version_id: VersionId) -> Result<Vec<u64>> {
        let rows = self.conn()?.query(
            "SELECT chunk_id FROM chunks WHERE version_id = $1 ORDER BY ordinal",
            &[&version_id],
        )?;
        Ok(rows.iter().map(|r| r.get::<_, i64>(0) as u64).collect())
    }

    fn counts(&self) -> Result<CatalogCounts> {
        let row = self.conn()?.query_one(
            "SELECT (SELECT COUNT(DISTINCT doc_id) FROM versions WHERE state = 'committed'),
                    (SELECT COUNT(*) FROM versions WHERE state = 'committed'),
                    (SELECT COUNT(*) FROM chunks c JOIN versions v USING (version_id) WHERE v.state = 'committed')",
            &[],
        )?;
        Ok(CatalogCounts {
            documents: row.get::<_, i64>(0) as u64,
            versions: row.get::<_, i64>(1) as u64,
            chunks: row.get::<_, i64>(2) as u64,
        })
    }

    fn insert_review(&self, r: &NewReview<'_>) -> Result<()> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        insert_review_in(&mut tx, r)?;
        tx.commit()?;
        Ok(())
    }

    fn append_audit(&self, entry: &AuditEntry<'_>, review: Option<&NewReview<'_>>) -> Result<u64> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        // The head lock first: every append, from any node, queues here, so seq and prev_leaf never fork.
        let head = tx.query_one(
            "SELECT seq, leaf_hash FROM audit_chain_head WHERE id = 1 FOR UPDATE",
            &[],
        )?;
        let last_seq: i64 = head.get(0);
        let prev_leaf: String = head.get(1);
        if let Some(r) = review {
            insert_review_in(&mut tx, r)?;
        }
        let seq = u64::try_from(last_seq + 1)
            .map_err(|_| CatalogError::Damaged(format!("audit chain head at {last_seq}")))?;
        let (json, leaf) = audit_record(entry, seq, &prev_leaf);
        let seq_sql = seq as i64;
        tx.execute(
            "INSERT INTO audit_log(seq, record_id, at, user_id, action, status, record_json, leaf_hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &seq_sql,
                &entry.record_id,
                &entry.at,
                &entry.user_id,
                &entry.action,
                &entry.status,
                &json,
                &leaf,
            ],
        )?;
        for (doc_id, version) in entry.citations {
            tx.execute(
                "INSERT INTO audit_citations(seq, doc_id, version) VALUES ($1, $2, $3)",
                &[&seq_sql, doc_id, version],
            )?;
        }
        tx.execute(
            "UPDATE audit_chain_head SET seq = $1, leaf_hash = $2 WHERE id = 1",
            &[&seq_sql, &leaf],
        )?;
        tx.commit()?;
        Ok(seq)
    }

    fn audit_records(&self, query: &AuditQuery) -> Result<Vec<cited_audit::StoredRecord>> {
        let (sql, args) = audit_query_sql(query, '$', "COLLATE \"C\"");
        let params: Vec<&(dyn ToSql + Sync)> =
            args.iter().map(|a| a as &(dyn ToSql + Sync)).collect();
        let rows = self.conn()?.query(&sql, &params)?;
        rows.iter()
            .map(|r| {
                let seq: i64 = r.get(0);
                Ok(cited_audit::StoredRecord {
                    seq: u64::try_from(seq)
                        .map_err(|_| CatalogError::Damaged(format!("audit seq {seq}")))?,
                    record_id: r.get(1),
                    json: r.get(2),
                    leaf_hash: r.get(3),
                })
            })
            .collect()
    }

    fn insert_audit_head(&self, size: u64, timestamp: &str, head_json: &str) -> Result<()> {
        self.conn()?.execute(
            "INSERT INTO audit_heads(size, timestamp, head_json) VALUES ($1, $2, $3)",
            &[&(size as i64), &timestamp, &head_json],
        )?;
        Ok(())
    }

    fn audit_heads(&self) -> Result<Vec<String>> {
        let rows = self
            .conn()?
            .query("SELECT head_json FROM audit_heads ORDER BY head_id", &[])?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
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
        let mut tx = conn.transaction()?;
        let Some(row) = tx.query_opt(
            "SELECT answer_json FROM review_items WHERE review_id = $1 AND state = $2 FOR UPDATE",
            &[&review_id, &from],
        )?
        else {
            return Ok(false);
        };
        let before: Option<String> = row.get(0);
        let now = Utc::now().to_rfc3339();
        let after = answer.map(|a| a.to_string());
        tx.execute(
            "INSERT INTO review_events(review_id, seq, kind, at, actor, note, answer_before, answer_after)
             VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM review_events WHERE review_id = $1),
                     $2, $3, $4, $5, $6, $7)",
            &[&review_id, &kind, &now, &actor, &note, &before, &after],
        )?;
        let decided = to != "pending";
        tx.execute(
            "UPDATE review_items SET state = $2, reviewer = $3, decided_at = $4, note = $5, answer_json = $6,
                draft_json = COALESCE($7, draft_json)
             WHERE review_id = $1",
            &[
                &review_id,
                &to,
                &decided.then_some(actor),
                &decided.then_some(now.as_str()),
                &note,
                &after,
                &draft.map(|d| d.to_string()),
            ],
        )?;
        tx.commit()?;
        Ok(true)
    }

    fn review_events(&self, review_id: &str) -> Result<Vec<ReviewEvent>> {
        let rows = self.conn()?.query(
            "SELECT seq, kind, at, actor, note, answer_before, answer_after FROM review_events
             WHERE review_id = $1 ORDER BY seq",
            &[&review_id],
        )?;
        rows.iter()
            .map(|r| {
                let json = |i: usize| -> Result<Option<serde_json::Value>> {
                    Ok(r.get::<_, Option<String>>(i)
                        .map(|t| serde_json::from_str(&t))
                        .transpose()?)
                };
                Ok(ReviewEvent {
                    seq: r.get(0),
                    kind: r.get(1),
                    at: r.get(2),
                    actor: r.get(3),
                    note: r.get(4),
                    answer_before: json(5)?,
                    answer_after: json(6)?,
                })
            })
            .collect()
    }

    fn review(&self, review_id: &str) -> Result<Option<ReviewRecord>> {
        let Some(mut item) = self
            .reviews_where("review_id = $1", review_id)?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        item.events = self.review_events(review_id)?;
        Ok(Some(item))
    }

    fn reviews_in_state(&self, state: &str) -> Result<Vec<ReviewRecord>> {
        self.reviews_where("state = $1", state)
    }

    fn insert_token(&self, t: &ApiToken) -> Result<()> {
        self.conn()?.execute(
            "INSERT INTO api_tokens(token_hash, token_id, user_id, roles_json, groups_json, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &t.token_hash,
                &t.token_id,
                &t.user_id,
                &serde_json::to_string(&t.roles)?,
                &serde_json::to_string(&t.groups)?,
                &t.created_at,
            ],
        )?;
        Ok(())
    }

    fn token_by_hash(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        Ok(self
            .tokens_where("token_hash = $1", token_hash)?
            .into_iter()
            .next())
    }

    fn tokens(&self) -> Result<Vec<ApiToken>> {
        self.tokens_where("$1::text IS NOT NULL", "")
    }

    fn revoke_token(&self, token_id: &str) -> Result<bool> {
        let changed = self.conn()?.execute(
            "UPDATE api_tokens SET revoked_at = $2 WHERE token_id = $1 AND revoked_at IS NULL",
            &[&token_id, &Utc::now().to_rfc3339()],
        )?;
        Ok(changed == 1)
    }

    fn review_in_scope(&self, scope_key: &str, state: &str) -> Result<Option<ReviewRecord>> {
        let clause = format!("scope_key = $1 AND {}", scope_state_clause(state));
        Ok(self.reviews_where(&clause, scope_key)?.into_iter().next())
    }
}

/// A database made on a PostgreSQL server for one run (tests, `make` targets) and dropped with its
/// connections when this value is dropped.
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    /// URL of the new database.
    pub url: String,
}

impl ScratchDatabase {
    /// Creates `cited_<tag>_<pid>_<n>` on the server of `admin_url` (a URL of any database there).
    pub fn create(admin_url: &str, tag: &str) -> Result<Self> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let tag: String = tag
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let name = format!(
            "cited_{tag}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let mut config: postgres::Config = admin_url.parse().map_err(|e: postgres::Error| {
            CatalogError::Config(format!("PostgreSQL URL is not valid: {e}"))
        })?;
        let mut admin = config.connect(NoTls)?;
        // One statement per call: neither may run inside the implicit transaction of a batch.
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))?;
        admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
        config.dbname(&name);
        let host = match config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(host)) => host.clone(),
            _ => "127.0.0.1".to_string(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let user = config.get_user().unwrap_or("postgres");
        let password = config
            .get_password()
            .map(|p| format!(":{}", String::from_utf8_lossy(p)))
            .unwrap_or_default();
        Ok(Self {
            admin_url: admin_url.to_string(),
            url: format!("postgres://{user}{password}@{host}:{port}/{name}"),
            name,
        })
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.admin_url, NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
