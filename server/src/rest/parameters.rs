//! `/api/v1/enterprise-parameters`.

use axum::extract::{Path, State};
use axum::{Extension, Json};

use super::error::ApiError;
use super::json::ApiJson;
use app::service::authz::{area, Privileges, Reads, Writes};
use app::service::parameters::{self, ParameterChange, ParameterInfo};
use app::service::AppState;

/// `GET /enterprise-parameters`.
pub async fn list(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Json<Vec<ParameterInfo>>, ApiError> {
    let grant = privileges.grant::<area::System, Reads>()?;
    Ok(Json(parameters::list(&state, &grant).await?))
}

/// `PUT /enterprise-parameters/{name}` `{"value", "version"}`.
pub async fn set(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<ParameterChange>,
) -> Result<Json<ParameterInfo>, ApiError> {
    let grant = privileges.grant::<area::System, Writes>()?;
    Ok(Json(parameters::set(&state, &grant, &name, body).await?))
}
