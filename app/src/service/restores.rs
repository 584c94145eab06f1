//! Serviceability > Disaster Recovery, restoring from the page: a backup is uploaded into this
//! node's backups folder (or one already there is chosen), checked whole with its passphrase — a
//! refusal changes nothing — and then restored while the console answers 503 to every request
//! but `/healthz`. The new store and folders are staged beside the live ones
//! (`backup::restore::stage`) and the server is asked to restart: the next start makes the
//! switch under the data folder's lock, as `ccmadmin restore` on a stopped console does. Each
//! step needs the [`KeysGrant`]: a backup holds the cluster's keys.

use std::io::Write;
use std::path::PathBuf;

use serde_json::json;

use super::audit::{self, Event};
use super::authz::KeysGrant;
use super::backups::{data_dir, existing, folder, passphrase_to_open, refusal, suffix};
use super::errors::internal;
use super::principal::Actor;
use super::AppState;
use crate::backup::restore::{self, Kind, Target, Who};
use crate::backup::{archive, BackupError};
use crate::domain::audit::{object, AuditAction};
use crate::error::AppError;
use crate::model::recovery::{BackupInfo, RestoreStarted};

/// The largest backup uploaded: what an archive may hold (`archive::CONTENT_MAX`, its manifest
/// and the tar and age framing around them).
pub const UPLOAD_MAX: u64 = archive::CONTENT_MAX + archive::MANIFEST_MAX + (64 << 20);

/// What an age file begins with: its binary header, or the ASCII armour.
const AGE_STARTS: [&[u8]; 2] = [
    b"age-encryption.org/v1\n",
    b"-----BEGIN AGE ENCRYPTED FILE-----",
];

/// One upload at a time on a node: a second one is refused while the first runs.
static UPLOADING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// The prefix of an upload's temporary file in the backups folder.
const PARTIAL: &str = ".upload-";

/// A backup being uploaded: written to a hidden temporary file of the backups folder, and given
/// its name only when complete. Dropped unfinished (the upload failed or was cut), the
/// temporary file is removed.
#[derive(Debug)]
pub struct Upload {
    file: Option<std::fs::File>,
    temporary: PathBuf,
    folder: PathBuf,
    written: u64,
    head: Vec<u8>,
    actor: Actor,
    _turn: tokio::sync::SemaphorePermit<'static>,
}

/// Starts an upload into this node's backups folder of a file of `declared` bytes, when the
/// request says: refused before anything is written when it is larger than [`UPLOAD_MAX`] or
/// than the folder's disk has free, or while another upload runs. What an earlier upload cut
/// by a crash left is removed first.
pub fn begin_upload(
    state: &AppState,
    grant: &KeysGrant,
    declared: Option<u64>,
) -> Result<Upload, AppError> {
    use std::os::unix::fs::OpenOptionsExt;
    let turn = UPLOADING.try_acquire().map_err(|_| {
        AppError::Conflict("Another backup is being uploaded to this node; wait for it.".to_owned())
    })?;
    if let Some(size) = declared.filter(|size| *size > UPLOAD_MAX) {
        return Err(too_large(size));
    }
    let folder = folder(state)?;
    if let Some(size) = declared {
        let disk = rustix::fs::statvfs(&folder).map_err(|e| internal(std::io::Error::from(e)))?;
        let free = disk.f_bavail.saturating_mul(disk.f_frsize);
        if size > free {
            return Err(AppError::invalid(
                "Backup",
                format!(
                    "needs {size} bytes and the disk of {} has {free} free",
                    folder.display()
                ),
            ));
        }
    }
    // Holding the turn, every partial file is a leftover.
    for item in std::fs::read_dir(&folder).map_err(internal)?.flatten() {
        if item.file_name().to_string_lossy().starts_with(PARTIAL) {
            let _ = std::fs::remove_file(item.path());
        }
    }
    let temporary = folder.join(format!("{PARTIAL}{}.partial", suffix()));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .map_err(internal)?;
    Ok(Upload {
        file: Some(file),
        temporary,
        folder,
        written: 0,
        head: Vec::new(),
        actor: grant.actor.clone(),
        _turn: turn,
    })
}

fn too_large(size: u64) -> AppError {
    AppError::invalid(
        "Backup",
        format!("is {size} bytes, larger than the {UPLOAD_MAX} bytes a backup may have"),
    )
}

impl Upload {
    /// Appends `chunk`; refused past [`UPLOAD_MAX`].
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), AppError> {
        self.written += chunk.len() as u64;
        if self.written > UPLOAD_MAX {
            return Err(too_large(self.written));
        }
        if self.head.len() < 64 {
            let take = chunk.len().min(64 - self.head.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        match self.file.as_mut() {
            Some(file) => file.write_all(chunk).map_err(internal),
            None => Err(internal("the upload is finished")),
        }
    }

    /// Names the uploaded file `ccmadmin-uploaded-YYYYMMDD-HHMMSS-xxxx.age` (synced), after
    /// checking that it is an age file; an audit row says who uploaded it.
    pub async fn finish(mut self, state: &AppState) -> Result<BackupInfo, AppError> {
        if !AGE_STARTS.iter().any(|start| self.head.starts_with(start)) {
            return Err(AppError::invalid(
                "Backup",
                "is not an age file: choose a backup this console wrote",
            ));
        }
        let file = self
            .file
            .take()
            .ok_or_else(|| internal("the upload is finished"))?;
        file.sync_all().map_err(internal)?;
        drop(file);
        let now = state.clock.now();
        let name = format!(
            "ccmadmin-uploaded-{}-{}.age",
            now.format("%Y%m%d-%H%M%S"),
            suffix()
        );
        let path = self.folder.join(&name);
        std::fs::hard_link(&self.temporary, &path).map_err(internal)?;
        std::fs::remove_file(&self.temporary).map_err(internal)?;
        std::fs::File::open(&self.folder)
            .and_then(|dir| dir.sync_all())
            .map_err(internal)?;
        audit::record(
            &state.db,
            now,
            &self.actor,
            Event {
                action: AuditAction::Create,
                object_type: object::BACKUP,
                object_name: &name,
                before: None,
                after: Some(json!({ "size": self.written })),
                detail: format!("Backup uploaded: {} bytes", self.written),
            },
        )
        .await?;
        // Its summary: when and by whom it came; what it holds is known once it is checked.
        let info = BackupInfo {
            name,
            created_at: now,
            size: self.written,
            rows: 0,
            files: 0,
            backend: String::new(),
            schema: String::new(),
            taken_by: format!(
                "uploaded by {}",
                self.actor.name.as_deref().unwrap_or("the console")
            ),
        };
        let summary = serde_json::to_vec_pretty(&info).map_err(internal)?;
        crate::tftp::folder::atomic_write(&self.folder, &format!("{}.json", info.name), &summary)
            .map_err(internal)?;
        Ok(info)
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if self.temporary.exists() {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

/// Restores the backup `name` of this node's backups folder: checked whole with `passphrase`
/// first, in the request (a wrong passphrase, a damaged file or a newer schema is refused and
/// changes nothing); then the console answers 503 and the restore is staged by a task of its
/// own (no request timeout or closed connection can stop it half-way), after which the server
/// restarts into it. Should the staging fail, what was staged goes, the console serves its live
/// store again and the audit log says why. `data_only`: this node keeps its own keys and R16's
/// actions are recorded.
pub async fn restore(
    state: &AppState,
    grant: &KeysGrant,
    name: &str,
    passphrase: &str,
    data_only: bool,
) -> Result<RestoreStarted, AppError> {
    let secret = passphrase_to_open(passphrase)?;
    let path = existing(state, name)?;
    let url = state
        .maintenance
        .store_url()
        .ok_or_else(|| {
            AppError::Unavailable(
                "this console cannot restore from its page; stop it and run ccmadmin restore"
                    .to_owned(),
            )
        })?
        .to_owned();
    let data_dir = data_dir(state)?;
    if restore::is_staged(&data_dir) {
        return Err(AppError::Conflict(
            "A restore is staged already and is made when the console restarts: restart it."
                .to_owned(),
        ));
    }
    let slot = state.backup_slot.clone().try_acquire_owned().map_err(|_| {
        AppError::Conflict("A backup or a restore is running on this node; wait for it.".to_owned())
    })?;
    // The read holds the slot: a request given up meanwhile leaves no second read behind.
    let (contents, slot) = tokio::task::spawn_blocking(move || {
        let read = std::fs::File::open(&path)
            .map_err(BackupError::file(&path))
            .and_then(|file| archive::read(std::io::BufReader::new(file), secret));
        (read, slot)
    })
    .await
    .map_err(internal)?;
    let contents = contents.map_err(refusal)?;
    let now = state.clock.now();
    audit::record(
        &state.db,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Restore,
            object_type: object::BACKUP,
            object_name: name,
            before: None,
            after: Some(json!({ "data_only": data_only })),
            detail: format!(
                "{} restore of {name} started from the page; the console restarts into it",
                if data_only { "Data-only" } else { "Full" }
            ),
        },
    )
    .await?;
    state.maintenance.set(true);
    let staging = Staging {
        state: state.clone(),
        url,
        data_dir,
        name: name.to_owned(),
        kind: if data_only {
            Kind::DataOnly
        } else {
            Kind::Full
        },
        actor: grant.actor.clone(),
        restarting: false,
    };
    tokio::spawn(staging.run(contents, slot, now));
    Ok(RestoreStarted {
        name: name.to_owned(),
        data_only,
        required_actions: if data_only {
            restore::data_only_actions()
                .iter()
                .map(|a| a.describe())
                .collect()
        } else {
            Vec::new()
        },
    })
}

/// A restore being staged in the background. Dropped without a restart — the staging failed,
/// or its task panicked — it switches maintenance off again: the console never stays in 503.
struct Staging {
    state: AppState,
    url: String,
    data_dir: PathBuf,
    name: String,
    kind: Kind,
    actor: Actor,
    restarting: bool,
}

impl Staging {
    async fn run(
        mut self,
        contents: archive::Contents,
        _slot: tokio::sync::OwnedSemaphorePermit,
        now: chrono::DateTime<chrono::Utc>,
    ) {
        let target = Target {
            url: &self.url,
            data_dir: &self.data_dir,
        };
        let who = Who {
            name: self.actor.name.as_deref(),
            address: self.actor.address.as_deref(),
        };
        match restore::stage(target, &contents, self.kind, now, who).await {
            Ok(_) => {
                tracing::warn!("restore of {} staged; restarting into it", self.name);
                self.restarting = true;
                self.state.maintenance.request_restart();
            }
            Err(e) => {
                tracing::error!("restore of {} not staged: {e}", self.name);
                if let Err(cleanup) = restore::discard(target).await {
                    tracing::error!("the restore's staging was not removed: {cleanup}");
                }
                let recorded = audit::record(
                    &self.state.db,
                    self.state.clock.now(),
                    &self.actor,
                    Event {
                        action: AuditAction::Restore,
                        object_type: object::BACKUP,
                        object_name: &self.name,
                        before: None,
                        after: None,
                        detail: format!(
                            "Restore of {} failed, nothing was changed: {e}",
                            self.name
                        ),
                    },
                )
                .await;
                if let Err(e) = recorded {
                    tracing::error!("the failed restore was not recorded: {e}");
                }
            }
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.restarting {
            self.state.maintenance.set(false);
        }
    }
}
