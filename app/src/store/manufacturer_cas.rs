//! Queries on `manufacturer_cas`, the CAs trusted for the phones' MICs (owned by the service
//! `capf`).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use super::entities::manufacturer_cas;

/// Every manufacturer CA, oldest first.
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<manufacturer_cas::Model>, DbErr> {
    manufacturer_cas::Entity::find()
        .order_by_asc(manufacturer_cas::Column::Id)
        .all(db)
        .await
}

/// The CA with fingerprint `sha256`.
pub async fn by_fingerprint<C: ConnectionTrait>(
    db: &C,
    sha256: &str,
) -> Result<Option<manufacturer_cas::Model>, DbErr> {
    manufacturer_cas::Entity::find()
        .filter(manufacturer_cas::Column::Sha256.eq(sha256))
        .one(db)
        .await
}

/// A new CA row.
#[derive(Debug, Clone)]
pub struct NewCa {
    /// Subject.
    pub subject: String,
    /// Issuer.
    pub issuer: String,
    /// Serial, hex.
    pub serial: String,
    /// Fingerprint.
    pub sha256: String,
    /// DER.
    pub der: Vec<u8>,
    /// Valid from.
    pub not_before: DateTime<Utc>,
    /// Valid until.
    pub not_after: DateTime<Utc>,
}

/// Inserts a CA uploaded by `who` at `now`.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    ca: NewCa,
    now: DateTime<Utc>,
    who: &str,
) -> Result<manufacturer_cas::Model, DbErr> {
    manufacturer_cas::ActiveModel {
        subject: Set(ca.subject),
        issuer: Set(ca.issuer),
        serial: Set(ca.serial),
        sha256: Set(ca.sha256),
        der: Set(ca.der),
        not_before: Set(ca.not_before),
        not_after: Set(ca.not_after),
        added_at: Set(now),
        added_by: Set(who.to_owned()),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Deletes CA `id`; false when there was none.
pub async fn delete<C: ConnectionTrait>(db: &C, id: i32) -> Result<bool, DbErr> {
    Ok(manufacturer_cas::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        == 1)
}
