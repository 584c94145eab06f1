//! Call-processing servers (nodes) of the cluster.

use sea_orm::entity::prelude::*;

/// A row of `servers`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "servers")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Host name, unique.
    pub name: String,
    /// IP address.
    pub address: String,
    /// Free text.
    pub description: String,
    /// `publisher` or `subscriber`.
    pub role: String,
    /// The server's GUID (in its CallManager certificate).
    pub guid: String,
    /// SCCP port.
    pub ethernet_phone_port: i32,
    /// MGCP listen port.
    pub mgcp_listen_port: i32,
    /// MGCP keep-alive port.
    pub mgcp_keep_alive_port: i32,
    /// Auto-registration on this server.
    pub auto_registration: bool,
    /// Optimistic-concurrency version.
    pub version: i32,
}

/// No relations used through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
