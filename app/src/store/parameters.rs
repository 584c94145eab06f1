//! Enterprise parameters in the store (`enterprise_parameters`; a missing row means the
//! parameter's default), and the other clusters that share the TFTP servers (`tftp_clusters`,
//! R3). The service `parameters` owns both tables.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

use super::entities::{enterprise_parameters, tftp_clusters};
use super::versioned;
use crate::domain::access::{OverlapPolicy, OVERLAP_POLICY_PARAMETER};
use crate::domain::parameters::{DEVICE_SECURITY_MODE, ENTERPRISE};
use crate::domain::security::SecurityMode;
use crate::domain::tftp_share::TftpCluster;

/// The enterprise parameter Device Security Mode in force.
pub async fn device_security_mode<C: ConnectionTrait>(
    db: &C,
) -> Result<SecurityMode, sea_orm::DbErr> {
    Ok(find(db, DEVICE_SECURITY_MODE)
        .await?
        .and_then(|p| SecurityMode::parse(&p.value))
        .unwrap_or(SecurityMode::NonSecure))
}

/// The parameter named `name`, if set.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<enterprise_parameters::Model>, sea_orm::DbErr> {
    enterprise_parameters::Entity::find_by_id(name.to_owned())
        .one(db)
        .await
}

/// Every parameter.
pub async fn all<C: ConnectionTrait>(
    db: &C,
) -> Result<Vec<enterprise_parameters::Model>, sea_orm::DbErr> {
    enterprise_parameters::Entity::find().all(db).await
}

/// The "Effective Access Privileges For Overlapping User Groups" in force.
pub async fn overlap_policy<C: ConnectionTrait>(db: &C) -> Result<OverlapPolicy, sea_orm::DbErr> {
    Ok(find(db, OVERLAP_POLICY_PARAMETER)
        .await?
        .and_then(|p| OverlapPolicy::from_name(&p.value))
        .unwrap_or(OverlapPolicy::Maximum))
}

/// Inserts every parameter that has no row yet, with its default.
pub async fn seed_defaults<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    for def in ENTERPRISE {
        enterprise_parameters::Entity::insert(enterprise_parameters::ActiveModel {
            name: Set(def.name.to_owned()),
            value: Set(def.default.to_owned()),
            version: Set(1),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(enterprise_parameters::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Sets parameter `row` to `value` at `now`, only while it is still at the version read: false
/// when another change came first (`versioned::update`).
pub async fn update<C: ConnectionTrait>(
    db: &C,
    row: enterprise_parameters::Model,
    value: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let read = row.version;
    let mut active: enterprise_parameters::ActiveModel = row.into();
    active.value = Set(value.to_owned());
    active.updated_at = Set(now);
    Ok(versioned::update(db, active, read).await?.is_some())
}

/// Stores the first value of parameter `name` (it had its default until now): false when a
/// concurrent change stored one first (`versioned::insert_new`).
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    name: &str,
    value: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    versioned::insert_new(
        db,
        enterprise_parameters::ActiveModel {
            name: Set(name.to_owned()),
            value: Set(value.to_owned()),
            version: Set(1),
            updated_at: Set(now),
        },
    )
    .await
}

/// Every other cluster sharing the TFTP servers, by name.
pub async fn tftp_clusters<C: ConnectionTrait>(db: &C) -> Result<Vec<tftp_clusters::Model>, DbErr> {
    tftp_clusters::Entity::find()
        .order_by_asc(tftp_clusters::Column::Name)
        .all(db)
        .await
}

/// The other cluster named `name` (names are unique).
pub async fn tftp_cluster<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<tftp_clusters::Model>, DbErr> {
    tftp_clusters::Entity::find()
        .filter(tftp_clusters::Column::Name.eq(name))
        .one(db)
        .await
}

/// Sets the columns of `cluster` (its paths trimmed) on `active`.
fn fill(
    mut active: tftp_clusters::ActiveModel,
    cluster: &TftpCluster,
) -> tftp_clusters::ActiveModel {
    active.name = Set(cluster.name.clone());
    active.tftp_path = Set(cluster.tftp_path.trim().to_owned());
    active.alternate_tftp_path = Set(cluster.alternate_tftp_path.trim().to_owned());
    active.security_mode = Set(cluster.security_mode.key().to_owned());
    active
}

/// Saves `cluster` on the stored `row`, only while it is still at version `read`: false when
/// another change came first (`versioned::update`).
pub async fn update_tftp_cluster<C: ConnectionTrait>(
    db: &C,
    row: tftp_clusters::Model,
    cluster: &TftpCluster,
    read: i32,
) -> Result<bool, DbErr> {
    Ok(versioned::update(db, fill(row.into(), cluster), read)
        .await?
        .is_some())
}

/// Inserts `cluster` at version 1: false when a concurrent change made one of that name first
/// (`versioned::insert_new`).
pub async fn insert_tftp_cluster<C: ConnectionTrait>(
    db: &C,
    cluster: &TftpCluster,
) -> Result<bool, DbErr> {
    versioned::insert_new(
        db,
        fill(
            tftp_clusters::ActiveModel {
                version: Set(1),
                ..Default::default()
            },
            cluster,
        ),
    )
    .await
}

/// Deletes the other cluster `id`.
pub async fn delete_tftp_cluster<C: ConnectionTrait>(db: &C, id: i32) -> Result<(), DbErr> {
    tftp_clusters::Entity::delete_by_id(id)
        .exec(db)
        .await
        .map(|_| ())
}
