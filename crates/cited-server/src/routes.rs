//! Thin handlers: parse, authorise, call the engine off the async runtime, map errors.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use cited_core::{MetadataFilter, SearchMode, SearchRequest};
use cited_engine::{
    AskRequest, DocumentSummary, EngineError, OpenedVersion, Principal, ReviewRecord, Role,
    SearchResponse, VersionComparison,
};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// Liveness: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the indexes are open (they are, once the state exists) and the model is loaded.
pub async fn readyz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    if state.engine.models_loaded() {
        Ok(Json(serde_json::json!({ "ready": true })))
    } else {
        Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "the embedding model is still loading",
        ))
    }
}

pub(crate) fn body<T>(parsed: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    parsed.map(|Json(b)| b).map_err(|e| {
        let code = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            "too_large"
        } else {
            "bad_json"
        };
        ApiError::new(e.status(), code, e.body_text())
    })
}

fn filters(
    pairs: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<MetadataFilter>, ApiError> {
    pairs
        .into_iter()
        .map(|(k, v)| {
            format!("{k}={v}")
                .parse()
                .map_err(|e: String| ApiError::bad_request("bad_filter", e))
        })
        .collect()
}

fn date(text: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    text.filter(|t| !t.trim().is_empty())
        .map(|t| {
            NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").map_err(|_| {
                ApiError::bad_request("bad_date", format!("{t:?} is not a date (YYYY-MM-DD)"))
            })
        })
        .transpose()
}

/// The `filter=key=value` parameters of a query string.
pub(crate) fn query_filters(pairs: &[(String, String)]) -> Result<Vec<MetadataFilter>, ApiError> {
    pairs
        .iter()
        .filter(|(k, _)| k == "filter")
        .map(|(_, v)| {
            v.parse()
                .map_err(|e: String| ApiError::bad_request("bad_filter", e))
        })
        .collect()
}

/// The last value of parameter `name`.
pub(crate) fn query_param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The last non-blank value of parameter `name`, or a bad request with `code` that shows `usage`.
pub(crate) fn required_param(
    pairs: &[(String, String)],
    name: &str,
    code: &'static str,
    usage: &str,
) -> Result<String, ApiError> {
    query_param(pairs, name)
        .filter(|v| !v.trim().is_empty())
        .map(str::to_string)
        .ok_or_else(|| ApiError::bad_request(code, format!("{usage} ({name} is missing)")))
}

/// The `key=value` pairs of a query string, repeated keys kept.
pub(crate) fn query_pairs(query: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|e| ApiError::bad_request("bad_query", e.to_string()))
}

/// `POST /v1/ask` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AskBody {
    /// The question.
    pub question: String,
    /// Metadata filters, `{"payer": "Medicare (CMS)"}`.
    #[serde(default)]
    pub filters: BTreeMap<String, String>,
    /// Versions in force on this date (YYYY-MM-DD) instead of today.
    pub as_of: Option<String>,
    /// Passages to retrieve.
    pub k: Option<usize>,
    /// Return the trace.
    #[serde(default)]
    pub trace: bool,
}

/// `POST /v1/ask`: the `ask` JSON contract. At most `server.max_concurrent_asks` run at once; more get 503
/// with Retry-After at once. With `Accept: text/event-stream` the answer streams as server-sent events:
/// `retrieved` (the passages), `sentence` (each verified sentence, provisional until `final`), `final` (the
/// whole contract) or `error` (`{code, message}`).
pub async fn ask(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    parsed: Result<Json<AskBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let b = body(parsed)?;
    let request = AskRequest {
        question: b.question,
        filters: filters(b.filters)?,
        as_of: date(b.as_of.as_deref())?,
        k: b.k,
        trace: b.trace,
        access: caller.access(),
        actor: caller.actor(),
        ..AskRequest::default()
    };
    let permit = state
        .asks
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::busy())?;
    let streamed = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"));
    if streamed {
        // A bad request is refused with its status before the stream (and its 200) starts.
        let checked = request.clone();
        state
            .blocking(move |engine| {
                let k = checked.k.unwrap_or(engine.config().answer.k);
                engine.check_query(checked.question.trim(), k, &checked.filters)
            })
            .await?;
        return Ok(crate::stream::ask(state, request, permit).into_response());
    }
    let response = state
        .blocking(move |engine| {
            let _permit = permit; // held until the ask is done, even past a timeout
            engine.ask(&request)
        })
        .await?;
    state.metrics.answer(&response.status.to_string());
    Ok(Json(response).into_response())
}

/// `GET /v1/search?q=...&k=10&mode=hybrid&as_of=YYYY-MM-DD&filter=key=value` (filter repeatable).
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<SearchResponse>, ApiError> {
    let pairs = query_pairs(query.as_deref())?;
    let one = |name: &str| query_param(&pairs, name);
    let k = match one("k") {
        Some(k) => k.parse().map_err(|_| {
            ApiError::bad_request("k_out_of_range", format!("k {k:?} is not a number"))
        })?,
        None => 10,
    };
    let mode: SearchMode = match one("mode") {
        Some(m) => m
            .parse()
            .map_err(|e: String| ApiError::bad_request("bad_mode", e))?,
        None => SearchMode::Hybrid,
    };
    let request = SearchRequest {
        query: one("q").unwrap_or_default().to_string(),
        mode,
        k,
        filters: query_filters(&pairs)?,
        as_of: date(one("as_of"))?,
        access: caller.access(),
    };
    let actor = caller.actor();
    Ok(Json(
        state
            .blocking(move |engine| {
                let response = engine.search(&request)?;
                engine.record_search(&actor, &request, &response)?;
                Ok(response)
            })
            .await?,
    ))
}

/// `GET /v1/documents?filter=key=value`: every document the caller may read, with its versions' dates and
/// status.
pub async fn documents(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<DocumentSummary>>, ApiError> {
    let filters = query_filters(&query_pairs(query.as_deref())?)?;
    let access = caller.access();
    Ok(Json(
        state
            .blocking(move |engine| engine.list_documents(&filters, &access))
            .await?,
    ))
}

/// `GET /v1/documents/{id}/versions/{version}`: the canonical text with its section and chunk spans.
pub async fn document_version(
    State(state): State<AppState>,
    caller: Caller,
    Path((doc_id, version)): Path<(String, String)>,
) -> Result<Json<OpenedVersion>, ApiError> {
    let access = caller.access();
    Ok(Json(
        state
            .blocking(move |engine| engine.open_version(&doc_id, &version, &access))
            .await?,
    ))
}

/// `GET /v1/documents/{id}/compare?from=1&to=2`: changed sections and a word diff.
pub async fn compare(
    State(state): State<AppState>,
    caller: Caller,
    Path(doc_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<VersionComparison>, ApiError> {
    let pairs = query_pairs(query.as_deref())?;
    let usage = "compare needs ?from=VERSION&to=VERSION";
    let version = |name: &str| required_param(&pairs, name, "bad_query", usage);
    let (from, to) = (version("from")?, version("to")?);
    let access = caller.access();
    Ok(Json(
        state
            .blocking(move |engine| engine.compare_versions(&doc_id, (&from, &to), &access))
            .await?,
    ))
}

/// `GET /v1/me`: who the token belongs to.
pub async fn me(caller: Caller) -> Json<Principal> {
    Json(caller.0)
}

/// `GET /v1/reviews?state=pending`.
pub async fn reviews(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<ReviewRecord>>, ApiError> {
    caller.require(Role::Reviewer)?;
    let pairs = query_pairs(query.as_deref())?;
    let wanted = query_param(&pairs, "state")
        .unwrap_or("pending")
        .to_string();
    let access = caller.access();
    Ok(Json(
        state
            .blocking(move |engine| engine.reviews(&wanted, &access))
            .await?,
    ))
}

/// `GET /v1/reviews/{id}`: the item with its draft, evidence, trace and history.
pub async fn review(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ReviewRecord>, ApiError> {
    caller.require(Role::Reviewer)?;
    let access = caller.access();
    Ok(Json(
        state
            .blocking(move |engine| engine.review(&id, &access))
            .await?,
    ))
}

/// `POST /v1/reviews/{id}/decision` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// `approve`, `edit` or `reject`.
    pub decision: String,
    /// The reviewer's answer with `[n]` markers (edit).
    pub answer: Option<String>,
    /// A note (required to reject).
    pub note: Option<String>,
}

/// `POST /v1/reviews/{id}/decision`: the decision is recorded under the caller's user id.
pub async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    parsed: Result<Json<DecisionBody>, JsonRejection>,
) -> Result<Json<ReviewRecord>, ApiError> {
    caller.require(Role::Reviewer)?;
    let b = body(parsed)?;
    let reviewer = caller.0.user_id.clone();
    let actor = caller.actor();
    let access = caller.access();
    let item = state
        .blocking(move |engine| {
            // A reviewer decides only items whose documents they may read.
            engine.review(&id, &access)?;
            match (b.decision.as_str(), b.answer.as_deref()) {
                ("approve", _) => engine.approve_review(&id, &reviewer)?,
                ("edit", Some(answer)) => {
                    engine.edit_review(&id, &reviewer, answer, b.note.as_deref())?
                }
                ("reject", _) => {
                    engine.reject_review(&id, &reviewer, b.note.as_deref().unwrap_or_default())?
                }
                _ => {
                    return Err(EngineError::bad_request(
                        cited_engine::BadRequestCode::BadReview,
                        "decision is approve, edit (with an answer) or reject",
                    ));
                }
            }
            engine.record_review(
                &actor,
                &b.decision,
                &id,
                b.answer.as_deref(),
                b.note.as_deref(),
            )?;
            engine.review(&id, &access)
        })
        .await?;
    Ok(Json(item))
}
