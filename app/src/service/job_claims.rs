//! How a node holds a background job (a bulk change or an import) while it works it: a claim
//! unique to this run of this node, renewed while the work goes on, and the job marked failed
//! under the claim when the work stops with an error. A claim not renewed for [`STALE`] passes
//! to the next node that looks (see [`super::interrupted`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::AppState;
use crate::error::AppError;
use crate::model::JobInfo;
use crate::store::entities::jobs;

/// How long a node's claim on a job lasts without renewal; then another node (or this one after
/// a restart) resumes the job.
pub const STALE: Duration = Duration::from_secs(30);
/// How often a node working a job renews its claim (besides every batch).
const RENEW_EVERY: Duration = Duration::from_secs(5);

/// The job as the pages and the REST API show it.
pub(crate) fn job_info(row: jobs::Model) -> JobInfo {
    JobInfo {
        id: row.id,
        kind: row.kind,
        status: row.status,
        total: row.total,
        processed: row.processed,
        changed: row.changed,
        refused: row.refused,
        message: row.message,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// A claim on a job unique to this run of this node: the node's name, the process and a
/// counter.
pub(crate) fn claim_token(state: &AppState) -> String {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let node: String = state
        .node
        .as_deref()
        .unwrap_or("publisher")
        .chars()
        .take(64)
        .collect();
    format!(
        "{node} pid {} run {}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    )
}

/// The time before which a claim not renewed is stale.
pub(crate) fn stale_before(now: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    now - chrono::Duration::from_std(STALE).unwrap_or(chrono::Duration::seconds(30))
}

/// Renews `claim` on job `job_id`; false when the job is no longer running under it.
pub(crate) async fn renew<C: sea_orm::ConnectionTrait>(
    db: &C,
    now: chrono::DateTime<chrono::Utc>,
    job_id: i32,
    claim: &str,
) -> Result<bool, AppError> {
    Ok(crate::store::jobs::renew(db, job_id, claim, now).await?)
}

/// Renews the claim every [`RENEW_EVERY`] for as long as it is polled. A lost claim is left to
/// the job's next batch, which finds it and stops.
pub(crate) async fn keep_claim(state: &AppState, job_id: i32, claim: &str) {
    loop {
        tokio::time::sleep(RENEW_EVERY).await;
        match renew(&state.db, state.clock.now(), job_id, claim).await {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => tracing::warn!("job {job_id}: claim not renewed: {e}"),
        }
    }
    std::future::pending::<()>().await;
}

/// Marks job `job_id` failed with `message`, while `claim` holds it.
pub(crate) async fn fail(state: &AppState, job_id: i32, claim: &str, message: &str) {
    let failed =
        crate::store::jobs::fail(&state.db, job_id, claim, message, state.clock.now()).await;
    if let Err(e) = failed {
        tracing::error!("cannot record the failure of job {job_id}: {e}");
    }
}
