//! Rows every store starts with: the standard user groups, the standard phone models and the
//! enterprise parameters' defaults.
//! Seeding adds what is missing and never changes what administrators changed.
//! Also the rows the service `first_start` makes in an empty store (the CallManager group and
//! device pool `Default`) and those `demo` generates (groups with their servers, pools, devices).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, Set,
};

use super::entities::{
    callmanager_group_members, callmanager_groups, device_pools, devices, phone_models,
    user_group_privileges, user_groups,
};
use super::parameters;
use crate::domain::access::STANDARD_GROUPS;
use crate::domain::security::{ConfiguredMode, STANDARD_MODELS};

/// Creates the standard user groups that do not exist yet, with their privileges, the standard
/// phone models, and the enterprise parameters that have no value yet.
pub async fn seed<C: ConnectionTrait>(db: &C) -> Result<(), sea_orm::DbErr> {
    for standard in STANDARD_GROUPS {
        let exists = user_groups::Entity::find()
            .filter(user_groups::Column::Name.eq(standard.name))
            .one(db)
            .await?
            .is_some();
        if exists {
            continue;
        }
        let group = user_groups::ActiveModel {
            name: Set(standard.name.to_owned()),
            description: Set(standard.description.to_owned()),
            built_in: Set(true),
            version: Set(1),
            ..Default::default()
        }
        .insert(db)
        .await?;
        for (functional_group, level) in standard.levels {
            user_group_privileges::ActiveModel {
                group_id: Set(group.id),
                functional_group: Set(functional_group.name().to_owned()),
                access_level: Set(level.key().to_owned()),
            }
            .insert(db)
            .await?;
        }
    }
    for model in STANDARD_MODELS {
        let exists = phone_models::Entity::find()
            .filter(phone_models::Column::Name.eq(model.name))
            .one(db)
            .await?
            .is_some();
        if !exists {
            phone_models::ActiveModel {
                name: Set(model.name.to_owned()),
                device_class: Set(model.caps.class.key().to_owned()),
                supports_sccp: Set(model.sccp),
                supports_sip: Set(model.sip),
                supports_authentication: Set(model.caps.authentication),
                supports_encryption: Set(model.caps.encryption),
                has_mic: Set(model.caps.mic),
                has_built_in_bridge: Set(model.caps.built_in_bridge),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    parameters::seed_defaults(db, Utc::now()).await
}

/// Inserts the CallManager group `name`, auto-registration off, at version 1.
pub async fn insert_group<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<callmanager_groups::Model, DbErr> {
    callmanager_groups::ActiveModel {
        name: Set(name.to_owned()),
        auto_registration: Set(false),
        version: Set(1),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Adds server `server_id` to group `group_id` at `priority` (0 first).
pub async fn add_member<C: ConnectionTrait>(
    db: &C,
    group_id: i32,
    priority: i32,
    server_id: i32,
) -> Result<(), DbErr> {
    callmanager_group_members::ActiveModel {
        group_id: Set(group_id),
        priority: Set(priority),
        server_id: Set(server_id),
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// Inserts the device pool `name` on group `group_id` in region `region_id`, at version 1: its
/// SRST the reference `srst_reference_id`, or disabled when `None`.
pub async fn insert_pool<C: ConnectionTrait>(
    db: &C,
    name: &str,
    group_id: i32,
    srst_reference_id: Option<i32>,
    region_id: i32,
) -> Result<device_pools::Model, DbErr> {
    device_pools::ActiveModel {
        name: Set(name.to_owned()),
        callmanager_group_id: Set(group_id),
        srst_option: Set(if srst_reference_id.is_some() {
            "reference"
        } else {
            "disable"
        }
        .to_owned()),
        srst_reference_id: Set(srst_reference_id),
        region_id: Set(region_id),
        version: Set(1),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Whether the store has any device (the demo fills only a store that has none).
pub async fn has_devices<C: ConnectionTrait>(db: &C) -> Result<bool, DbErr> {
    Ok(devices::Entity::find().count(db).await? > 0)
}

/// A device the demo makes.
#[derive(Debug, Clone)]
pub struct DemoDevice<'a> {
    /// Device name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Its phone model's id.
    pub model_id: i32,
    /// `SCCP` or `SIP`.
    pub protocol: &'a str,
    /// Its device pool's id.
    pub pool_id: i32,
    /// Its configured security mode (it holds no LSC: only CAPF issues those).
    pub mode: ConfiguredMode,
}

impl DemoDevice<'_> {
    /// The row of this device, last changed at `now`.
    fn row(self, now: DateTime<Utc>) -> devices::ActiveModel {
        let DemoDevice {
            name,
            description,
            model_id,
            protocol,
            pool_id,
            mode,
        } = self;
        devices::ActiveModel {
            name: Set(name),
            description: Set(description),
            model_id: Set(model_id),
            protocol: Set(protocol.to_owned()),
            device_pool_id: Set(pool_id),
            security_mode: Set(mode.key().to_owned()),
            built_in_bridge: Set("Default".to_owned()),
            certificate_operation: Set("No Pending Operation".to_owned()),
            authentication_mode: Set("By Null String".to_owned()),
            authentication_string: Set(String::new()),
            key_size: Set(1024),
            operation_completes_by: Set(None),
            certificate_operation_status: Set("None".to_owned()),
            lsc_status: Set("None".to_owned()),
            gratuitous_arp: Set(true),
            web_access: Set(true),
            pc_voice_vlan_access: Set(true),
            settings_access: Set(true),
            pc_port: Set(true),
            version: Set(1),
            updated_at: Set(now),
            updated_by: Set(String::new()),
            ..Default::default()
        }
    }
}

/// Inserts `batch` in one statement, each device at version 1 and last changed at `now`.
pub async fn insert_demo_devices<C: ConnectionTrait>(
    db: &C,
    batch: Vec<DemoDevice<'_>>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    devices::Entity::insert_many(batch.into_iter().map(|d| d.row(now)))
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// After a bulk load, refreshes PostgreSQL's statistics of `devices` and the visibility map that
/// index-only scans need, instead of waiting for autovacuum's next pass. (SQLite's planner does
/// better here with its defaults than with ANALYZE's statistics: measured by `make bench`.)
pub async fn analyze_devices<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("VACUUM (ANALYZE) devices").await?;
    }
    Ok(())
}
