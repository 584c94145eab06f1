//! How errors leave the JSON API: a status code and `{"error": …, "field": …}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use app::error::AppError;

/// An error answer of the JSON API.
#[derive(Debug)]
pub enum ApiError {
    /// An error of the application layer.
    App(AppError),
    /// The request body could not be read as the route expects.
    Body {
        /// 400, 415 or 422, as the body's fault is.
        status: StatusCode,
        /// What is wrong with it.
        message: String,
    },
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        Self::App(err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::App(err) => {
                let status = StatusCode::from_u16(err.status_code())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let body = match err.field() {
                    Some(field) => json!({"error": err.to_string(), "field": field}),
                    None => json!({"error": err.to_string()}),
                };
                (status, Json(body)).into_response()
            }
            Self::Body { status, message } => {
                (status, Json(json!({"error": message}))).into_response()
            }
        }
    }
}
