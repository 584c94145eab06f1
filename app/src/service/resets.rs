//! Device reset and restart jobs (R10, R11): started from a phone, a selection or search of
//! Find and List, a server's Reset Devices, or "all devices"; each device has its status in the
//! store, so a job survives a restart of the console. The worker (`server::jobs`) reaches the
//! devices; this module starts, controls and reads jobs, and closes them.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;

use super::audit::{self, Event};
use super::authz::{area, Grant, Internal, Reads, Writes};
use super::bulk::selection;
use super::phones::facts;
use super::AppState;
use crate::domain::audit::{object, AuditAction};
use crate::domain::jobs::{DeviceStatus, JobControl, JobStatus, DEFAULT_RATE, MAX_RATE};
use crate::domain::sip::DeviceAction;
use crate::error::AppError;
use crate::model::jobs::{DeviceCounts, JobDevice, ResetJob, ResetRequest};
use crate::model::PhoneFilter;
use crate::store::actions;
use crate::store::entities::{job_devices, jobs};

/// The kind of a reset job.
pub const RESET_KIND: &str = "device_reset";
/// The kind of a restart job.
pub const RESTART_KIND: &str = "device_restart";
/// How many devices a job's page lists.
pub const LISTED: u64 = 100;

/// The action of a job kind, if it is a reset or restart job.
pub fn action_of_kind(kind: &str) -> Option<DeviceAction> {
    match kind {
        RESET_KIND => Some(DeviceAction::Reset),
        RESTART_KIND => Some(DeviceAction::Restart),
        _ => None,
    }
}

fn kind_of(action: DeviceAction) -> &'static str {
    match action {
        DeviceAction::Reset => RESET_KIND,
        DeviceAction::Restart => RESTART_KIND,
    }
}

fn scope_of(req: &ResetRequest) -> String {
    match (&req.names, &req.filter) {
        (Some(names), _) if names.len() == 1 => names[0].clone(),
        (Some(names), _) => format!("{} selected phones", names.len()),
        (None, Some(f)) if *f == PhoneFilter::default() => "All devices".to_owned(),
        (None, Some(f))
            if f.server.is_some()
                && *f
                    == (PhoneFilter {
                        server: f.server.clone(),
                        ..Default::default()
                    }) =>
        {
            format!(
                "Devices registered to {}",
                f.server.clone().unwrap_or_default()
            )
        }
        _ => "Phones matching a search".to_owned(),
    }
}

/// The rate a request asks for: `None` the default, 0 unthrottled.
fn rate_of(rate: Option<u32>) -> Result<Option<i32>, AppError> {
    match rate {
        None => Ok(Some(DEFAULT_RATE as i32)),
        Some(0) => Ok(None),
        Some(r) if r <= MAX_RATE => Ok(Some(r as i32)),
        Some(_) => Err(AppError::invalid(
            "Rate",
            format!("must be from 1 to {MAX_RATE} devices per second, or 0 for no limit"),
        )),
    }
}

/// Starts a reset or restart job and returns it at once.
pub async fn start(
    state: &AppState,
    grant: &Grant<area::Phone, Writes>,
    req: ResetRequest,
) -> Result<ResetJob, AppError> {
    let rate = rate_of(req.rate)?;
    let facts = facts(state).await?;
    let filter = match (&req.filter, &req.names) {
        (None, None) => Some(PhoneFilter::default()),
        (f, _) => f.clone(),
    };
    let query = selection(&facts, &filter, &req.names)?;
    let scope = scope_of(&ResetRequest {
        filter: filter.clone(),
        ..req.clone()
    });
    let now = state.clock.now();
    let who = grant.actor.name.clone().unwrap_or_default();
    let txn = state.db.begin().await?;
    let job = crate::store::jobs::insert(
        &txn,
        crate::store::jobs::NewJob {
            kind: kind_of(req.action),
            total: 0,
            processed: 0,
            refused: 0,
            params: json!({ "action": req.action.key(), "scope": scope }).to_string(),
            created_by: who,
            rate,
            claim: None,
        },
        now,
    )
    .await?;
    let total = crate::store::jobs::add_matching_devices(&txn, job.id, &query, now).await?;
    if total == 0 {
        return Err(AppError::invalid(
            "Devices",
            format!("{scope}: no device to {}", req.action.key()),
        ));
    }
    let total = i64::try_from(total).unwrap_or(i64::MAX);
    crate::store::jobs::set_total(&txn, job.id, total).await?;
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Create,
            object_type: object::JOB,
            object_name: &format!("job {}", job.id),
            before: None,
            after: Some(json!({ "action": req.action.key(), "scope": scope, "devices": total, "rate": rate })),
            detail: format!("{} {scope}: {total} devices", req.action.label()),
        },
    )
    .await?;
    txn.commit().await?;
    state.jobs_changed.notify_one();
    read(&state.db, job.id, None).await
}

async fn counts<C: ConnectionTrait>(db: &C, job_id: i32) -> Result<DeviceCounts, AppError> {
    Ok(counts_of(db, &[job_id])
        .await?
        .remove(&job_id)
        .unwrap_or_default())
}

/// The devices per status of each of `job_ids`, in one grouped query.
async fn counts_of<C: ConnectionTrait>(
    db: &C,
    job_ids: &[i32],
) -> Result<HashMap<i32, DeviceCounts>, AppError> {
    let rows = crate::store::jobs::device_counts(db, job_ids).await?;
    let mut out: HashMap<i32, DeviceCounts> = HashMap::new();
    for (job, status, n) in rows {
        out.entry(job).or_default().add(status, n);
    }
    Ok(out)
}

fn device_of(row: job_devices::Model) -> Option<JobDevice> {
    Some(JobDevice {
        name: row.device_name,
        status: row.status,
        contact: row.contact,
        attempts: row.attempts,
        detail: row.detail,
        updated_at: row.updated_at,
    })
}

fn job_of(row: jobs::Model, counts: DeviceCounts, devices: Vec<JobDevice>) -> Option<ResetJob> {
    // Only a reset job's parameters are read (another kind's can be a whole imported file).
    let action = action_of_kind(&row.kind)?;
    let params: serde_json::Value = serde_json::from_str(&row.params).unwrap_or_default();
    Some(ResetJob {
        id: row.id,
        action,
        scope: params
            .get("scope")
            .and_then(|s| s.as_str())
            .unwrap_or_default()
            .to_owned(),
        status: row.status,
        total: row.total,
        counts,
        rate: row.rate.and_then(|r| u32::try_from(r).ok()),
        message: row.message,
        created_by: row.created_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
        devices,
    })
}

/// A reset job with its counts and its first devices (of `status`, when given).
pub async fn read<C: ConnectionTrait>(
    db: &C,
    id: i32,
    status: Option<DeviceStatus>,
) -> Result<ResetJob, AppError> {
    let not_found = || AppError::NotFound(format!("Job {id}"));
    let row = crate::store::jobs::find(db, id)
        .await?
        .ok_or_else(not_found)?;
    let devices = crate::store::jobs::devices_of(db, id, status, LISTED)
        .await?
        .into_iter()
        .filter_map(device_of)
        .collect();
    job_of(row, counts(db, id).await?, devices).ok_or_else(not_found)
}

/// One reset or restart job.
pub async fn get(
    state: &AppState,
    _grant: &Grant<area::Phone, Reads>,
    id: i32,
    status: Option<DeviceStatus>,
) -> Result<ResetJob, AppError> {
    read(&state.db, id, status).await
}

/// The latest reset and restart jobs, newest first, without their devices.
pub async fn list(
    state: &AppState,
    _grant: &Grant<area::Phone, Reads>,
) -> Result<Vec<ResetJob>, AppError> {
    let rows = crate::store::jobs::latest_of(&state.db, &[RESET_KIND, RESTART_KIND], 50).await?;
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let mut counts = counts_of(&state.db, &ids).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let c = counts.remove(&row.id).unwrap_or_default();
            job_of(row, c, Vec::new())
        })
        .collect())
}

/// What an administrator changes on a job.
enum Change {
    /// Pause, resume or cancel.
    Status(JobControl),
    /// The pace (`None`: unthrottled).
    Rate(Option<i32>),
}

/// Pauses, resumes or cancels a job (`version`: the one read). A cancel gives up the devices not
/// reached yet; those already sent finish their transaction.
pub async fn control(
    state: &AppState,
    grant: &Grant<area::Phone, Writes>,
    id: i32,
    control: JobControl,
    version: Option<i32>,
) -> Result<ResetJob, AppError> {
    change(state, grant, id, Change::Status(control), version).await
}

/// Changes a job's pace (`rate`: devices per second, 0 unthrottled).
pub async fn set_rate(
    state: &AppState,
    grant: &Grant<area::Phone, Writes>,
    id: i32,
    rate: u32,
    version: Option<i32>,
) -> Result<ResetJob, AppError> {
    change(
        state,
        grant,
        id,
        Change::Rate(rate_of(Some(rate))?),
        version,
    )
    .await
}

async fn change(
    state: &AppState,
    grant: &Grant<area::Phone, Writes>,
    id: i32,
    change: Change,
    version: Option<i32>,
) -> Result<ResetJob, AppError> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let job = read(&txn, id, Some(DeviceStatus::Pending)).await?;
    if version.is_some_and(|v| v != job.version) {
        return Err(audit::conflict(&txn, object::JOB, &format!("job {id}")).await);
    }
    let (update, before, after, detail) = match change {
        Change::Status(control) => {
            let next = control
                .apply(job.status)
                .map_err(|reason| AppError::invalid("Job", reason))?;
            if next == JobStatus::Cancelled {
                crate::store::jobs::cancel_pending(&txn, id, now).await?;
            }
            (
                crate::store::jobs::JobChange::Status(next),
                json!({ "status": job.status.key() }),
                json!({ "status": next.key() }),
                format!(
                    "Job {id} ({} {}): {}",
                    job.action.label(),
                    job.scope,
                    next.label()
                ),
            )
        }
        Change::Rate(rate) => {
            if job.status.is_final() {
                return Err(AppError::invalid(
                    "Rate",
                    format!("the job is {}", job.status.label().to_lowercase()),
                ));
            }
            let pace = rate.map_or("unthrottled".to_owned(), |r| {
                format!("{r} devices per second")
            });
            (
                crate::store::jobs::JobChange::Rate(rate),
                json!({ "rate": job.rate }),
                json!({ "rate": rate }),
                format!("Job {id}: rate {pace}"),
            )
        }
    };
    if !crate::store::jobs::change_versioned(&txn, id, job.version, update, now).await? {
        return Err(audit::conflict(&txn, object::JOB, &format!("job {id}")).await);
    }
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Update,
            object_type: object::JOB,
            object_name: &format!("job {id}"),
            before: Some(before),
            after: Some(after),
            detail,
        },
    )
    .await?;
    txn.commit().await?;
    state.jobs_changed.notify_one();
    read(&state.db, id, None).await
}

/// Closes a job whose devices all have a final status: a reset job records when it reached each
/// device (acknowledged, or not registered) and completes the pending reset actions that are now
/// done (R10). Returns how many actions it completed.
pub async fn finish(
    state: &AppState,
    _internal: &Internal,
    id: i32,
    action: DeviceAction,
) -> Result<u64, AppError> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let mut completed = 0;
    if action == DeviceAction::Reset {
        let reached: Vec<&str> = DeviceStatus::ALL
            .into_iter()
            .filter(|s| s.counts_as_reset())
            .map(DeviceStatus::key)
            .collect();
        crate::store::jobs::record_reached(&txn, id, &reached, now).await?;
        completed = actions::complete_resets(&txn, now).await?;
    }
    let c = counts(&txn, id).await?;
    crate::store::jobs::finish_reset(
        &txn,
        id,
        c.finished(),
        c.acknowledged,
        format!(
            "{} acknowledged, {} timed out, {} rejected, {} not registered, {} cancelled",
            c.acknowledged, c.timed_out, c.rejected, c.not_registered, c.cancelled
        ),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(completed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_read_as_the_admin_chose_them() {
        let req = |filter: Option<PhoneFilter>, names: Option<Vec<String>>| ResetRequest {
            filter,
            names,
            action: DeviceAction::Reset,
            rate: None,
        };
        assert_eq!(
            scope_of(&req(Some(PhoneFilter::default()), None)),
            "All devices"
        );
        let server = PhoneFilter {
            server: Some("CM1".into()),
            ..Default::default()
        };
        assert_eq!(
            scope_of(&req(Some(server), None)),
            "Devices registered to CM1"
        );
        assert_eq!(scope_of(&req(None, Some(vec!["SEP1".into()]))), "SEP1");
        assert_eq!(
            scope_of(&req(None, Some(vec!["SEP1".into(), "SEP2".into()]))),
            "2 selected phones"
        );
        assert_eq!(rate_of(None), Ok(Some(50)));
        assert_eq!(rate_of(Some(0)), Ok(None));
        assert!(rate_of(Some(MAX_RATE + 1)).is_err());
    }
}
