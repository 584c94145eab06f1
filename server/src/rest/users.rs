//! `/api/v1/users`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;

use super::error::ApiError;
use super::json::ApiJson;
use super::VersionQuery;
use app::model::{NewUser, Page, UserChange, UserInfo};
use app::service::authz::{area, Privileges, Reads};
use app::service::{users, AppState};

/// Query of the user list.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    search: String,
    #[serde(default = "first_page")]
    page: u64,
    #[serde(default = "default_per_page")]
    per_page: u64,
}

fn first_page() -> u64 {
    1
}

fn default_per_page() -> u64 {
    50
}

/// `GET /users`.
pub async fn list(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Page<UserInfo>>, ApiError> {
    let grant = privileges.grant::<area::UserManagement, Reads>()?;
    Ok(Json(
        users::list(&state, &grant, &q.search, q.page, q.per_page).await?,
    ))
}

/// `POST /users`.
pub async fn create(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    ApiJson(body): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<UserInfo>), ApiError> {
    let created = users::create(&state, &privileges, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `GET /users/{name}`.
pub async fn get_one(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
) -> Result<Json<UserInfo>, ApiError> {
    let grant = privileges.grant::<area::UserManagement, Reads>()?;
    Ok(Json(users::get(&state, &grant, &name).await?))
}

/// `PUT /users/{name}`.
pub async fn update(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<UserChange>,
) -> Result<Json<UserInfo>, ApiError> {
    Ok(Json(users::update(&state, &privileges, &name, body).await?))
}

/// `DELETE /users/{name}`.
pub async fn remove(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Result<StatusCode, ApiError> {
    users::delete(&state, &privileges, &name, q.version).await?;
    Ok(StatusCode::NO_CONTENT)
}
