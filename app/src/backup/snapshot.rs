//! Taking a backup: the store read in one read transaction (a consistent snapshot while the
//! console serves), then the data folder's keys, TLS files and TFTP folder (the CTL file, the
//! static files and the built and signed files: restored, they are the very bytes the phones
//! had), then the archive written atomically (a temporary file beside the target, synced,
//! renamed).

use std::io::Write;
use std::path::Path;

use age::secrecy::SecretString;
use chrono::{DateTime, Utc};
use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DbBackend, IsolationLevel, TransactionTrait,
};

use super::archive::{self, Manifest};
use super::BackupError;
use crate::store::dump;
use crate::tftp::is_served_name;

/// The folders of the data folder a backup holds, by their archive folder: private keys, the
/// console's own TLS certificate and key, and the TFTP folder.
pub const FOLDERS: [&str; 3] = ["keys", "tls", "tftp"];

/// What a backup held.
#[derive(Debug, Clone)]
pub struct Taken {
    /// Its manifest (the entries as taken, before the archive lists their hashes).
    pub manifest: Manifest,
    /// The archive's size in bytes.
    pub size: u64,
}

/// The name of the store's schema this binary knows last (every store it opens is migrated to it).
pub fn schema() -> String {
    Migrator::migrations()
        .last()
        .map(|m| m.name().to_owned())
        .unwrap_or_default()
}

/// Every entry of a backup of `db` and `data_dir`, with its manifest (entries listed when the
/// archive is written).
pub async fn entries(
    db: &DatabaseConnection,
    data_dir: &Path,
    node: Option<String>,
    now: DateTime<Utc>,
) -> Result<(Manifest, Vec<(String, Vec<u8>)>), BackupError> {
    let backend = db.get_database_backend();
    let txn = match backend {
        DbBackend::Postgres => {
            db.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?
        }
        _ => db.begin().await?,
    };
    let cluster = crate::store::cluster::row(&txn)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    let tables = dump::dump(&txn).await?;
    txn.commit().await?;
    let mut entries: Vec<(String, Vec<u8>)> = tables
        .into_iter()
        .map(|t| (format!("store/{}.jsonl", t.table), t.rows))
        .collect();
    for folder in FOLDERS {
        entries.extend(folder_files(&data_dir.join(folder), folder)?);
    }
    let manifest = Manifest {
        format: archive::FORMAT,
        created_at: now,
        cluster,
        node,
        backend: match backend {
            DbBackend::Postgres => "postgres",
            _ => "sqlite",
        }
        .to_owned(),
        schema: schema(),
        entries: Vec::new(),
    };
    Ok((manifest, entries))
}

/// The files of `dir` a backup keeps under `folder/`, by name (a missing folder: none): every
/// plain file, not the hidden shadow copies of the atomic writes.
fn folder_files(dir: &Path, folder: &str) -> Result<Vec<(String, Vec<u8>)>, BackupError> {
    let listing = match std::fs::read_dir(dir) {
        Ok(listing) => listing,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(BackupError::file(dir)(e)),
    };
    let mut out = Vec::new();
    for item in listing {
        let item = item.map_err(BackupError::file(dir))?;
        let Ok(name) = item.file_name().into_string() else {
            continue;
        };
        let path = item.path();
        if !is_served_name(&name)
            || !item
                .file_type()
                .map_err(BackupError::file(&path))?
                .is_file()
        {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(BackupError::file(&path))?;
        out.push((format!("{folder}/{name}"), bytes));
    }
    out.sort();
    Ok(out)
}

/// Writes a backup of `db` and `data_dir` to `out`, encrypted with `passphrase`.
pub async fn write_to(
    db: &DatabaseConnection,
    data_dir: &Path,
    node: Option<String>,
    now: DateTime<Utc>,
    passphrase: SecretString,
    out: &Path,
) -> Result<Taken, BackupError> {
    let (manifest, entries) = entries(db, data_dir, node, now).await?;
    let size = write_entries(out, passphrase, manifest.clone(), entries).await?;
    Ok(Taken { manifest, size })
}

/// Writes `entries` as an archive at `out`: into a hidden temporary file beside it (mode 0600),
/// synced, then renamed over `out`. Returns the archive's size.
pub async fn write_entries(
    out: &Path,
    passphrase: SecretString,
    manifest: Manifest,
    entries: Vec<(String, Vec<u8>)>,
) -> Result<u64, BackupError> {
    let folder = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".to_owned());
    let temporary = folder.join(format!(".{name}.{}.partial", random_suffix()));
    let written = tokio::task::spawn_blocking({
        let temporary = temporary.clone();
        move || write_file(&temporary, passphrase, manifest, &entries)
    })
    .await
    .map_err(|e| BackupError::Write(std::io::Error::other(e)))?;
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(e);
    }
    std::fs::rename(&temporary, out).map_err(BackupError::file(out))?;
    sync_dir(&folder)?;
    Ok(std::fs::metadata(out)
        .map_err(BackupError::file(out))?
        .len())
}

fn write_file(
    path: &Path,
    passphrase: SecretString,
    manifest: Manifest,
    entries: &[(String, Vec<u8>)],
) -> Result<(), BackupError> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(BackupError::file(path))?;
    let mut buffered = std::io::BufWriter::new(file);
    archive::write(&mut buffered, passphrase, manifest, entries)?;
    buffered.flush().map_err(BackupError::file(path))?;
    let file = buffered
        .into_inner()
        .map_err(|e| BackupError::file(path)(e.into_error()))?;
    file.sync_all().map_err(BackupError::file(path))
}

/// Eight random hex digits, for a temporary file's name no one can guess beforehand.
pub fn random_suffix() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 4];
    OsRng.fill_bytes(&mut bytes);
    crate::domain::hex::lower(&bytes)
}

/// Syncs a folder, so that a rename in it survives a crash.
pub fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(BackupError::file(dir))
}
