//! `ccmadmin backup --out FILE`, `ccmadmin backup verify FILE` and `ccmadmin restore FILE`: the
//! command-line side of `app::backup`. The passphrase is never stored: it is asked at the
//! terminal (twice for a backup), read as one line from standard input, or read from the first
//! line of `--passphrase-file`.

use std::io::{BufRead, IsTerminal, Read};
use std::path::Path;

use app::backup::archive::{self, PASSPHRASE_MAX};
use app::backup::restore::{self, Kind, Target};
use app::backup::{snapshot, BackupError};
use app::domain::audit::{object, AuditAction};
use app::store::audit::AuditRecord;

use crate::cli::{BackupArgs, BackupCommand, Settings};
use crate::serve::{open_store, ServeError};

/// Why a backup command failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupCommandError {
    /// The store could not be opened.
    #[error(transparent)]
    Serve(#[from] ServeError),
    /// The backup or restore was refused or failed.
    #[error(transparent)]
    Backup(#[from] BackupError),
    /// The passphrase could not be read.
    #[error("cannot read the passphrase: {0}")]
    Input(#[source] std::io::Error),
    /// The two typed passphrases differ.
    #[error("the two passphrases differ; no backup was written")]
    Mismatch,
    /// Neither `--out` nor `verify` was given.
    #[error("say where to write the backup (--out FILE), or check one (backup verify FILE)")]
    NoOutput,
    /// The audit row could not be written.
    #[error("the backup was written but its audit row was not: {0}")]
    Audit(#[source] sea_orm::DbErr),
}

/// `ccmadmin backup --out FILE` or `ccmadmin backup verify FILE`.
pub async fn backup(settings: &Settings, args: BackupArgs) -> Result<(), BackupCommandError> {
    if let Some(BackupCommand::Verify {
        file,
        passphrase_file,
    }) = args.command
    {
        return verify(&file, passphrase_file.as_deref());
    }
    let out = args.out.ok_or(BackupCommandError::NoOutput)?;
    let passphrase =
        archive::checked_passphrase(&passphrase(args.passphrase_file.as_deref(), true)?)?;
    let state = open_store(settings).await?;
    let started = std::time::Instant::now();
    let now = state.clock.now();
    // The snapshot reads beside the writer (on SQLite, the read-only connections).
    let taken = snapshot::write_to(
        &state.read,
        &settings.data_dir,
        settings.node.clone(),
        now,
        passphrase,
        &out,
    )
    .await?;
    app::store::audit::record(
        &state.db,
        AuditRecord {
            at: now,
            actor: None,
            address: None,
            action: AuditAction::Backup,
            object_type: object::BACKUP,
            object_name: &out.display().to_string(),
            before: None,
            after: None,
            detail: format!(
                "Backup written from the host ({} bytes, schema {})",
                taken.size, taken.manifest.schema
            ),
        },
    )
    .await
    .map_err(BackupCommandError::Audit)?;
    println!(
        "backup written to {}: {} bytes in {:.1} s (cluster {}, {} store, schema {})",
        out.display(),
        taken.size,
        started.elapsed().as_secs_f64(),
        taken.manifest.cluster,
        taken.manifest.backend,
        taken.manifest.schema
    );
    Ok(())
}

/// `ccmadmin backup verify FILE`: decrypts and checks every entry, restores nothing.
fn verify(file: &Path, passphrase_file: Option<&Path>) -> Result<(), BackupCommandError> {
    let passphrase = age::secrecy::SecretString::from(passphrase(passphrase_file, false)?);
    let contents = read_archive(file, passphrase)?;
    let m = &contents.manifest;
    let bytes: u64 = m.entries.iter().map(|e| e.size).sum();
    println!(
        "{}: whole — {} entries, {bytes} bytes; cluster {}, made {} by {} ({} store, schema {})",
        file.display(),
        m.entries.len(),
        m.cluster,
        m.created_at.to_rfc3339(),
        m.node.as_deref().unwrap_or("the console"),
        m.backend,
        m.schema
    );
    Ok(())
}

/// `ccmadmin restore FILE [--data-only]`.
pub async fn restore(
    settings: &Settings,
    file: &Path,
    data_only: bool,
    passphrase_file: Option<&Path>,
) -> Result<(), BackupCommandError> {
    let passphrase = age::secrecy::SecretString::from(passphrase(passphrase_file, false)?);
    let contents = read_archive(file, passphrase)?;
    crate::serve::create_data_dir(&settings.data_dir)?;
    let _held = crate::serve::lock_data_dir(&settings.data_dir)?;
    let url = settings.database_url();
    let kind = if data_only {
        Kind::DataOnly
    } else {
        Kind::Full
    };
    let restored = restore::restore(
        Target {
            url: &url,
            data_dir: &settings.data_dir,
        },
        &contents,
        kind,
        chrono::Utc::now(),
    )
    .await?;
    println!(
        "restored the backup of {} made {}: {} rows, {} files",
        contents.manifest.cluster,
        contents.manifest.created_at.to_rfc3339(),
        restored.rows,
        restored.files
    );
    for action in &restored.actions {
        println!("required: {action}");
    }
    Ok(())
}

fn read_archive(
    file: &Path,
    passphrase: age::secrecy::SecretString,
) -> Result<archive::Contents, BackupCommandError> {
    let opened = std::fs::File::open(file).map_err(BackupError::file(file))?;
    Ok(archive::read(std::io::BufReader::new(opened), passphrase)?)
}

/// The passphrase: the first line of `file`, or asked at the terminal (`twice` for a new
/// backup), or one line of standard input; at most [`PASSPHRASE_MAX`] bytes are read.
fn passphrase(file: Option<&Path>, twice: bool) -> Result<String, BackupCommandError> {
    let line = match file {
        Some(path) => {
            let opened = std::fs::File::open(path).map_err(BackupError::file(path))?;
            first_line(opened)?
        }
        None if std::io::stdin().is_terminal() => {
            let first =
                rpassword::prompt_password("Passphrase: ").map_err(BackupCommandError::Input)?;
            if twice {
                let second =
                    rpassword::prompt_password("Repeat it: ").map_err(BackupCommandError::Input)?;
                if first != second {
                    return Err(BackupCommandError::Mismatch);
                }
            }
            first
        }
        None => first_line(std::io::stdin().lock())?,
    };
    Ok(line)
}

fn first_line(input: impl Read) -> Result<String, BackupCommandError> {
    let mut line = String::new();
    std::io::BufReader::new(input.take(PASSPHRASE_MAX as u64 + 2))
        .read_line(&mut line)
        .map_err(BackupCommandError::Input)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
