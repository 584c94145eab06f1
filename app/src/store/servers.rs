//! Queries on `servers`, the call-processing nodes of the cluster, and on who lists them in
//! `callmanager_group_members`. The service `servers` owns the table; `first_start` and `demo`
//! add servers, and the other services read them.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};

use super::entities::{callmanager_group_members, servers};
use super::versioned;
use crate::domain::servers::ServerFields;
use crate::domain::services::ServerRole;

/// Every server, by name.
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<servers::Model>, DbErr> {
    servers::Entity::find()
        .order_by_asc(servers::Column::Name)
        .all(db)
        .await
}

/// Every server, in the order they were added (by id).
pub async fn all_by_id<C: ConnectionTrait>(db: &C) -> Result<Vec<servers::Model>, DbErr> {
    servers::Entity::find()
        .order_by_asc(servers::Column::Id)
        .all(db)
        .await
}

/// How many servers there are.
pub async fn count<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    servers::Entity::find().count(db).await
}

/// The server named `name`.
pub async fn by_name<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<servers::Model>, DbErr> {
    servers::Entity::find()
        .filter(servers::Column::Name.eq(name))
        .one(db)
        .await
}

/// The publisher, if a server has that role.
pub async fn publisher<C: ConnectionTrait>(db: &C) -> Result<Option<servers::Model>, DbErr> {
    servers::Entity::find()
        .filter(servers::Column::Role.eq(ServerRole::Publisher.key()))
        .one(db)
        .await
}

/// Sets the columns the administrator edits from `f` (the address trimmed).
fn apply(active: &mut servers::ActiveModel, f: &ServerFields) {
    let port = |v: i64| i32::try_from(v).unwrap_or_default();
    active.name = Set(f.name.clone());
    active.description = Set(f.description.clone());
    active.address = Set(f.address.trim().to_owned());
    active.role = Set(f.role.key().to_owned());
    active.ethernet_phone_port = Set(port(f.ethernet_phone_port));
    active.mgcp_listen_port = Set(port(f.mgcp_listen_port));
    active.mgcp_keep_alive_port = Set(port(f.mgcp_keep_alive_port));
    active.auto_registration = Set(f.auto_registration);
}

/// Inserts a server with `f` and the GUID `guid`, at version 1.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    f: &ServerFields,
    guid: String,
) -> Result<servers::Model, DbErr> {
    let mut active = servers::ActiveModel {
        guid: Set(guid),
        version: Set(1),
        ..Default::default()
    };
    apply(&mut active, f);
    active.insert(db).await
}

/// Saves `f` on server `row`, only while it is still at version `read`: `None` when another
/// change came first (`versioned::update`).
pub async fn update<C: ConnectionTrait>(
    db: &C,
    row: servers::Model,
    f: &ServerFields,
    read: i32,
) -> Result<Option<servers::Model>, DbErr> {
    let mut active: servers::ActiveModel = row.into();
    apply(&mut active, f);
    versioned::update(db, active, read).await
}

/// Deletes server `id`, only while it is still at version `read` (any when `None`): false when
/// another change came first.
pub async fn delete<C: ConnectionTrait>(db: &C, id: i32, read: Option<i32>) -> Result<bool, DbErr> {
    versioned::delete::<servers::Entity, _>(db, servers::Column::Id.eq(id), read).await
}

/// How many CallManager groups list server `id`.
pub async fn group_count<C: ConnectionTrait>(db: &C, id: i32) -> Result<u64, DbErr> {
    callmanager_group_members::Entity::find()
        .filter(callmanager_group_members::Column::ServerId.eq(id))
        .count(db)
        .await
}
