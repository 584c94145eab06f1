//! When each device was last reset by a job (what completes reset actions).

use sea_orm::entity::prelude::*;

/// A row of `device_resets`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "device_resets")]
pub struct Model {
    /// The device.
    #[sea_orm(primary_key, auto_increment = false)]
    pub device_id: i32,
    /// When a reset job last reached it.
    pub reset_at: DateTimeUtc,
}

/// No relations used through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
