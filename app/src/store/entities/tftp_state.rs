//! The state of the TFTP file pipeline (one row): what it must build, what it built, its progress.

use sea_orm::entity::prelude::*;

/// The row of `tftp_state`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "tftp_state")]
pub struct Model {
    /// Always 1.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    /// The newest relevant change (audit row id) the files must reflect.
    pub wanted_change: i64,
    /// The change the files on disk reflect; -1: never built.
    pub built_change: i64,
    /// Where the build stands.
    pub status: crate::domain::builds::BuildStatus,
    /// Files of the current or last build.
    pub total: i64,
    /// Files written (their bytes changed).
    pub written: i64,
    /// Files signed.
    pub signed: i64,
    /// Files removed.
    pub removed: i64,
    /// Files that failed.
    pub errors: i64,
    /// The last error.
    pub last_error: Option<String>,
    /// When the current or last build started.
    pub started_at: Option<DateTimeUtc>,
    /// When the last build finished.
    pub finished_at: Option<DateTimeUtc>,
    /// Last progress.
    pub updated_at: Option<DateTimeUtc>,
}

/// No relations used through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
