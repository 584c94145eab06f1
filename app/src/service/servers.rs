//! System > Cisco CallManager: servers with the devices registered to each, their configuration
//! (R2: auto-registration never on in Mixed mode; R17: a server added to a Mixed cluster requires
//! updating the CTL file).

use std::collections::HashMap;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;

use super::audit::{self, Event};
use super::authz::{area, Grant, Reads, Writes};
use super::errors::internal;
use super::AppState;
use crate::domain::actions::RequiredAction;
use crate::domain::audit::{object, AuditAction};
use crate::domain::security::ClusterSecurityMode;
use crate::domain::servers::{r2_refusal, validate_server, ServerFields};
use crate::domain::services::ServerRole;
use crate::error::AppError;
use crate::model::system::{ServerDetail, ServerSaved};
use crate::store::actions;
use crate::store::entities::servers;
use crate::store::servers as store;
use crate::store::{cluster, locks, topology};

async fn device_counts<C: ConnectionTrait>(db: &C) -> Result<HashMap<i32, u64>, AppError> {
    let per_pool = topology::devices_per_pool(db).await?;
    let pools = topology::pools_by_primary_server(db).await?;
    Ok(pools
        .into_iter()
        .map(|(server, pool_ids)| {
            let n = pool_ids.iter().filter_map(|p| per_pool.get(p)).sum();
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
    Ok(store::all(&state.db)
        .await?
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
    store::by_name(db, name)
        .await?
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
    let hex = crate::domain::hex::lower(&b);
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
    if let Some(reason) = r2_refusal(cluster::security_mode(db).await?, f.auto_registration) {
        return Err(AppError::invalid("Auto-registration", reason));
    }
    let same_name = store::by_name(db, &f.name).await?;
    if same_name.is_some_and(|s| Some(s.id) != own_id) {
        return Err(AppError::invalid(
            "Cisco CallManager Name",
            format!("{} already exists", f.name),
        ));
    }
    if f.role == ServerRole::Publisher {
        let publisher = store::publisher(db).await?;
        if let Some(p) = publisher.filter(|p| Some(p.id) != own_id) {
            return Err(AppError::invalid(
                "Role",
                format!("{} is already the publisher; a cluster has one", p.name),
            ));
        }
    }
    Ok(())
}

/// Adds a server. In a Mixed cluster the CTL file must then be updated (R17).
pub async fn create(
    state: &AppState,
    grant: &Grant<area::System, Writes>,
    fields: ServerFields,
) -> Result<ServerSaved, AppError> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    check(&txn, &fields, None).await?;
    let row = store::insert(&txn, &fields, new_guid()).await?;
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
    if cluster::security_mode(&txn).await? == ClusterSecurityMode::Mixed {
        required_actions = actions::record(
            &txn,
            now,
            &[RequiredAction::UpdateCtl],
            &format!("Server {} added to a Mixed cluster", fields.name),
            audit_id,
        )
        .await?;
    }
    txn.commit().await?;
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
    let txn = state.db.begin().await?;
    let row = find(&txn, name).await?;
    if row.version != version {
        return Err(audit::conflict(&txn, object::SERVER, name).await);
    }
    check(&txn, &fields, Some(row.id)).await?;
    let before = detail(row.clone(), 0);
    let Some(row) = store::update(&txn, row, &fields, version).await? else {
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
    txn.commit().await?;
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
    let txn = state.db.begin().await?;
    // Serialised with the group changes, so no group takes the server while it goes.
    locks::topology(&txn).await?;
    let row = find(&txn, name).await?;
    if version.is_some_and(|v| v != row.version) {
        return Err(audit::conflict(&txn, object::SERVER, name).await);
    }
    let groups = store::group_count(&txn, row.id).await?;
    if groups > 0 {
        return Err(AppError::InUse(format!(
            "Server {name} is a member of {groups} CallManager group(s); remove it from them first."
        )));
    }
    if !store::delete(&txn, row.id, version).await? {
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
