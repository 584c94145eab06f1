//! Server functions of required actions becoming work: the pending-actions banner and page,
//! device reset and restart jobs, device contacts, and Control Center.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::jobs::{
    ControlCenter, DeviceContact, PendingActions, ResetJob, ResetRequest, ServiceStatus,
};

#[cfg(feature = "ssr")]
use super::ctx;

/// How many merged actions are pending, for users who may act on them (`None` for the others).
#[server(prefix = "/fn", endpoint = "pending_count")]
pub async fn pending_count() -> Result<Option<usize>, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    crate::service::actions::banner_count(&state, &privileges).await
}

/// The Pending Actions page.
#[server(prefix = "/fn", endpoint = "pending_actions")]
pub async fn get_pending_actions() -> Result<PendingActions, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    crate::service::actions::page(&state, &privileges.grant()?, &privileges).await
}

/// Starts a reset or restart job.
#[server(prefix = "/fn", endpoint = "start_reset", input = Json)]
pub async fn start_reset(request: ResetRequest) -> Result<ResetJob, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    crate::service::resets::start(&state, &privileges.grant()?, request).await
}

/// A reset job with its progress; `status` lists the devices of that status.
#[server(prefix = "/fn", endpoint = "get_reset_job")]
pub async fn get_reset_job(id: i32, status: Option<String>) -> Result<ResetJob, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    let status = status
        .filter(|s| !s.is_empty())
        .map(|s| {
            crate::domain::jobs::DeviceStatus::parse(&s)
                .ok_or_else(|| AppError::invalid("Status", format!("{s:?} is not a device status")))
        })
        .transpose()?;
    crate::service::resets::get(&state, &privileges.grant()?, id, status).await
}

/// The latest reset and restart jobs.
#[server(prefix = "/fn", endpoint = "list_reset_jobs")]
pub async fn list_reset_jobs() -> Result<Vec<ResetJob>, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    crate::service::resets::list(&state, &privileges.grant()?).await
}

/// Pauses, resumes or cancels a job.
#[server(prefix = "/fn", endpoint = "control_job")]
pub async fn control_job(id: i32, control: String, version: i32) -> Result<ResetJob, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    let control = crate::domain::jobs::JobControl::parse(&control).ok_or_else(|| {
        AppError::invalid("Job", format!("{control:?} is not pause, resume or cancel"))
    })?;
    crate::service::resets::control(&state, &privileges.grant()?, id, control, Some(version)).await
}

/// Changes a job's rate (devices per second; empty or 0: no limit).
#[server(prefix = "/fn", endpoint = "set_job_rate")]
pub async fn set_job_rate(id: i32, rate: String, version: i32) -> Result<ResetJob, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    let rate = crate::domain::jobs::parse_rate(&rate)
        .map_err(|reason| AppError::invalid("Rate", reason))?
        .unwrap_or(0);
    crate::service::resets::set_rate(&state, &privileges.grant()?, id, rate, Some(version)).await
}

/// The contact of a phone.
#[server(prefix = "/fn", endpoint = "phone_contact")]
pub async fn phone_contact(name: String) -> Result<Option<DeviceContact>, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    crate::service::registrations::contact(&state, &privileges.grant()?, &name).await
}

/// Enters (or, with an empty address, removes) a phone's contact.
#[server(prefix = "/fn", endpoint = "set_phone_contact")]
pub async fn set_phone_contact(
    name: String,
    address: String,
    port: String,
    version: i32,
) -> Result<Option<DeviceContact>, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    let port = if address.trim().is_empty() {
        0
    } else {
        crate::domain::numbers::whole_number(&port)
    };
    crate::service::registrations::set_contact(
        &state,
        &privileges.grant()?,
        &name,
        &address,
        port,
        version,
    )
    .await
}

/// Control Center.
#[server(prefix = "/fn", endpoint = "control_center")]
pub async fn get_control_center() -> Result<ControlCenter, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    crate::service::control::page(&state, &privileges.grant()?, &privileges).await
}

/// Starts, stops or restarts a service on a server.
#[server(prefix = "/fn", endpoint = "operate_service")]
pub async fn operate_service(
    server: String,
    service: String,
    op: String,
    version: i32,
) -> Result<ServiceStatus, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    let op = crate::domain::services::ServiceOp::parse(&op).ok_or_else(|| {
        AppError::invalid("Operation", format!("{op:?} is not start, stop or restart"))
    })?;
    crate::service::control::operate(
        &state,
        &privileges.grant()?,
        &server,
        &service,
        op,
        Some(version),
    )
    .await
}
