//! Bearer tokens: the `Caller` extractor turns `Authorization: Bearer <token>` into the engine's
//! `Principal`, or a 401. Routes then ask for the role they need.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use cited_core::Access;
use cited_engine::{Actor, Principal, Role};

use crate::AppState;
use crate::error::ApiError;

/// The authenticated caller of a request, and the request's id.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal, pub Option<String>);

impl Caller {
    /// What the caller may read: documents without an audience and those naming one of its groups.
    pub fn access(&self) -> Access {
        Access::groups(&self.0.groups)
    }

    /// The caller as the audit trail names them.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.0.user_id.clone(),
            roles: self
                .0
                .roles
                .iter()
                .map(|r| r.as_str().to_string())
                .collect(),
            request_id: self.1.clone(),
        }
    }

    /// Refuses with 403 unless the caller holds `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.0.has(role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(role.as_str()))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let secret = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(ApiError::unauthorized)?
            .to_string();
        let engine = state.engine.clone();
        let principal = tokio::task::spawn_blocking(move || engine.authenticate(&secret))
            .await
            .map_err(|_| {
                ApiError::from(cited_engine::EngineError::Internal(
                    "auth task failed".into(),
                ))
            })??;
        let request_id = parts
            .extensions
            .get::<crate::RequestId>()
            .map(|r| r.0.clone());
        principal
            .map(|p| Caller(p, request_id))
            .ok_or_else(ApiError::unauthorized)
    }
}
