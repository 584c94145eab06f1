//! Disaster recovery (ssr only): a backup is one age-encrypted archive of the whole store (in a
//! form that restores into either engine), the private keys and certificates, and the TFTP
//! folder with the CTL file ([`archive`]), taken as one consistent snapshot while the console serves
//! ([`snapshot`]). A restore checks the whole archive first, builds a new store beside the old
//! one and switches to it only when it is complete ([`restore`]): a crash at any moment leaves
//! the old store or the new one, never a mix.

pub mod archive;
pub mod restore;
pub mod sealed;
pub mod snapshot;
pub mod tokens;

use crate::store::dump::DumpError;

/// Why a backup or a restore did not happen. Nothing is changed by a refused restore.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The passphrase is not one a backup may be made with.
    #[error("passphrase: {0}")]
    Passphrase(String),
    /// The passphrase does not open the archive.
    #[error("the passphrase does not open this backup; nothing was changed")]
    WrongPassphrase,
    /// The file is not an age archive made with a passphrase.
    #[error("this is not a ccmadmin backup: {0}; nothing was changed")]
    NotAnArchive(String),
    /// The archive was altered or cut short, or does not match its manifest.
    #[error("the backup is damaged: {0}; nothing was changed")]
    Damaged(String),
    /// The archive is of a format or schema this console does not restore.
    #[error("this backup cannot be restored here: {0}; nothing was changed")]
    Unsupported(String),
    /// The manifest could not be written or read.
    #[error("the backup's manifest: {0}")]
    Manifest(#[source] serde_json::Error),
    /// The archive could not be written.
    #[error("the backup could not be written: {0}")]
    Write(#[source] std::io::Error),
    /// A file of the data folder could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file or folder.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The store could not be read or loaded.
    #[error(transparent)]
    Dump(#[from] DumpError),
    /// The store refused a statement.
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// The kept passphrase of scheduled backups could not be sealed or opened.
    #[error("{0}")]
    Sealed(String),
    /// The new store could not be opened.
    #[error(transparent)]
    Store(#[from] crate::store::connect::StoreError),
}

impl BackupError {
    /// The error of a file operation on `path`.
    pub fn file(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::File {
            path: path.display().to_string(),
            source,
        }
    }
}
