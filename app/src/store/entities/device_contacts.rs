//! Where a device can be reached: its registered contact, and what it last reported.

use sea_orm::entity::prelude::*;

/// A row of `device_contacts`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "device_contacts")]
pub struct Model {
    /// The device.
    #[sea_orm(primary_key, auto_increment = false)]
    pub device_id: i32,
    /// IP address of the contact.
    pub address: String,
    /// UDP port of the contact.
    pub port: i32,
    /// Transport of the last registration: `udp` or `tls`.
    pub transport: String,
    /// `device` when the device registered itself, else the administrator who entered it.
    pub source: String,
    /// When the device last registered (or the contact was entered).
    pub last_seen: DateTimeUtc,
    /// The security mode the device reports running with.
    pub running_mode: Option<String>,
    /// The config file it last fetched.
    pub config_file: Option<String>,
    /// What it found checking that file's signature: `valid`, `invalid` or `unsigned`.
    pub signature: Option<String>,
    /// When it last reported.
    pub reported_at: Option<DateTimeUtc>,
    /// How it last registered through the SIP registrar: "TLS with LSC serial …", "TLS with MIC
    /// serial …", "TLS", "UDP"; empty when only through the HTTPS endpoint or an administrator.
    pub registration: String,
    /// Why its last registration was refused (empty: none was).
    pub refusal: String,
    /// When it was refused.
    pub refused_at: Option<DateTimeUtc>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

/// No relations used through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
