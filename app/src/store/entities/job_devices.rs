//! The devices of a reset or restart job, each with its status.

use sea_orm::entity::prelude::*;

/// A row of `job_devices`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "job_devices")]
pub struct Model {
    /// Primary key (the order devices are reached in).
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The job.
    pub job_id: i32,
    /// The device.
    pub device_id: i32,
    /// Its name when the job started.
    pub device_name: String,
    /// Where the device stands in the job.
    pub status: crate::domain::jobs::DeviceStatus,
    /// The contact the NOTIFY went to.
    pub contact: Option<String>,
    /// NOTIFYs sent (retransmissions included).
    pub attempts: i32,
    /// What happened, in words.
    pub detail: String,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// No relations used through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
