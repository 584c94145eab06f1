//! Server functions of Serviceability > Disaster Recovery. Each needs the capability over the
//! cluster's keys (Full Access to System, Serviceability and UserPrivilegeManagement).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::recovery::{
    BackupCheck, BackupInfo, BackupSchedule, RecoveryPage, RestoreStarted, ScheduleChange,
};

#[cfg(feature = "ssr")]
use super::ctx;

/// This node's backups.
#[server(prefix = "/fn", endpoint = "recovery_page")]
pub async fn get_recovery() -> Result<RecoveryPage, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.cluster_keys()?;
    crate::service::backups::page(&state, &grant).await
}

/// Takes a backup now, encrypted with `passphrase` (typed twice: `confirm`).
#[server(prefix = "/fn", endpoint = "backup_now")]
pub async fn backup_now(passphrase: String, confirm: String) -> Result<BackupInfo, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.cluster_keys()?;
    if passphrase != confirm {
        return Err(AppError::invalid(
            "Confirm Passphrase",
            "differs from the passphrase",
        ));
    }
    crate::service::backups::take(&state, &grant, &passphrase).await
}

/// Decrypts the backup `name` and checks every entry.
#[server(prefix = "/fn", endpoint = "check_backup")]
pub async fn check_backup(name: String, passphrase: String) -> Result<BackupCheck, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.cluster_keys()?;
    crate::service::backups::check(&state, &grant, &name, &passphrase).await
}

/// Changes the backup schedule.
#[server(prefix = "/fn", endpoint = "set_backup_schedule", input = Json)]
pub async fn set_backup_schedule(change: ScheduleChange) -> Result<BackupSchedule, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.cluster_keys()?;
    crate::service::backups::set_schedule(&state, &grant, change).await
}

/// Restores the backup `name` (checked whole with `passphrase` first); the console answers 503
/// while it runs and then restarts into it.
#[server(prefix = "/fn", endpoint = "restore_backup")]
pub async fn restore_backup(
    name: String,
    passphrase: String,
    data_only: bool,
) -> Result<RestoreStarted, AppError> {
    let (state, privileges) = ctx::privileges().await?;
    let grant = privileges.cluster_keys()?;
    crate::service::restores::restore(&state, &grant, &name, &passphrase, data_only).await
}
