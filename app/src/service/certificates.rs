//! Security > Certificates: the cluster's certificates — a self-signed CallManager certificate
//! per server (its name and GUID in the subject), the TFTP signing identity, the CAPF CA and two
//! software security tokens (SAST) that sign the CTL. Made on first need; private keys stay in
//! 0600 files of the data dir and never leave the server.

use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;

use super::audit::{self, Event};
use super::authz::{area, Grant, Reads, Writes};
use super::errors::internal;
use super::principal::Actor;
use super::AppState;
use crate::domain::actions::RequiredAction;
use crate::domain::audit::{object, AuditAction};
use crate::domain::security::ClusterSecurityMode;
use crate::domain::services::Service;
use crate::error::AppError;
pub use crate::model::security::{CertRole, CertificateInfo};
use crate::store::actions;
use crate::store::certificates::{self as store, Issued};
use crate::store::entities::{certificates, servers};
use crate::store::{cluster, servers as server_rows};
use crate::tftp::keys::{self, CertificateRequest, KeyError, SigningIdentity};
use crate::tftp::TftpDirs;

/// The two security tokens.
pub const TOKENS: [&str; 2] = ["SAST1", "SAST2"];

/// A certificate row as the page shows it.
pub(super) fn info(row: &certificates::Model) -> CertificateInfo {
    CertificateInfo {
        id: row.id,
        role: CertRole::from_key(&row.role).unwrap_or(CertRole::CallManager),
        name: row.name.clone(),
        subject: row.subject.clone(),
        issuer: row.issuer.clone(),
        serial: row.serial.clone(),
        not_before: row.not_before,
        not_after: row.not_after,
        sha256: row.sha256.clone(),
        version: row.version,
        key_offline_at: row.key_offline_at,
    }
}

/// The TFTP and keys folders of this node.
pub(super) fn dirs(state: &AppState) -> Result<&TftpDirs, AppError> {
    state.files.as_deref().ok_or_else(|| {
        tracing::error!("the TFTP folders are not configured");
        AppError::Internal
    })
}

fn key_error(e: KeyError) -> AppError {
    internal(e)
}

/// What a certificate of `role` for `name` says.
fn request_for(
    role: CertRole,
    name: &str,
    cluster: &str,
    server: Option<&servers::Model>,
) -> CertificateRequest {
    let (common_name, unit, names, years) = match (role, server) {
        (CertRole::CallManager, Some(s)) => (
            s.name.clone(),
            s.guid.clone(),
            vec![s.name.clone(), s.address.clone()],
            5,
        ),
        (CertRole::Sast, _) => (
            name.to_owned(),
            "Security Token".to_owned(),
            vec![name.to_owned()],
            10,
        ),
        (CertRole::Tftp, _) => (
            "TFTP".to_owned(),
            "TFTP".to_owned(),
            vec!["tftp".to_owned()],
            5,
        ),
        (CertRole::Capf, _) => (
            "CAPF".to_owned(),
            "CAPF".to_owned(),
            vec!["capf".to_owned()],
            5,
        ),
        (CertRole::CallManager, None) => (name.to_owned(), String::new(), vec![name.to_owned()], 5),
    };
    CertificateRequest {
        common_name,
        unit,
        organization: cluster.to_owned(),
        names,
        years,
        ca: role == CertRole::Capf,
    }
}

/// The key file of a certificate of `role` for `name`: `<role>-<name>.key`, the name's ASCII
/// letters, digits and `-` kept and every other byte written `_XX` (upper-case hex, `_` itself
/// `_5F`). The mapping is one to one, so two names never share a file: "CM 1" is `CM_201`,
/// "CM_1" `CM_5F1`, "CM.1" `CM_2E1`. (Versions before it wrote `_` for every other character;
/// their rows keep the file name they store.)
fn key_file(role: CertRole, name: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut safe = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' {
            safe.push(char::from(b));
        } else {
            safe.push('_');
            safe.push(char::from(HEX[usize::from(b >> 4)]));
            safe.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    format!("{}-{safe}.key", role.key())
}

/// `file` when the keys folder has no entry of that name, else the first free `file.N` (N from
/// 2): a new key never lands on an existing file — one a version before [`key_file`] named the
/// same for another certificate, or one a failed attempt left. (The key writer refuses an
/// existing file in any case.)
fn free_key_file(keys_dir: &std::path::Path, file: String) -> String {
    let free = |name: &str| {
        matches!(
            std::fs::symlink_metadata(keys_dir.join(name)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound
        )
    };
    if free(&file) {
        return file;
    }
    let found = (2..10_000)
        .map(|n| format!("{file}.{n}"))
        .find(|candidate| free(candidate.as_str()));
    found.unwrap_or(file)
}

async fn cluster_name<C: ConnectionTrait>(db: &C) -> Result<String, AppError> {
    Ok(cluster::row(db).await?.map(|c| c.name).unwrap_or_default())
}

/// Makes the certificates that are missing: one CallManager certificate per server, the TFTP
/// identity, CAPF and the two tokens. Returns how many were made.
pub async fn ensure(state: &AppState) -> Result<usize, AppError> {
    let dirs = dirs(state)?.clone();
    dirs.create().map_err(internal)?;
    let existing = store::all(&state.db).await?;
    let servers = server_rows::all(&state.db).await?;
    let mut wanted: Vec<(CertRole, String, Option<servers::Model>)> = TOKENS
        .iter()
        .map(|t| (CertRole::Sast, (*t).to_owned(), None))
        .collect();
    wanted.push((CertRole::Tftp, "TFTP".to_owned(), None));
    wanted.push((CertRole::Capf, "CAPF".to_owned(), None));
    wanted.extend(
        servers
            .into_iter()
            .map(|s| (CertRole::CallManager, s.name.clone(), Some(s))),
    );
    let cluster = cluster_name(&state.db).await?;
    let mut made = 0;
    for (role, name, server) in wanted {
        let present = existing
            .iter()
            .any(|c| c.role == role.key() && c.name == name);
        if present {
            continue;
        }
        let request = request_for(role, &name, &cluster, server.as_ref());
        let file = free_key_file(&dirs.keys, key_file(role, &name));
        let now = state.clock.now();
        let keys_dir = dirs.keys.clone();
        let written = file.clone();
        let der =
            tokio::task::spawn_blocking(move || keys::generate(&keys_dir, &written, &request, now))
                .await
                .map_err(internal)?
                .map_err(key_error)?;
        store_new(&state.db, role, &name, &der, &file, now).await?;
        made += 1;
    }
    Ok(made)
}

async fn store_new<C: ConnectionTrait>(
    db: &C,
    role: CertRole,
    name: &str,
    der: &[u8],
    file: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let facts = keys::certificate_facts(der).map_err(key_error)?;
    let issued = Issued {
        der: der.to_vec(),
        subject: facts.subject,
        issuer: facts.issuer,
        serial: crate::domain::hex::lower(&facts.serial),
        not_before: facts.not_before,
        not_after: facts.not_after,
        sha256: facts.sha256,
        key_file: file.to_owned(),
    };
    store::insert(db, role, name, issued, now).await?;
    Ok(())
}

/// Every certificate, by role and name.
pub async fn list(
    state: &AppState,
    _grant: &Grant<area::System, Reads>,
) -> Result<Vec<CertificateInfo>, AppError> {
    Ok(store::all(&state.db).await?.iter().map(info).collect())
}

/// A certificate's DER bytes and its name, for download.
pub async fn download(
    state: &AppState,
    _grant: &Grant<area::System, Reads>,
    id: i32,
) -> Result<(String, Vec<u8>), AppError> {
    let row = store::find(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Certificate {id}")))?;
    Ok((format!("{}-{}", row.role, row.name), row.der))
}

/// The certificate of `role` named `name` with its key, ready to sign.
pub async fn identity<C: ConnectionTrait>(
    db: &C,
    dirs: &TftpDirs,
    role: CertRole,
    name: &str,
) -> Result<std::sync::Arc<SigningIdentity>, AppError> {
    let row = store::of_role(db, role, name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("{} certificate {name}", role.label())))?;
    SigningIdentity::load(&dirs.keys.join(&row.key_file), &row.der).map_err(key_error)
}

/// Every certificate row (for the CTL).
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<certificates::Model>, AppError> {
    Ok(store::all(db).await?)
}

/// What regenerating a certificate of `role` requires (R10, R17): in a Mixed cluster the CTL file
/// must be updated, then services restarted and devices reset.
pub fn regeneration_requires(role: CertRole, mode: ClusterSecurityMode) -> Vec<RequiredAction> {
    let mut out = vec![RequiredAction::UpdateCtl];
    if mode == ClusterSecurityMode::Mixed && role != CertRole::Sast {
        out.push(RequiredAction::RestartService {
            server: None,
            service: if role == CertRole::Capf {
                Service::Capf
            } else {
                Service::CallManager
            },
        });
        out.push(RequiredAction::ResetAllDevices);
    }
    out
}

/// Regenerates certificate `id` (read at `version`): a new key and certificate; the answer lists
/// the required actions.
pub async fn regenerate(
    state: &AppState,
    grant: &Grant<area::System, Writes>,
    id: i32,
    version: Option<i32>,
) -> Result<(CertificateInfo, Vec<String>), AppError> {
    let dirs = dirs(state)?.clone();
    let row = store::find(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Certificate {id}")))?;
    if version.is_some_and(|v| v != row.version) {
        return Err(audit::conflict(&state.db, object::CERTIFICATE, &row.name).await);
    }
    let role = CertRole::from_key(&row.role).unwrap_or(CertRole::CallManager);
    let server = server_rows::by_name(&state.db, &row.name).await?;
    let cluster = cluster_name(&state.db).await?;
    let request = request_for(role, &row.name, &cluster, server.as_ref());
    let now = state.clock.now();
    // The new key goes to a new file: the old one stays valid until the row points elsewhere.
    let file = free_key_file(
        &dirs.keys,
        format!("{}.{}", key_file(role, &row.name), row.version + 1),
    );
    let keys_dir = dirs.keys.clone();
    let file2 = file.clone();
    let der = tokio::task::spawn_blocking(move || keys::generate(&keys_dir, &file2, &request, now))
        .await
        .map_err(internal)?
        .map_err(key_error)?;
    let facts = keys::certificate_facts(&der).map_err(key_error)?;
    let txn = state.db.begin().await?;
    let mode = cluster::security_mode(&txn).await?;
    let current = store::find(&txn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Certificate {id}")))?;
    if current.version != row.version {
        return Err(audit::conflict(&txn, object::CERTIFICATE, &row.name).await);
    }
    let before = current.sha256.clone();
    let issued = Issued {
        der,
        subject: facts.subject,
        issuer: facts.issuer,
        serial: crate::domain::hex::lower(&facts.serial),
        not_before: facts.not_before,
        not_after: facts.not_after,
        sha256: facts.sha256.clone(),
        key_file: file,
    };
    let Some(updated) = store::replace(&txn, current, issued, now, row.version).await? else {
        return Err(audit::conflict(&txn, object::CERTIFICATE, &row.name).await);
    };
    let audit_id = record(
        &txn,
        now,
        &grant.actor,
        &row.name,
        role,
        &before,
        &facts.sha256,
    )
    .await?;
    let required = actions::record(
        &txn,
        now,
        &regeneration_requires(role, mode),
        &format!("{} certificate {} regenerated", role.label(), row.name),
        audit_id,
    )
    .await?;
    txn.commit().await?;
    // A token kept offline has no old key here: its token file is what the new key replaces.
    if row.key_offline_at.is_none() {
        let old = dirs.keys.join(&row.key_file);
        if let Err(e) = std::fs::remove_file(&old) {
            tracing::warn!("old key {} not removed: {e}", old.display());
        }
    }
    Ok((info(&updated), required))
}

async fn record<C: ConnectionTrait>(
    db: &C,
    now: chrono::DateTime<chrono::Utc>,
    actor: &Actor,
    name: &str,
    role: CertRole,
    before: &str,
    after: &str,
) -> Result<i64, AppError> {
    audit::record(
        db,
        now,
        actor,
        Event {
            action: AuditAction::Update,
            object_type: object::CERTIFICATE,
            object_name: name,
            before: Some(json!({ "sha256": before })),
            after: Some(json!({ "sha256": after })),
            detail: format!("{} certificate {name} regenerated", role.label()),
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 13, point 8: servers whose names differ only in punctuation never share a key file
    /// (the old mapping wrote `_` for each of them: "CM 1", "CM_1" and "CM.1" all got
    /// `callmanager-CM_1.key`).
    #[test]
    fn server_names_that_differ_only_in_punctuation_get_different_keys() {
        let names = [
            "CM 1", "CM_1", "CM-1", "CM.1", "CM1", "cm 1", "CM  1", "CM_201",
        ];
        let files: Vec<String> = names
            .iter()
            .map(|n| key_file(CertRole::CallManager, n))
            .collect();
        for (i, a) in files.iter().enumerate() {
            for (j, b) in files.iter().enumerate() {
                if i != j {
                    assert_ne!(a, b, "{:?} and {:?}", names[i], names[j]);
                }
            }
        }
        assert_eq!(
            key_file(CertRole::CallManager, "CM 1"),
            "callmanager-CM_201.key"
        );
        assert_eq!(
            key_file(CertRole::CallManager, "CM_1"),
            "callmanager-CM_5F1.key"
        );
        assert_eq!(
            key_file(CertRole::CallManager, "CM-1"),
            "callmanager-CM-1.key"
        );
        assert_eq!(
            key_file(CertRole::CallManager, "CM.1"),
            "callmanager-CM_2E1.key"
        );
        assert_eq!(key_file(CertRole::Sast, "SAST1"), "sast-SAST1.key");
        assert_eq!(key_file(CertRole::Tftp, "TFTP"), "tftp-TFTP.key");
        // The same name in two roles: two files.
        assert_ne!(
            key_file(CertRole::CallManager, "CAPF"),
            key_file(CertRole::Capf, "CAPF")
        );

        // One to one over every name of up to three characters from an alphabet of letters,
        // digits and punctuation: as many files as names, each a plain file name.
        let alphabet = ['a', 'F', '5', '-', '_', '.', ' ', '/', 'é'];
        let mut all = vec![String::new()];
        let mut names = Vec::new();
        for _ in 0..3 {
            let longer: Vec<String> = all
                .iter()
                .flat_map(|prefix| alphabet.iter().map(move |c| format!("{prefix}{c}")))
                .collect();
            names.extend(longer.iter().cloned());
            all = longer;
        }
        let files: std::collections::HashSet<String> = names
            .iter()
            .map(|n| key_file(CertRole::CallManager, n))
            .collect();
        assert_eq!(files.len(), names.len());
        for f in &files {
            assert!(
                f.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')),
                "{f}"
            );
            assert!(!f.contains('/') && !f.starts_with('.'), "{f}");
        }
    }

    /// A new key's file name skips every existing entry of the keys folder (a key an older
    /// version named the same for another server, or one a failed attempt left).
    #[test]
    fn a_new_key_file_name_is_never_an_existing_one() {
        let keys = tempfile::tempdir().unwrap();
        let base = key_file(CertRole::CallManager, "CM 1");
        assert_eq!(free_key_file(keys.path(), base.clone()), base);
        // "CM 201" under the old mapping: the same file name.
        std::fs::write(keys.path().join(&base), b"another server's key").unwrap();
        let second = free_key_file(keys.path(), base.clone());
        assert_eq!(second, format!("{base}.2"));
        std::fs::write(keys.path().join(&second), b"left by a failed attempt").unwrap();
        assert_eq!(
            free_key_file(keys.path(), base.clone()),
            format!("{base}.3")
        );
        assert_eq!(
            std::fs::read(keys.path().join(&base)).unwrap(),
            b"another server's key"
        );
    }
}
