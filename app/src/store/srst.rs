//! SRST references with their fetched certificates, and the device pools that use them.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::entities::{device_pools, srst_certificates, srst_references};

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
        && cert.not_before.is_some_and(|t| t <= now)
        && cert.not_after.is_some_and(|t| now <= t)
}

/// Stores the outcome of a certificate fetch. A fetched certificate replaces the previous one; a
/// failed fetch records its error and keeps the certificate stored before, if any.
pub async fn put_certificate<C: ConnectionTrait>(
    db: &C,
    row: srst_certificates::ActiveModel,
    fetched: bool,
) -> Result<(), sea_orm::DbErr> {
    use srst_certificates::Column as C;
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
