//! `/api/v1/service-parameters` (functional group Service) and `/api/v1/services` with
//! `/api/v1/servers/{server}/services/{service}` (functional group Serviceability).

use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use serde::Deserialize;

use super::error::ApiError;
use super::json::ApiJson;
use app::model::system::{ParameterSaved, ServiceActivation, ServiceParameters};
use app::service::authz::{area, Privileges, Reads, Writes};
use app::service::parameters::ParameterChange;
use app::service::{service_settings, AppState};

/// Query of `GET /service-parameters`.
#[derive(Debug, Deserialize)]
pub struct ServiceQuery {
    server: String,
    service: String,
}

/// `GET /service-parameters?server=&service=`.
pub async fn parameters(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Query(q): Query<ServiceQuery>,
) -> Result<Json<ServiceParameters>, ApiError> {
    let grant = privileges.grant::<area::Service, Reads>()?;
    Ok(Json(
        service_settings::parameters(&state, &grant, &q.server, &q.service).await?,
    ))
}

/// `PUT /service-parameters/{server}/{service}/{name}` `{"value", "version"}`.
pub async fn set_parameter(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path((server, service, name)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<ParameterChange>,
) -> Result<Json<ParameterSaved>, ApiError> {
    let grant = privileges.grant::<area::Service, Writes>()?;
    Ok(Json(
        service_settings::set_parameter(&state, &grant, &server, &service, &name, body).await?,
    ))
}

/// `GET /services`: every service of every server, activated or not.
pub async fn activations(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Json<Vec<ServiceActivation>>, ApiError> {
    let grant = privileges.grant::<area::Serviceability, Reads>()?;
    Ok(Json(service_settings::activations(&state, &grant).await?))
}

/// Body of `PUT /servers/{server}/services/{service}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivationChange {
    activated: bool,
    #[serde(default)]
    version: Option<i32>,
}

/// `PUT /servers/{server}/services/{service}` `{"activated": true|false}`.
pub async fn set_activation(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path((server, service)): Path<(String, String)>,
    ApiJson(body): ApiJson<ActivationChange>,
) -> Result<Json<ServiceActivation>, ApiError> {
    let grant = privileges.grant::<area::Serviceability, Writes>()?;
    Ok(Json(
        service_settings::set_activation(
            &state,
            &grant,
            &server,
            &service,
            body.activated,
            body.version,
        )
        .await?,
    ))
}
