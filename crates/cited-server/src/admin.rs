//! Admin routes: API tokens, and document upload as an ingest job on the engine's single writer.
//!
//! An upload is saved under `<data_dir>/uploads/<job id>/` (with its metadata as a sidecar file, the same
//! form `cited ingest` reads), then ingested in the background; `GET /v1/jobs/{id}` reports progress and
//! the per-file results. Jobs live in memory: a restart forgets them, not the documents they ingested.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Mutex;

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use cited_engine::{EngineError, IngestReport, Role, TokenRecord};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// How many finished jobs are remembered.
const KEPT_JOBS: usize = 200;

/// `POST /v1/tokens` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    /// User the token acts for.
    pub user_id: String,
    /// Roles: clinician, staff, reviewer, compliance, admin.
    pub roles: Vec<String>,
    /// Groups, for documents with an audience.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// A new token: the secret is in this response only.
#[derive(Debug, Serialize)]
pub struct NewToken {
    /// Id to list and revoke it by.
    pub token_id: String,
    /// The bearer secret.
    pub token: String,
}

/// `GET /v1/tokens` (admin): every token, never a secret.
pub async fn tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<TokenRecord>>, ApiError> {
    caller.require(Role::Admin)?;
    Ok(Json(state.blocking(|engine| engine.tokens()).await?))
}

/// `POST /v1/tokens` (admin): a new token.
pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    parsed: Result<Json<NewTokenBody>, JsonRejection>,
) -> Result<(StatusCode, Json<NewToken>), ApiError> {
    caller.require(Role::Admin)?;
    let b = crate::routes::body(parsed)?;
    let actor = caller.actor();
    let created = state
        .blocking(move |engine| {
            let roles = b
                .roles
                .iter()
                .map(|r| r.parse())
                .collect::<Result<Vec<Role>, EngineError>>()?;
            let created = engine.create_token(&b.user_id, &roles, &b.groups)?;
            engine.record(
                &actor,
                "token.create",
                None,
                serde_json::json!({
                    "token_id": created.0, "for_user": b.user_id, "granted_roles": b.roles, "groups": b.groups,
                }),
            )?;
            Ok(created)
        })
        .await?;
    tracing::info!(token_id = %created.0, by = %caller.0.user_id, "token created");
    Ok((
        StatusCode::CREATED,
        Json(NewToken {
            token_id: created.0,
            token: created.1,
        }),
    ))
}

/// `DELETE /v1/tokens/{id}` (admin): revokes a token.
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Role::Admin)?;
    if id == caller.0.token_id {
        // Revoking the token in hand locks its holder out mid-session; another admin token (or `cited
        // token revoke` at the shell) can.
        return Err(ApiError::bad_request(
            "bad_token",
            "this is the token making the request; revoke it with another admin token or `cited token revoke`",
        ));
    }
    let revoked = id.clone();
    let actor = caller.actor();
    state
        .blocking(move |engine| {
            engine.revoke_token(&id)?;
            engine.record(
                &actor,
                "token.revoke",
                None,
                serde_json::json!({ "token_id": id }),
            )
        })
        .await?;
    tracing::info!(token_id = %revoked, by = %caller.0.user_id, "token revoked");
    Ok(StatusCode::NO_CONTENT)
}

/// Where an ingest job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for the writer.
    Queued,
    /// Ingesting.
    Running,
    /// Finished; see the report for per-file results (a file can fail in a finished job).
    Done,
    /// The ingest itself failed; nothing of it was committed.
    Failed,
}

/// An upload being ingested.
#[derive(Debug, Clone, Serialize)]
pub struct IngestJob {
    /// Job id.
    pub job_id: String,
    /// Who uploaded.
    pub user_id: String,
    /// The uploaded file's name.
    pub file: String,
    /// Queued, running, done or failed.
    pub state: JobState,
    /// Files read so far.
    pub done: usize,
    /// Files in the job.
    pub total: usize,
    /// When it was accepted.
    pub created_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Per-file and per-version results, once done.
    pub report: Option<IngestReport>,
    /// Why it failed.
    pub error: Option<String>,
}

/// The jobs the server remembers.
#[derive(Debug, Default)]
pub struct Jobs {
    jobs: Mutex<(HashMap<String, IngestJob>, VecDeque<String>)>,
}

impl Jobs {
    fn update(&self, id: &str, change: impl FnOnce(&mut IngestJob)) {
        if let Ok(mut jobs) = self.jobs.lock()
            && let Some(job) = jobs.0.get_mut(id)
        {
            change(job);
        }
    }

    fn insert(&self, job: IngestJob) {
        if let Ok(mut jobs) = self.jobs.lock() {
            let (map, order) = &mut *jobs;
            order.push_back(job.job_id.clone());
            map.insert(job.job_id.clone(), job);
            while order.len() > KEPT_JOBS {
                if let Some(old) = order.pop_front() {
                    map.remove(&old);
                }
            }
        }
    }

    /// A job by id.
    pub fn get(&self, id: &str) -> Option<IngestJob> {
        self.jobs.lock().ok()?.0.get(id).cloned()
    }

    /// Jobs queued or running.
    pub fn active(&self) -> usize {
        self.jobs.lock().map_or(0, |j| {
            j.0.values()
                .filter(|j| matches!(j.state, JobState::Queued | JobState::Running))
                .count()
        })
    }
}

/// A file name safe to write: its last path component, of letters, digits, '.', '-' and '_' only.
fn safe_file_name(name: &str) -> Result<String, ApiError> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    let ok = !base.is_empty()
        && !base.starts_with('.')
        && base.len() <= 200
        && base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(base.to_string())
    } else {
        Err(ApiError::bad_request(
            "bad_upload",
            format!(
                "file name {name:?} must be letters, digits, '.', '-' or '_' (e.g. sepsis-bundle.v3.md)"
            ),
        ))
    }
}

/// `POST /v1/documents` (admin), multipart: a `file` part and an optional `metadata` part (a JSON object
/// of front-matter fields: id, title, version, effective_date, doc_type, audience, ...). Answers 202 with
/// the job; the ingest runs on the writer.
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<IngestJob>), ApiError> {
    caller.require(Role::Admin)?;
    let bad = |m: String| ApiError::bad_request("bad_upload", m);
    let mut multipart = multipart.map_err(|e| {
        ApiError::new(
            e.status(),
            "bad_upload",
            format!(
                "an upload is multipart/form-data with a 'file' part: {}",
                e.body_text()
            ),
        )
    })?;
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut metadata: Option<serde_json::Map<String, serde_json::Value>> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| bad(format!("the upload is not valid multipart: {e}")))?
    {
        match field.name() {
            Some("file") => {
                let name = safe_file_name(field.file_name().unwrap_or_default())?;
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| bad(format!("the file could not be read: {e}")))?;
                if file.replace((name, bytes.to_vec())).is_some() {
                    return Err(bad("one file per upload".into()));
                }
            }
            Some("metadata") => {
                let text = field
                    .text()
                    .await
                    .map_err(|e| bad(format!("metadata could not be read: {e}")))?;
                let value: serde_json::Value = serde_json::from_str(&text)
                    .map_err(|e| bad(format!("metadata is not JSON: {e}")))?;
                match value {
                    serde_json::Value::Object(map) => metadata = Some(map),
                    _ => return Err(bad("metadata must be a JSON object of fields".into())),
                }
            }
            other => {
                return Err(bad(format!(
                    "unexpected part {other:?}; send 'file' and optionally 'metadata'"
                )));
            }
        }
    }
    let (name, bytes) = file.ok_or_else(|| bad("the upload has no 'file' part".into()))?;
    let job_id = uuid::Uuid::new_v4().simple().to_string();
    let dir: PathBuf = state.engine.config().data_dir.join("uploads").join(&job_id);
    let path = dir.join(&name);
    let name_shown = name.clone();
    let write = {
        let path = path.clone();
        move || -> std::io::Result<()> {
            std::fs::create_dir_all(&dir)?;
            std::fs::write(&path, &bytes)?;
            if let Some(m) = metadata {
                // JSON is YAML: the sidecar `cited ingest` reads beside a file.
                std::fs::write(
                    dir.join(format!("{name}.meta.yaml")),
                    serde_json::Value::Object(m).to_string(),
                )?;
            }
            Ok(())
        }
    };
    tokio::task::spawn_blocking(write)
        .await
        .map_err(|_| ApiError::from(EngineError::Internal("upload task failed".into())))?
        .map_err(|e| {
            ApiError::from(EngineError::Internal(format!(
                "cannot save the upload: {e}"
            )))
        })?;
    let job = IngestJob {
        job_id: job_id.clone(),
        user_id: caller.0.user_id.clone(),
        file: name_shown,
        state: JobState::Queued,
        done: 0,
        total: 1,
        created_at: Utc::now(),
        finished_at: None,
        report: None,
        error: None,
    };
    state.jobs.insert(job.clone());
    tracing::info!(job_id = %job_id, by = %caller.0.user_id, "upload accepted");
    let actor = caller.actor();
    state
        .blocking({
            let (actor, job_id, file) = (actor.clone(), job_id.clone(), job.file.clone());
            move |engine| {
                engine.record(
                    &actor,
                    "upload",
                    Some("accepted"),
                    serde_json::json!({ "job_id": job_id, "file": file }),
                )
            }
        })
        .await?;
    let (engine, jobs) = (state.engine.clone(), state.jobs.clone());
    tokio::task::spawn_blocking(move || {
        jobs.update(&job_id, |j| j.state = JobState::Running);
        // The file itself, not its folder: without an `id` field the document is named after the file.
        let result = engine.ingest_paths(&[path], &mut |p| {
            jobs.update(&job_id, |j| {
                j.done = p.done;
                j.total = p.total;
            })
        });
        let detail = serde_json::json!({ "job_id": job_id, "source": "upload" });
        if let Err(e) = engine.record_ingest(&actor, result.as_ref(), detail) {
            tracing::error!(job_id = %job_id, error = %e, "the ingest job's audit record failed");
        }
        jobs.update(&job_id, |j| {
            j.finished_at = Some(Utc::now());
            match result {
                Ok(report) => {
                    j.done = j.total;
                    j.state = JobState::Done;
                    j.report = Some(report);
                }
                Err(e) => {
                    tracing::error!(job_id = %j.job_id, error = %e, "ingest job failed");
                    j.state = JobState::Failed;
                    j.error = Some(e.to_string());
                }
            }
        });
    });
    Ok((StatusCode::ACCEPTED, Json(job)))
}

/// `GET /v1/jobs/{id}` (admin).
pub async fn job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<IngestJob>, ApiError> {
    caller.require(Role::Admin)?;
    state
        .jobs
        .get(&id)
        .map(Json)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such job"))
}

#[cfg(test)]
mod tests {
    use super::safe_file_name;

    #[test]
    fn upload_names_cannot_leave_the_job_folder() {
        assert_eq!(
            safe_file_name("C:\\docs\\sepsis.v3.md").expect("ok"),
            "sepsis.v3.md"
        );
        assert_eq!(safe_file_name("../../etc/x.md").expect("ok"), "x.md");
        for bad in ["", "..", ".hidden.md", "a b.md", "x/", "naïve.md"] {
            assert!(safe_file_name(bad).is_err(), "{bad:?}");
        }
    }
}
