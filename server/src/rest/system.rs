//! `/api/v1/srst-references`, `/api/v1/servers`, `/api/v1/callmanager-groups`,
//! `/api/v1/device-pools` (all but the list, which `phones::pools` answers), `/api/v1/regions`
//! and `/api/v1/dashboard` (functional group System).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;

use super::error::ApiError;
use super::json::ApiJson;
use super::VersionQuery;
use app::domain::dashboard::Dashboard;
use app::domain::pools::{GroupFields, PoolFields, RegionFields};
use app::domain::servers::ServerFields;
use app::domain::srst::SrstFields;
use app::model::system::{
    GroupDetail, GroupSaved, PoolDetail, PoolSaved, RegionDetail, ServerDetail, ServerSaved,
    SrstInfo, SrstSaved,
};
use app::service::authz::{area, Privileges, Reads, Writes};
use app::service::{callmanager_groups, dashboard, device_pools, regions, servers, srst, AppState};

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

/// `GET /callmanager-groups`: every group with its servers in order and the pools that use it.
pub async fn list_groups(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Json<Vec<GroupDetail>>, ApiError> {
    let grant = privileges.grant::<area::System, Reads>()?;
    Ok(Json(callmanager_groups::list(&state, &grant).await?))
}

/// `POST /callmanager-groups`: 201 with the required actions.
pub async fn create_group(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    ApiJson(fields): ApiJson<GroupFields>,
) -> Result<(StatusCode, Json<GroupSaved>), ApiError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    Ok((
        StatusCode::CREATED,
        Json(callmanager_groups::create(&state, &grant, fields).await?),
    ))
}

/// `GET /callmanager-groups/{name}`.
pub async fn get_group(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
) -> Result<Json<GroupDetail>, ApiError> {
    let grant = privileges.grant::<area::System, Reads>()?;
    Ok(Json(callmanager_groups::get(&state, &grant, &name).await?))
}

/// Body of `PUT /callmanager-groups/{name}`.
#[derive(Debug, Deserialize)]
pub struct GroupUpdate {
    #[serde(flatten)]
    fields: GroupFields,
    version: i32,
}

/// `PUT /callmanager-groups/{name}`: 409 when the version is stale; the answer carries the
/// required actions (R10).
pub async fn update_group(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<GroupUpdate>,
) -> Result<Json<GroupSaved>, ApiError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    Ok(Json(
        callmanager_groups::update(&state, &grant, &name, body.fields, body.version).await?,
    ))
}

/// `DELETE /callmanager-groups/{name}?version=`: 409 while device pools use it.
pub async fn delete_group(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Result<StatusCode, ApiError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    callmanager_groups::delete(&state, &grant, &name, q.version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /device-pools`: 201 with the required actions.
pub async fn create_pool(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    ApiJson(fields): ApiJson<PoolFields>,
) -> Result<(StatusCode, Json<PoolSaved>), ApiError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    Ok((
        StatusCode::CREATED,
        Json(device_pools::create(&state, &grant, fields).await?),
    ))
}

/// `GET /device-pools/{name}`: the pool with its version and the count of its devices.
pub async fn get_pool(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
) -> Result<Json<PoolDetail>, ApiError> {
    let grant = privileges.grant::<area::System, Reads>()?;
    Ok(Json(device_pools::get(&state, &grant, &name).await?))
}

/// Body of `PUT /device-pools/{name}`.
#[derive(Debug, Deserialize)]
pub struct PoolUpdate {
    #[serde(flatten)]
    fields: PoolFields,
    version: i32,
}

/// `PUT /device-pools/{name}`: 409 when the version is stale; the answer carries the required
/// actions (R10).
pub async fn update_pool(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<PoolUpdate>,
) -> Result<Json<PoolSaved>, ApiError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    Ok(Json(
        device_pools::update(&state, &grant, &name, body.fields, body.version).await?,
    ))
}

/// `DELETE /device-pools/{name}?version=`: 409 while devices use it.
pub async fn delete_pool(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Result<StatusCode, ApiError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    device_pools::delete(&state, &grant, &name, q.version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /regions`: every region with its codec and the pools in it.
pub async fn list_regions(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Json<Vec<RegionDetail>>, ApiError> {
    let grant = privileges.grant::<area::System, Reads>()?;
    Ok(Json(regions::list(&state, &grant).await?))
}

/// `POST /regions`: 201.
pub async fn create_region(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    ApiJson(fields): ApiJson<RegionFields>,
) -> Result<(StatusCode, Json<RegionDetail>), ApiError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    Ok((
        StatusCode::CREATED,
        Json(regions::create(&state, &grant, fields).await?),
    ))
}

/// `GET /regions/{name}`.
pub async fn get_region(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
) -> Result<Json<RegionDetail>, ApiError> {
    let grant = privileges.grant::<area::System, Reads>()?;
    Ok(Json(regions::get(&state, &grant, &name).await?))
}

/// Body of `PUT /regions/{name}`.
#[derive(Debug, Deserialize)]
pub struct RegionUpdate {
    #[serde(flatten)]
    fields: RegionFields,
    version: i32,
}

/// `PUT /regions/{name}`: 409 when the version is stale.
pub async fn update_region(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<RegionUpdate>,
) -> Result<Json<RegionDetail>, ApiError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    Ok(Json(
        regions::update(&state, &grant, &name, body.fields, body.version).await?,
    ))
}

/// `DELETE /regions/{name}?version=`: 409 while device pools use it.
pub async fn delete_region(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Result<StatusCode, ApiError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    regions::delete(&state, &grant, &name, q.version).await?;
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
