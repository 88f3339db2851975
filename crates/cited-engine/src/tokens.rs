//! API tokens and roles. A token is a random secret shown once; the catalog keeps only its SHA-256, so a
//! copy of the catalog grants nothing. A token maps to a user, roles and groups.

use cited_catalog::ApiToken;
use serde::Serialize;

use crate::{BadRequestCode, Engine, EngineError};

/// What a caller may do. Each role includes reading (ask, search, documents); the others add to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Asks questions at the bedside.
    Clinician,
    /// Looks up policy.
    Staff,
    /// Works the review queue.
    Reviewer,
    /// Reads the audit trail.
    Compliance,
    /// Uploads documents and manages tokens.
    Admin,
}

impl Role {
    /// Every role, in order.
    pub const ALL: [Role; 5] = [
        Role::Clinician,
        Role::Staff,
        Role::Reviewer,
        Role::Compliance,
        Role::Admin,
    ];

    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clinician => "clinician",
            Role::Staff => "staff",
            Role::Reviewer => "reviewer",
            Role::Compliance => "compliance",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = EngineError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| {
                EngineError::bad_request(
                    BadRequestCode::BadToken,
                    format!("unknown role {s:?} (clinician, staff, reviewer, compliance, admin)"),
                )
            })
    }
}

/// Who is calling, from a valid token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// Id of the token the caller presented (not shown: it is the caller's own business).
    #[serde(skip)]
    pub token_id: String,
    /// User id.
    pub user_id: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// Groups.
    pub groups: Vec<String>,
}

impl Principal {
    /// Whether the caller holds `role` (admin holds every role).
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role) || self.roles.contains(&Role::Admin)
    }
}

/// A token as `token list` shows it (never the secret).
pub type TokenRecord = ApiToken;

fn hash(secret: &str) -> String {
    cited_core::content_hash(secret.as_bytes())
}

/// Equal in time independent of where the strings differ.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Engine {
    /// Creates a token for `user_id` with `roles` and `groups`, and returns `(token_id, secret)`. The
    /// secret is not stored and cannot be shown again.
    pub fn create_token(
        &self,
        user_id: &str,
        roles: &[Role],
        groups: &[String],
    ) -> Result<(String, String), EngineError> {
        let _writer = self.writer();
        if user_id.trim().is_empty() || roles.is_empty() {
            return Err(EngineError::bad_request(
                BadRequestCode::BadToken,
                "a token needs a user and at least one role",
            ));
        }
        // Two v4 UUIDs: 244 random bits from the operating system's generator.
        let secret = format!(
            "cited_{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let token_id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        let mut roles: Vec<String> = roles.iter().map(|r| r.as_str().to_string()).collect();
        roles.sort();
        roles.dedup();
        self.catalog.insert_token(&ApiToken {
            token_id: token_id.clone(),
            token_hash: hash(&secret),
            user_id: user_id.trim().to_string(),
            roles,
            groups: groups.iter().map(|g| g.trim().to_string()).collect(),
            created_at: chrono::Utc::now().to_rfc3339(),
            revoked_at: None,
        })?;
        Ok((token_id, secret))
    }

    /// The caller a secret stands for; `None` for an unknown or revoked token.
    pub fn authenticate(&self, secret: &str) -> Result<Option<Principal>, EngineError> {
        let wanted = hash(secret);
        let Some(t) = self.catalog.token_by_hash(&wanted)? else {
            return Ok(None);
        };
        if !constant_time_eq(&t.token_hash, &wanted) || t.revoked_at.is_some() {
            return Ok(None);
        }
        Ok(Some(Principal {
            token_id: t.token_id,
            user_id: t.user_id,
            roles: t.roles.iter().filter_map(|r| r.parse().ok()).collect(),
            groups: t.groups,
        }))
    }

    /// Every token, revoked ones too.
    pub fn tokens(&self) -> Result<Vec<TokenRecord>, EngineError> {
        Ok(self.catalog.tokens()?)
    }

    /// Revokes a token by its id.
    pub fn revoke_token(&self, token_id: &str) -> Result<(), EngineError> {
        let _writer = self.writer();
        if self.catalog.revoke_token(token_id)? {
            Ok(())
        } else {
            Err(EngineError::NotFound(format!(
                "no active token with id {token_id:?}"
            )))
        }
    }
}
