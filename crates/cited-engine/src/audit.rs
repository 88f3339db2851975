//! The audit trail: who was told what, from which version, and when. Every ask appends a record (in the
//! same transaction as the review item it creates); the server and the command line record searches,
//! review decisions, ingests, uploads, token changes and audit exports through [`Engine::record`]. The
//! records are the leaves of a Merkle tree with a hash chain through them (`cited-audit`); signed heads
//! let compliance prove later that the log was only ever appended to.
//!
//! Questions, queries and reviewer notes are stored redacted (`cited-redact`: `[NAME]`, `[MRN]`, …)
//! unless `redaction.audit` is off, so the trail holds no patient identifier a clinician typed. No hash
//! of the text as typed is kept either: a hash of a short question is a dictionary attack away from it.

use chrono::{SecondsFormat, Utc};
use cited_audit::{SignedHead, SigningKey, StoredRecord, VerifyReport};
use cited_catalog::{AuditEntry, AuditQuery, NewReview};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use cited_core::SearchRequest;

use crate::answer::{AskRequest, AskResponse};
use crate::ingest::IngestReport;
use crate::search::SearchResponse;
use crate::trace::AskTrace;
use crate::{Engine, EngineError};

/// Who acts, as the audit trail names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// User id (a token's user, or the shell user for the command line).
    pub user_id: String,
    /// Roles held.
    pub roles: Vec<String>,
    /// The request id of the server, if any.
    pub request_id: Option<String>,
}

impl Default for Actor {
    /// The operator at the shell.
    fn default() -> Self {
        Self::operator()
    }
}

impl Actor {
    /// The command line's actor: the operating-system user, as `shell:<name>`.
    pub fn operator() -> Self {
        let name = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".into());
        Self {
            user_id: format!("shell:{name}"),
            roles: vec!["operator".into()],
            request_id: None,
        }
    }
}

/// A review item an ask creates, inserted with the ask's record.
#[derive(Debug, Clone)]
pub(crate) struct PendingReview {
    pub review_id: String,
    pub question: String,
    pub question_key: String,
    pub scope_key: String,
    pub confidence: f64,
    pub reasons: Value,
    pub draft: Value,
    pub trace: Value,
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => Map::from_iter([("value".to_string(), other)]),
    }
}

impl Engine {
    /// Appends one record for `action` by `actor`.
    pub fn record(
        &self,
        actor: &Actor,
        action: &str,
        status: Option<&str>,
        detail: Value,
    ) -> Result<u64, EngineError> {
        self.append(actor, action, status, &[], detail, None)
    }

    fn append(
        &self,
        actor: &Actor,
        action: &str,
        status: Option<&str>,
        citations: &[(String, String)],
        detail: Value,
        review: Option<&NewReview<'_>>,
    ) -> Result<u64, EngineError> {
        let record_id = uuid::Uuid::new_v4().simple().to_string();
        let at = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
        let mut body = object(detail);
        body.insert("roles".into(), json!(actor.roles));
        body.insert("request_id".into(), json!(actor.request_id));
        if let Some(s) = status {
            body.insert("status".into(), json!(s));
        }
        Ok(self.catalog.append_audit(
            &AuditEntry {
                record_id: &record_id,
                at: &at,
                user_id: &actor.user_id,
                action,
                status,
                citations,
                body,
            },
            review,
        )?)
    }

    /// Text for an audit record: redacted unless `redaction.audit` is off.
    fn for_audit(&self, text: &str) -> String {
        if self.config.redaction.audit {
            cited_redact::Redactor::shared().redact(text).text
        } else {
            text.to_string()
        }
    }

    /// The record of an ask: the redacted question, filters, date, what was retrieved and
    /// given to the answerer, each drafted sentence's verdict, the answer, every citation with its
    /// version and content hash, confidence, answerer and model, review id.
    pub(crate) fn record_ask(
        &self,
        request: &AskRequest,
        response: &AskResponse,
        trace: &AskTrace,
        review: Option<&PendingReview>,
    ) -> Result<(), EngineError> {
        let new = review.map(|r| NewReview {
            review_id: &r.review_id,
            question: &r.question,
            question_key: &r.question_key,
            scope_key: &r.scope_key,
            confidence: r.confidence,
            reasons: &r.reasons,
            draft: &r.draft,
            trace: Some(&r.trace),
        });
        if !self.config.audit.record_asks {
            // Measuring what the trail costs (`make load`): the review item still goes in.
            if let Some(new) = &new {
                self.catalog.insert_review(new)?;
            }
            return Ok(());
        }
        let citations: Vec<(String, String)> = response
            .citations
            .iter()
            .map(|c| (c.doc_id.clone(), c.version.clone()))
            .collect();
        let detail = json!({
            "question": self.for_audit(request.question.trim()),
            "redacted": self.config.redaction.audit,
            "question_chars": request.question.trim().chars().count(),
            "filters": request.filters.iter().map(|f| json!({"key": f.key, "value": f.value})).collect::<Vec<_>>(),
            "as_of": response.as_of,
            // An answer a reviewer wrote may name the patient; one drafted from the documents quotes
            // them (and the citations pin it), so only the reviewer's is redacted.
            "answer": if response.answerer == "reviewed" {
                response.answer.as_deref().map(|a| self.for_audit(a))
            } else {
                response.answer.clone()
            },
            "citations": response.citations.iter().map(|c| json!({
                "n": c.n, "doc_id": c.doc_id, "version": c.version, "content_hash": c.content_hash,
                "start": c.start, "end": c.end,
            })).collect::<Vec<_>>(),
            "confidence": response.confidence,
            "review_id": response.review_id,
            "reviewed_by": response.reviewed_by,
            "answerer": trace.answerer,
            "model": trace.model,
            "prompt_template_hash": trace.prompt_template_hash,
            "retrieved": trace.candidates.iter().map(|c| json!({
                "chunk_id": c.chunk_id, "doc_id": c.doc_id, "version": c.version,
                "fused": c.fused_score, "bm25": c.bm25_score, "dense": c.dense_score,
            })).collect::<Vec<_>>(),
            "passages": trace.passages.iter().map(|p| json!({"n": p.n, "chunk_id": p.chunk_id})).collect::<Vec<_>>(),
            "verdicts": trace.drafted.iter().map(|d| json!({"verdict": d.verdict, "reason": d.reason})).collect::<Vec<_>>(),
        });
        self.append(
            &request.actor,
            "ask",
            Some(&response.status.to_string()),
            &citations,
            detail,
            new.as_ref(),
        )?;
        Ok(())
    }

    /// The record of a search: the redacted query, the request and the hits.
    pub fn record_search(
        &self,
        actor: &Actor,
        request: &SearchRequest,
        response: &SearchResponse,
    ) -> Result<(), EngineError> {
        let detail = json!({
            "query": self.for_audit(request.query.trim()),
            "redacted": self.config.redaction.audit,
            "mode": request.mode,
            "k": request.k,
            "filters": request.filters,
            "as_of": response.as_of,
            "hits": response.hits.iter().map(|h| json!({
                "chunk_id": h.chunk_id, "doc_id": h.doc_id, "version": h.version, "score": h.score,
            })).collect::<Vec<_>>(),
        });
        let cited: Vec<(String, String)> = response
            .hits
            .iter()
            .map(|h| (h.doc_id.clone(), h.version.clone()))
            .collect();
        self.append(actor, "search", None, &cited, detail, None)?;
        Ok(())
    }

    /// The record of a review decision (`approve`, `edit`, `reject`): the reviewer's answer, and the
    /// note's hash (a note is free text and may name a patient).
    pub fn record_review(
        &self,
        actor: &Actor,
        decision: &str,
        review_id: &str,
        answer: Option<&str>,
        note: Option<&str>,
    ) -> Result<(), EngineError> {
        self.record(
            actor,
            &format!("review.{decision}"),
            None,
            json!({
                "review_id": review_id,
                "answer": answer.map(|a| self.for_audit(a)),
                "note": note.map(|n| self.for_audit(n)),
                "redacted": self.config.redaction.audit,
            }),
        )?;
        Ok(())
    }

    /// The record of an ingest: counts and each version's outcome.
    pub fn record_ingest(
        &self,
        actor: &Actor,
        result: Result<&IngestReport, &EngineError>,
        detail: Value,
    ) -> Result<(), EngineError> {
        let mut body = object(detail);
        let status = match result {
            Ok(report) => {
                body.insert(
                    "report".into(),
                    json!({
                        "files": report.files, "added": report.added, "updated": report.updated,
                        "unchanged": report.unchanged, "superseded": report.superseded,
                        "failed": report.failed.len(), "versions": report.versions,
                    }),
                );
                "done"
            }
            Err(e) => {
                body.insert("error".into(), json!(e.to_string()));
                "failed"
            }
        };
        self.record(actor, "ingest", Some(status), Value::Object(body))?;
        Ok(())
    }

    /// Who was told something from `doc_id` version `version`: every ask record citing it and every
    /// approved review answer citing it, with the version in force today, so compliance sees who relied
    /// on a version that has since changed.
    pub fn audit_impact(&self, doc_id: &str, version: &str) -> Result<ImpactReport, EngineError> {
        let versions = self.document_versions(doc_id, &cited_core::Access::Operator)?;
        let cited = versions
            .iter()
            .find(|v| v.version.version == version)
            .ok_or_else(|| EngineError::NotFound(format!("{doc_id} has no version {version:?}")))?;
        let in_force_now = versions
            .iter()
            .find(|v| v.status == cited_core::VersionStatus::Active)
            .map(|v| v.version.version.clone());
        let mut answers = Vec::new();
        for r in self.catalog.audit_records(&AuditQuery {
            doc_id: Some(doc_id.to_string()),
            version: Some(version.to_string()),
            action: Some("ask".into()),
            ..AuditQuery::default()
        })? {
            let v: Value = serde_json::from_str(&r.json).map_err(|e| {
                EngineError::Internal(format!("audit record {} is not JSON: {e}", r.seq))
            })?;
            answers.push(ImpactedAnswer {
                record_id: r.record_id,
                at: v["at"].as_str().unwrap_or_default().to_string(),
                user_id: v["user_id"].as_str().unwrap_or_default().to_string(),
                status: v["status"].as_str().unwrap_or_default().to_string(),
                review_id: v["review_id"].as_str().map(str::to_string),
            });
        }
        let mut approved_reviews = Vec::new();
        for item in self.catalog.reviews_in_state("approved")? {
            let cites = item.answer.as_ref().is_some_and(|a| {
                a["citations"].as_array().is_some_and(|cs| {
                    cs.iter()
                        .any(|c| c["doc_id"] == doc_id && c["version"] == version)
                })
            });
            if cites {
                approved_reviews.push(ImpactedReview {
                    review_id: item.review_id,
                    reviewer: item.reviewer,
                    decided_at: item.decided_at,
                });
            }
        }
        Ok(ImpactReport {
            doc_id: doc_id.to_string(),
            version: version.to_string(),
            status: cited.status,
            in_force_now,
            answers,
            approved_reviews,
        })
    }

    /// Audit records matching `query`, in log order.
    pub fn audit_records(&self, query: &AuditQuery) -> Result<Vec<StoredRecord>, EngineError> {
        Ok(self.catalog.audit_records(query)?)
    }

    /// The configured signing key (`audit.signing_key`, kept outside the data directory).
    pub fn audit_signing_key(&self) -> Result<SigningKey, EngineError> {
        let path = self.config.audit.signing_key.as_ref().ok_or_else(|| {
            EngineError::bad_request(
                crate::BadRequestCode::BadAudit,
                "no audit.signing_key in the config: create one with `cited audit keygen --out PATH` \
                 (outside the data directory) and set it",
            )
        })?;
        Ok(cited_audit::read_signing_key(path)?)
    }

    /// Signs the log's current size and root, keeps the head beside the log, and returns it.
    pub fn audit_head(&self) -> Result<SignedHead, EngineError> {
        let key = self.audit_signing_key()?;
        let records = self.catalog.audit_records(&AuditQuery::default())?;
        let root = cited_audit::merkle::root(&cited_audit::leaves(&records));
        let head = SignedHead::sign(records.len() as u64, &root, Utc::now(), &key);
        let json = serde_json::to_string(&head)
            .map_err(|e| EngineError::Internal(format!("cannot store the head: {e}")))?;
        self.catalog
            .insert_audit_head(head.size, &head.timestamp, &json)?;
        Ok(head)
    }

    /// Heads kept beside the log.
    pub fn audit_heads(&self) -> Result<Vec<SignedHead>, EngineError> {
        self.catalog
            .audit_heads()?
            .iter()
            .map(|j| {
                serde_json::from_str(j).map_err(|e| {
                    EngineError::Internal(format!("a stored audit head is damaged: {e}"))
                })
            })
            .collect()
    }

    /// Verifies the whole log against the heads kept beside it and `extra` heads (from compliance's own
    /// store), with `trusted` (default: the configured key's public half).
    pub fn audit_verify(
        &self,
        extra: &[SignedHead],
        trusted: Option<ed25519_dalek::VerifyingKey>,
    ) -> Result<VerifyReport, EngineError> {
        let trusted = match trusted {
            Some(k) => k,
            None => self.audit_signing_key()?.verifying_key(),
        };
        let records = self.catalog.audit_records(&AuditQuery::default())?;
        let mut heads = self.audit_heads()?;
        heads.extend_from_slice(extra);
        Ok(cited_audit::verify(&records, &heads, &trusted))
    }

    /// The inclusion proof of a record under a fresh head.
    pub fn audit_prove(&self, record_id: &str) -> Result<cited_audit::InclusionProof, EngineError> {
        let records = self.catalog.audit_records(&AuditQuery::default())?;
        let index = records
            .iter()
            .position(|r| r.record_id == record_id)
            .ok_or_else(|| EngineError::NotFound(format!("no audit record {record_id:?}")))?;
        let head = self.audit_head()?;
        Ok(cited_audit::prove_inclusion(&records, index, head)?)
    }

    /// The consistency proof from `old` (a head compliance kept) to a fresh head.
    pub fn audit_prove_consistency(
        &self,
        old: SignedHead,
    ) -> Result<cited_audit::ConsistencyProof, EngineError> {
        let records = self.catalog.audit_records(&AuditQuery::default())?;
        let head = self.audit_head()?;
        Ok(cited_audit::prove_consistency(&records, old, head)?)
    }
}

/// Who relied on a version (`cited audit impact`).
#[derive(Debug, Clone, Serialize)]
pub struct ImpactReport {
    /// Document id.
    pub doc_id: String,
    /// The version asked about.
    pub version: String,
    /// Its status today.
    pub status: cited_core::VersionStatus,
    /// The version in force today, if any.
    pub in_force_now: Option<String>,
    /// Ask records that cited it, oldest first.
    pub answers: Vec<ImpactedAnswer>,
    /// Approved review answers that cite it (reused for later askers while it was in force).
    pub approved_reviews: Vec<ImpactedReview>,
}

/// An ask that cited the version.
#[derive(Debug, Clone, Serialize)]
pub struct ImpactedAnswer {
    /// The audit record.
    pub record_id: String,
    /// When.
    pub at: String,
    /// Who asked.
    pub user_id: String,
    /// answered, needs_review or no_answer (the last two cite evidence, not an answer).
    pub status: String,
    /// Its review item, if any.
    pub review_id: Option<String>,
}

/// An approved review answer that cites the version.
#[derive(Debug, Clone, Serialize)]
pub struct ImpactedReview {
    /// The item.
    pub review_id: String,
    /// Who approved it.
    pub reviewer: Option<String>,
    /// When.
    pub decided_at: Option<String>,
}
