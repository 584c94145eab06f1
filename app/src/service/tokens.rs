//! API tokens: a user makes and revokes named tokens that carry their own privileges on
//! `/api/v1`. The secret is shown once; only its SHA-256 is stored. A token expires (at most a
//! year after it was made, 90 days unless chosen), notes its last use, and cannot make tokens:
//! only an interactive session can ([`Interactive`]).

use argon2::password_hash::rand_core::{OsRng, RngCore};
use axum::http::{header, HeaderMap};
use chrono::{DateTime, Duration, Utc};
use sea_orm::TransactionTrait;
use sha2::{Digest, Sha256};

use super::audit::{self, Event};
use super::authz::Privileges;
use super::errors::internal;
use super::principal::Principal;
use super::AppState;
use crate::domain::audit::{object, AuditAction};
use crate::error::AppError;
use crate::model::{NewToken, TokenInfo};
use crate::store::entities::api_tokens;
use crate::store::{tokens, users};

/// Every token secret starts with this, so that it is recognisable in a leak scan.
pub const PREFIX: &str = "ccm_";
/// The longest token name.
pub const NAME_MAX_CHARS: usize = 64;

fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How often at most a token's last use is written: not once per request.
const LAST_USE_RESOLUTION_MINUTES: i64 = 1;

fn to_info(row: api_tokens::Model, now: DateTime<Utc>) -> TokenInfo {
    TokenInfo {
        id: row.id,
        name: row.name,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        expires_at: row.expires_at,
        expired: row.expires_at <= now,
    }
}

/// Proof that the request being served was authenticated by an interactive session (a login),
/// not by an API token. Only such a request may make tokens, so that a leaked token cannot mint
/// others. Only [`Interactive::check`] makes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interactive(());

impl Interactive {
    /// The proof for a request with `headers`, made by `privileges`. A request that presents an
    /// `Authorization` header is refused with [`AppError::Denied`] (403, audited):
    /// the permission middleware authenticates a bearer token on the JSON API instead of the
    /// session, and refuses one elsewhere, so only a request without one came by its session.
    pub async fn check(
        state: &AppState,
        privileges: &Privileges,
        headers: &HeaderMap,
    ) -> Result<Self, AppError> {
        if !headers.contains_key(header::AUTHORIZATION) {
            return Ok(Self(()));
        }
        let event = Event {
            action: AuditAction::AccessDenied,
            object_type: object::API_TOKEN,
            object_name: &privileges.principal.name,
            before: None,
            after: None,
            detail: "refused: an API token cannot make API tokens; only a login session can"
                .to_owned(),
        };
        if let Err(err) =
            audit::record(&state.db, state.clock.now(), &privileges.actor(), event).await
        {
            tracing::error!("cannot audit a refused token creation: {err}");
        }
        Err(AppError::Denied(
            "An API token cannot make API tokens: log in to the console to make one.".to_owned(),
        ))
    }
}

/// The lifetime in days typed into the page's field: empty is the default (`None`).
pub fn parse_expiry_days(text: &str) -> Result<Option<i64>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<i64>()
        .map(Some)
        .map_err(|_| AppError::invalid(TokenInfo::EXPIRY_FIELD, "must be a whole number of days"))
}

/// The lifetime of a new token: `expires_in_days` (default 90) from 1 to 365 days.
fn lifetime(expires_in_days: Option<i64>) -> Result<Duration, AppError> {
    let days = expires_in_days.unwrap_or(TokenInfo::DEFAULT_EXPIRY_DAYS);
    if !(1..=TokenInfo::MAX_EXPIRY_DAYS).contains(&days) {
        return Err(AppError::invalid(
            TokenInfo::EXPIRY_FIELD,
            format!(
                "must be from 1 to {} days (at most a year)",
                TokenInfo::MAX_EXPIRY_DAYS
            ),
        ));
    }
    Ok(Duration::days(days))
}

/// The caller's own tokens.
pub async fn list(state: &AppState, privileges: &Privileges) -> Result<Vec<TokenInfo>, AppError> {
    let now = state.clock.now();
    Ok(tokens::of_user(&state.db, privileges.principal.user_id)
        .await?
        .into_iter()
        .map(|row| to_info(row, now))
        .collect())
}

/// Makes a token for the caller, valid for `expires_in_days` (1 to 365, default 90); the secret
/// is in the answer and nowhere else. Only an interactive session may make one (`_session`).
pub async fn create(
    state: &AppState,
    privileges: &Privileges,
    _session: Interactive,
    name: &str,
    expires_in_days: Option<i64>,
) -> Result<NewToken, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("Token Name", "is required"));
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(AppError::invalid(
            "Token Name",
            format!("must be at most {NAME_MAX_CHARS} characters"),
        ));
    }
    let valid_for = lifetime(expires_in_days)?;
    let user_id = privileges.principal.user_id;
    if tokens::of_user(&state.db, user_id)
        .await?
        .iter()
        .any(|t| t.name == name)
    {
        return Err(AppError::invalid(
            "Token Name",
            format!("you already have a token named {name}"),
        ));
    }
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let secret = format!(
        "{PREFIX}{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let now = state.clock.now();
    let expires_at = now + valid_for;
    let txn = state.db.begin().await?;
    let row = tokens::create(&txn, user_id, name, digest(&secret), now, expires_at).await?;
    audit::record(
        &txn,
        now,
        &privileges.actor(),
        Event {
            action: AuditAction::Create,
            object_type: object::API_TOKEN,
            object_name: name,
            before: None,
            after: Some(serde_json::json!({
                "name": name,
                "owner": privileges.principal.name,
                "expires_at": expires_at.to_rfc3339(),
            })),
            detail: format!(
                "API token {name} created, expires {}",
                expires_at.format("%Y-%m-%d %H:%M UTC")
            ),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(NewToken {
        info: to_info(row, now),
        secret,
    })
}

/// Revokes one of the caller's tokens.
pub async fn revoke(state: &AppState, privileges: &Privileges, id: i32) -> Result<(), AppError> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let Some(token) = tokens::delete(&txn, privileges.principal.user_id, id).await? else {
        return Err(AppError::NotFound(format!("API token {id}")));
    };
    audit::record(
        &txn,
        now,
        &privileges.actor(),
        Event {
            action: AuditAction::Delete,
            object_type: object::API_TOKEN,
            object_name: &token.name,
            before: Some(serde_json::json!({"name": token.name})),
            after: None,
            detail: format!("API token {} revoked", token.name),
        },
    )
    .await?;
    txn.commit().await.map_err(internal)
}

/// The principal a bearer secret stands for; a revoked, expired or unknown token, or one of a
/// disabled user, is [`AppError::Unauthenticated`]. Notes the token's use, at most once a minute.
pub async fn principal(state: &AppState, secret: &str) -> Result<Principal, AppError> {
    if !secret.starts_with(PREFIX) {
        return Err(AppError::Unauthenticated);
    }
    let Some(token) = tokens::by_hash(&state.db, &digest(secret)).await? else {
        return Err(AppError::Unauthenticated);
    };
    let now = state.clock.now();
    if token.expires_at <= now {
        return Err(AppError::Unauthenticated);
    }
    let user = users::find_by_id(&state.db, token.user_id)
        .await?
        .filter(|u| !u.disabled)
        .ok_or(AppError::Unauthenticated)?;
    let due = token
        .last_used_at
        .is_none_or(|at| now - at >= Duration::minutes(LAST_USE_RESOLUTION_MINUTES));
    if due {
        tokens::touch(&state.db, token.id, now).await?;
    }
    Ok(Principal {
        user_id: user.id,
        name: user.name,
        must_change_password: user.must_change_password,
    })
}
