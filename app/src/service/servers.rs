//! System > Cisco CallManager: servers with the devices registered to each, their configuration
//! (R2: auto-registration never on in Mixed mode; R17: a server added to a Mixed cluster requires
//! updating the CTL file).

use std::collections::HashMap;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;

use super::audit::{self, Event};
use super::authz::{area, Grant, Reads, Writes};
use super::state::internal;
use super::{actions, AppState};
use crate::domain::actions::RequiredAction;
use crate::domain::audit::{object, AuditAction};
use crate::domain::security::ClusterSecurityMode;
use crate::domain::servers::{r2_refusal, validate_server, ServerFields};
use crate::domain::services::ServerRole;
use crate::error::AppError;
use crate::model::system::{ServerDetail, ServerSaved};
use crate::store::entities::{callmanager_group_members, device_pools, devices, servers};
use crate::store::{cluster, locks, versioned};

/// For each server id, the ids of the device pools whose CallManager group lists it first: the
/// server their devices register to.
pub async fn pools_by_primary_server<C: ConnectionTrait>(
    db: &C,
) -> Result<HashMap<i32, Vec<i32>>, AppError> {
    let primaries: HashMap<i32, i32> = callmanager_group_members::Entity::find()
        .order_by_asc(callmanager_group_members::Column::Priority)
        .all(db)
        .await
        .map_err(internal)?
        .into_iter()
        .fold(HashMap::new(), |mut map, m| {
            map.entry(m.group_id).or_insert(m.server_id);
            map
        });
    let mut out: HashMap<i32, Vec<i32>> = HashMap::new();
    for pool in device_pools::Entity::find()
        .all(db)
        .await
        .map_err(internal)?
    {
        if let Some(server) = primaries.get(&pool.callmanager_group_id) {
            out.entry(*server).or_default().push(pool.id);
        }
    }
    Ok(out)
}

async fn device_counts<C: ConnectionTrait>(db: &C) -> Result<HashMap<i32, u64>, AppError> {
    let per_pool: Vec<(i32, i64)> = devices::Entity::find()
        .select_only()
        .column(devices::Column::DevicePoolId)
        .column_as(Expr::col(devices::Column::Id).count(), "n")
        .group_by(devices::Column::DevicePoolId)
        .into_tuple()
        .all(db)
        .await
        .map_err(internal)?;
    let pools = pools_by_primary_server(db).await?;
    Ok(pools
        .into_iter()
        .map(|(server, pool_ids)| {
            let n = per_pool
                .iter()
                .filter(|(p, _)| pool_ids.contains(p))
                .map(|(_, n)| u64::try_from(*n).unwrap_or(0))
                .sum();
            (server, n)
        })
        .collect())
}

fn detail(row: servers::Model, devices: u64) -> ServerDetail {
    ServerDetail {
        fields: ServerFields {
            name: row.name,
            description: row.description,
            address: row.address,
            role: ServerRole::parse(&row.role).unwrap_or(ServerRole::Subscriber),
            ethernet_phone_port: row.ethernet_phone_port.into(),
            mgcp_listen_port: row.mgcp_listen_port.into(),
            mgcp_keep_alive_port: row.mgcp_keep_alive_port.into(),
            auto_registration: row.auto_registration,
        },
        guid: row.guid,
        version: row.version,
        devices,
    }
}

/// Every server with its registered devices, by name.
pub async fn list(
    state: &AppState,
    _grant: &Grant<area::System, Reads>,
) -> Result<Vec<ServerDetail>, AppError> {
    let counts = device_counts(&state.db).await?;
    Ok(servers::Entity::find()
        .order_by_asc(servers::Column::Name)
        .all(&state.db)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|s| {
            let n = counts.get(&s.id).copied().unwrap_or(0);
            detail(s, n)
        })
        .collect())
}

/// The server named `name`, or NotFound.
pub(crate) async fn find<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<servers::Model, AppError> {
    servers::Entity::find()
        .filter(servers::Column::Name.eq(name))
        .one(db)
        .await
        .map_err(internal)?
        .ok_or_else(|| AppError::NotFound(format!("Server {name}")))
}

/// One server.
pub async fn get(
    state: &AppState,
    _grant: &Grant<area::System, Reads>,
    name: &str,
) -> Result<ServerDetail, AppError> {
    let row = find(&state.db, name).await?;
    let n = device_counts(&state.db)
        .await?
        .get(&row.id)
        .copied()
        .unwrap_or(0);
    Ok(detail(row, n))
}

/// A new random (version 4) GUID for a server.
pub(crate) fn new_guid() -> String {
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = super::certificates::hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

async fn check<C: ConnectionTrait>(
    db: &C,
    f: &ServerFields,
    own_id: Option<i32>,
) -> Result<(), AppError> {
    validate_server(f)?;
    if let Some(reason) = r2_refusal(
        cluster::security_mode(db).await.map_err(internal)?,
        f.auto_registration,
    ) {
        return Err(AppError::invalid("Auto-registration", reason));
    }
    let same_name = servers::Entity::find()
        .filter(servers::Column::Name.eq(f.name.as_str()))
        .one(db)
        .await
        .map_err(internal)?;
    if same_name.is_some_and(|s| Some(s.id) != own_id) {
        return Err(AppError::invalid(
            "Cisco CallManager Name",
            format!("{} already exists", f.name),
        ));
    }
    if f.role == ServerRole::Publisher {
        let publisher = servers::Entity::find()
            .filter(servers::Column::Role.eq(ServerRole::Publisher.key()))
            .one(db)
            .await
            .map_err(internal)?;
        if let Some(p) = publisher.filter(|p| Some(p.id) != own_id) {
            return Err(AppError::invalid(
                "Role",
                format!("{} is already the publisher; a cluster has one", p.name),
            ));
        }
    }
    Ok(())
}

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

/// Adds a server. In a Mixed cluster the CTL file must then be updated (R17).
pub async fn create(
    state: &AppState,
    grant: &Grant<area::System, Writes>,
    fields: ServerFields,
) -> Result<ServerSaved, AppError> {
    let now = state.clock.now();
    let txn = state.db.begin().await.map_err(internal)?;
    check(&txn, &fields, None).await?;
    let mut active = servers::ActiveModel {
        guid: Set(new_guid()),
        version: Set(1),
        ..Default::default()
    };
    apply(&mut active, &fields);
    let row = active.insert(&txn).await.map_err(internal)?;
    let audit_id = audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Create,
            object_type: object::SERVER,
            object_name: &fields.name,
            before: None,
            after: Some(json!(fields)),
            detail: format!("Server {} added", fields.name),
        },
    )
    .await?;
    let mut required_actions = Vec::new();
    if cluster::security_mode(&txn).await.map_err(internal)? == ClusterSecurityMode::Mixed {
        required_actions = actions::record(
            &txn,
            now,
            &[RequiredAction::UpdateCtl],
            &format!("Server {} added to a Mixed cluster", fields.name),
            audit_id,
        )
        .await?;
    }
    txn.commit().await.map_err(internal)?;
    Ok(ServerSaved {
        server: detail(row, 0),
        required_actions,
    })
}

/// Updates a server read at `version`.
pub async fn update(
    state: &AppState,
    grant: &Grant<area::System, Writes>,
    name: &str,
    fields: ServerFields,
    version: i32,
) -> Result<ServerSaved, AppError> {
    let now = state.clock.now();
    let txn = state.db.begin().await.map_err(internal)?;
    let row = find(&txn, name).await?;
    if row.version != version {
        return Err(audit::conflict(&txn, object::SERVER, name).await);
    }
    check(&txn, &fields, Some(row.id)).await?;
    let before = detail(row.clone(), 0);
    let mut active: servers::ActiveModel = row.into();
    apply(&mut active, &fields);
    let Some(row) = versioned::update(&txn, active, version)
        .await
        .map_err(internal)?
    else {
        return Err(audit::conflict(&txn, object::SERVER, name).await);
    };
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Update,
            object_type: object::SERVER,
            object_name: name,
            before: Some(json!(before.fields)),
            after: Some(json!(fields)),
            detail: format!("Server {name} updated"),
        },
    )
    .await?;
    txn.commit().await.map_err(internal)?;
    let n = device_counts(&state.db)
        .await?
        .get(&row.id)
        .copied()
        .unwrap_or(0);
    Ok(ServerSaved {
        server: detail(row, n),
        required_actions: Vec::new(),
    })
}

/// Deletes a server read at `version`; refused while a CallManager group lists it.
pub async fn delete(
    state: &AppState,
    grant: &Grant<area::System, Writes>,
    name: &str,
    version: Option<i32>,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let txn = state.db.begin().await.map_err(internal)?;
    // Serialised with the group changes, so no group takes the server while it goes.
    locks::topology(&txn).await.map_err(internal)?;
    let row = find(&txn, name).await?;
    if version.is_some_and(|v| v != row.version) {
        return Err(audit::conflict(&txn, object::SERVER, name).await);
    }
    let groups = callmanager_group_members::Entity::find()
        .filter(callmanager_group_members::Column::ServerId.eq(row.id))
        .count(&txn)
        .await
        .map_err(internal)?;
    if groups > 0 {
        return Err(AppError::InUse(format!(
            "Server {name} is a member of {groups} CallManager group(s); remove it from them first."
        )));
    }
    if !versioned::delete::<servers::Entity, _>(&txn, servers::Column::Id.eq(row.id), version)
        .await
        .map_err(internal)?
    {
        return Err(audit::conflict(&txn, object::SERVER, name).await);
    }
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Delete,
            object_type: object::SERVER,
            object_name: name,
            before: Some(json!({ "address": row.address })),
            after: None,
            detail: format!("Server {name} deleted"),
        },
    )
    .await?;
    txn.commit().await.map_err(internal)
}
