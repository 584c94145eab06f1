//! Serviceability > Disaster Recovery: the backups this node keeps in `DATA_DIR/backups/` — taken
//! while the console serves (one at a time per node), listed with the summary written beside
//! each (`NAME.json`: counts and schema, nothing secret), checked with their passphrase, and
//! downloaded. Each needs the [`KeysGrant`]: a backup holds the cluster's private keys. The
//! passphrase is never stored nor logged.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::audit::{self, Event};
use super::authz::KeysGrant;
use super::errors::internal;
use super::AppState;
use crate::backup::{archive, snapshot, BackupError};
use crate::domain::audit::{object, AuditAction};
use crate::error::AppError;
use crate::model::recovery::{BackupCheck, BackupInfo, RecoveryPage};

/// The folder under the data folder.
const FOLDER: &str = "backups";

/// The largest summary read beside a backup.
const SUMMARY_MAX: u64 = 64 << 10;

/// The longest backup name taken as input.
const NAME_MAX: usize = 64;

/// The backups of this node, newest first.
pub async fn page(state: &AppState, _grant: &KeysGrant) -> Result<RecoveryPage, AppError> {
    let folder = folder(state)?;
    let listing = tokio::task::spawn_blocking({
        let folder = folder.clone();
        move || list(&folder)
    })
    .await
    .map_err(internal)??;
    Ok(RecoveryPage {
        folder: folder.display().to_string(),
        backups: listing,
    })
}

/// Takes a backup now, encrypted with `passphrase` (12 to 1,024 characters), while the console
/// serves. One at a time per node: a second one asked meanwhile is refused.
pub async fn take(
    state: &AppState,
    grant: &KeysGrant,
    passphrase: &str,
) -> Result<BackupInfo, AppError> {
    let secret = archive::checked_passphrase(passphrase).map_err(refusal)?;
    let data_dir = data_dir(state)?;
    let _slot = state.backup_slot.try_acquire().map_err(|_| {
        AppError::Conflict("A backup is already being taken on this node; wait for it.".to_owned())
    })?;
    let folder = folder(state)?;
    let now = state.clock.now();
    let name = format!("ccmadmin-{}-{}.age", now.format("%Y%m%d-%H%M%S"), suffix());
    let out = folder.join(&name);
    let (manifest, entries) = snapshot::entries(
        &state.read,
        &data_dir,
        state.node.as_deref().map(str::to_owned),
        now,
    )
    .await
    .map_err(failed)?;
    let rows = entries
        .iter()
        .filter(|(n, _)| n.starts_with("store/"))
        .map(|(_, bytes)| bytes.iter().filter(|b| **b == b'\n').count() as u64)
        .sum();
    let files = entries
        .iter()
        .filter(|(n, _)| !n.starts_with("store/"))
        .count() as u64;
    let size = snapshot::write_entries(&out, secret, manifest.clone(), entries)
        .await
        .map_err(failed)?;
    let info = BackupInfo {
        name: name.clone(),
        created_at: now,
        size,
        rows,
        files,
        backend: manifest.backend,
        schema: manifest.schema,
        taken_by: grant.actor.name.clone().unwrap_or_default(),
    };
    let summary = serde_json::to_vec_pretty(&info).map_err(internal)?;
    crate::tftp::folder::atomic_write(&folder, &format!("{name}.json"), &summary)
        .map_err(internal)?;
    audit::record(
        &state.db,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Backup,
            object_type: object::BACKUP,
            object_name: &name,
            before: None,
            after: Some(json!({ "size": size, "rows": rows, "files": files })),
            detail: format!("Backup taken: {size} bytes, {rows} rows, {files} files"),
        },
    )
    .await?;
    Ok(info)
}

/// Decrypts the backup `name` with `passphrase` and checks every entry, restoring nothing.
pub async fn check(
    state: &AppState,
    _grant: &KeysGrant,
    name: &str,
    passphrase: &str,
) -> Result<BackupCheck, AppError> {
    if passphrase.len() > archive::PASSPHRASE_MAX {
        return Err(AppError::invalid(
            "Passphrase",
            format!("must be at most {} bytes", archive::PASSPHRASE_MAX),
        ));
    }
    let path = existing(state, name)?;
    let secret = age::secrecy::SecretString::from(passphrase.to_owned());
    let contents = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&path).map_err(BackupError::file(&path))?;
        archive::read(std::io::BufReader::new(file), secret)
    })
    .await
    .map_err(internal)?
    .map_err(refusal)?;
    Ok(BackupCheck {
        name: name.to_owned(),
        entries: contents.manifest.entries.len() as u64,
        bytes: contents.manifest.entries.iter().map(|e| e.size).sum(),
    })
}

/// The file of the backup `name`, for its download (recorded in the audit log).
pub async fn download(
    state: &AppState,
    grant: &KeysGrant,
    name: &str,
) -> Result<PathBuf, AppError> {
    let path = existing(state, name)?;
    audit::record(
        &state.db,
        state.clock.now(),
        &grant.actor,
        Event {
            action: AuditAction::Export,
            object_type: object::BACKUP,
            object_name: name,
            before: None,
            after: None,
            detail: "Backup downloaded".to_owned(),
        },
    )
    .await?;
    Ok(path)
}

fn data_dir(state: &AppState) -> Result<PathBuf, AppError> {
    state
        .data_dir
        .as_deref()
        .map(Path::to_path_buf)
        .ok_or_else(|| internal("the console runs without a data folder"))
}

/// `DATA_DIR/backups/`, made (0700) when missing.
fn folder(state: &AppState) -> Result<PathBuf, AppError> {
    use std::os::unix::fs::DirBuilderExt;
    let folder = data_dir(state)?.join(FOLDER);
    match std::fs::DirBuilder::new().mode(0o700).create(&folder) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(internal(e)),
        _ => Ok(folder),
    }
}

/// The path of the existing backup `name`: a name this node gives its backups, nothing else.
fn existing(state: &AppState, name: &str) -> Result<PathBuf, AppError> {
    if !is_backup_name(name) {
        return Err(AppError::invalid(
            "Backup",
            "is not the name of a backup of this node",
        ));
    }
    let path = folder(state)?.join(name);
    if !path.is_file() {
        return Err(AppError::NotFound(format!("The backup {name}")));
    }
    Ok(path)
}

/// `ccmadmin-YYYYMMDD-HHMMSS-xxxx.age`.
pub fn is_backup_name(name: &str) -> bool {
    name.len() <= NAME_MAX
        && name.starts_with("ccmadmin-")
        && name.ends_with(".age")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !name.contains("..")
}

fn suffix() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 2];
    OsRng.fill_bytes(&mut bytes);
    crate::domain::hex::lower(&bytes)
}

/// The backups in `folder`, newest first: each with its summary, or what its file says.
fn list(folder: &Path) -> Result<Vec<BackupInfo>, AppError> {
    use std::io::Read;
    let mut out = Vec::new();
    for item in std::fs::read_dir(folder).map_err(internal)? {
        let item = item.map_err(internal)?;
        let Some(name) = item.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if !is_backup_name(&name) {
            continue;
        }
        let meta = item.metadata().map_err(internal)?;
        let mut summary = Vec::new();
        let read = std::fs::File::open(folder.join(format!("{name}.json")))
            .and_then(|f| f.take(SUMMARY_MAX).read_to_end(&mut summary));
        let info = read
            .ok()
            .and_then(|_| serde_json::from_slice::<BackupInfo>(&summary).ok())
            .map(|mut info| {
                info.name = name.clone();
                info.size = meta.len();
                info
            })
            .unwrap_or_else(|| BackupInfo {
                name: name.clone(),
                created_at: meta
                    .modified()
                    .map(chrono::DateTime::from)
                    .unwrap_or_default(),
                size: meta.len(),
                rows: 0,
                files: 0,
                backend: String::new(),
                schema: String::new(),
                taken_by: String::new(),
            });
        out.push(info);
    }
    out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.name.cmp(&a.name)));
    Ok(out)
}

/// A refused backup or check, naming the field.
fn refusal(e: BackupError) -> AppError {
    match e {
        BackupError::Passphrase(reason) => AppError::invalid("Passphrase", reason),
        BackupError::WrongPassphrase => {
            AppError::invalid("Passphrase", "does not open this backup")
        }
        BackupError::NotAnArchive(_) | BackupError::Damaged(_) | BackupError::Unsupported(_) => {
            AppError::invalid("Backup", e.to_string())
        }
        other => failed(other),
    }
}

/// A backup that could not be taken: the store or a file failed.
fn failed(e: BackupError) -> AppError {
    internal(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_nodes_backup_names_are_taken() {
        assert!(is_backup_name("ccmadmin-20261201-183000-a1b2.age"));
        for bad in [
            "../ccmadmin-1.age",
            "ccmadmin-1.age/../../etc/passwd",
            "keys.age",
            "ccmadmin-x.age.json",
            "ccmadmin-%2e%2e.age",
            &format!("ccmadmin-{}.age", "x".repeat(80)),
        ] {
            assert!(!is_backup_name(bad), "{bad}");
        }
    }
}
