//! The JSON API under `/api/v1` (the automation interface) and `/healthz`.

pub mod error;
pub mod json;
mod session;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use sea_orm::ConnectionTrait;
use serde_json::json;

use app::service::home::VERSION;
use app::service::AppState;

/// The `/api/v1` routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", post(session::login))
        .route("/logout", post(session::logout))
        .route("/me", get(session::me))
        .fallback(not_found)
}

/// `GET /healthz`: the console and its store answer. No login needed.
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let db_ok = state
        .db
        .execute_unprepared("SELECT 1")
        .await
        .map_err(|e| tracing::warn!("health check: store unreachable: {e}"))
        .is_ok();
    let status = if db_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if db_ok { "ok" } else { "degraded" },
        "db": if db_ok { "ok" } else { "unreachable" },
        "version": VERSION,
    });
    (status, Json(body))
}

async fn not_found() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": "No API route has this path."})),
    )
}
