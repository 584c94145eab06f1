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

/// The schedule of the backups the console takes by itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupSchedule {
    /// On or off.
    pub enabled: bool,
    /// `daily` or `weekly`.
    pub frequency: String,
    /// The day of a weekly backup, 1 (Monday) to 7.
    pub weekday: u32,
    /// The time of day, `HH:MM` UTC.
    pub time: String,
    /// How many backups to keep (the oldest are removed).
    pub keep: u32,
    /// Whether a passphrase is kept for them.
    pub passphrase_set: bool,
    /// The version read.
    pub version: i32,
    /// The last slot taken.
    pub last_run_at: Option<DateTime<Utc>>,
    /// The backup it made.
    pub last_backup: Option<String>,
    /// Why it failed.
    pub last_error: Option<String>,
    /// The next slot, when on.
    pub next_run_at: Option<DateTime<Utc>>,
    /// Whether the kept passphrase is sealed to this node's key (only that node takes the
    /// scheduled backups; after a data-only restore or on another node, set it again).
    pub sealed_here: bool,
}

/// A change of the schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleChange {
    /// On or off.
    pub enabled: bool,
    /// `daily` or `weekly`.
    pub frequency: String,
    /// The day of a weekly backup, 1 (Monday) to 7.
    pub weekday: u32,
    /// `HH:MM` UTC.
    pub time: String,
    /// How many backups to keep.
    pub keep: u32,
    /// A new passphrase (12 to 1,024 characters), or none to keep the one kept.
    #[serde(default)]
    pub passphrase: Option<String>,
    /// The version read.
    pub version: i32,
}

/// The Disaster Recovery page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryPage {
    /// The schedule.
    pub schedule: BackupSchedule,
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

/// A restore from the page, checked and started: the console stages it while it answers 503,
/// then restarts into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreStarted {
    /// The backup restored.
    pub name: String,
    /// True for a data-only restore (this node keeps its own keys).
    pub data_only: bool,
    /// What R16 requires after a data-only restore (recorded in the restored store).
    pub required_actions: Vec<String>,
}
