//! Serviceability > Disaster Recovery: the backups this node keeps in `DATA_DIR/backups/` — taken
//! while the console serves (one at a time per node), listed with the summary written beside
//! each (`NAME.json`: counts and schema, nothing secret), checked with their passphrase, and
//! downloaded; and the schedule of the backups the console takes by itself, whose passphrase is
//! kept sealed under a key of the keys folder (`backup::sealed`). Each needs the [`KeysGrant`]:
//! a backup holds the cluster's private keys. A passphrase is never stored in clear nor logged.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::audit::{self, Event};
use super::authz::{Internal, KeysGrant};
use super::errors::internal;
use super::principal::Actor;
use super::AppState;
use crate::backup::{archive, sealed, snapshot, BackupError};
use crate::domain::audit::{object, AuditAction};
use crate::domain::backups::{self as rules, Frequency};
use crate::error::AppError;
use crate::model::recovery::{
    BackupCheck, BackupInfo, BackupSchedule, RecoveryPage, ScheduleChange,
};
use crate::store::backup_schedule as stored;
use crate::store::entities::backup_schedule;

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
    let row = stored::row(&state.db, state.clock.now()).await?;
    Ok(RecoveryPage {
        schedule: schedule_of(
            &row,
            state.clock.now(),
            this_node_recipient(state)?.as_deref(),
        ),
        folder: folder.display().to_string(),
        backups: listing,
    })
}

/// The schedule as the page shows it.
fn schedule_of(
    row: &backup_schedule::Model,
    now: chrono::DateTime<chrono::Utc>,
    here: Option<&str>,
) -> BackupSchedule {
    let parsed = rules::parse(
        &row.frequency,
        u32::try_from(row.weekday).unwrap_or(0),
        &row.at_time,
        u32::try_from(row.keep).unwrap_or(0),
    );
    BackupSchedule {
        enabled: row.enabled,
        frequency: row.frequency.clone(),
        weekday: u32::try_from(row.weekday).unwrap_or(1),
        time: row.at_time.clone(),
        keep: u32::try_from(row.keep).unwrap_or(1),
        passphrase_set: row.sealed_passphrase.is_some(),
        version: row.version,
        last_run_at: row.last_run_at,
        last_backup: row.last_backup.clone(),
        last_error: stored::failure_of(row, now),
        sealed_here: row.sealed_for.is_some() && row.sealed_for.as_deref() == here,
        next_run_at: match (row.enabled, parsed) {
            (true, Ok(s)) => Some(match s.due(now, row.updated_at, row.last_run_at) {
                Some(slot) => slot,
                None => s.next_slot(now),
            }),
            _ => None,
        },
    }
}

/// Changes the schedule (under the version read); a new passphrase is sealed before it is
/// stored, and one is needed to switch the schedule on.
pub async fn set_schedule(
    state: &AppState,
    grant: &KeysGrant,
    change: ScheduleChange,
) -> Result<BackupSchedule, AppError> {
    let checked = rules::parse(&change.frequency, change.weekday, &change.time, change.keep)
        .map_err(|(field, reason)| AppError::invalid(field, reason))?;
    let secret = match change.passphrase.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => Some(archive::checked_passphrase(p).map_err(refusal)?),
        None => None,
    };
    let now = state.clock.now();
    let row = stored::row(&state.db, now).await?;
    if change.enabled && secret.is_none() && row.sealed_passphrase.is_none() {
        return Err(AppError::invalid(
            "Passphrase",
            "is needed to take backups on schedule (it is kept sealed under this node's key)",
        ));
    }
    let sealed = match &secret {
        Some(secret) => {
            let keys = keys_dir(state)?;
            let secret = secret.clone();
            Some(
                tokio::task::spawn_blocking(move || {
                    let recipient = sealed::ensure_recipient(&keys)?;
                    Ok::<_, BackupError>((sealed::seal(&keys, &secret)?, recipient))
                })
                .await
                .map_err(internal)?
                .map_err(internal)?,
            )
        }
        None => None,
    };
    let settings = stored::Settings {
        enabled: change.enabled,
        frequency: checked.frequency.key().to_owned(),
        weekday: i32::try_from(checked.weekday).unwrap_or(1),
        at_time: checked.at.format("%H:%M").to_string(),
        keep: i32::try_from(checked.keep).unwrap_or(1),
        sealed_passphrase: sealed,
    };
    let saved = stored::set(&state.db, settings, change.version, now)
        .await?
        .ok_or_else(|| {
            AppError::Conflict(
                "Another administrator changed the backup schedule meanwhile; reload the page."
                    .to_owned(),
            )
        })?;
    audit::record(
        &state.db,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Update,
            object_type: object::BACKUP,
            object_name: "schedule",
            before: None,
            after: Some(json!({
                "enabled": saved.enabled,
                "frequency": saved.frequency,
                "weekday": saved.weekday,
                "time": saved.at_time,
                "keep": saved.keep,
                "passphrase_changed": secret.is_some(),
            })),
            detail: format!(
                "Backup schedule {}: {} at {} UTC, keep {}",
                if saved.enabled { "on" } else { "off" },
                match checked.frequency {
                    Frequency::Daily => "daily".to_owned(),
                    Frequency::Weekly => format!(
                        "weekly on {}",
                        rules::WEEKDAYS[checked.weekday as usize - 1]
                    ),
                },
                saved.at_time,
                saved.keep
            ),
        },
    )
    .await?;
    Ok(schedule_of(
        &saved,
        now,
        this_node_recipient(state)?.as_deref(),
    ))
}

/// Takes the scheduled backup when one is due and this node claims its slot (of several nodes,
/// exactly one does), then keeps only the newest backups the schedule says. Returns the backup
/// taken; a failure is recorded on the schedule (the dashboard shows it) and returned.
pub async fn run_due(state: &AppState, _internal: &Internal) -> Result<Option<String>, AppError> {
    let now = state.clock.now();
    let row = stored::row(&state.db, now).await?;
    if !row.enabled {
        return Ok(None);
    }
    let schedule = rules::parse(
        &row.frequency,
        u32::try_from(row.weekday).unwrap_or(0),
        &row.at_time,
        u32::try_from(row.keep).unwrap_or(0),
    )
    .map_err(|(field, reason)| internal(format!("stored backup schedule: {field} {reason}")))?;
    let Some(slot) = schedule.due(now, row.updated_at, row.last_run_at) else {
        return Ok(None);
    };
    // Only the node whose key the passphrase is sealed to can open it: it takes the slot.
    if row.sealed_for.is_none() || row.sealed_for != this_node_recipient(state)? {
        return Ok(None);
    }
    if !stored::claim(&state.db, slot).await? {
        return Ok(None);
    }
    let taken = scheduled(state, &row, schedule.keep).await;
    match &taken {
        Ok(name) => stored::record(&state.db, slot, Ok(name)).await?,
        Err(e) => {
            tracing::error!("scheduled backup failed: {e}");
            stored::record(&state.db, slot, Err(&e.to_string())).await?
        }
    }
    taken.map(Some)
}

async fn scheduled(
    state: &AppState,
    row: &backup_schedule::Model,
    keep: u32,
) -> Result<String, AppError> {
    let sealed_passphrase = row.sealed_passphrase.clone().ok_or_else(|| {
        AppError::invalid("Passphrase", "no passphrase is kept for scheduled backups")
    })?;
    let keys = keys_dir(state)?;
    let secret = tokio::task::spawn_blocking(move || sealed::open(&keys, &sealed_passphrase))
        .await
        .map_err(internal)?
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    let actor = Actor {
        user_id: None,
        name: Some("scheduled backup".to_owned()),
        address: None,
    };
    // A backup taken by hand at the slot's time is waited for.
    let _slot = state.backup_slot.acquire().await.map_err(internal)?;
    let info = take_as(state, &actor, secret, SCHEDULED).await?;
    prune(&folder(state)?, keep as usize)?;
    Ok(info.name)
}

/// This node's keys folder.
fn keys_dir(state: &AppState) -> Result<PathBuf, AppError> {
    state
        .files
        .as_deref()
        .map(|dirs| dirs.keys.clone())
        .ok_or_else(|| internal("the keys folder is not configured"))
}

/// This node's public key for sealed passphrases, if it has one.
fn this_node_recipient(state: &AppState) -> Result<Option<String>, AppError> {
    match state.files.as_deref() {
        Some(dirs) => sealed::recipient(&dirs.keys).map_err(internal),
        None => Ok(None),
    }
}

/// The first part of the names of scheduled backups (only they are pruned).
const SCHEDULED: &str = "ccmadmin-scheduled-";

/// Removes all but the `keep` newest scheduled backups of `folder` (with their summaries); the
/// backups taken by hand stay.
fn prune(folder: &Path, keep: usize) -> Result<(), AppError> {
    let scheduled = list(folder)?
        .into_iter()
        .filter(|b| b.name.starts_with(SCHEDULED));
    for old in scheduled.skip(keep) {
        for name in [old.name.clone(), format!("{}.json", old.name)] {
            match std::fs::remove_file(folder.join(&name)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(internal(e)),
                _ => {}
            }
        }
    }
    Ok(())
}

/// Takes a backup now, encrypted with `passphrase` (12 to 1,024 characters), while the console
/// serves. One at a time per node: a second one asked meanwhile is refused.
pub async fn take(
    state: &AppState,
    grant: &KeysGrant,
    passphrase: &str,
) -> Result<BackupInfo, AppError> {
    let secret = archive::checked_passphrase(passphrase).map_err(refusal)?;
    let _slot = state.backup_slot.try_acquire().map_err(|_| {
        AppError::Conflict("A backup is already being taken on this node; wait for it.".to_owned())
    })?;
    take_as(state, &grant.actor, secret, "ccmadmin-").await
}

/// Takes a backup named `prefix` + time + a random suffix, as `actor`; the caller holds the
/// node's backup slot.
async fn take_as(
    state: &AppState,
    actor: &Actor,
    secret: age::secrecy::SecretString,
    prefix: &str,
) -> Result<BackupInfo, AppError> {
    let data_dir = data_dir(state)?;
    let folder = folder(state)?;
    let now = state.clock.now();
    let name = format!("{prefix}{}-{}.age", now.format("%Y%m%d-%H%M%S"), suffix());
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
        taken_by: actor.name.clone().unwrap_or_default(),
    };
    let summary = serde_json::to_vec_pretty(&info).map_err(internal)?;
    crate::tftp::folder::atomic_write(&folder, &format!("{name}.json"), &summary)
        .map_err(internal)?;
    audit::record(
        &state.db,
        now,
        actor,
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
    let secret = passphrase_to_open(passphrase)?;
    let path = existing(state, name)?;
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

/// A passphrase typed to open a backup or a token file, refused before any work when it is
/// longer than any passphrase they are made with.
pub(super) fn passphrase_to_open(text: &str) -> Result<age::secrecy::SecretString, AppError> {
    if text.len() > archive::PASSPHRASE_MAX {
        return Err(AppError::invalid(
            "Passphrase",
            format!("must be at most {} bytes", archive::PASSPHRASE_MAX),
        ));
    }
    Ok(age::secrecy::SecretString::from(text.to_owned()))
}

/// The data folder of this node.
pub(super) fn data_dir(state: &AppState) -> Result<PathBuf, AppError> {
    state
        .data_dir
        .as_deref()
        .map(Path::to_path_buf)
        .ok_or_else(|| internal("the console runs without a data folder"))
}

/// `DATA_DIR/backups/`, made (0700) when missing.
pub(super) fn folder(state: &AppState) -> Result<PathBuf, AppError> {
    use std::os::unix::fs::DirBuilderExt;
    let folder = data_dir(state)?.join(FOLDER);
    match std::fs::DirBuilder::new().mode(0o700).create(&folder) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(internal(e)),
        _ => Ok(folder),
    }
}

/// The path of the existing backup `name`: a name this node gives its backups, nothing else.
pub(super) fn existing(state: &AppState, name: &str) -> Result<PathBuf, AppError> {
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

/// Four random hex digits, for new file names.
pub(super) fn suffix() -> String {
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

/// A refused backup, check or restore, naming the field.
pub(super) fn refusal(e: BackupError) -> AppError {
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
