//! The servers of a CallManager group, in order.

use sea_orm::entity::prelude::*;

/// A row of `callmanager_group_members`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "callmanager_group_members")]
pub struct Model {
    /// The group.
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_id: i32,
    /// 0 for the first server a device tries, then 1 and 2.
    #[sea_orm(primary_key, auto_increment = false)]
    pub priority: i32,
    /// The server.
    pub server_id: i32,
}

/// No relations used through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
