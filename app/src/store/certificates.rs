//! Queries on `certificates`, the cluster's certificates (their private keys are files of the
//! data dir, never rows). The service `certificates` owns the table; `ctl` and the TFTP pipeline
//! read it through that service.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use super::entities::certificates;
use super::versioned;
use crate::model::security::CertRole;

/// A newly issued certificate and the file of its key.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The certificate (DER).
    pub der: Vec<u8>,
    /// Subject (RFC 4514).
    pub subject: String,
    /// Issuer (RFC 4514).
    pub issuer: String,
    /// Serial number, lower-case hex.
    pub serial: String,
    /// Valid from.
    pub not_before: DateTime<Utc>,
    /// Valid until.
    pub not_after: DateTime<Utc>,
    /// SHA-256 fingerprint.
    pub sha256: String,
    /// The private key's file name in the keys folder.
    pub key_file: String,
}

/// Sets the columns of `issued`, made at `now`, on `active`.
fn apply(active: &mut certificates::ActiveModel, issued: Issued, now: DateTime<Utc>) {
    active.der = Set(issued.der);
    active.subject = Set(issued.subject);
    active.issuer = Set(issued.issuer);
    active.serial = Set(issued.serial);
    active.not_before = Set(issued.not_before);
    active.not_after = Set(issued.not_after);
    active.sha256 = Set(issued.sha256);
    active.key_file = Set(issued.key_file);
    // A new key is made on the server.
    active.key_offline_at = Set(None);
    active.created_at = Set(now);
}

/// Every certificate, by role and name.
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<certificates::Model>, DbErr> {
    certificates::Entity::find()
        .order_by_asc(certificates::Column::Role)
        .order_by_asc(certificates::Column::Name)
        .all(db)
        .await
}

/// Certificate `id`.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Option<certificates::Model>, DbErr> {
    certificates::Entity::find_by_id(id).one(db).await
}

/// The certificate of `role` named `name`.
pub async fn of_role<C: ConnectionTrait>(
    db: &C,
    role: CertRole,
    name: &str,
) -> Result<Option<certificates::Model>, DbErr> {
    certificates::Entity::find()
        .filter(certificates::Column::Role.eq(role.key()))
        .filter(certificates::Column::Name.eq(name))
        .one(db)
        .await
}

/// Inserts the certificate of `role` named `name`, issued at `now`, at version 1.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    role: CertRole,
    name: &str,
    issued: Issued,
    now: DateTime<Utc>,
) -> Result<certificates::Model, DbErr> {
    let mut active = certificates::ActiveModel {
        role: Set(role.key().to_owned()),
        name: Set(name.to_owned()),
        version: Set(1),
        ..Default::default()
    };
    apply(&mut active, issued, now);
    active.insert(db).await
}

/// Replaces the certificate and key of `row` by `issued` (made at `now`), only while the row is
/// still at version `read`: `None` when another change came first (`versioned::update`).
pub async fn replace<C: ConnectionTrait>(
    db: &C,
    row: certificates::Model,
    issued: Issued,
    now: DateTime<Utc>,
    read: i32,
) -> Result<Option<certificates::Model>, DbErr> {
    let mut active: certificates::ActiveModel = row.into();
    apply(&mut active, issued, now);
    versioned::update(db, active, read).await
}

/// Records that the key of `row` left the server at `now` (a token kept offline), only while the
/// row is still at version `read`: `None` when another change came first.
pub async fn take_offline<C: ConnectionTrait>(
    db: &C,
    row: certificates::Model,
    now: DateTime<Utc>,
    read: i32,
) -> Result<Option<certificates::Model>, DbErr> {
    let mut active: certificates::ActiveModel = row.into();
    active.key_offline_at = Set(Some(now));
    versioned::update(db, active, read).await
}
