//! `POST /api/v1/login`, `POST /api/v1/logout`, `GET /api/v1/me`.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use tower_sessions::Session;

use super::error::ApiError;
use super::json::ApiJson;
use app::model::CurrentUser;
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
    session: Session,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<Value>, ApiError> {
    let principal = auth::login(&state, &session, &body.username, &body.password).await?;
    let user = principal.describe(&state).await?;
    Ok(Json(json!({ "user": user })))
}

/// Ends the caller's session on the server.
pub async fn logout(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Value>, ApiError> {
    auth::current(&state, &session).await?;
    auth::logout(&session).await?;
    Ok(Json(json!({ "status": "logged out" })))
}

/// The caller and their groups.
pub async fn me(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<CurrentUser>, ApiError> {
    let principal = auth::current(&state, &session).await?;
    Ok(Json(principal.describe(&state).await?))
}
