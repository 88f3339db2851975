//! Audit routes for compliance (and admin): the records, filtered; verification of the whole log; a
//! fresh signed head. Reading the trail is itself recorded.

use axum::Json;
use axum::extract::{RawQuery, State};
use cited_engine::cited_audit::{SignedHead, VerifyReport};
use cited_engine::{AuditQuery, ImpactReport, Role};
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::{query_pairs, query_param, required_param};

/// Most records one request returns.
const MAX_RECORDS: usize = 10_000;

/// `GET /v1/audit?doc=&version=&user=&action=&status=&from=&to=&limit=`: records, oldest first, each the
/// exact JSON hashed into the log.
pub async fn records(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<Value>>, ApiError> {
    caller.require(Role::Compliance)?;
    let pairs = query_pairs(query.as_deref())?;
    let text = |name: &str| query_param(&pairs, name).map(str::to_string);
    let limit = match query_param(&pairs, "limit") {
        Some(l) => l.parse::<usize>().map_err(|_| {
            ApiError::bad_request("bad_audit", format!("limit {l:?} is not a number"))
        })?,
        None => 1_000,
    };
    let filter = AuditQuery {
        doc_id: text("doc"),
        version: text("version"),
        user_id: text("user"),
        action: text("action"),
        status: text("status"),
        from: text("from"),
        to: text("to"),
        limit: Some(limit.min(MAX_RECORDS)),
    };
    let actor = caller.actor();
    let found = state
        .blocking(move |engine| {
            let records = engine.audit_records(&filter)?;
            engine.record(
                &actor,
                "audit.export",
                None,
                json!({ "filter": filter, "records": records.len() }),
            )?;
            Ok(records)
        })
        .await?;
    found
        .iter()
        .map(|r| {
            serde_json::from_str(&r.json).map_err(|e| {
                ApiError::from(cited_engine::EngineError::Internal(format!(
                    "audit record {} is not JSON: {e}",
                    r.seq
                )))
            })
        })
        .collect::<Result<Vec<Value>, _>>()
        .map(Json)
}

/// `GET /v1/audit/verify`: the whole log recomputed and checked against every head kept.
pub async fn verify(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<VerifyReport>, ApiError> {
    caller.require(Role::Compliance)?;
    Ok(Json(
        state
            .blocking(|engine| engine.audit_verify(&[], None))
            .await?,
    ))
}

/// `GET /v1/audit/head`: a freshly signed head of the log (also kept beside it).
pub async fn head(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<SignedHead>, ApiError> {
    caller.require(Role::Compliance)?;
    Ok(Json(state.blocking(|engine| engine.audit_head()).await?))
}

/// `GET /v1/audit/impact?doc=&version=`: who was told something from that version.
pub async fn impact(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<ImpactReport>, ApiError> {
    caller.require(Role::Compliance)?;
    let pairs = query_pairs(query.as_deref())?;
    let usage = "impact needs ?doc=ID&version=V";
    let need = |name: &str| required_param(&pairs, name, "bad_audit", usage);
    let (doc, version) = (need("doc")?, need("version")?);
    Ok(Json(
        state
            .blocking(move |engine| engine.audit_impact(&doc, &version))
            .await?,
    ))
}
