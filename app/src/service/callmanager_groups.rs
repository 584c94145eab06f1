//! System > Cisco CallManager Group: ordered lists of up to three servers that a device pool's
//! devices register to (the first reachable one). A group used by device pools cannot be deleted;
//! a change of its servers requires a reset of the devices of those pools (R10), and their
//! configuration files follow (the pipeline reacts to the audit row).

use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;

use super::audit::{self, Event};
use super::authz::{area, Grant, Reads, Writes};
use super::AppState;
use crate::domain::audit::{object, AuditAction};
use crate::domain::pools::{validate_group, GroupFields};
use crate::error::AppError;
use crate::model::system::{GroupDetail, GroupSaved};
use crate::store::actions;
use crate::store::entities::callmanager_groups;
use crate::store::{locks, topology};

async fn detail<C: ConnectionTrait>(
    db: &C,
    row: callmanager_groups::Model,
) -> Result<GroupDetail, AppError> {
    let members = topology::members(db).await?;
    let pools = topology::pools_of_group(db, row.id).await?;
    Ok(GroupDetail {
        fields: GroupFields {
            members: members.get(&row.id).cloned().unwrap_or_default(),
            name: row.name,
            auto_registration: row.auto_registration,
        },
        version: row.version,
        pools: pools.into_iter().map(|p| p.name).collect(),
    })
}

async fn find<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<callmanager_groups::Model, AppError> {
    topology::group(db, name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("CallManager group {name}")))
}

/// Every group with its servers and the pools that use it, by name.
pub async fn list(
    state: &AppState,
    _grant: &Grant<area::System, Reads>,
) -> Result<Vec<GroupDetail>, AppError> {
    let members = topology::members(&state.db).await?;
    let pools = crate::store::cluster::pool_rows(&state.db).await?;
    Ok(topology::groups(&state.db)
        .await?
        .into_iter()
        .map(|g| GroupDetail {
            pools: pools
                .iter()
                .filter(|p| p.callmanager_group_id == g.id)
                .map(|p| p.name.clone())
                .collect(),
            fields: GroupFields {
                members: members.get(&g.id).cloned().unwrap_or_default(),
                name: g.name,
                auto_registration: g.auto_registration,
            },
            version: g.version,
        })
        .collect())
}

/// One group.
pub async fn get(
    state: &AppState,
    _grant: &Grant<area::System, Reads>,
    name: &str,
) -> Result<GroupDetail, AppError> {
    let row = find(&state.db, name).await?;
    detail(&state.db, row).await
}

/// Checks `f` against the store: its servers exist, its name is free, and no other group is the
/// auto-registration group. Returns the servers' ids in order.
async fn check<C: ConnectionTrait>(
    db: &C,
    f: &GroupFields,
    own_id: Option<i32>,
) -> Result<Vec<i32>, AppError> {
    validate_group(f)?;
    if let Some(other) = topology::group(db, &f.name).await? {
        if Some(other.id) != own_id {
            return Err(AppError::invalid(
                "Cisco CallManager Group Name",
                format!("{} already exists", f.name),
            ));
        }
    }
    if f.auto_registration {
        let holder = topology::groups(db)
            .await?
            .into_iter()
            .find(|g| g.auto_registration && Some(g.id) != own_id);
        if let Some(holder) = holder {
            return Err(AppError::invalid(
                "Auto-registration Cisco CallManager Group",
                format!(
                    "{} is the auto-registration group; clear it there first",
                    holder.name
                ),
            ));
        }
    }
    topology::server_ids(db, &f.members)
        .await?
        .map_err(|missing| {
            AppError::invalid(
                "Selected Cisco CallManagers",
                format!("{missing:?} is not a server"),
            )
        })
}

/// Adds a group.
pub async fn create(
    state: &AppState,
    grant: &Grant<area::System, Writes>,
    fields: GroupFields,
) -> Result<GroupSaved, AppError> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    locks::topology(&txn).await?;
    let server_ids = check(&txn, &fields, None).await?;
    let row = topology::insert_group(&txn, &fields.name, fields.auto_registration).await?;
    topology::set_members(&txn, row.id, &server_ids).await?;
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Create,
            object_type: object::CALLMANAGER_GROUP,
            object_name: &fields.name,
            before: None,
            after: Some(json!(fields)),
            detail: format!("CallManager group {} added", fields.name),
        },
    )
    .await?;
    let group = detail(&txn, row).await?;
    txn.commit().await?;
    state.reference.invalidate();
    Ok(GroupSaved {
        group,
        required_actions: Vec::new(),
    })
}

/// Updates a group read at `version`. A change of its servers or their order requires a reset
/// of every device of the pools that use it (R10).
pub async fn update(
    state: &AppState,
    grant: &Grant<area::System, Writes>,
    name: &str,
    fields: GroupFields,
    version: i32,
) -> Result<GroupSaved, AppError> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    locks::topology(&txn).await?;
    let row = find(&txn, name).await?;
    let server_ids = check(&txn, &fields, Some(row.id)).await?;
    let before = detail(&txn, row.clone()).await?;
    let saved =
        topology::update_group(&txn, row, &fields.name, fields.auto_registration, version).await?;
    let Some(row) = saved else {
        return Err(audit::conflict(&txn, object::CALLMANAGER_GROUP, name).await);
    };
    let members_changed = before.fields.members != fields.members;
    if members_changed {
        topology::set_members(&txn, row.id, &server_ids).await?;
    }
    let audit_id = audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Update,
            object_type: object::CALLMANAGER_GROUP,
            object_name: name,
            before: Some(json!(before.fields)),
            after: Some(json!(fields)),
            detail: format!("CallManager group {name} updated"),
        },
    )
    .await?;
    let mut required_actions = Vec::new();
    if members_changed && !before.pools.is_empty() {
        let pool_ids: Vec<i32> = topology::pools_of_group(&txn, row.id)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        let reason = format!("Servers of CallManager group {name} changed");
        actions::record_pool_resets(&txn, now, &pool_ids, &reason, audit_id).await?;
        required_actions.push(format!(
            "Reset the devices of device pool(s) {} (R10)",
            before.pools.join(", ")
        ));
    }
    let group = detail(&txn, row).await?;
    txn.commit().await?;
    state.reference.invalidate();
    Ok(GroupSaved {
        group,
        required_actions,
    })
}

/// Deletes a group read at `version`; refused while device pools use it (they are named).
pub async fn delete(
    state: &AppState,
    grant: &Grant<area::System, Writes>,
    name: &str,
    version: Option<i32>,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    locks::topology(&txn).await?;
    let row = find(&txn, name).await?;
    let pools = topology::pools_of_group(&txn, row.id).await?;
    if !pools.is_empty() {
        let names: Vec<String> = pools.into_iter().map(|p| p.name).collect();
        return Err(AppError::InUse(format!(
            "CallManager group {name} is used by device pool(s) {}; give them another group first.",
            names.join(", ")
        )));
    }
    let before = detail(&txn, row.clone()).await?;
    topology::set_members(&txn, row.id, &[]).await?;
    if !topology::delete_group(&txn, row.id, version).await? {
        return Err(audit::conflict(&txn, object::CALLMANAGER_GROUP, name).await);
    }
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Delete,
            object_type: object::CALLMANAGER_GROUP,
            object_name: name,
            before: Some(json!(before.fields)),
            after: None,
            detail: format!("CallManager group {name} deleted"),
        },
    )
    .await?;
    txn.commit().await?;
    state.reference.invalidate();
    Ok(())
}
