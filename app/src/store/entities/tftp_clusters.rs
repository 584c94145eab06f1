//! The other clusters that share this cluster's TFTP servers (R3).

use sea_orm::entity::prelude::*;

/// A row of `tftp_clusters`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "tftp_clusters")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The cluster's name.
    pub name: String,
    /// Its TFTP path.
    pub tftp_path: String,
    /// Its alternate TFTP path.
    pub alternate_tftp_path: String,
    /// Its cluster security mode (stored name).
    pub security_mode: String,
    /// Optimistic-concurrency version.
    pub version: i32,
}

/// No relations used through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
