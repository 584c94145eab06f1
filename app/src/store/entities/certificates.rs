//! The cluster's certificates: CallManager per server, TFTP, CAPF and the security tokens. Their
//! private keys are 0600 files in the data dir, never in the store.

use sea_orm::entity::prelude::*;

/// A row of `certificates`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "certificates")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// `sast`, `callmanager`, `tftp` or `capf`.
    pub role: String,
    /// The server or token it belongs to.
    pub name: String,
    /// The certificate (DER).
    pub der: Vec<u8>,
    /// Subject (RFC 4514).
    pub subject: String,
    /// Issuer (RFC 4514).
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// Valid from.
    pub not_before: DateTimeUtc,
    /// Valid until.
    pub not_after: DateTimeUtc,
    /// SHA-256 fingerprint.
    pub sha256: String,
    /// The private key's file name in the keys folder.
    pub key_file: String,
    /// When the key was taken off the server (a security token kept offline as a token file);
    /// none while it is on the server.
    pub key_offline_at: Option<DateTimeUtc>,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// When it was generated.
    pub created_at: DateTimeUtc,
}

/// No relations used through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
