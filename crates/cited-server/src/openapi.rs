//! `GET /openapi.json`: the API described for clients and for schemathesis. It is written here, beside the
//! router, in code; a test checks that it names every route, and schemathesis checks real responses
//! against it.

use axum::Json;
use axum::extract::State;
use cited_engine::config::LimitsConfig;
use serde_json::{Value, json};

use crate::AppState;

/// Parameters used by several routes.
fn query(name: &str, schema: Value, description: &str, required: bool) -> Value {
    json!({ "name": name, "in": "query", "required": required, "description": description, "schema": schema })
}

fn path(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": description,
            "schema": { "type": "string", "minLength": 1 } })
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn json_body(schema: Value) -> Value {
    json!({ "content": { "application/json": { "schema": schema } } })
}

/// The responses every authenticated route can give besides its own.
fn responses(ok_status: &str, ok: Value, description: &str) -> Value {
    let error = json_body(reference("Error"));
    let mut r = json!({
        "400": { "description": "bad request (stable code)", "content": error["content"].clone() },
        "401": { "description": "no valid token", "content": error["content"].clone() },
        "403": { "description": "the token's roles do not allow this", "content": error["content"].clone() },
        "404": { "description": "not found (also: a document outside the caller's audience)", "content": error["content"].clone() },
        "413": { "description": "body too large", "content": error["content"].clone() },
        "415": { "description": "the body is not JSON (content type)", "content": error["content"].clone() },
        "422": { "description": "the JSON does not have the expected fields", "content": error["content"].clone() },
        "504": { "description": "no answer within server.request_timeout_secs", "content": error["content"].clone() },
    });
    r[ok_status] = json!({ "description": description });
    if !ok.is_null() {
        r[ok_status]["content"] = json!({ "application/json": { "schema": ok } });
    }
    r
}

fn date() -> Value {
    json!({ "type": "string", "format": "date" })
}

fn nullable(schema: Value) -> Value {
    json!({ "anyOf": [schema, { "type": "null" }] })
}

fn schemas(limits: &LimitsConfig) -> Value {
    let string = json!({ "type": "string" });
    let count = json!({ "type": "integer", "minimum": 0 });
    let span_fields = json!({
        "start": { "type": "integer", "minimum": 0, "description": "UTF-8 byte offset in the canonical text" },
        "end": { "type": "integer", "minimum": 0, "description": "UTF-8 byte offset (exclusive)" },
        "char_start": { "type": "integer", "minimum": 0, "description": "Unicode code point offset (Python text[char_start:char_end])" },
        "char_end": { "type": "integer", "minimum": 0 },
        "utf16_start": { "type": "integer", "minimum": 0, "description": "UTF-16 code unit offset (JavaScript text.slice(utf16_start, utf16_end))" },
        "utf16_end": { "type": "integer", "minimum": 0 },
    });
    let with_span = |mut props: Value, required: &[&str]| {
        if let (Some(p), Some(s)) = (props.as_object_mut(), span_fields.as_object()) {
            p.extend(s.clone());
        }
        let mut req: Vec<&str> = required.to_vec();
        req.extend([
            "start",
            "end",
            "char_start",
            "char_end",
            "utf16_start",
            "utf16_end",
        ]);
        json!({ "type": "object", "required": req, "properties": props })
    };
    let status =
        json!({ "type": "string", "enum": ["active", "scheduled", "superseded", "retired"] });
    json!({
        "Error": {
            "type": "object", "required": ["code", "message"],
            "properties": { "code": string, "message": string }
        },
        "Citation": with_span(json!({
            "n": { "type": "integer", "minimum": 1 },
            "doc_id": string, "version": string, "content_hash": string, "title": string,
            "section": string, "page": nullable(count.clone()),
            "quote": { "type": "string", "description": "exactly the canonical text of the span" }
        }), &["n", "doc_id", "version", "content_hash", "title", "section", "quote"]),
        "AnswerSentence": {
            "type": "object", "required": ["text", "citations"],
            "properties": { "text": string, "citations": { "type": "array", "items": { "type": "integer" } } }
        },
        "AskRequest": {
            "type": "object", "required": ["question"], "additionalProperties": false,
            "properties": {
                "question": { "type": "string", "minLength": 1, "maxLength": limits.max_question_chars,
                              "pattern": "\\S", "description": "up to limits.max_question_chars characters" },
                "filters": { "type": "object", "additionalProperties": { "type": "string" },
                             "description": "metadata filters, e.g. {\"payer\": \"Medicare (CMS)\"}" },
                "as_of": nullable(date()),
                "k": nullable(json!({ "type": "integer", "minimum": 1, "maximum": limits.max_k })),
                "trace": { "type": "boolean" }
            }
        },
        "AskResponse": {
            "type": "object",
            "required": ["status", "sentences", "citations", "confidence", "reasons", "notices", "as_of"],
            "properties": {
                "status": { "type": "string", "enum": ["answered", "needs_review", "no_answer"] },
                "answer": nullable(string.clone()),
                "sentences": { "type": "array", "items": reference("AnswerSentence") },
                "citations": { "type": "array", "items": reference("Citation") },
                "confidence": { "type": "number" },
                "review_id": nullable(string.clone()),
                "reviewed_by": nullable(string.clone()),
                "reasons": { "type": "array", "items": string },
                "notices": { "type": "array", "items": string },
                "as_of": date(),
                "took_ms": { "type": "number" },
                "trace": { "description": "the ask's trace, when asked for" }
            }
        },
        "SearchHit": {
            "type": "object",
            "required": ["rank", "score", "chunk_id", "doc_id", "version", "title", "section", "start", "end", "text"],
            "properties": {
                "rank": { "type": "integer", "minimum": 1 }, "score": { "type": "number" },
                "chunk_id": count, "doc_id": string, "version": string, "title": string, "section": string,
                "page": nullable(count.clone()), "start": count, "end": count, "text": string
            }
        },
        "SearchResponse": {
            "type": "object", "required": ["mode", "as_of", "hits", "took_ms"],
            "properties": {
                "mode": { "type": "string", "enum": ["hybrid", "bm25", "dense"] }, "as_of": date(),
                "hits": { "type": "array", "items": reference("SearchHit") }, "took_ms": { "type": "number" }
            }
        },
        "VersionSummary": {
            "type": "object", "required": ["version", "status", "content_hash"],
            "properties": {
                "version": string, "effective_date": nullable(date()), "end_date": nullable(date()),
                "status": status, "declared_status": nullable(string.clone()), "content_hash": string
            }
        },
        "DocumentSummary": {
            "type": "object", "required": ["doc_id", "title", "doc_type", "versions", "history"],
            "properties": {
                "doc_id": string, "title": string, "doc_type": string,
                "active_version": nullable(string.clone()), "versions": count,
                "history": { "type": "array", "items": reference("VersionSummary") }
            }
        },
        "OpenedVersion": {
            "type": "object",
            "required": ["doc_id", "version", "title", "doc_type", "content_hash", "metadata", "status", "chunks", "text", "sections", "chunk_spans"],
            "properties": {
                "doc_id": string, "version": string, "title": string, "doc_type": string,
                "effective_date": nullable(date()), "end_date": nullable(date()),
                "declared_status": nullable(string.clone()), "content_hash": string,
                "metadata": { "type": "object" }, "status": status, "chunks": count,
                "text": { "type": "string", "description": "the canonical text every citation is a span of" },
                "sections": { "type": "array", "items": with_span(json!({ "section": string }), &["section"]) },
                "chunk_spans": { "type": "array", "items": with_span(json!({
                    "chunk_id": count, "section": string, "page": nullable(count.clone())
                }), &["chunk_id", "section"]) }
            }
        },
        "VersionComparison": {
            "type": "object",
            "required": ["doc_id", "title", "from", "to", "sections", "diff", "words_added", "words_removed"],
            "properties": {
                "doc_id": string, "title": string,
                "from": reference("VersionSummary"), "to": reference("VersionSummary"),
                "sections": { "type": "array", "items": {
                    "type": "object", "required": ["section", "change"],
                    "properties": { "section": string,
                        "change": { "type": "string", "enum": ["added", "removed", "changed", "unchanged"] } }
                } },
                "diff": { "type": "array", "items": {
                    "type": "object", "required": ["op", "text"],
                    "properties": { "op": { "type": "string", "enum": ["equal", "insert", "delete"] }, "text": string }
                } },
                "words_added": count, "words_removed": count
            }
        },
        "ReviewRecord": {
            "type": "object",
            "required": ["review_id", "question", "created_at", "confidence", "state", "draft", "events"],
            "properties": {
                "review_id": string, "question": string, "created_at": string,
                "confidence": { "type": "number" },
                "state": { "type": "string", "enum": ["pending", "approved", "rejected"] },
                "reviewer": nullable(string.clone()), "note": nullable(string.clone()),
                "draft": { "type": "object" }, "answer": {}, "trace": {},
                "events": { "type": "array", "items": {
                    "type": "object", "required": ["seq", "kind", "at", "actor"],
                    "properties": { "seq": count, "kind": string, "at": string, "actor": string }
                } }
            }
        },
        "Decision": {
            "type": "object", "required": ["decision"], "additionalProperties": false,
            "properties": {
                "decision": { "type": "string", "enum": ["approve", "edit", "reject"] },
                "answer": { "type": "string", "description": "the reviewer's answer with [n] markers (edit)" },
                "note": { "type": "string", "description": "required to reject" }
            }
        },
        "Principal": {
            "type": "object", "required": ["user_id", "roles", "groups"],
            "properties": { "user_id": string,
                "roles": { "type": "array", "items": { "type": "string",
                    "enum": ["clinician", "staff", "reviewer", "compliance", "admin"] } },
                "groups": { "type": "array", "items": string } }
        },
        "Token": {
            "type": "object", "required": ["token_id", "user_id", "roles", "groups", "created_at"],
            "properties": { "token_id": string, "user_id": string, "roles": { "type": "array" },
                "groups": { "type": "array" }, "created_at": string, "revoked_at": nullable(string.clone()) }
        },
        "NewToken": {
            "type": "object", "required": ["user_id", "roles"], "additionalProperties": false,
            "properties": { "user_id": string, "roles": { "type": "array", "items": string },
                            "groups": { "type": "array", "items": string } }
        },
        "CreatedToken": {
            "type": "object", "required": ["token_id", "token"],
            "properties": { "token_id": string, "token": { "type": "string", "description": "shown once" } }
        },
        "AuditRecord": {
            "type": "object", "required": ["seq", "prev_leaf", "record_id", "at", "user_id", "action"],
            "properties": { "seq": count, "prev_leaf": string, "record_id": string, "at": string,
                "user_id": string, "action": string, "roles": { "type": "array", "items": string } }
        },
        "VerifyReport": {
            "type": "object", "required": ["size", "root_hash", "heads_checked", "problems"],
            "properties": { "size": count, "root_hash": string, "heads_checked": count,
                "problems": { "type": "array", "items": string } }
        },
        "SignedHead": {
            "type": "object", "required": ["log", "size", "root_hash", "timestamp", "public_key", "signature"],
            "properties": { "log": string, "size": count, "root_hash": string, "timestamp": string,
                "public_key": string, "signature": string }
        },
        "IngestJob": {
            "type": "object", "required": ["job_id", "user_id", "file", "state", "done", "total", "created_at"],
            "properties": { "job_id": string, "user_id": string, "file": string,
                "state": { "type": "string", "enum": ["queued", "running", "done", "failed"] },
                "done": count, "total": count, "created_at": string,
                "finished_at": nullable(string.clone()), "report": {}, "error": nullable(string.clone()) }
        }
    })
}

/// The OpenAPI 3.1 document, with the request limits of `limits`.
pub fn openapi(limits: &LimitsConfig) -> Value {
    let filter = query(
        "filter",
        json!({ "type": "array", "items": { "type": "string", "pattern": "^[A-Za-z0-9_-]+=.*$" } }),
        "metadata filter key=value, repeatable",
        false,
    );
    let array_of = |name: &str| json!({ "type": "array", "items": reference(name) });
    let mut ask_responses = responses("200", reference("AskResponse"), "the answer");
    ask_responses["503"] = json!({ "description": "busy: retry after the Retry-After seconds",
        "content": { "application/json": { "schema": reference("Error") } } });
    ask_responses["200"]["content"]["text/event-stream"] =
        json!({ "schema": { "type": "string" } });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Cited",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Answers from a hospital's protocols and a payer's policies, every sentence cited to an exact document version and span. Every /v1 route needs `Authorization: Bearer <token>`."
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas(limits)
        },
        "security": [ { "bearer": [] } ],
        "paths": {
            "/healthz": { "get": { "summary": "liveness", "security": [],
                "responses": { "200": { "description": "ok", "content": { "text/plain": { "schema": { "type": "string" } } } } } } },
            "/readyz": { "get": { "summary": "readiness: indexes open, model loaded", "security": [],
                "responses": { "200": { "description": "ready" }, "503": { "description": "model loading" } } } },
            "/metrics": { "get": { "summary": "Prometheus text", "security": [],
                "responses": { "200": { "description": "metrics", "content": { "text/plain": { "schema": { "type": "string" } } } } } } },
            "/openapi.json": { "get": { "summary": "this document", "security": [],
                "responses": { "200": { "description": "OpenAPI 3.1" } } } },
            "/v1/me": { "get": { "summary": "the caller: user, roles, groups",
                "responses": responses("200", reference("Principal"), "the caller") } },
            "/v1/ask": { "post": {
                "summary": "answer a question with citations, or route it to review, or decline",
                "description": "With `Accept: text/event-stream` the answer streams as server-sent events: `retrieved` ({passages}), `sentence` ({index, text, citations}; provisional until `final`), `final` (AskResponse) or `error` ({code, message}). 503 with Retry-After when server.max_concurrent_asks asks are running.",
                "requestBody": { "required": true, "content": { "application/json": { "schema": reference("AskRequest") } } },
                "responses": ask_responses } },
            "/v1/search": { "get": { "summary": "hybrid, BM25 or dense search of the versions in force",
                "parameters": [
                    query("q", json!({ "type": "string", "minLength": 1, "maxLength": limits.max_question_chars, "pattern": "\\S" }), "query text", true),
                    query("k", json!({ "type": "integer", "minimum": 1, "maximum": limits.max_k }), "hits (default 10)", false),
                    query("mode", json!({ "type": "string", "enum": ["hybrid", "bm25", "dense"] }), "retrievers", false),
                    query("as_of", date(), "search the versions in force on this date", false),
                    filter.clone()
                ],
                "responses": responses("200", reference("SearchResponse"), "hits") } },
            "/v1/documents": {
                "get": { "summary": "documents the caller may read, with versions, dates and status",
                    "parameters": [filter],
                    "responses": responses("200", array_of("DocumentSummary"), "documents") },
                "post": { "summary": "upload a document (admin): ingested as a job",
                    "requestBody": { "required": true, "content": { "multipart/form-data": { "schema": {
                        "type": "object", "required": ["file"],
                        "properties": { "file": { "type": "string", "format": "binary" },
                            "metadata": { "type": "string", "description": "JSON object of front-matter fields" } } } } } },
                    "responses": responses("202", reference("IngestJob"), "accepted") } },
            "/v1/documents/{id}/versions/{version}": { "get": {
                "summary": "one version: canonical text, metadata, section and chunk spans",
                "parameters": [path("id", "document id"), path("version", "version label")],
                "responses": responses("200", reference("OpenedVersion"), "the version") } },
            "/v1/documents/{id}/compare": { "get": {
                "summary": "what changed between two versions: sections and a word diff",
                "parameters": [path("id", "document id"),
                    query("from", json!({ "type": "string", "minLength": 1, "pattern": "\\S" }), "older version label", true),
                    query("to", json!({ "type": "string", "minLength": 1, "pattern": "\\S" }), "newer version label", true)],
                "responses": responses("200", reference("VersionComparison"), "the comparison") } },
            "/v1/reviews": { "get": { "summary": "review queue (reviewer)",
                "parameters": [query("state", json!({ "type": "string", "enum": ["pending", "approved", "rejected"] }), "default pending", false)],
                "responses": responses("200", array_of("ReviewRecord"), "items") } },
            "/v1/reviews/{id}": { "get": { "summary": "a review item with its trace and history (reviewer)",
                "parameters": [path("id", "review id")],
                "responses": responses("200", reference("ReviewRecord"), "the item") } },
            "/v1/reviews/{id}/decision": { "post": { "summary": "approve, edit or reject (reviewer)",
                "parameters": [path("id", "review id")],
                "requestBody": { "required": true, "content": { "application/json": { "schema": reference("Decision") } } },
                "responses": responses("200", reference("ReviewRecord"), "the decided item") } },
            "/v1/jobs/{id}": { "get": { "summary": "an upload's ingest job (admin)",
                "parameters": [path("id", "job id")],
                "responses": responses("200", reference("IngestJob"), "the job") } },
            "/v1/tokens": {
                "get": { "summary": "API tokens, never their secrets (admin)",
                    "responses": responses("200", array_of("Token"), "tokens") },
                "post": { "summary": "create a token (admin); the secret is in this response only",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": reference("NewToken") } } },
                    "responses": responses("201", reference("CreatedToken"), "created") } },
            "/v1/audit": { "get": { "summary": "audit records, oldest first (compliance); the read is itself recorded",
                "parameters": [
                    query("doc", json!({ "type": "string" }), "records citing this document", false),
                    query("version", json!({ "type": "string" }), "...in this version", false),
                    query("user", json!({ "type": "string" }), "by this user", false),
                    query("action", json!({ "type": "string" }), "ask, search, review.approve, ingest, upload, token.create, ...", false),
                    query("status", json!({ "type": "string" }), "answered, needs_review, no_answer, ...", false),
                    query("from", json!({ "type": "string" }), "at or after (YYYY-MM-DD or RFC 3339)", false),
                    query("to", json!({ "type": "string" }), "before", false),
                    query("limit", json!({ "type": "integer", "minimum": 0 }), "at most (default 1000, at most 10000)", false)
                ],
                "responses": responses("200", json!({ "type": "array", "items": reference("AuditRecord") }), "records") } },
            "/v1/audit/verify": { "get": { "summary": "recompute the log and check it against every head kept (compliance)",
                "responses": responses("200", reference("VerifyReport"), "the report") } },
            "/v1/audit/head": { "get": { "summary": "a freshly signed tree head (compliance); keep it elsewhere",
                "responses": responses("200", reference("SignedHead"), "the head") } },
            "/v1/audit/impact": { "get": { "summary": "who was told something from a version: asks and approved review answers citing it (compliance)",
                "parameters": [
                    query("doc", json!({ "type": "string", "minLength": 1, "pattern": "\\S" }), "document id", true),
                    query("version", json!({ "type": "string", "minLength": 1, "pattern": "\\S" }), "version label", true)
                ],
                "responses": responses("200", json!({ "type": "object",
                    "required": ["doc_id", "version", "status", "answers", "approved_reviews"] }), "the report") } },
            "/v1/tokens/{id}": { "delete": { "summary": "revoke a token (admin)",
                "parameters": [path("id", "token id")],
                "responses": responses("204", Value::Null, "revoked") } }
        }
    })
}

/// `GET /openapi.json`.
pub async fn document(State(state): State<AppState>) -> Json<Value> {
    Json(openapi(&state.engine.config().limits))
}
