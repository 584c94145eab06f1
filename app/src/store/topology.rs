//! Queries on the cluster's topology: CallManager groups with their ordered servers, device pools
//! and regions. The services `callmanager_groups`, `device_pools` and `regions` own these tables
//! and call these inside their transactions.

use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::entities::{
    callmanager_group_members, callmanager_groups, device_pools, devices, regions, servers,
    srst_references,
};
use super::versioned;
use crate::domain::pools::AudioCodec;

/// The group named `name`.
pub async fn group<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<callmanager_groups::Model>, DbErr> {
    callmanager_groups::Entity::find()
        .filter(callmanager_groups::Column::Name.eq(name))
        .one(db)
        .await
}

/// Every group, by name.
pub async fn groups<C: ConnectionTrait>(db: &C) -> Result<Vec<callmanager_groups::Model>, DbErr> {
    callmanager_groups::Entity::find()
        .order_by_asc(callmanager_groups::Column::Name)
        .all(db)
        .await
}

/// Adds the CallManager group `name` (no servers yet), at version 1.
pub async fn insert_group<C: ConnectionTrait>(
    db: &C,
    name: &str,
    auto_registration: bool,
) -> Result<callmanager_groups::Model, DbErr> {
    callmanager_groups::ActiveModel {
        name: Set(name.to_owned()),
        auto_registration: Set(auto_registration),
        version: Set(1),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Saves the name and auto-registration flag of the group `row`, only while it still has the
/// version `read`: `None` when another change came first.
pub async fn update_group<C: ConnectionTrait>(
    db: &C,
    row: callmanager_groups::Model,
    name: &str,
    auto_registration: bool,
    read: i32,
) -> Result<Option<callmanager_groups::Model>, DbErr> {
    let mut active: callmanager_groups::ActiveModel = row.into();
    active.name = Set(name.to_owned());
    active.auto_registration = Set(auto_registration);
    versioned::update(db, active, read).await
}

/// Deletes the group `id`, only while it still has the version read (any version when `read` is
/// `None`); false when another change came first.
pub async fn delete_group<C: ConnectionTrait>(
    db: &C,
    id: i32,
    read: Option<i32>,
) -> Result<bool, DbErr> {
    versioned::delete::<callmanager_groups::Entity, _>(
        db,
        callmanager_groups::Column::Id.eq(id),
        read,
    )
    .await
}

/// Each group's server names in order, by group id.
pub async fn members<C: ConnectionTrait>(db: &C) -> Result<HashMap<i32, Vec<String>>, DbErr> {
    let names: HashMap<i32, String> = servers::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let mut out: HashMap<i32, Vec<String>> = HashMap::new();
    for m in callmanager_group_members::Entity::find()
        .order_by_asc(callmanager_group_members::Column::GroupId)
        .order_by_asc(callmanager_group_members::Column::Priority)
        .all(db)
        .await?
    {
        if let Some(name) = names.get(&m.server_id) {
            out.entry(m.group_id).or_default().push(name.clone());
        }
    }
    Ok(out)
}

/// Replaces the servers of group `group_id` by `server_ids`, in order.
pub async fn set_members<C: ConnectionTrait>(
    db: &C,
    group_id: i32,
    server_ids: &[i32],
) -> Result<(), DbErr> {
    callmanager_group_members::Entity::delete_many()
        .filter(callmanager_group_members::Column::GroupId.eq(group_id))
        .exec(db)
        .await?;
    if server_ids.is_empty() {
        return Ok(());
    }
    callmanager_group_members::Entity::insert_many((0..).zip(server_ids).map(
        |(priority, server_id)| callmanager_group_members::ActiveModel {
            group_id: Set(group_id),
            priority: Set(priority),
            server_id: Set(*server_id),
        },
    ))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The ids of the servers named `names`, in the same order; the first name no server has is
/// the error.
pub async fn server_ids<C: ConnectionTrait>(
    db: &C,
    names: &[String],
) -> Result<Result<Vec<i32>, String>, DbErr> {
    let found: HashMap<String, i32> = servers::Entity::find()
        .filter(servers::Column::Name.is_in(names.iter().map(String::as_str)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.name, s.id))
        .collect();
    Ok(names
        .iter()
        .map(|n| found.get(n).copied().ok_or_else(|| n.clone()))
        .collect())
}

/// Every server name, by name.
pub async fn server_names<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, DbErr> {
    servers::Entity::find()
        .select_only()
        .column(servers::Column::Name)
        .order_by_asc(servers::Column::Name)
        .into_tuple()
        .all(db)
        .await
}

/// The pool named `name`.
pub async fn pool<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<device_pools::Model>, DbErr> {
    device_pools::Entity::find()
        .filter(device_pools::Column::Name.eq(name))
        .one(db)
        .await
}

/// The columns of a device pool that a save writes.
#[derive(Debug, Clone, Copy)]
pub struct PoolValues<'a> {
    /// Unique name.
    pub name: &'a str,
    /// The CallManager group's id.
    pub callmanager_group_id: i32,
    /// The region's id.
    pub region_id: i32,
    /// `disable`, `default_gateway` or `reference` (`SrstChoice::key`).
    pub srst_option: &'a str,
    /// The SRST reference's id when `srst_option` is `reference`.
    pub srst_reference_id: Option<i32>,
}

fn set_pool(active: &mut device_pools::ActiveModel, v: &PoolValues<'_>) {
    active.name = Set(v.name.to_owned());
    active.callmanager_group_id = Set(v.callmanager_group_id);
    active.region_id = Set(v.region_id);
    active.srst_option = Set(v.srst_option.to_owned());
    active.srst_reference_id = Set(v.srst_reference_id);
}

/// Adds a device pool, at version 1.
pub async fn insert_pool<C: ConnectionTrait>(
    db: &C,
    values: &PoolValues<'_>,
) -> Result<device_pools::Model, DbErr> {
    let mut active = device_pools::ActiveModel {
        version: Set(1),
        ..Default::default()
    };
    set_pool(&mut active, values);
    active.insert(db).await
}

/// Saves `values` on the pool `row`, only while it still has the version `read`: `None` when
/// another change came first.
pub async fn update_pool<C: ConnectionTrait>(
    db: &C,
    row: device_pools::Model,
    values: &PoolValues<'_>,
    read: i32,
) -> Result<Option<device_pools::Model>, DbErr> {
    let mut active: device_pools::ActiveModel = row.into();
    set_pool(&mut active, values);
    versioned::update(db, active, read).await
}

/// Deletes the pool `id`, only while it still has the version read (any version when `read` is
/// `None`); false when another change came first.
pub async fn delete_pool<C: ConnectionTrait>(
    db: &C,
    id: i32,
    read: Option<i32>,
) -> Result<bool, DbErr> {
    versioned::delete::<device_pools::Entity, _>(db, device_pools::Column::Id.eq(id), read).await
}

/// The pools whose CallManager group is `group_id`, by name.
pub async fn pools_of_group<C: ConnectionTrait>(
    db: &C,
    group_id: i32,
) -> Result<Vec<device_pools::Model>, DbErr> {
    device_pools::Entity::find()
        .filter(device_pools::Column::CallmanagerGroupId.eq(group_id))
        .order_by_asc(device_pools::Column::Name)
        .all(db)
        .await
}

/// The pools in region `region_id`, by name.
pub async fn pools_of_region<C: ConnectionTrait>(
    db: &C,
    region_id: i32,
) -> Result<Vec<String>, DbErr> {
    device_pools::Entity::find()
        .select_only()
        .column(device_pools::Column::Name)
        .filter(device_pools::Column::RegionId.eq(region_id))
        .order_by_asc(device_pools::Column::Name)
        .into_tuple()
        .all(db)
        .await
}

/// Devices per pool id.
pub async fn devices_per_pool<C: ConnectionTrait>(db: &C) -> Result<HashMap<i32, u64>, DbErr> {
    let rows: Vec<(i32, i64)> = devices::Entity::find()
        .select_only()
        .column(devices::Column::DevicePoolId)
        .column_as(Expr::col(devices::Column::Id).count(), "n")
        .group_by(devices::Column::DevicePoolId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(pool, n)| (pool, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// Devices in pool `pool_id`.
pub async fn devices_in_pool<C: ConnectionTrait>(db: &C, pool_id: i32) -> Result<u64, DbErr> {
    devices::Entity::find()
        .filter(devices::Column::DevicePoolId.eq(pool_id))
        .count(db)
        .await
}

/// Every region, by name.
pub async fn regions<C: ConnectionTrait>(db: &C) -> Result<Vec<regions::Model>, DbErr> {
    regions::Entity::find()
        .order_by_asc(regions::Column::Name)
        .all(db)
        .await
}

/// The region named `name`.
pub async fn region<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<regions::Model>, DbErr> {
    regions::Entity::find()
        .filter(regions::Column::Name.eq(name))
        .one(db)
        .await
}

/// Adds the region `name` with its audio codec, at version 1.
pub async fn insert_region<C: ConnectionTrait>(
    db: &C,
    name: &str,
    audio_codec: AudioCodec,
) -> Result<regions::Model, DbErr> {
    regions::ActiveModel {
        name: Set(name.to_owned()),
        audio_codec: Set(audio_codec.label().to_owned()),
        version: Set(1),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Saves the name and audio codec of the region `row`, only while it still has the version
/// `read`: `None` when another change came first.
pub async fn update_region<C: ConnectionTrait>(
    db: &C,
    row: regions::Model,
    name: &str,
    audio_codec: AudioCodec,
    read: i32,
) -> Result<Option<regions::Model>, DbErr> {
    let mut active: regions::ActiveModel = row.into();
    active.name = Set(name.to_owned());
    active.audio_codec = Set(audio_codec.label().to_owned());
    versioned::update(db, active, read).await
}

/// Deletes the region `id`, only while it still has the version read (any version when `read`
/// is `None`); false when another change came first.
pub async fn delete_region<C: ConnectionTrait>(
    db: &C,
    id: i32,
    read: Option<i32>,
) -> Result<bool, DbErr> {
    versioned::delete::<regions::Entity, _>(db, regions::Column::Id.eq(id), read).await
}

/// Every SRST reference's id and name, by name.
pub async fn srst_names<C: ConnectionTrait>(db: &C) -> Result<Vec<(i32, String)>, DbErr> {
    srst_references::Entity::find()
        .select_only()
        .column(srst_references::Column::Id)
        .column(srst_references::Column::Name)
        .order_by_asc(srst_references::Column::Name)
        .into_tuple()
        .all(db)
        .await
}

/// For each server id, the ids of the device pools whose CallManager group lists it first: the
/// server their devices register to.
pub async fn pools_by_primary_server<C: ConnectionTrait>(
    db: &C,
) -> Result<HashMap<i32, Vec<i32>>, DbErr> {
    let primaries: HashMap<i32, i32> = callmanager_group_members::Entity::find()
        .order_by_asc(callmanager_group_members::Column::Priority)
        .all(db)
        .await?
        .into_iter()
        .fold(HashMap::new(), |mut map, m| {
            map.entry(m.group_id).or_insert(m.server_id);
            map
        });
    let mut out: HashMap<i32, Vec<i32>> = HashMap::new();
    for pool in device_pools::Entity::find().all(db).await? {
        if let Some(server) = primaries.get(&pool.callmanager_group_id) {
            out.entry(*server).or_default().push(pool.id);
        }
    }
    Ok(out)
}
