//! `POST /api/v1/login`, `POST /api/v1/logout`, `GET /api/v1/me`.

use axum::extract::State;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};
use tower_sessions::Session;

use super::error::ApiError;
use super::json::ApiJson;
use app::model::CurrentUser;
use app::service::authz::{ClientAddress, Privileges};
use app::service::{auth, AppState};

/// The login request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    username: String,
    password: String,
}

/// Logs in and sets the session cookie; 401 with one generic message on any refusal.
pub async fn login(
    State(state): State<AppState>,
    Extension(ClientAddress(address)): Extension<ClientAddress>,
    session: Session,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<Value>, ApiError> {
    let principal = auth::login(
        &state,
        &session,
        &body.username,
        &body.password,
        address.as_deref(),
    )
    .await?;
    let privileges = Privileges::load(&state, principal, address).await?;
    Ok(Json(json!({ "user": privileges.describe(&state).await? })))
}

/// Ends the caller's session on the server.
pub async fn logout(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    session: Session,
) -> Result<Json<Value>, ApiError> {
    auth::logout(&state, &session, &privileges.actor()).await?;
    Ok(Json(json!({ "status": "logged out" })))
}

/// The caller, their groups and effective privileges.
pub async fn me(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Json<CurrentUser>, ApiError> {
    Ok(Json(privileges.describe(&state).await?))
}
