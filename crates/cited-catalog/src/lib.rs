//! The catalog: documents, versions (with their canonical text), chunks, source fingerprints, the review
//! queue, API tokens and the audit trail. It is the source of truth: the indexes hold copies keyed by chunk
//! id, and only versions the catalog marks committed are ever searched.
//!
//! Two stores behind one trait, [`CatalogStore`]: [`SqliteCatalog`], one file in the data directory (the
//! embedded default), and [`PostgresCatalog`], a PostgreSQL server shared by every app node. [`open`]
//! picks one from a [`CatalogLocation`].

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;

use chrono::NaiveDate;
use cited_core::{Chunk, DocumentVersion, MetadataFilter, NewChunk, VersionId};

mod copy;
pub mod postgres;
pub mod sqlite;

pub use copy::{CopyReport, copy_sqlite_to_postgres};
pub use postgres::PostgresCatalog;
pub use sqlite::SqliteCatalog;

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
    /// PostgreSQL said no (or the connection failed).
    #[error("catalog database (PostgreSQL): {}", postgres_message(.0))]
    Postgres(::postgres::Error),
    /// No PostgreSQL connection could be had from the pool in time.
    #[error("catalog database (PostgreSQL) unreachable: {0}")]
    Pool(#[from] r2d2::Error),
    /// The catalog's location or options are wrong.
    #[error("catalog configuration: {0}")]
    Config(String),
    /// The database was migrated by a newer release than this one.
    #[error(
        "the catalog database is at schema version {found}, newer than this cited knows ({supported}); upgrade cited"
    )]
    SchemaTooNew {
        /// Version found in the database.
        found: i64,
        /// Highest version this release knows.
        supported: i64,
    },
    /// A stored value out of its range (a damaged catalog).
    #[error("catalog value damaged: {0}")]
    Damaged(String),
    /// The lock around the connection was poisoned by a panic elsewhere.
    #[error("catalog lock poisoned")]
    Poisoned,
    /// The same document version exists with other content.
    #[error(
        "{doc_id} version {version} is already in the catalog from {existing_source} with different content (hash {existing}); give the new text a new version label"
    )]
    VersionConflict {
        /// Document id.
        doc_id: String,
        /// Version label.
        version: String,
        /// Hash of the stored text.
        existing: String,
        /// The file the stored text came from.
        existing_source: String,
    },
}

/// What the server said ("FATAL: database \"x\" does not exist"), or what failed and why ("error
/// connecting to server: Connection refused"): the driver's own text for both is only "db error" or the
/// first half.
fn postgres_message(e: &::postgres::Error) -> String {
    match (e.as_db_error(), std::error::Error::source(e)) {
        (Some(db), _) => format!("{}: {}", db.severity(), db.message()),
        (None, Some(cause)) => format!("{e}: {cause}"),
        (None, None) => e.to_string(),
    }
}

// By hand, not `#[from]`: the message already holds the driver's cause, which as `source()` would be
// printed twice by callers that print the chain.
impl From<::postgres::Error> for CatalogError {
    fn from(e: ::postgres::Error) -> Self {
        CatalogError::Postgres(e)
    }
}

/// Catalog results.
pub type Result<T> = std::result::Result<T, CatalogError>;

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

/// One audit record to append (see [`CatalogStore::append_audit`]).
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    /// Unique id.
    pub record_id: &'a str,
    /// RFC 3339 time.
    pub at: &'a str,
    /// Who.
    pub user_id: &'a str,
    /// What: `ask`, `search`, `review.approve`, `ingest`, `token.create`, ...
    pub action: &'a str,
    /// The outcome, for filtering (`answered`, `needs_review`, ...).
    pub status: Option<&'a str>,
    /// Documents and versions cited, for filtering.
    pub citations: &'a [(String, String)],
    /// Everything else the record says.
    pub body: serde_json::Map<String, serde_json::Value>,
}

/// Which audit records to read; every field narrows.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AuditQuery {
    /// Records citing this document...
    pub doc_id: Option<String>,
    /// ...in this version.
    pub version: Option<String>,
    /// By this user.
    pub user_id: Option<String>,
    /// Of this action.
    pub action: Option<String>,
    /// With this status.
    pub status: Option<String>,
    /// At or after this time (RFC 3339 in UTC, or a date: times are compared as text).
    pub from: Option<String>,
    /// Before this time (exclusive: `to=2026-12-01` ends with the last of November 30).
    pub to: Option<String>,
    /// At most this many.
    pub limit: Option<usize>,
}

/// A document some version of which names an `audience`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestrictedDocument {
    /// Document id.
    pub doc_id: String,
    /// The audience of each version that has one.
    pub audiences: Vec<Vec<String>>,
    /// Every version of the document, restricted or not: the document is read whole or not at all.
    pub version_ids: Vec<VersionId>,
}

/// An API token as stored: only the SHA-256 of the secret is kept.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiToken {
    /// Public id, to list and revoke the token without its secret.
    pub token_id: String,
    /// SHA-256 (hex) of the secret.
    #[serde(skip)]
    pub token_hash: String,
    /// Who uses it.
    pub user_id: String,
    /// Role names.
    pub roles: Vec<String>,
    /// Groups, for per-document access.
    pub groups: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, once revoked.
    pub revoked_at: Option<String>,
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
    /// Normalised question plus filters: an approved answer is reused only within the same scope.
    pub scope_key: String,
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
    /// The trace of the ask that created the item (JSON owned by the engine).
    pub trace: Option<serde_json::Value>,
    /// Everything that happened to the item, oldest first (filled by [`CatalogStore::review`]).
    pub events: Vec<ReviewEvent>,
}

/// One entry of a review item's history. Events are append-only (SQLite triggers refuse updates and
/// deletes); the item's `state`, `reviewer`, `note` and `answer` are the projection of its latest events.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReviewEvent {
    /// 1, 2, ... within the item.
    pub seq: i64,
    /// `created`, `approved`, `edited`, `rejected` or `reopened`.
    pub kind: String,
    /// RFC 3339 time.
    pub at: String,
    /// Who: the reviewer's name, or `cited` for the system.
    pub actor: String,
    /// Reviewer's note, or the reason of a reopening.
    pub note: Option<String>,
    /// The answer before the event (JSON), if there was one.
    pub answer_before: Option<serde_json::Value>,
    /// The answer after the event (JSON), if there is one.
    pub answer_after: Option<serde_json::Value>,
}

/// A new review item.
#[derive(Debug, Clone, Copy)]
pub struct NewReview<'a> {
    /// Item id.
    pub review_id: &'a str,
    /// The question as asked.
    pub question: &'a str,
    /// Normalised question.
    pub question_key: &'a str,
    /// Normalised question plus filters.
    pub scope_key: &'a str,
    /// Confidence of the draft.
    pub confidence: f64,
    /// Why it needs review (JSON).
    pub reasons: &'a serde_json::Value,
    /// The draft (JSON).
    pub draft: &'a serde_json::Value,
    /// The trace of the ask (JSON).
    pub trace: Option<&'a serde_json::Value>,
}

/// One step of a review item's life (see [`CatalogStore::transition_review`]).
#[derive(Debug, Clone, Copy)]
pub struct ReviewTransition<'a> {
    /// Item id.
    pub review_id: &'a str,
    /// The state the item must be in.
    pub from: &'a str,
    /// The event: `approved`, `edited`, `rejected` or `reopened`.
    pub kind: &'a str,
    /// The state it moves to.
    pub to: &'a str,
    /// Who: a reviewer, or `cited`.
    pub actor: &'a str,
    /// Reviewer's note, or the reason of a reopening.
    pub note: Option<&'a str>,
    /// The answer after the event (none: the item has no answer after it).
    pub answer: Option<&'a serde_json::Value>,
    /// A new draft (none: the draft stays).
    pub draft: Option<&'a serde_json::Value>,
}

/// The right to ingest into a catalog ([`CatalogStore::ingest_lease`]); dropping it gives it up.
pub struct IngestLease {
    _held: Box<dyn Send>,
}

impl IngestLease {
    /// A lease that holds `held` until dropped (an advisory lock's connection; `()` for a store whose
    /// exclusion lives elsewhere).
    pub fn new(held: Box<dyn Send>) -> Self {
        Self { _held: held }
    }
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

/// The catalog's storage: the embedded SQLite file or a PostgreSQL server. Both keep the same tables and
/// the same rules (pending versions are never read, review events and the audit trail are append-only,
/// an audit record and the review item it creates are written in one transaction), checked by one
/// contract suite (`tests/contract.rs`).
pub trait CatalogStore: Send + Sync {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Whether a commit that returned survives a power cut (SQLite `synchronous = FULL`; PostgreSQL
    /// `fsync` on and `synchronous_commit` not off).
    fn durable_commits(&self) -> Result<bool>;

    /// The id of the data directory whose indexes this catalog describes: `candidate` when none was
    /// recorded yet (it is recorded), else the one recorded. A catalog on a server must not be shared by
    /// data directories with their own indexes: start-up recovery in one would remove the other's work.
    fn index_owner(&self, candidate: &str) -> Result<String>;

    /// Binds the catalog to other indexes (`cited migrate --to-qdrant`, after copying them there).
    fn set_index_owner(&self, owner: &str) -> Result<()>;

    /// Bumped on every change that alters what search may see; readers use it to refresh caches.
    fn generation(&self) -> Result<i64>;

    /// The committed version a source file produced last time, if its fingerprint is unchanged.
    fn unchanged_source(&self, path: &str, fingerprint: &str) -> Result<Option<VersionId>>;

    /// Records that `path` with `fingerprint` produced `version_id`.
    fn record_source(&self, path: &str, fingerprint: &str, version_id: VersionId) -> Result<()>;

    /// The version with this id and label, if recorded.
    fn find_version(&self, doc_id: &str, version: &str) -> Result<Option<DocumentVersion>>;

    /// Records a new version and its chunks as pending, in one transaction. Returns the version id and the
    /// chunk ids in chunk order. Fails with [`CatalogError::VersionConflict`] when the label exists with
    /// other content.
    fn insert_pending(
        &self,
        v: &NewVersion<'_>,
        chunks: &[NewChunk],
    ) -> Result<(VersionId, Vec<u64>)>;

    /// Marks versions committed (their chunks are durable in both indexes) and bumps the generation.
    fn commit_versions(&self, ids: &[VersionId]) -> Result<()>;

    /// Versions left pending (by a crash or a failed ingest).
    fn pending_versions(&self) -> Result<Vec<VersionId>>;

    /// Takes the right to ingest into this catalog, held until the lease is dropped. Only the holder
    /// creates pending versions, so only the holder may treat pending versions as abandoned: several
    /// nodes on one catalog ingest one at a time, and one node's start-up recovery never removes another
    /// node's ingest in progress. With `wait` it waits for the holder to finish; without, `None` says
    /// someone else holds it. (SQLite: the data directory's lock already makes its process the only one.)
    fn ingest_lease(&self, wait: bool) -> Result<Option<IngestLease>>;

    /// Removes versions and their chunks. Call only after their index entries are gone.
    fn delete_versions(&self, ids: &[VersionId]) -> Result<()>;

    /// Every version id in the catalog, pending ones included: everything an index may hold.
    fn all_version_ids(&self) -> Result<Vec<VersionId>>;

    /// All committed versions without metadata or text: what in-force resolution needs.
    fn committed_versions(&self) -> Result<Vec<DocumentVersion>>;

    /// Versions of one document (committed and pending), oldest first, with metadata.
    fn versions_of(&self, doc_id: &str) -> Result<Vec<DocumentVersion>>;

    /// Canonical text of a version.
    fn canonical_text(&self, version_id: VersionId) -> Result<Option<String>>;

    /// Field names a filter can use: the columns `doc_type`, `doc_id`, `version` and every metadata key of
    /// a committed version.
    fn filter_keys(&self) -> Result<BTreeSet<String>>;

    /// The distinct text values of one metadata key over committed versions ("payer" → "Medicare (CMS)",
    /// "Northwind Health Plan").
    fn metadata_values(&self, key: &str) -> Result<BTreeSet<String>>;

    /// Documents with an `audience` on any version (pending versions too: an ingest in progress must not
    /// open a gap), with each such audience and the ids of all the document's versions. A value that is
    /// not a group or a list of groups admits nobody: access fails closed.
    fn restricted_documents(&self) -> Result<Vec<RestrictedDocument>>;

    /// Committed versions whose fields match every filter. `doc_type` and `doc_id` are columns; any other
    /// key is looked up in the metadata (for a list field, any item may match).
    fn versions_matching(&self, filters: &[MetadataFilter]) -> Result<HashSet<VersionId>>;

    /// Chunks of committed versions by id with their text (sliced from the canonical text) and version
    /// labels, in the order asked. Ids not in the catalog, and chunks of pending versions (an ingest in
    /// progress), are left out: a reader never sees a version before it is committed.
    fn chunks(&self, ids: &[u64]) -> Result<Vec<ChunkWithVersion>>;

    /// Chunk ids and texts of one version, for (re-)indexing.
    fn chunk_ids_of(&self, version_id: VersionId) -> Result<Vec<u64>>;

    /// Counts of committed documents, versions and chunks.
    fn counts(&self) -> Result<CatalogCounts>;

    /// Adds a pending review item and its `created` event, in one transaction.
    fn insert_review(&self, r: &NewReview<'_>) -> Result<()>;

    /// Appends one audit record, and inserts `review` in the same transaction when given: the record of
    /// an ask that created a review item exists exactly when the item does. The record's JSON is `body`
    /// with `seq`, `prev_leaf` (the hash chain) and `record_id` added; its leaf hash is stored beside it.
    fn append_audit(&self, entry: &AuditEntry<'_>, review: Option<&NewReview<'_>>) -> Result<u64>;

    /// Audit records in log order, optionally only those matching `query`.
    fn audit_records(&self, query: &AuditQuery) -> Result<Vec<cited_audit::StoredRecord>>;

    /// Keeps a signed head (as JSON) beside the log, so `verify` checks the log against every head made.
    fn insert_audit_head(&self, size: u64, timestamp: &str, head_json: &str) -> Result<()>;

    /// Every head kept, oldest first, as JSON.
    fn audit_heads(&self) -> Result<Vec<String>>;

    /// Appends an event to a review item and updates the item's projection (state, reviewer, note,
    /// answer, draft), in one transaction. The item must be in state `from`: a decision on an item someone
    /// else just decided fails. Returns false when no item with that id is in state `from`.
    fn transition_review(&self, t: &ReviewTransition<'_>) -> Result<bool>;

    /// Records a decision (`approved`, `edited` — approved with the reviewer's text — or `rejected`) on a
    /// pending item. Returns false when no pending item has that id.
    fn decide_review(
        &self,
        review_id: &str,
        decision: &str,
        reviewer: &str,
        note: Option<&str>,
        answer: Option<&serde_json::Value>,
    ) -> Result<bool> {
        self.transition_review(&ReviewTransition {
            review_id,
            from: "pending",
            kind: decision,
            to: review_target_state(decision),
            actor: reviewer,
            note,
            answer,
            draft: None,
        })
    }

    /// Sends an approved item back to pending with a new draft, because what its answer cites changed.
    /// Returns false when the item is not approved.
    fn reopen_review(
        &self,
        review_id: &str,
        reason: &str,
        draft: &serde_json::Value,
    ) -> Result<bool> {
        self.transition_review(&ReviewTransition {
            review_id,
            from: "approved",
            kind: "reopened",
            to: "pending",
            actor: "cited",
            note: Some(reason),
            answer: None,
            draft: Some(draft),
        })
    }

    /// The history of one item, oldest first.
    fn review_events(&self, review_id: &str) -> Result<Vec<ReviewEvent>>;

    /// One review item with its history.
    fn review(&self, review_id: &str) -> Result<Option<ReviewRecord>>;

    /// Review items in a state (`pending`, `approved`, `rejected`), newest first.
    fn reviews_in_state(&self, state: &str) -> Result<Vec<ReviewRecord>>;

    /// Stores a new token (its hash, never the secret).
    fn insert_token(&self, t: &ApiToken) -> Result<()>;

    /// The token with this hash, revoked or not.
    fn token_by_hash(&self, token_hash: &str) -> Result<Option<ApiToken>>;

    /// Every token, oldest first.
    fn tokens(&self) -> Result<Vec<ApiToken>>;

    /// Marks a token revoked. Returns false when no active token has that id.
    fn revoke_token(&self, token_id: &str) -> Result<bool>;

    /// The most recent item in `state` for a scope (normalised question plus filters).
    fn review_in_scope(&self, scope_key: &str, state: &str) -> Result<Option<ReviewRecord>>;
}

/// Where the catalog lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogLocation {
    /// A SQLite file (the embedded default: `catalog.sqlite` in the data directory).
    Sqlite(PathBuf),
    /// A PostgreSQL database.
    Postgres {
        /// `postgres://user:password@host:port/database`.
        url: String,
        /// Connections kept open at most.
        max_connections: u32,
    },
}

/// Opens (creating or migrating as needed) the catalog at `location`.
pub fn open(location: &CatalogLocation) -> Result<Box<dyn CatalogStore>> {
    Ok(match location {
        CatalogLocation::Sqlite(path) => Box::new(SqliteCatalog::open(path)?),
        CatalogLocation::Postgres {
            url,
            max_connections,
        } => Box::new(PostgresCatalog::open(url, *max_connections)?),
    })
}

/// The groups an `audience` value admits: one group, or a list of groups. Any other value (a number, a
/// list holding anything but text) admits nobody: access fails closed.
pub(crate) fn audience_groups(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::String(group) => vec![group.clone()],
        serde_json::Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().map(String::from))
            .collect::<Option<Vec<_>>>()
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The audit record as hashed and stored: `entry.body` with its position in the chain and its envelope
/// added; returns the JSON text and its leaf hash (hex). The same bytes on every store, so `audit verify`
/// gives the same answer on both.
pub(crate) fn audit_record(entry: &AuditEntry<'_>, seq: u64, prev_leaf: &str) -> (String, String) {
    let mut record = entry.body.clone();
    record.insert("seq".into(), seq.into());
    record.insert("prev_leaf".into(), prev_leaf.into());
    record.insert("record_id".into(), entry.record_id.into());
    record.insert("at".into(), entry.at.into());
    record.insert("user_id".into(), entry.user_id.into());
    record.insert("action".into(), entry.action.into());
    let json = serde_json::Value::Object(record).to_string();
    let leaf = hex::encode(cited_audit::merkle::leaf_hash(json.as_bytes()));
    (json, leaf)
}

/// The state a review decision moves an item to: `rejected`, or `approved` (for `approved` and `edited`).
pub(crate) fn review_target_state(decision: &str) -> &'static str {
    if decision == "rejected" {
        "rejected"
    } else {
        "approved"
    }
}

/// The SQL condition on `state` for [`CatalogStore::review_in_scope`] (a fixed text per state: the state
/// never reaches the SQL).
pub(crate) fn scope_state_clause(state: &str) -> &'static str {
    match state {
        "approved" => "state = 'approved'",
        "rejected" => "state = 'rejected'",
        _ => "state = 'pending'",
    }
}

/// The SQL and arguments that read the audit records matching `query`, in log order. `mark` is the
/// placeholder prefix of the store (`?` for SQLite, `$` for PostgreSQL); `text_order` what makes text
/// compare byte by byte there (empty for SQLite, `COLLATE "C"` for PostgreSQL): times are RFC 3339 text.
pub(crate) fn audit_query_sql(
    query: &AuditQuery,
    mark: char,
    text_order: &str,
) -> (String, Vec<String>) {
    let mut sql =
        String::from("SELECT seq, record_id, record_json, leaf_hash FROM audit_log l WHERE 1 = 1");
    let mut args: Vec<String> = Vec::new();
    let mut arg = |sql: &mut String, clause: &str, value: &str| {
        args.push(value.to_string());
        sql.push_str(&clause.replace('?', &format!("{mark}{}", args.len())));
    };
    if let Some(user) = &query.user_id {
        arg(&mut sql, " AND l.user_id = ?", user);
    }
    if let Some(action) = &query.action {
        arg(&mut sql, " AND l.action = ?", action);
    }
    if let Some(status) = &query.status {
        arg(&mut sql, " AND l.status = ?", status);
    }
    if let Some(from) = &query.from {
        arg(&mut sql, &format!(" AND l.at {text_order} >= ?"), from);
    }
    if let Some(to) = &query.to {
        arg(&mut sql, &format!(" AND l.at {text_order} < ?"), to);
    }
    if let Some(doc) = &query.doc_id {
        let cited =
            " AND EXISTS (SELECT 1 FROM audit_citations c WHERE c.seq = l.seq AND c.doc_id = ?";
        match &query.version {
            Some(version) => {
                arg(&mut sql, cited, doc);
                arg(&mut sql, " AND c.version = ?)", version);
            }
            None => {
                arg(&mut sql, cited, doc);
                sql.push(')');
            }
        }
    }
    sql.push_str(" ORDER BY l.seq");
    if let Some(limit) = query.limit {
        sql.push_str(&format!(" LIMIT {limit}"));
    }
    (sql, args)
}
