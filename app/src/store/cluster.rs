//! Queries on the cluster model: the cluster row (its name and security mode, which only the
//! service `ctl` changes), models, pools and servers.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryOrder, Set};

use super::entities::{callmanager_groups, cluster, device_pools, phone_models, srst_references};
use super::versioned;
use crate::domain::security::{Capabilities, ClusterSecurityMode, DeviceClass};
use crate::model::{ModelInfo, PoolInfo};

/// The cluster's security mode.
pub async fn security_mode<C: ConnectionTrait>(
    db: &C,
) -> Result<ClusterSecurityMode, sea_orm::DbErr> {
    Ok(cluster::Entity::find()
        .one(db)
        .await?
        .map_or(ClusterSecurityMode::NonSecure, |c| {
            ClusterSecurityMode::from_key(&c.security_mode)
        }))
}

/// The cluster's one row (`None` only in a store that was never migrated).
pub async fn row<C: ConnectionTrait>(db: &C) -> Result<Option<cluster::Model>, DbErr> {
    cluster::Entity::find().one(db).await
}

/// Sets the security mode of the cluster `row` to `mode` at `now`, only while the row is still at
/// the version read: `None` when another change came first (`versioned::update`).
pub async fn set_security_mode<C: ConnectionTrait>(
    db: &C,
    row: cluster::Model,
    mode: ClusterSecurityMode,
    now: DateTime<Utc>,
) -> Result<Option<cluster::Model>, DbErr> {
    let read = row.version;
    let mut active: cluster::ActiveModel = row.into();
    active.security_mode = Set(mode.key().to_owned());
    active.updated_at = Set(now);
    versioned::update(db, active, read).await
}

/// A model row's capabilities.
pub fn capabilities(row: &phone_models::Model) -> Capabilities {
    Capabilities {
        class: DeviceClass::from_key(&row.device_class).unwrap_or(DeviceClass::CtiPort),
        authentication: row.supports_authentication,
        encryption: row.supports_encryption,
        mic: row.has_mic,
        built_in_bridge: row.has_built_in_bridge,
    }
}

/// Every model row, by name.
pub async fn model_rows<C: ConnectionTrait>(
    db: &C,
) -> Result<Vec<phone_models::Model>, sea_orm::DbErr> {
    phone_models::Entity::find()
        .order_by_asc(phone_models::Column::Name)
        .all(db)
        .await
}

/// A model row as the pages and the API show it.
pub fn model_info(row: &phone_models::Model) -> ModelInfo {
    ModelInfo {
        name: row.name.clone(),
        caps: capabilities(row),
        sccp: row.supports_sccp,
        sip: row.supports_sip,
    }
}

/// Every model with its capabilities, by name.
pub async fn models<C: ConnectionTrait>(db: &C) -> Result<Vec<ModelInfo>, sea_orm::DbErr> {
    Ok(model_rows(db).await?.iter().map(model_info).collect())
}

/// Every device pool row, by name.
pub async fn pool_rows<C: ConnectionTrait>(
    db: &C,
) -> Result<Vec<device_pools::Model>, sea_orm::DbErr> {
    device_pools::Entity::find()
        .order_by_asc(device_pools::Column::Name)
        .all(db)
        .await
}

/// Every device pool with its group and SRST choice, by name.
pub async fn pools<C: ConnectionTrait>(db: &C) -> Result<Vec<PoolInfo>, sea_orm::DbErr> {
    let groups = callmanager_groups::Entity::find().all(db).await?;
    let srst = srst_references::Entity::find().all(db).await?;
    Ok(pool_rows(db)
        .await?
        .into_iter()
        .map(|p| PoolInfo {
            callmanager_group: groups
                .iter()
                .find(|g| g.id == p.callmanager_group_id)
                .map(|g| g.name.clone())
                .unwrap_or_default(),
            srst: match p.srst_option.as_str() {
                "default_gateway" => "Use Default Gateway".to_owned(),
                "reference" => srst
                    .iter()
                    .find(|r| Some(r.id) == p.srst_reference_id)
                    .map(|r| r.name.clone())
                    .unwrap_or_default(),
                _ => "Disable".to_owned(),
            },
            name: p.name,
        })
        .collect())
}
