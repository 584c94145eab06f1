//! The certificate last fetched from each SRST gateway, or why the fetch failed.

use sea_orm::entity::prelude::*;

/// A row of `srst_certificates`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "srst_certificates")]
pub struct Model {
    /// The SRST reference (primary key).
    #[sea_orm(primary_key, auto_increment = false)]
    pub srst_reference_id: i32,
    /// The certificate (DER), when the fetch succeeded.
    pub der: Option<Vec<u8>>,
    /// Its subject.
    pub subject: Option<String>,
    /// Its issuer.
    pub issuer: Option<String>,
    /// Valid from.
    pub not_before: Option<DateTimeUtc>,
    /// Valid until.
    pub not_after: Option<DateTimeUtc>,
    /// SHA-256 fingerprint, colon-separated hex.
    pub sha256: Option<String>,
    /// Why the fetch failed, when it did.
    pub error: Option<String>,
    /// When it was fetched (or tried).
    pub fetched_at: DateTimeUtc,
}

/// No relations used through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
