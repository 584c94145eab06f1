//! SRST references: gateways for survivable call processing.

use sea_orm::entity::prelude::*;

/// A row of `srst_references`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "srst_references")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Unique name.
    pub name: String,
    /// IPv4 address.
    pub ip_address: String,
    /// SCCP port.
    pub port: i32,
    /// SIP network address.
    pub sip_address: Option<String>,
    /// SIP port.
    pub sip_port: i32,
    /// Is SRST Secure?
    pub is_secure: bool,
    /// SRST certificate provider port.
    pub certificate_provider_port: i32,
    /// Optimistic-concurrency version.
    pub version: i32,
}

/// No relations used through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
