//! Device pools: a CallManager group and an SRST choice shared by devices.

use sea_orm::entity::prelude::*;

/// A row of `device_pools`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "device_pools")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Unique name.
    pub name: String,
    /// The CallManager group.
    pub callmanager_group_id: i32,
    /// `disable`, `default_gateway` or `reference`.
    pub srst_option: String,
    /// The SRST reference when `srst_option` is `reference`.
    pub srst_reference_id: Option<i32>,
    /// The region (`regions.id`).
    pub region_id: i32,
    /// Optimistic-concurrency version.
    pub version: i32,
}

/// No relations used through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
