//! Phone and device models with their capability flags.

use sea_orm::entity::prelude::*;

/// A row of `phone_models`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "phone_models")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Unique model name.
    pub name: String,
    /// `phone`, `cti_port`, … (R7).
    pub device_class: String,
    /// Speaks SCCP.
    pub supports_sccp: bool,
    /// Speaks SIP.
    pub supports_sip: bool,
    /// Supports authentication.
    pub supports_authentication: bool,
    /// Supports encryption.
    pub supports_encryption: bool,
    /// Has a MIC.
    pub has_mic: bool,
    /// Has a built-in bridge.
    pub has_built_in_bridge: bool,
}

/// No relations used through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
