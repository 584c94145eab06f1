//! Security > TFTP Files: the state of the file pipeline (counts, last build, errors, progress of
//! a running build), the built files, and their download over HTTPS.

use super::authz::{area, Grant, Reads};
use super::errors::internal;
use super::AppState;
use crate::error::AppError;
use crate::model::security::MAX_LISTED;
pub use crate::model::security::{TftpFile, TftpStatus};
use crate::store::files::{latest_change, state_row};
use crate::tftp::CTL_FILE;

fn folder(state: &AppState) -> Result<std::path::PathBuf, AppError> {
    state
        .files
        .as_deref()
        .map(|d| d.files.clone())
        .ok_or_else(|| internal("the TFTP folders are not configured"))
}

/// The page's facts; `filter` keeps the files whose name contains it.
pub async fn status(
    state: &AppState,
    _grant: &Grant<area::System, Reads>,
    filter: &str,
) -> Result<TftpStatus, AppError> {
    let row = state_row(&state.db).await?;
    let latest = latest_change(&state.db).await?;
    let dir = folder(state)?;
    let needle = filter.trim().to_lowercase();
    let listing = tokio::task::spawn_blocking(move || {
        let mut all: Vec<TftpFile> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        if name.starts_with('.') {
                            return None;
                        }
                        let size = e.metadata().ok()?.len();
                        Some(TftpFile {
                            signed: name.ends_with(".sgn"),
                            name,
                            size,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    })
    .await
    .map_err(internal)?;
    let files_in_folder = listing.len() as u64;
    let signed_in_folder = listing.iter().filter(|f| f.signed).count() as u64;
    let ctl_present = listing.iter().any(|f| f.name == CTL_FILE);
    let matching: Vec<TftpFile> = listing
        .into_iter()
        .filter(|f| needle.is_empty() || f.name.to_lowercase().contains(&needle))
        .collect();
    Ok(TftpStatus {
        up_to_date: row.status == crate::domain::builds::BuildStatus::Idle
            && row.built_change >= latest
            && row.built_change >= 0,
        status: row.status,
        total: row.total,
        written: row.written,
        signed: row.signed,
        removed: row.removed,
        last_error: row.last_error,
        started_at: row.started_at,
        finished_at: row.finished_at,
        files_in_folder,
        signed_in_folder,
        ctl_present,
        matching: matching.len() as u64,
        files: matching.into_iter().take(MAX_LISTED).collect(),
    })
}

/// The bytes of the built file `name` (the TFTP server's rules: no path, no hidden file).
pub async fn read(
    state: &AppState,
    _grant: &Grant<area::System, Reads>,
    name: &str,
) -> Result<Vec<u8>, AppError> {
    if !crate::tftp::is_served_name(name) {
        return Err(AppError::NotFound(format!("TFTP file {name}")));
    }
    let path = folder(state)?.join(name);
    tokio::task::spawn_blocking(move || crate::tftp::folder::read_served(&path))
        .await
        .map_err(internal)?
        .map_err(|_| AppError::NotFound(format!("TFTP file {name}")))
}
