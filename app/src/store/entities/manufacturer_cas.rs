//! Manufacturer CA certificates the admin uploaded: a phone's MIC is trusted when its chain
//! reaches one of them (R14).

use sea_orm::entity::prelude::*;

/// A row of `manufacturer_cas`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "manufacturer_cas")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Subject (RFC 4514).
    pub subject: String,
    /// Issuer (RFC 4514).
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// SHA-256 fingerprint; unique.
    pub sha256: String,
    /// The certificate (DER).
    pub der: Vec<u8>,
    /// Valid from.
    pub not_before: DateTimeUtc,
    /// Valid until.
    pub not_after: DateTimeUtc,
    /// When it was uploaded.
    pub added_at: DateTimeUtc,
    /// Who uploaded it.
    pub added_by: String,
}

/// `manufacturer_cas` has no relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
