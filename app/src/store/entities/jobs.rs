//! Jobs: long work tracked in the store with its progress.

use sea_orm::entity::prelude::*;

/// A row of `jobs`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// What the job does, e.g. `bulk_phone_change`.
    pub kind: String,
    /// Where the job stands.
    pub status: crate::domain::jobs::JobStatus,
    /// Items to process.
    pub total: i64,
    /// Items processed so far.
    pub processed: i64,
    /// Items changed.
    pub changed: i64,
    /// Items refused by a rule.
    pub refused: i64,
    /// The job's request as JSON.
    pub params: String,
    /// The outcome in words.
    pub message: String,
    /// Who started it.
    pub created_by: String,
    /// When it was started.
    pub created_at: DateTimeUtc,
    /// Last progress.
    pub updated_at: DateTimeUtc,
    /// Devices per second for a reset job; `None`: unthrottled.
    pub rate: Option<i32>,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// The node working the job (a reset job), if one claimed it.
    pub worker: Option<String>,
    /// When that node last said it is still working it.
    pub heartbeat_at: Option<DateTimeUtc>,
    /// Where a resumable job got to: for an import, the last line of the file applied.
    pub cursor: Option<i64>,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
