//! Service parameters set on a server (a missing row means the default).

use sea_orm::entity::prelude::*;

/// A row of `service_parameters`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "service_parameters")]
pub struct Model {
    /// The server.
    #[sea_orm(primary_key, auto_increment = false)]
    pub server_id: i32,
    /// The service's stored name.
    #[sea_orm(primary_key, auto_increment = false)]
    pub service: String,
    /// The parameter's stored name.
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// Its value.
    pub value: String,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Last change.
    pub updated_at: DateTimeUtc,
    /// Who made it.
    pub updated_by: String,
}

/// No relations used through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
