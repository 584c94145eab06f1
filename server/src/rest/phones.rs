//! `/api/v1/phones`, `/api/v1/phone-models`, `/api/v1/device-pools`, `/api/v1/jobs/{id}`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;

use super::error::ApiError;
use super::json::ApiJson;
use super::VersionQuery;
use app::domain::device::PhoneFields;
use app::model::{
    BulkRequest, ModelInfo, Page, PhoneDetail, PhoneFilter, PhoneRow, PhoneSaved, PoolInfo,
};
use app::service::authz::{area, Privileges, Reads, Writes};
use app::service::{bulk, device_pools, phones, AppState};

/// Body of `PUT /phones/{name}`: the fields and the version read.
#[derive(Debug, Deserialize)]
pub struct PhoneUpdate {
    #[serde(flatten)]
    fields: PhoneFields,
    version: i32,
}

/// `GET /phones?name=&description=&model=&device_pool=&configured=&effective=&lsc_status=&sort=&desc=&page=&per_page=`.
pub async fn list(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Query(filter): Query<PhoneFilter>,
) -> Result<Json<Page<PhoneRow>>, ApiError> {
    let grant = privileges.grant::<area::Phone, Reads>()?;
    Ok(Json(phones::list(&state, &grant, &filter).await?))
}

/// `POST /phones`: 201 with the phone and the rule warnings.
pub async fn create(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    ApiJson(fields): ApiJson<PhoneFields>,
) -> Result<(StatusCode, Json<PhoneSaved>), ApiError> {
    let grant = privileges.grant::<area::Phone, Writes>()?;
    Ok((
        StatusCode::CREATED,
        Json(phones::create(&state, &grant, fields).await?),
    ))
}

/// `GET /phones/{name}`.
pub async fn get_one(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
) -> Result<Json<PhoneDetail>, ApiError> {
    let grant = privileges.grant::<area::Phone, Reads>()?;
    let reveal = privileges.grant::<area::Phone, Writes>().ok();
    Ok(Json(
        phones::get(&state, &grant, reveal.as_ref(), &name).await?,
    ))
}

/// `PUT /phones/{name}`: 409 when the version is stale, 422 naming a refused field.
pub async fn update(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<PhoneUpdate>,
) -> Result<Json<PhoneSaved>, ApiError> {
    let grant = privileges.grant::<area::Phone, Writes>()?;
    Ok(Json(
        phones::update(&state, &grant, &name, body.fields, body.version).await?,
    ))
}

/// `DELETE /phones/{name}?version=`.
pub async fn remove(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Result<StatusCode, ApiError> {
    let grant = privileges.grant::<area::Phone, Writes>()?;
    phones::delete(&state, &grant, &name, q.version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /phone-models`.
pub async fn models(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Json<Vec<ModelInfo>>, ApiError> {
    Ok(Json(phones::models(&state, &privileges.grant()?).await?))
}

/// `GET /device-pools`.
pub async fn pools(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Json<Vec<PoolInfo>>, ApiError> {
    Ok(Json(
        device_pools::summaries(&state, &privileges.grant()?).await?,
    ))
}

/// Body of `POST /phones/bulk`: the request, and whether only to preview it.
#[derive(Debug, Deserialize)]
pub struct BulkBody {
    #[serde(flatten)]
    request: BulkRequest,
    #[serde(default)]
    preview: bool,
}

/// `POST /phones/bulk`: with `"preview": true`, 200 and what it would do; otherwise 202 and the
/// job, which runs in the background (`GET /jobs/{id}`).
pub async fn bulk(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    ApiJson(body): ApiJson<BulkBody>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let grant = privileges.grant::<area::Phone, Writes>()?;
    if body.preview {
        Ok(Json(bulk::preview(&state, &grant, &body.request).await?).into_response())
    } else {
        let job = bulk::start(&state, &grant, body.request).await?;
        Ok((StatusCode::ACCEPTED, Json(job)).into_response())
    }
}
