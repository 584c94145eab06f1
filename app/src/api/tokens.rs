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

/// Makes a token valid for `expires_in_days` (the field's text; empty: 90 days); the secret is
/// shown once. Only a session may make one, which every server function request is (the
/// permission middleware accepts bearer tokens on the JSON API only).
#[server(prefix = "/fn", endpoint = "create_token")]
pub async fn create_token(name: String, expires_in_days: String) -> Result<NewToken, AppError> {
    use crate::service::tokens::{self, Interactive};

    let (state, privileges) = ctx::privileges().await?;
    let headers = leptos_axum::extract::<axum::http::HeaderMap>()
        .await
        .map_err(crate::service::errors::internal)?;
    let session = Interactive::check(&state, &privileges, &headers).await?;
    let days = tokens::parse_expiry_days(&expires_in_days)?;
    tokens::create(&state, &privileges, session, &name, days).await
}

/// Revokes one of the caller's tokens.
#[server(prefix = "/fn", endpoint = "revoke_token")]
pub async fn revoke_token(id: i32) -> Result<(), AppError> {
    let (state, privileges) = ctx::privileges().await?;
    crate::service::tokens::revoke(&state, &privileges, id).await
}
