//! Background jobs left by a node that stopped: each node looks for bulk changes and imports
//! whose claim went stale ([`super::job_claims::STALE`]) and resumes them, one after the other,
//! each taken over by one conditional update so that one node only resumes it.

use std::time::Duration;

use super::authz::Internal;
use super::job_claims::{claim_token, stale_before};
use super::{bulk, imports, AppState};
use crate::domain::jobs::JobStatus;
use crate::error::AppError;

/// How often each node looks for interrupted jobs.
const LOOK_EVERY: Duration = Duration::from_secs(10);
/// The statuses of a job that has not ended and that no administrator paused.
const OPEN: [JobStatus; 1] = [JobStatus::Running];

/// Resumes the bulk and import jobs left running by a node that stopped. Returns how many this
/// node claimed; each is done or failed when this returns, unless another node took it over
/// meanwhile.
pub async fn resume_interrupted(state: &AppState, _internal: &Internal) -> Result<usize, AppError> {
    let kinds = [bulk::KIND, imports::KIND];
    let candidates =
        crate::store::jobs::stale_of(&state.db, &kinds, &OPEN, stale_before(state.clock.now()))
            .await?;
    let mut claimed = 0;
    for job in candidates {
        let claim = claim_token(state);
        let now = state.clock.now();
        let took =
            crate::store::jobs::take_over(&state.db, job.id, &OPEN, &claim, now, stale_before(now))
                .await?;
        if took {
            claimed += 1;
            if job.kind == imports::KIND {
                imports::resume(state, &job, &claim).await;
            } else {
                bulk::resume(state, &job, &claim).await;
            }
        }
    }
    Ok(claimed)
}

/// Runs for ever: resumes the interrupted jobs at once (the start of the console), then looks
/// again every few seconds, so that a job left by a node that stops later is resumed too.
pub async fn watch_interrupted(state: AppState, internal: Internal) {
    loop {
        match resume_interrupted(&state, &internal).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("{n} interrupted jobs resumed"),
            Err(e) => tracing::error!("cannot resume the interrupted jobs: {e}"),
        }
        tokio::time::sleep(LOOK_EVERY).await;
    }
}
