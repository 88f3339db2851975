//! Copies an embedded SQLite catalog into an empty PostgreSQL catalog, row for row with the same ids, so
//! that the data directory's indexes (keyed by version and chunk id) stay valid and the audit trail keeps
//! its exact bytes, its chain and its signed heads.

use rusqlite::types::Value;

use crate::postgres::{PostgresCatalog, Queries};
use crate::sqlite::SqliteCatalog;
use crate::{CatalogError, Result};

/// How a column is stored on each side.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    Real,
    Text,
    /// `YYYY-MM-DD` text in SQLite, `DATE` in PostgreSQL.
    Date,
    /// JSON text in SQLite, `JSONB` in PostgreSQL.
    Json,
}

/// A column as (SQLite name, PostgreSQL name, kind).
type Column = (&'static str, &'static str, Kind);

/// Every table to copy with its columns, parents before children.
const TABLES: &[(&str, &[Column])] = &[
    (
        "versions",
        &[
            ("version_id", "version_id", Kind::Int),
            ("doc_id", "doc_id", Kind::Text),
            ("version", "version", Kind::Text),
            ("title", "title", Kind::Text),
            ("doc_type", "doc_type", Kind::Text),
            ("effective_date", "effective_date", Kind::Date),
            ("end_date", "end_date", Kind::Date),
            ("declared_status", "declared_status", Kind::Text),
            ("content_hash", "content_hash", Kind::Text),
            ("source", "source", Kind::Text),
            ("metadata_json", "metadata", Kind::Json),
            ("canonical_text", "canonical_text", Kind::Text),
            ("state", "state", Kind::Text),
            ("ingested_at", "ingested_at", Kind::Text),
        ],
    ),
    (
        "chunks",
        &[
            ("chunk_id", "chunk_id", Kind::Int),
            ("version_id", "version_id", Kind::Int),
            ("ordinal", "ordinal", Kind::Int),
            ("section", "section", Kind::Text),
            ("page", "page", Kind::Int),
            ("start", "start", Kind::Int),
            ("\"end\"", "\"end\"", Kind::Int),
        ],
    ),
    (
        "sources",
        &[
            ("path", "path", Kind::Text),
            ("fingerprint", "fingerprint", Kind::Text),
            ("version_id", "version_id", Kind::Int),
        ],
    ),
    (
        "review_items",
        &[
            ("review_id", "review_id", Kind::Text),
            ("question", "question", Kind::Text),
            ("question_key", "question_key", Kind::Text),
            ("scope_key", "scope_key", Kind::Text),
            ("created_at", "created_at", Kind::Text),
            ("confidence", "confidence", Kind::Real),
            ("reasons_json", "reasons_json", Kind::Text),
            ("draft_json", "draft_json", Kind::Text),
            ("trace_json", "trace_json", Kind::Text),
            ("state", "state", Kind::Text),
            ("reviewer", "reviewer", Kind::Text),
            ("decided_at", "decided_at", Kind::Text),
            ("note", "note", Kind::Text),
            ("answer_json", "answer_json", Kind::Text),
        ],
    ),
    (
        "review_events",
        &[
            ("review_id", "review_id", Kind::Text),
            ("seq", "seq", Kind::Int),
            ("kind", "kind", Kind::Text),
            ("at", "at", Kind::Text),
            ("actor", "actor", Kind::Text),
            ("note", "note", Kind::Text),
            ("answer_before", "answer_before", Kind::Text),
            ("answer_after", "answer_after", Kind::Text),
        ],
    ),
    (
        "api_tokens",
        &[
            ("token_hash", "token_hash", Kind::Text),
            ("token_id", "token_id", Kind::Text),
            ("user_id", "user_id", Kind::Text),
            ("roles_json", "roles_json", Kind::Text),
            ("groups_json", "groups_json", Kind::Text),
            ("created_at", "created_at", Kind::Text),
            ("revoked_at", "revoked_at", Kind::Text),
        ],
    ),
    (
        "audit_log",
        &[
            ("seq", "seq", Kind::Int),
            ("record_id", "record_id", Kind::Text),
            ("at", "at", Kind::Text),
            ("user_id", "user_id", Kind::Text),
            ("action", "action", Kind::Text),
            ("status", "status", Kind::Text),
            ("record_json", "record_json", Kind::Text),
            ("leaf_hash", "leaf_hash", Kind::Text),
        ],
    ),
    (
        "audit_citations",
        &[
            ("seq", "seq", Kind::Int),
            ("doc_id", "doc_id", Kind::Text),
            ("version", "version", Kind::Text),
        ],
    ),
    (
        "audit_heads",
        &[
            ("size", "size", Kind::Int),
            ("timestamp", "timestamp", Kind::Text),
            ("head_json", "head_json", Kind::Text),
        ],
    ),
    (
        "catalog_owner",
        &[("id", "id", Kind::Int), ("owner", "owner", Kind::Text)],
    ),
];

/// Rows copied per table, in copy order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CopyReport {
    /// (table, rows).
    pub tables: Vec<(String, u64)>,
}

type SqlValue = Box<dyn postgres::types::ToSql + Sync>;

fn converted(value: Value, kind: Kind, column: &str) -> Result<SqlValue> {
    let wrong = |v: &Value| {
        CatalogError::Damaged(format!("column {column}: unexpected SQLite value {v:?}"))
    };
    Ok(match (kind, value) {
        (Kind::Int, Value::Null) => Box::new(None::<i64>),
        (Kind::Int, Value::Integer(i)) => Box::new(i),
        (Kind::Real, Value::Null) => Box::new(None::<f64>),
        (Kind::Real, Value::Real(r)) => Box::new(r),
        (Kind::Real, Value::Integer(i)) => Box::new(i as f64),
        (Kind::Text, Value::Null) => Box::new(None::<String>),
        (Kind::Text, Value::Text(t)) => Box::new(t),
        (Kind::Date, Value::Null) => Box::new(None::<chrono::NaiveDate>),
        (Kind::Date, Value::Text(t)) => Box::new(
            chrono::NaiveDate::parse_from_str(&t, "%Y-%m-%d").map_err(|_| CatalogError::Date(t))?,
        ),
        (Kind::Json, Value::Text(t)) => Box::new(serde_json::from_str::<serde_json::Value>(&t)?),
        (_, other) => return Err(wrong(&other)),
    })
}

/// Copies every row of `from` into `to`, which must hold no version, token, review item or audit record,
/// in one PostgreSQL transaction: on any error nothing is written. Ids, audit bytes and the data
/// directory the catalog belongs to carry over, and the sequences continue after the copied ids.
pub fn copy_sqlite_to_postgres(from: &SqliteCatalog, to: &PostgresCatalog) -> Result<CopyReport> {
    let source = from.conn()?;
    let mut target = to.conn()?;
    let mut tx = target.transaction()?;
    let occupied: i64 = tx
        .query_one(
            "SELECT (SELECT COUNT(*) FROM versions) + (SELECT COUNT(*) FROM api_tokens)
                  + (SELECT COUNT(*) FROM review_items) + (SELECT COUNT(*) FROM audit_log)
                  + (SELECT COUNT(*) FROM catalog_owner)",
            &[],
        )?
        .get(0);
    if occupied > 0 {
        return Err(CatalogError::Config(
            "the PostgreSQL catalog is not empty: copy into a new database".into(),
        ));
    }
    let mut report = CopyReport { tables: Vec::new() };
    for (table, columns) in TABLES {
        let select = format!(
            "SELECT {} FROM {table} ORDER BY rowid",
            columns.iter().map(|c| c.0).collect::<Vec<_>>().join(", ")
        );
        let insert = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            columns.iter().map(|c| c.1).collect::<Vec<_>>().join(", "),
            (1..=columns.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut stmt = source.prepare(&select)?;
        let mut rows = stmt.query([])?;
        let mut copied = 0u64;
        while let Some(row) = rows.next()? {
            let mut values: Vec<SqlValue> = Vec::with_capacity(columns.len());
            for (i, (name, _, kind)) in columns.iter().enumerate() {
                values.push(converted(row.get::<_, Value>(i)?, *kind, name)?);
            }
            let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
                values.iter().map(|v| v.as_ref()).collect();
            tx.execute(&insert, &params)?;
            copied += 1;
        }
        report.tables.push((table.to_string(), copied));
    }
    let generation: i64 = source.query_row(
        "SELECT value FROM catalog_meta WHERE key = 'generation'",
        [],
        |r| r.get(0),
    )?;
    tx.execute(
        "UPDATE catalog_meta SET value = $1 WHERE key = 'generation'",
        &[&generation],
    )?;
    // The chain's end, and sequences that continue after the copied ids.
    tx.batch_execute(
        "UPDATE audit_chain_head SET
             seq = COALESCE((SELECT MAX(seq) FROM audit_log), -1),
             leaf_hash = COALESCE((SELECT leaf_hash FROM audit_log ORDER BY seq DESC LIMIT 1), '')
         WHERE id = 1;
         SELECT setval('versions_version_id_seq', COALESCE((SELECT MAX(version_id) FROM versions), 0) + 1, false);
         SELECT setval('chunks_chunk_id_seq', COALESCE((SELECT MAX(chunk_id) FROM chunks), 0) + 1, false);",
    )?;
    tx.commit()?;
    Ok(report)
}
