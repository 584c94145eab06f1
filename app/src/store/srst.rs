//! SRST references with their fetched certificates (`srst_references`, `srst_certificates`), and
//! the device pools that use them. The service `srst` owns both tables; `demo` adds references.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use super::entities::{device_pools, srst_certificates, srst_references};
use super::versioned;
use crate::domain::srst::SrstFields;

/// Every reference with its certificate row, by name.
pub async fn all<C: ConnectionTrait>(
    db: &C,
) -> Result<Vec<(srst_references::Model, Option<srst_certificates::Model>)>, sea_orm::DbErr> {
    let certificates = srst_certificates::Entity::find().all(db).await?;
    Ok(srst_references::Entity::find()
        .order_by_asc(srst_references::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|r| {
            let cert = certificates
                .iter()
                .find(|c| c.srst_reference_id == r.id)
                .cloned();
            (r, cert)
        })
        .collect())
}

/// The reference named `name`.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<srst_references::Model>, sea_orm::DbErr> {
    srst_references::Entity::find()
        .filter(srst_references::Column::Name.eq(name))
        .one(db)
        .await
}

/// The certificate row of reference `id`.
pub async fn certificate<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Option<srst_certificates::Model>, sea_orm::DbErr> {
    srst_certificates::Entity::find_by_id(id).one(db).await
}

/// Forgets the certificate of reference `id` (its gateway's address changed).
pub async fn forget_certificate<C: ConnectionTrait>(db: &C, id: i32) -> Result<(), sea_orm::DbErr> {
    srst_certificates::Entity::delete_by_id(id)
        .exec(db)
        .await
        .map(|_| ())
}

/// The names of the device pools that use reference `id`, by name.
pub async fn pools_using<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Vec<String>, sea_orm::DbErr> {
    Ok(device_pools::Entity::find()
        .filter(device_pools::Column::SrstOption.eq("reference"))
        .filter(device_pools::Column::SrstReferenceId.eq(id))
        .order_by_asc(device_pools::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.name)
        .collect())
}

/// For every reference id, the names of the device pools that use it, by name.
pub async fn pools_by_reference<C: ConnectionTrait>(
    db: &C,
) -> Result<std::collections::HashMap<i32, Vec<String>>, sea_orm::DbErr> {
    let mut out: std::collections::HashMap<i32, Vec<String>> = std::collections::HashMap::new();
    for pool in device_pools::Entity::find()
        .filter(device_pools::Column::SrstOption.eq("reference"))
        .order_by_asc(device_pools::Column::Name)
        .all(db)
        .await?
    {
        if let Some(id) = pool.srst_reference_id {
            out.entry(id).or_default().push(pool.name);
        }
    }
    Ok(out)
}

/// Whether a stored certificate is there and valid at `now`.
pub fn certificate_valid(
    cert: &srst_certificates::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    cert.der.is_some()
        && crate::domain::srst::certificate_valid_at(cert.not_before, cert.not_after, now)
}

/// A certificate fetched from an SRST gateway.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// DER bytes.
    pub der: Vec<u8>,
    /// Subject, as an RFC 4514 string.
    pub subject: String,
    /// Issuer.
    pub issuer: String,
    /// Valid from.
    pub not_before: DateTime<Utc>,
    /// Valid until.
    pub not_after: DateTime<Utc>,
    /// SHA-256 fingerprint.
    pub sha256: String,
}

/// Stores the outcome of a certificate fetch for reference `id` at `now`: the certificate, or
/// why the fetch failed. A fetched certificate replaces the previous one; a failed fetch records
/// its error and keeps the certificate stored before, if any.
pub async fn put_certificate<C: ConnectionTrait>(
    db: &C,
    id: i32,
    outcome: Result<Fetched, String>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use srst_certificates::Column as C;
    let fetched = outcome.is_ok();
    let row = match outcome {
        Ok(cert) => srst_certificates::ActiveModel {
            srst_reference_id: Set(id),
            der: Set(Some(cert.der)),
            subject: Set(Some(cert.subject)),
            issuer: Set(Some(cert.issuer)),
            not_before: Set(Some(cert.not_before)),
            not_after: Set(Some(cert.not_after)),
            sha256: Set(Some(cert.sha256)),
            error: Set(None),
            fetched_at: Set(now),
        },
        Err(error) => srst_certificates::ActiveModel {
            srst_reference_id: Set(id),
            der: Set(None),
            subject: Set(None),
            issuer: Set(None),
            not_before: Set(None),
            not_after: Set(None),
            sha256: Set(None),
            error: Set(Some(error)),
            fetched_at: Set(now),
        },
    };
    let columns = if fetched {
        vec![
            C::Der,
            C::Subject,
            C::Issuer,
            C::NotBefore,
            C::NotAfter,
            C::Sha256,
            C::Error,
            C::FetchedAt,
        ]
    } else {
        vec![C::Error, C::FetchedAt]
    };
    srst_certificates::Entity::insert(row)
        .on_conflict(
            OnConflict::column(C::SrstReferenceId)
                .update_columns(columns)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// Sets the columns the administrator edits from `f` (addresses trimmed, an empty SIP address
/// stored as none).
fn apply(active: &mut srst_references::ActiveModel, f: &SrstFields) {
    let port = |value: i64| i32::try_from(value).unwrap_or_default();
    active.name = Set(f.name.clone());
    active.ip_address = Set(f.ip_address.trim().to_owned());
    active.port = Set(port(f.port));
    let sip = f.sip_address.trim();
    active.sip_address = Set((!sip.is_empty()).then(|| sip.to_owned()));
    active.sip_port = Set(port(f.sip_port));
    active.is_secure = Set(f.is_secure);
    active.certificate_provider_port = Set(port(f.certificate_provider_port));
}

/// Inserts a reference with `f`, at version 1.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    f: &SrstFields,
) -> Result<srst_references::Model, DbErr> {
    let mut active = srst_references::ActiveModel {
        version: Set(1),
        ..Default::default()
    };
    apply(&mut active, f);
    active.insert(db).await
}

/// Saves `f` on reference `row`, only while it is still at version `read`: false when another
/// change came first (`versioned::update`).
pub async fn update<C: ConnectionTrait>(
    db: &C,
    row: srst_references::Model,
    f: &SrstFields,
    read: i32,
) -> Result<bool, DbErr> {
    let mut active: srst_references::ActiveModel = row.into();
    apply(&mut active, f);
    Ok(versioned::update(db, active, read).await?.is_some())
}

/// Deletes reference `id`, only while it is still at version `read` (any when `None`): false
/// when another change came first.
pub async fn delete<C: ConnectionTrait>(db: &C, id: i32, read: Option<i32>) -> Result<bool, DbErr> {
    versioned::delete::<srst_references::Entity, _>(db, srst_references::Column::Id.eq(id), read)
        .await
}
