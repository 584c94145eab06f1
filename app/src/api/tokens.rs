//! Server functions of the API Tokens page (the user's own tokens).

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{NewToken, TokenInfo};

#[cfg(feature = "ssr")]
use super::ctx;

/// The caller's tokens.
#[server(prefix = "/fn", endpoint = "list_tokens")]
pub async fn list_tokens() -> Result<Vec<TokenInfo>, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    crate::service::tokens::list(&state, &privileges).await
}

/// Makes a token; the secret is shown once.
#[server(prefix = "/fn", endpoint = "create_token")]
pub async fn create_token(name: String) -> Result<NewToken, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    crate::service::tokens::create(&state, &privileges, &name).await
}

/// Revokes one of the caller's tokens.
#[server(prefix = "/fn", endpoint = "revoke_token")]
pub async fn revoke_token(id: i32) -> Result<(), AppError> {
    let (state, privileges) = ctx::privileges().await?;
    crate::service::tokens::revoke(&state, &privileges, id).await
}
