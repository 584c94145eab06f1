//! Which services are activated on which server (a missing row means the service's default).

use sea_orm::entity::prelude::*;

/// A row of `service_activations`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "service_activations")]
pub struct Model {
    /// The server.
    #[sea_orm(primary_key, auto_increment = false)]
    pub server_id: i32,
    /// The service's stored name.
    #[sea_orm(primary_key, auto_increment = false)]
    pub service: String,
    /// Activated.
    pub activated: bool,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Last change.
    pub updated_at: DateTimeUtc,
    /// Who made it.
    pub updated_by: String,
    /// Run state: stopped, starting or started (never `NotActivated`, which follows from the
    /// activation).
    pub state: crate::domain::services::ServiceState,
    /// Why the last start failed, if it did.
    pub detail: String,
    /// When it was last started or restarted.
    pub restarted_at: Option<DateTimeUtc>,
}

/// No relations used through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
