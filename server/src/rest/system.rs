//! `/api/v1/srst-references`, `/api/v1/servers` and `/api/v1/dashboard` (functional group System).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;

use super::error::ApiError;
use super::json::ApiJson;
use super::VersionQuery;
use app::domain::dashboard::Dashboard;
use app::domain::servers::ServerFields;
use app::domain::srst::SrstFields;
use app::model::system::{ServerDetail, ServerSaved, SrstInfo, SrstSaved};
use app::service::authz::{area, Privileges, Reads, Writes};
use app::service::{dashboard, servers, srst, AppState};

/// Query of `GET /srst-references`.
#[derive(Debug, Deserialize)]
pub struct SrstQuery {
    /// `missing`: only the secure references without a valid certificate.
    #[serde(default)]
    certificate: Option<String>,
}

/// `GET /srst-references?certificate=missing`.
pub async fn list_srst(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Query(q): Query<SrstQuery>,
) -> Result<Json<Vec<SrstInfo>>, ApiError> {
    let grant = privileges.grant::<area::System, Reads>()?;
    let missing = q.certificate.as_deref() == Some("missing");
    Ok(Json(srst::list(&state, &grant, missing).await?))
}

/// `POST /srst-references`: 201; a secure reference comes back with its certificate, or with the
/// error of the fetch (the reference is saved either way).
pub async fn create_srst(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    ApiJson(fields): ApiJson<SrstFields>,
) -> Result<(StatusCode, Json<SrstSaved>), ApiError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    Ok((
        StatusCode::CREATED,
        Json(srst::create(&state, &grant, fields).await?),
    ))
}

/// `GET /srst-references/{name}`.
pub async fn get_srst(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
) -> Result<Json<SrstInfo>, ApiError> {
    let grant = privileges.grant::<area::System, Reads>()?;
    Ok(Json(srst::get(&state, &grant, &name).await?))
}

/// Body of `PUT /srst-references/{name}`.
#[derive(Debug, Deserialize)]
pub struct SrstUpdate {
    #[serde(flatten)]
    fields: SrstFields,
    version: i32,
}

/// `PUT /srst-references/{name}`: 409 when the version is stale.
pub async fn update_srst(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<SrstUpdate>,
) -> Result<Json<SrstSaved>, ApiError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    Ok(Json(
        srst::update(&state, &grant, &name, body.fields, body.version).await?,
    ))
}

/// `DELETE /srst-references/{name}?version=`: 409 while device pools use it.
pub async fn delete_srst(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Result<StatusCode, ApiError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    srst::delete(&state, &grant, &name, q.version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /srst-references/{name}/certificate`: fetch the gateway's certificate again.
pub async fn update_certificate(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
) -> Result<Json<SrstSaved>, ApiError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    Ok(Json(srst::update_certificate(&state, &grant, &name).await?))
}

/// `GET /servers`: every server with its registered devices.
pub async fn list_servers(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Json<Vec<ServerDetail>>, ApiError> {
    let grant = privileges.grant::<area::System, Reads>()?;
    Ok(Json(servers::list(&state, &grant).await?))
}

/// `POST /servers`: 201 with the required actions (R17).
pub async fn create_server(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    ApiJson(fields): ApiJson<ServerFields>,
) -> Result<(StatusCode, Json<ServerSaved>), ApiError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    Ok((
        StatusCode::CREATED,
        Json(servers::create(&state, &grant, fields).await?),
    ))
}

/// `GET /servers/{name}`.
pub async fn get_server(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
) -> Result<Json<ServerDetail>, ApiError> {
    let grant = privileges.grant::<area::System, Reads>()?;
    Ok(Json(servers::get(&state, &grant, &name).await?))
}

/// Body of `PUT /servers/{name}`.
#[derive(Debug, Deserialize)]
pub struct ServerUpdate {
    #[serde(flatten)]
    fields: ServerFields,
    version: i32,
}

/// `PUT /servers/{name}`: 409 when the version is stale, 422 for R2.
pub async fn update_server(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<ServerUpdate>,
) -> Result<Json<ServerSaved>, ApiError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    Ok(Json(
        servers::update(&state, &grant, &name, body.fields, body.version).await?,
    ))
}

/// `DELETE /servers/{name}?version=`: 409 while a CallManager group lists it.
pub async fn delete_server(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Result<StatusCode, ApiError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    servers::delete(&state, &grant, &name, q.version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /dashboard`.
pub async fn dashboard(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Json<Dashboard>, ApiError> {
    let grant = privileges.grant::<area::System, Reads>()?;
    Ok(Json(dashboard::dashboard(&state, &grant).await?))
}
