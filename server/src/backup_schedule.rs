//! The scheduled backups of a node that runs the TFTP side: every few seconds, the schedule is
//! read and a due slot taken — by exactly one node of those sharing the store
//! (`app::service::backups::run_due`).

use std::time::Duration;

use app::service::authz::Internal;
use app::service::AppState;

/// How often the schedule is read.
const EVERY: Duration = Duration::from_secs(5);

/// Runs for ever.
pub async fn run(state: AppState, internal: Internal) {
    loop {
        match app::service::backups::run_due(&state, &internal).await {
            Ok(Some(name)) => tracing::info!("scheduled backup written: {name}"),
            Ok(None) => {}
            Err(e) => tracing::error!("scheduled backup: {e}"),
        }
        tokio::time::sleep(EVERY).await;
    }
}
