//! `/api/v1/user-groups`, `/api/v1/functional-groups`, `/api/v1/users/{name}/privileges`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};

use super::error::ApiError;
use super::json::ApiJson;
use app::model::{FunctionalGroupInfo, PrivilegeReport, UserGroupChange, UserGroupInfo};
use app::service::authz::{area, Privileges, Reads, Writes};
use app::service::{groups, AppState};

/// `GET /functional-groups`.
pub async fn functional_groups(
    Extension(privileges): Extension<Privileges>,
) -> Result<Json<Vec<FunctionalGroupInfo>>, ApiError> {
    let grant = privileges.grant::<area::UserPrivilegeManagement, Reads>()?;
    Ok(Json(groups::functional_groups(&grant)))
}

/// `GET /user-groups`.
pub async fn list_groups(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Json<Vec<UserGroupInfo>>, ApiError> {
    let grant = privileges.grant::<area::UserPrivilegeManagement, Reads>()?;
    Ok(Json(groups::list(&state, &grant).await?))
}

/// `POST /user-groups`.
pub async fn create_group(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    ApiJson(body): ApiJson<UserGroupChange>,
) -> Result<(StatusCode, Json<UserGroupInfo>), ApiError> {
    let grant = privileges.grant::<area::UserPrivilegeManagement, Writes>()?;
    let created = groups::save(&state, &grant, None, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `GET /user-groups/{name}`.
pub async fn get_group(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
) -> Result<Json<UserGroupInfo>, ApiError> {
    let grant = privileges.grant::<area::UserPrivilegeManagement, Reads>()?;
    Ok(Json(groups::get(&state, &grant, &name).await?))
}

/// `PUT /user-groups/{name}`.
pub async fn update_group(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<UserGroupChange>,
) -> Result<Json<UserGroupInfo>, ApiError> {
    let grant = privileges.grant::<area::UserPrivilegeManagement, Writes>()?;
    Ok(Json(groups::save(&state, &grant, Some(&name), body).await?))
}

/// `DELETE /user-groups/{name}`.
pub async fn delete_group(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let grant = privileges.grant::<area::UserPrivilegeManagement, Writes>()?;
    groups::delete(&state, &grant, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /users/{name}/privileges`.
pub async fn privileges_of_user(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
) -> Result<Json<PrivilegeReport>, ApiError> {
    let grant = privileges.grant::<area::UserPrivilegeManagement, Reads>()?;
    Ok(Json(groups::privilege_report(&state, &grant, &name).await?))
}
