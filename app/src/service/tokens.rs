//! API tokens: a user makes and revokes named tokens that carry their own privileges on
//! `/api/v1`. The secret is shown once; only its SHA-256 is stored.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sea_orm::TransactionTrait;
use sha2::{Digest, Sha256};

use super::audit::{self, Event};
use super::auth::Principal;
use super::authz::Privileges;
use super::state::internal;
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

fn to_info(row: api_tokens::Model) -> TokenInfo {
    TokenInfo {
        id: row.id,
        name: row.name,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
    }
}

/// The caller's own tokens.
pub async fn list(state: &AppState, privileges: &Privileges) -> Result<Vec<TokenInfo>, AppError> {
    Ok(tokens::of_user(&state.db, privileges.principal.user_id)
        .await
        .map_err(internal)?
        .into_iter()
        .map(to_info)
        .collect())
}

/// Makes a token for the caller; the secret is in the answer and nowhere else.
pub async fn create(
    state: &AppState,
    privileges: &Privileges,
    name: &str,
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
    let user_id = privileges.principal.user_id;
    if tokens::of_user(&state.db, user_id)
        .await
        .map_err(internal)?
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
    let txn = state.db.begin().await.map_err(internal)?;
    let row = tokens::create(&txn, user_id, name, digest(&secret), now)
        .await
        .map_err(internal)?;
    audit::record(
        &txn,
        now,
        &privileges.actor(),
        Event {
            action: AuditAction::Create,
            object_type: object::API_TOKEN,
            object_name: name,
            before: None,
            after: Some(serde_json::json!({"name": name, "owner": privileges.principal.name})),
            detail: format!("API token {name} created"),
        },
    )
    .await?;
    txn.commit().await.map_err(internal)?;
    Ok(NewToken {
        info: to_info(row),
        secret,
    })
}

/// Revokes one of the caller's tokens.
pub async fn revoke(state: &AppState, privileges: &Privileges, id: i32) -> Result<(), AppError> {
    let now = state.clock.now();
    let txn = state.db.begin().await.map_err(internal)?;
    let Some(token) = tokens::delete(&txn, privileges.principal.user_id, id)
        .await
        .map_err(internal)?
    else {
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

/// The principal a bearer secret stands for; a revoked or unknown token, or one of a disabled
/// user, is [`AppError::Unauthenticated`].
pub async fn principal(state: &AppState, secret: &str) -> Result<Principal, AppError> {
    if !secret.starts_with(PREFIX) {
        return Err(AppError::Unauthenticated);
    }
    let Some(token) = tokens::by_hash(&state.db, &digest(secret))
        .await
        .map_err(internal)?
    else {
        return Err(AppError::Unauthenticated);
    };
    let user = users::find_by_id(&state.db, token.user_id)
        .await
        .map_err(internal)?
        .filter(|u| !u.disabled)
        .ok_or(AppError::Unauthenticated)?;
    tokens::touch(&state.db, token, state.clock.now())
        .await
        .map_err(internal)?;
    Ok(Principal {
        user_id: user.id,
        name: user.name,
        must_change_password: user.must_change_password,
    })
}
