//! Security tokens kept offline (issue 16, item 4): a token (SAST) is exported as a token file
//! (`tftp::token_file`) and its key then removed from the server, leaving its certificate; a CTL
//! operation signed by it then needs the file and its passphrase, uses them for that one
//! signature and forgets them. Export and removal hold the cluster's keys ([`KeysGrant`]).

use std::path::Path;
use std::sync::Arc;

use age::secrecy::SecretString;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;
use tokio::sync::Semaphore;

use super::audit::{self, Event};
use super::authz::KeysGrant;
use super::backups::passphrase_to_open;
use super::certificates::{self, CertRole, CertificateInfo};
use super::errors::internal;
use super::AppState;
use crate::backup::archive::checked_passphrase;
use crate::backup::BackupError;
use crate::domain::audit::{object, AuditAction};
use crate::error::AppError;
use crate::model::security::{TokenExport, TokenUpload};
use crate::store::certificates as store;
use crate::store::entities::certificates as rows;
use crate::tftp::keys::{self, SigningIdentity};
use crate::tftp::token_file::{self, TokenFileError, FILE_MAX};
use crate::tftp::TftpDirs;

/// One scrypt derivation at a time (about a second and 256 MiB each): requests that bring token
/// files wait their turn instead of running the machine out of memory, and a request that ends
/// while waiting never starts its derivation.
static SCRYPT: Semaphore = Semaphore::const_new(1);

async fn token_row<C: ConnectionTrait>(db: &C, id: i32) -> Result<rows::Model, AppError> {
    let row = store::find(db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Certificate {id}")))?;
    if row.role != CertRole::Sast.key() {
        return Err(AppError::invalid(
            "Certificate",
            format!(
                "{} is not a security token: only a security token (SAST) can be kept offline",
                row.name
            ),
        ));
    }
    Ok(row)
}

fn passphrase(text: &str) -> Result<SecretString, AppError> {
    checked_passphrase(text).map_err(|e| match e {
        BackupError::Passphrase(reason) => AppError::invalid("Passphrase", reason),
        other => internal(other),
    })
}

fn refused(e: TokenFileError) -> AppError {
    match e {
        TokenFileError::WrongPassphrase => {
            AppError::invalid("Passphrase", "does not open this token file")
        }
        TokenFileError::Write(e) => internal(e),
        other => AppError::invalid("Token File", other.to_string()),
    }
}

/// The identity in the uploaded token file of `row`, checked: the size limits first, then the
/// passphrase, the token's name and that the key is the certificate's.
async fn opened(row: &rows::Model, upload: &TokenUpload) -> Result<Arc<SigningIdentity>, AppError> {
    if upload.file.len() > FILE_MAX {
        return Err(refused(TokenFileError::TooLarge));
    }
    let pass = passphrase_to_open(&upload.passphrase)?;
    let file = upload.file.clone().into_bytes();
    let name = row.name.clone();
    let der = row.der.clone();
    let _turn = SCRYPT.acquire().await.map_err(internal)?;
    tokio::task::spawn_blocking(move || token_file::open(&file, pass, &name, &der))
        .await
        .map_err(internal)?
        .map_err(refused)
}

/// Exports security token `id` as a token file encrypted with `passphrase` (an audit row, never
/// with the passphrase). Refused for another kind of certificate and for a key that is offline
/// already.
pub async fn export(
    state: &AppState,
    grant: &KeysGrant,
    id: i32,
    passphrase_text: &str,
) -> Result<TokenExport, AppError> {
    let pass = passphrase(passphrase_text)?;
    let row = token_row(&state.db, id).await?;
    if let Some(since) = row.key_offline_at {
        return Err(AppError::invalid(
            "Certificate",
            format!(
                "{}'s key left the server on {}: its token file is the only copy",
                row.name,
                since.format("%Y-%m-%d %H:%M UTC")
            ),
        ));
    }
    let key_file = certificates::dirs(state)?.keys.join(&row.key_file);
    let (name, der) = (row.name.clone(), row.der.clone());
    let _turn = SCRYPT.acquire().await.map_err(internal)?;
    let file = tokio::task::spawn_blocking(move || {
        let pem = keys::key_pem(&key_file).map_err(TokenFileError::Key)?;
        token_file::seal(&name, &pem, &der, pass)
    })
    .await
    .map_err(internal)?
    .map_err(internal)?;
    let text = String::from_utf8(file).map_err(internal)?;
    audit::record(
        &state.db,
        state.clock.now(),
        &grant.actor,
        Event {
            action: AuditAction::Export,
            object_type: object::CERTIFICATE,
            object_name: &row.name,
            before: None,
            after: Some(json!({ "sha256": row.sha256 })),
            detail: format!("security token {} exported as a token file", row.name),
        },
    )
    .await?;
    Ok(TokenExport {
        file_name: format!("{}.token", row.name),
        file: text,
    })
}

/// Removes the key of security token `id` (read at `version`) from the server, leaving its
/// certificate. `upload` must be that token's file and passphrase, so that the admin is known
/// to hold a copy that opens before the last one on the server goes. The row is marked offline
/// first (a versioned update) and the file removed after the commit: should the removal fail,
/// the answer says so and the same request, made again, removes the file that was left.
pub async fn take_offline(
    state: &AppState,
    grant: &KeysGrant,
    id: i32,
    version: i32,
    upload: &TokenUpload,
) -> Result<CertificateInfo, AppError> {
    let row = token_row(&state.db, id).await?;
    let dirs = certificates::dirs(state)?.clone();
    let key_path = dirs.keys.join(&row.key_file);
    if row.key_offline_at.is_some() {
        if !key_path.exists() {
            return Err(AppError::invalid(
                "Certificate",
                format!("{}'s key is already offline", row.name),
            ));
        }
        // A removal that failed after the commit: the file that was left goes now.
        opened(&row, upload).await?;
        remove(&dirs, &row).await?;
        return Ok(certificates::info(&row));
    }
    // A stale version is answered before the token file's derivation; the update below is the
    // conditional one that decides.
    if row.version != version {
        return Err(audit::conflict(&state.db, object::CERTIFICATE, &row.name).await);
    }
    opened(&row, upload).await?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let current = token_row(&txn, id).await?;
    let name = current.name.clone();
    let Some(updated) = store::take_offline(&txn, current, now, version).await? else {
        return Err(audit::conflict(&txn, object::CERTIFICATE, &name).await);
    };
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Update,
            object_type: object::CERTIFICATE,
            object_name: &name,
            before: Some(json!({ "key": "on the server" })),
            after: Some(json!({ "key": "offline" })),
            detail: format!(
                "security token {name}'s key removed from the server; it signs only with its \
                 token file"
            ),
        },
    )
    .await?;
    txn.commit().await?;
    remove(&dirs, &updated).await?;
    Ok(certificates::info(&updated))
}

/// Removes the key file of `row`, or says which file is left and how to finish.
async fn remove(dirs: &TftpDirs, row: &rows::Model) -> Result<(), AppError> {
    let keys_dir = dirs.keys.clone();
    let file = row.key_file.clone();
    let outcome = tokio::task::spawn_blocking(move || remove_key(&keys_dir, &file))
        .await
        .map_err(internal)?;
    outcome.map_err(|e| {
        tracing::error!("the key file {} was not removed: {e}", row.key_file);
        AppError::Unavailable(format!(
            "{}'s key is marked offline, but its file {} could not be removed from the keys \
             folder ({e}): remove the key again, or delete the file by hand",
            row.name, row.key_file
        ))
    })
}

/// Overwrites the key file with zeros, flushes it, removes it and flushes the folder; a file
/// that is gone already is removed.
fn remove_key(keys_dir: &Path, file: &str) -> std::io::Result<()> {
    use std::io::Write;
    let path = keys_dir.join(file);
    let length = match std::fs::metadata(&path) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let mut handle = std::fs::OpenOptions::new().write(true).open(&path)?;
    handle.write_all(&vec![0u8; usize::try_from(length).unwrap_or(0)])?;
    handle.sync_all()?;
    drop(handle);
    std::fs::remove_file(&path)?;
    std::fs::File::open(keys_dir)?.sync_all()
}

/// The identity that signs as security token `name`: from `upload` when one is given (checked
/// against the token's certificate), else from its key on the server; a token whose key is
/// offline without `upload` is refused, saying what to bring.
pub async fn signer<C: ConnectionTrait>(
    db: &C,
    dirs: &TftpDirs,
    name: &str,
    upload: Option<&TokenUpload>,
) -> Result<Arc<SigningIdentity>, AppError> {
    let row = store::of_role(db, CertRole::Sast, name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("security token {name}")))?;
    match (row.key_offline_at, upload) {
        (Some(_), Some(upload)) => opened(&row, upload).await,
        (None, Some(_)) => Err(AppError::invalid(
            "Token File",
            format!("{name}'s key is on this server: sign without a token file"),
        )),
        (Some(_), None) => Err(AppError::invalid(
            "Token File",
            format!(
                "{name}'s key is kept offline: choose its token file and enter its passphrase \
                 to sign with it"
            ),
        )),
        (None, None) => certificates::identity(db, dirs, CertRole::Sast, name).await,
    }
}

/// The security tokens whose key is offline.
pub async fn offline<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, AppError> {
    Ok(store::all(db)
        .await?
        .into_iter()
        .filter(|r| r.role == CertRole::Sast.key() && r.key_offline_at.is_some())
        .map(|r| r.name)
        .collect())
}
