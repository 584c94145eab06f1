//! The cluster this console administers (one row).

use sea_orm::entity::prelude::*;

/// A row of `cluster`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "cluster")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The cluster's name (CallManager's Cluster ID).
    pub name: String,
    /// `non_secure` or `mixed`; changed only by the CTL operation.
    pub security_mode: String,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
