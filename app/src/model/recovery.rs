//! Data of Serviceability > Disaster Recovery: the backups this node keeps.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A backup file in this node's backup folder, with what its (unencrypted) summary says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupInfo {
    /// The file's name (`ccmadmin-YYYYMMDD-HHMMSS-xxxx.age`).
    pub name: String,
    /// When its snapshot was taken.
    pub created_at: DateTime<Utc>,
    /// Its size in bytes.
    pub size: u64,
    /// The store's rows it holds, all tables together.
    pub rows: u64,
    /// The files it holds (keys, TLS, TFTP).
    pub files: u64,
    /// The store engine it was taken from.
    pub backend: String,
    /// The store's schema.
    pub schema: String,
    /// Who took it.
    pub taken_by: String,
}

/// The Disaster Recovery page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryPage {
    /// Where this node keeps its backups.
    pub folder: String,
    /// Its backups, newest first.
    pub backups: Vec<BackupInfo>,
}

/// What checking a backup found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupCheck {
    /// The file.
    pub name: String,
    /// Entries checked (every hash matched).
    pub entries: u64,
    /// Their bytes.
    pub bytes: u64,
}
