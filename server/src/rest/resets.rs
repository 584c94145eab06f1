//! `/api/v1/pending-actions`, device resets and restarts (`/phones/{name}/reset`,
//! `/phones/reset`, `/servers/{name}/reset-devices`), jobs (`/jobs`, `/jobs/{id}`, pause, resume,
//! cancel, rate), contacts (`/phones/{name}/contact`) and device registrations
//! (`/registrations`, device credentials): functional group Phone. Control Center
//! (`/control-center`, `/servers/{server}/services/{service}/{op}`): ServiceManagement.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiError;
use super::json::ApiJson;
use app::domain::actions::PendingGroup;
use app::domain::jobs::{DeviceStatus, JobControl};
use app::domain::services::ServiceOp;
use app::domain::sip::DeviceAction;
use app::error::AppError;
use app::model::jobs::{DeviceContact, ResetJob, ResetRequest, ServiceStatus};
use app::model::PhoneFilter;
use app::service::authz::{area, ClientAddress, DeviceIdentity, Privileges, Reads, Writes};
use app::service::{actions, bulk, control, registrations, resets, AppState};

/// `GET /pending-actions`: the merged pending actions, oldest first.
pub async fn pending(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Json<Vec<PendingGroup>>, ApiError> {
    Ok(Json(actions::lines(&state, &privileges.grant()?).await?))
}

/// Body of a reset of one phone or of a server's devices.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetBody {
    /// `reset` (default) or `restart`.
    #[serde(rename = "type", default)]
    action: Option<DeviceAction>,
    /// Devices per second (0: unthrottled; absent: 50).
    #[serde(default)]
    rate: Option<u32>,
}

async fn start(
    state: &AppState,
    privileges: &Privileges,
    req: ResetRequest,
) -> Result<(StatusCode, Json<ResetJob>), ApiError> {
    let grant = privileges.grant::<area::Phone, Writes>()?;
    Ok((
        StatusCode::ACCEPTED,
        Json(resets::start(state, &grant, req).await?),
    ))
}

/// `POST /phones/{name}/reset` `{"type": "reset"|"restart", "rate"}`: a job for one phone.
pub async fn reset_phone(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<ResetBody>,
) -> Result<(StatusCode, Json<ResetJob>), ApiError> {
    let req = ResetRequest {
        filter: None,
        names: Some(vec![name]),
        action: body.action.unwrap_or(DeviceAction::Reset),
        rate: body.rate,
    };
    start(&state, &privileges, req).await
}

/// `POST /phones/reset` `{"filter"|"names", "type", "rate"}`: a job for a selection or search
/// (an empty filter: every device).
pub async fn reset_phones(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    ApiJson(req): ApiJson<ResetRequest>,
) -> Result<(StatusCode, Json<ResetJob>), ApiError> {
    start(&state, &privileges, req).await
}

/// `POST /servers/{name}/reset-devices` `{"type", "rate"}`: every device registered to the
/// server (R11).
pub async fn reset_server_devices(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<ResetBody>,
) -> Result<(StatusCode, Json<ResetJob>), ApiError> {
    let req = ResetRequest {
        filter: Some(PhoneFilter {
            server: Some(name),
            ..Default::default()
        }),
        names: None,
        action: body.action.unwrap_or(DeviceAction::Reset),
        rate: body.rate,
    };
    start(&state, &privileges, req).await
}

/// `GET /jobs`: the latest reset and restart jobs.
pub async fn list(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Json<Vec<ResetJob>>, ApiError> {
    let grant = privileges.grant::<area::Phone, Reads>()?;
    Ok(Json(resets::list(&state, &grant).await?))
}

/// Query of `GET /jobs/{id}`.
#[derive(Debug, Deserialize)]
pub struct JobQuery {
    /// List the devices of this status.
    #[serde(default)]
    status: Option<String>,
}

/// `GET /jobs/{id}[?status=]`: a reset job with its counts and devices, or a bulk change job.
pub async fn job(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(id): Path<i32>,
    Query(q): Query<JobQuery>,
) -> Result<Json<Value>, ApiError> {
    let grant = privileges.grant::<area::Phone, Reads>()?;
    let status = q
        .status
        .filter(|s| !s.is_empty())
        .map(|s| {
            DeviceStatus::parse(&s)
                .ok_or_else(|| AppError::invalid("status", format!("{s:?} is not a device status")))
        })
        .transpose()?;
    match resets::get(&state, &grant, id, status).await {
        Ok(job) => Ok(Json(
            serde_json::to_value(job).map_err(|_| AppError::Internal)?,
        )),
        Err(AppError::NotFound(_)) => {
            let job = bulk::job(&state, &grant, id).await?;
            Ok(Json(
                serde_json::to_value(job).map_err(|_| AppError::Internal)?,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// Body of a job control or rate change.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobChange {
    /// The job's version read (absent: whatever it is).
    #[serde(default)]
    version: Option<i32>,
    /// Devices per second (rate changes only; 0: unthrottled).
    #[serde(default)]
    rate: Option<u32>,
}

/// A body that may be empty (then every field is absent).
fn optional_body(body: &[u8]) -> Result<JobChange, AppError> {
    if body.is_empty() {
        return Ok(JobChange::default());
    }
    serde_json::from_slice(body).map_err(|e| AppError::invalid("body", e.to_string()))
}

/// `POST /jobs/{id}/{pause|resume|cancel}` `{"version"}` (the body may be empty).
pub async fn control_job(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path((id, op)): Path<(i32, String)>,
    body: Bytes,
) -> Result<Json<ResetJob>, ApiError> {
    let grant = privileges.grant::<area::Phone, Writes>()?;
    let op =
        JobControl::parse(&op).ok_or_else(|| AppError::NotFound(format!("Job operation {op}")))?;
    let change = optional_body(&body)?;
    Ok(Json(
        resets::control(&state, &grant, id, op, change.version).await?,
    ))
}

/// `PUT /jobs/{id}/rate` `{"rate", "version"}`.
pub async fn job_rate(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(id): Path<i32>,
    ApiJson(change): ApiJson<JobChange>,
) -> Result<Json<ResetJob>, ApiError> {
    let grant = privileges.grant::<area::Phone, Writes>()?;
    let rate = change
        .rate
        .ok_or_else(|| AppError::invalid("rate", "is required"))?;
    Ok(Json(
        resets::set_rate(&state, &grant, id, rate, change.version).await?,
    ))
}

/// `GET /phones/{name}/contact`.
pub async fn contact(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
) -> Result<Json<Option<DeviceContact>>, ApiError> {
    let grant = privileges.grant::<area::Phone, Reads>()?;
    Ok(Json(registrations::contact(&state, &grant, &name).await?))
}

/// Body of `PUT /phones/{name}/contact` (an empty address removes the contact).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactChange {
    address: String,
    #[serde(default)]
    port: i64,
    /// The contact's version read (0: there was none).
    #[serde(default)]
    version: i32,
}

/// `PUT /phones/{name}/contact` `{"address", "port", "version"}`.
pub async fn set_contact(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path(name): Path<String>,
    ApiJson(c): ApiJson<ContactChange>,
) -> Result<Json<Option<DeviceContact>>, ApiError> {
    let grant = privileges.grant::<area::Phone, Writes>()?;
    Ok(Json(
        registrations::set_contact(&state, &grant, &name, &c.address, c.port, c.version).await?,
    ))
}

/// `POST /registrations` (device credential): the device's contact, and what it reports after
/// fetching its files. Any malformed body is refused with 422 naming the field; nothing is
/// stored then. The contact must be the address the request comes from (or the request come
/// from a trusted proxy), and one the console may send to (`ContactPolicy`): else 422 naming
/// `address`.
pub async fn register(
    State(state): State<AppState>,
    Extension(DeviceIdentity(device)): Extension<DeviceIdentity>,
    Extension(ClientAddress(sender)): Extension<ClientAddress>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let registration = registrations::parse(&device, &body)?;
    let sender = sender.and_then(|ip| ip.parse::<std::net::IpAddr>().ok());
    registrations::register(&state, &registration, sender).await?;
    Ok(Json(json!({ "device": device, "registered": true })))
}

/// `GET /control-center`: every service of every server with its state.
pub async fn control_center(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
) -> Result<Json<Vec<ServiceStatus>>, ApiError> {
    let grant = privileges.grant::<area::ServiceManagement, Reads>()?;
    Ok(Json(control::list(&state, &grant).await?))
}

/// `POST /servers/{server}/services/{service}/{start|stop|restart}` `{"version"}` (the body may be
/// empty).
pub async fn operate(
    State(state): State<AppState>,
    Extension(privileges): Extension<Privileges>,
    Path((server, service, op)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Json<ServiceStatus>, ApiError> {
    let grant = privileges.grant::<area::ServiceManagement, Writes>()?;
    let op = ServiceOp::parse(&op).ok_or_else(|| AppError::NotFound(format!("Operation {op}")))?;
    let change = optional_body(&body)?;
    Ok(Json(
        control::operate(&state, &grant, &server, &service, op, change.version).await?,
    ))
}
