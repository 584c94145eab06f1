//! The passphrase of scheduled backups, kept sealed: encrypted (age, X25519) to a key of this
//! node's keys folder, `keys/backup-schedule.key` (0600), made on first use. Whoever holds the
//! keys folder can open it, as they can every other key there; the store alone cannot.

use std::path::Path;

use age::secrecy::{ExposeSecret, SecretString};

use super::BackupError;

/// The key's file in the keys folder.
pub const KEY_FILE: &str = "backup-schedule.key";

/// The largest key file read.
const KEY_MAX: u64 = 4096;

/// `passphrase` sealed to this node's key (made when missing).
pub fn seal(keys: &Path, passphrase: &SecretString) -> Result<Vec<u8>, BackupError> {
    let identity = identity_of(keys, true)?;
    age::encrypt(&identity.to_public(), passphrase.expose_secret().as_bytes())
        .map_err(|e| BackupError::Sealed(e.to_string()))
}

/// The passphrase `sealed` holds, opened with this node's key.
pub fn open(keys: &Path, sealed: &[u8]) -> Result<SecretString, BackupError> {
    let identity = identity_of(keys, false)?;
    let plain = age::decrypt(&identity, sealed).map_err(|e| {
        BackupError::Sealed(format!(
            "the kept passphrase cannot be opened with this node's key ({e}); set it again"
        ))
    })?;
    String::from_utf8(plain)
        .map(SecretString::from)
        .map_err(|_| {
            BackupError::Sealed("the kept passphrase is not text; set it again".to_owned())
        })
}

/// This node's public key for sealing, if it has made one (`age1…`).
pub fn recipient(keys: &Path) -> Result<Option<String>, BackupError> {
    match identity_of(keys, false) {
        Ok(identity) => Ok(Some(identity.to_public().to_string())),
        Err(BackupError::File { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// This node's public key for sealing, made when missing.
pub fn ensure_recipient(keys: &Path) -> Result<String, BackupError> {
    Ok(identity_of(keys, true)?.to_public().to_string())
}

fn identity_of(keys: &Path, make: bool) -> Result<age::x25519::Identity, BackupError> {
    use std::io::Read;
    let path = keys.join(KEY_FILE);
    match std::fs::File::open(&path) {
        Ok(file) => {
            let mut text = String::new();
            file.take(KEY_MAX)
                .read_to_string(&mut text)
                .map_err(BackupError::file(&path))?;
            text.trim()
                .parse::<age::x25519::Identity>()
                .map_err(|e| BackupError::Sealed(format!("{}: {e}", path.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && make => {
            // Written whole under a temporary name, then linked: the key file is never seen
            // half-written, and of two makers at once the first wins.
            let identity = age::x25519::Identity::generate();
            let text = format!("{}\n", identity.to_string().expose_secret());
            let temporary = keys.join(format!(
                ".{KEY_FILE}.{}.tmp",
                super::snapshot::random_suffix()
            ));
            crate::tftp::keys::write_new_private(&temporary, text.as_bytes())
                .map_err(BackupError::file(&temporary))?;
            let linked = std::fs::hard_link(&temporary, &path);
            let _ = std::fs::remove_file(&temporary);
            match linked {
                Ok(()) => Ok(identity),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => identity_of(keys, false),
                Err(e) => Err(BackupError::file(&path)(e)),
            }
        }
        Err(e) => Err(BackupError::file(&path)(e)),
    }
}
