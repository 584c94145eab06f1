//! `/api/v1/enterprise-parameters` and `/api/v1/tftp-clusters` (R3).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;

use super::error::ApiError;
use super::json::ApiJson;
use super::VersionQuery;
use app::domain::parameters::ParameterValue;
use app::domain::tftp_share::TftpCluster;
use app::model::system::ParameterSaved;
use app::service::authz::{area, Privileges, Reads, Writes};
use app::service::parameters::{self, ParameterChange};
use app::service::AppState;

/// `GET /enterprise-parameters`.
pub async fn list(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Json<Vec<ParameterValue>>, ApiError> {
    let grant = privileges.grant::<area::System, Reads>()?;
    Ok(Json(parameters::list(&state, &grant).await?))
}

/// `PUT /enterprise-parameters/{name}` `{"value", "version"}`: the parameters, the R5 message and
/// the required actions.
pub async fn set(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<ParameterChange>,
) -> Result<Json<ParameterSaved>, ApiError> {
    Ok(Json(
        parameters::set(&state, &privileges, &name, body).await?,
    ))
}

/// `POST /enterprise-parameters/{name}/default`: "Set to Default" for one parameter.
pub async fn set_default(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
) -> Result<Json<ParameterSaved>, ApiError> {
    Ok(Json(
        parameters::set_to_default(&state, &privileges, Some(&name)).await?,
    ))
}

/// `POST /enterprise-parameters/defaults`: "Set to Default" for every parameter.
pub async fn set_all_defaults(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Json<ParameterSaved>, ApiError> {
    Ok(Json(
        parameters::set_to_default(&state, &privileges, None).await?,
    ))
}

/// `GET /tftp-clusters`: the other clusters sharing the TFTP servers, with the R3 warnings.
pub async fn tftp_clusters(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let grant = privileges.grant::<area::System, Reads>()?;
    let page = parameters::page(&state, &grant).await?;
    Ok(Json(serde_json::json!({
        "clusters": page.tftp_clusters,
        "r3_warnings": page.r3_warnings,
    })))
}

/// Body of `PUT /tftp-clusters/{name}`.
#[derive(Debug, Deserialize)]
pub struct TftpClusterUpdate {
    #[serde(flatten)]
    cluster: TftpCluster,
    #[serde(default)]
    version: Option<i32>,
}

/// `POST /tftp-clusters`: 201 with the R3 warnings that now hold.
pub async fn create_tftp_cluster(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    ApiJson(cluster): ApiJson<TftpCluster>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    let warnings = parameters::save_tftp_cluster(&state, &grant, None, cluster, None).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "r3_warnings": warnings })),
    ))
}

/// `PUT /tftp-clusters/{name}`.
pub async fn update_tftp_cluster(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<TftpClusterUpdate>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    let warnings =
        parameters::save_tftp_cluster(&state, &grant, Some(&name), body.cluster, body.version)
            .await?;
    Ok(Json(serde_json::json!({ "r3_warnings": warnings })))
}

/// `DELETE /tftp-clusters/{name}?version=`.
pub async fn delete_tftp_cluster(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Result<StatusCode, ApiError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    parameters::delete_tftp_cluster(&state, &grant, &name, q.version).await?;
    Ok(StatusCode::NO_CONTENT)
}
