//! The schedule of a node's own backups (one row, id 1).

use sea_orm::entity::prelude::*;

/// The row of `backup_schedule`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "backup_schedule")]
pub struct Model {
    /// Always 1.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    /// Whether backups are taken on schedule.
    pub enabled: bool,
    /// `daily` or `weekly`.
    pub frequency: String,
    /// The day of a weekly backup, 1 (Monday) to 7.
    pub weekday: i32,
    /// The time of day, `HH:MM` UTC.
    pub at_time: String,
    /// How many backups to keep (the oldest are removed).
    pub keep: i32,
    /// The passphrase, sealed under the key `keys/backup-schedule.key` (age, X25519).
    pub sealed_passphrase: Option<Vec<u8>>,
    /// The public key it is sealed to (`age1…`): only the node holding its key takes the
    /// scheduled backups.
    pub sealed_for: Option<String>,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// When the schedule was last changed.
    pub updated_at: DateTimeUtc,
    /// The last slot a node claimed (and ran).
    pub last_run_at: Option<DateTimeUtc>,
    /// The backup that slot made.
    pub last_backup: Option<String>,
    /// Why that slot's backup failed.
    pub last_error: Option<String>,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
