//! CallManager groups: ordered lists of up to three servers.

use sea_orm::entity::prelude::*;

/// A row of `callmanager_groups`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "callmanager_groups")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Unique name.
    pub name: String,
    /// The group auto-registered devices get (at most one group).
    pub auto_registration: bool,
    /// Optimistic-concurrency version.
    pub version: i32,
}

/// No relations used through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
