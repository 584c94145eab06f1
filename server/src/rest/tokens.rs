//! `/api/v1/tokens`: the caller's own API tokens.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use serde::Deserialize;

use super::error::ApiError;
use super::json::ApiJson;
use app::model::{NewToken, TokenInfo};
use app::service::authz::Privileges;
use app::service::tokens::Interactive;
use app::service::{tokens, AppState};

/// Body of `POST /tokens`: the name and the lifetime in days (1 to 365; 90 when absent).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    name: String,
    #[serde(default)]
    expires_in_days: Option<i64>,
}

/// `GET /tokens`.
pub async fn list(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    Ok(Json(tokens::list(&state, &privileges).await?))
}

/// `POST /tokens`: the secret is in this answer only. Refused (403) to a request authenticated
/// by a token: only a login session makes tokens.
pub async fn create(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewTokenRequest>,
) -> Result<(StatusCode, Json<NewToken>), ApiError> {
    let session = Interactive::check(&state, &privileges, &headers).await?;
    let token = tokens::create(
        &state,
        &privileges,
        session,
        &body.name,
        body.expires_in_days,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(token)))
}

/// `DELETE /tokens/{id}`.
pub async fn revoke(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(id): Path<i32>,
) -> Result<StatusCode, ApiError> {
    tokens::revoke(&state, &privileges, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
