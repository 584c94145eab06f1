//! System > Device Pool: the CallManager group, region and SRST choice its devices share. A pool
//! in use by devices cannot be deleted; a change of what its devices get requires their reset
//! (R10), and their configuration files follow (the pipeline reacts to the audit row).
//! Also System > Region's companion data: what the pool form offers to choose from.

use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;

use super::audit::{self, Event};
use super::authz::{area, Grant, Reads, Writes};
use super::AppState;
use crate::domain::audit::{object, AuditAction};
use crate::domain::pools::{validate_pool, PoolFields, SrstChoice};
use crate::error::AppError;
use crate::model::system::{PoolChoices, PoolDetail, PoolSaved};
use crate::store::actions;
use crate::store::entities::{callmanager_groups, device_pools, regions};
use crate::store::topology::PoolValues;
use crate::store::{cluster, locks, topology};

/// The names a pool row refers to.
struct Names {
    groups: Vec<callmanager_groups::Model>,
    regions: Vec<regions::Model>,
    srst: Vec<(i32, String)>,
}

impl Names {
    async fn load<C: ConnectionTrait>(db: &C) -> Result<Self, AppError> {
        Ok(Self {
            groups: topology::groups(db).await?,
            regions: topology::regions(db).await?,
            srst: topology::srst_names(db).await?,
        })
    }

    fn fields(&self, row: &device_pools::Model) -> PoolFields {
        let srst = match row.srst_option.as_str() {
            "default_gateway" => SrstChoice::UseDefaultGateway,
            "reference" => SrstChoice::Reference(
                self.srst
                    .iter()
                    .find(|(id, _)| Some(*id) == row.srst_reference_id)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default(),
            ),
            _ => SrstChoice::Disable,
        };
        PoolFields {
            name: row.name.clone(),
            callmanager_group: self
                .groups
                .iter()
                .find(|g| g.id == row.callmanager_group_id)
                .map(|g| g.name.clone())
                .unwrap_or_default(),
            region: self
                .regions
                .iter()
                .find(|r| r.id == row.region_id)
                .map(|r| r.name.clone())
                .unwrap_or_default(),
            srst,
        }
    }

    /// The ids `f` names: (group, region, SRST reference).
    fn ids(&self, f: &PoolFields) -> Result<(i32, i32, Option<i32>), AppError> {
        let group = self
            .groups
            .iter()
            .find(|g| g.name == f.callmanager_group)
            .ok_or_else(|| {
                AppError::invalid(
                    "Cisco CallManager Group",
                    format!("{:?} is not a CallManager group", f.callmanager_group),
                )
            })?;
        let region = self
            .regions
            .iter()
            .find(|r| r.name == f.region)
            .ok_or_else(|| {
                AppError::invalid("Region", format!("{:?} is not a region", f.region))
            })?;
        let srst = match &f.srst {
            SrstChoice::Reference(name) => Some(
                self.srst
                    .iter()
                    .find(|(_, n)| n == name)
                    .map(|(id, _)| *id)
                    .ok_or_else(|| {
                        AppError::invalid(
                            "SRST Reference",
                            format!("{name:?} is not an SRST reference"),
                        )
                    })?,
            ),
            _ => None,
        };
        Ok((group.id, region.id, srst))
    }
}

async fn find<C: ConnectionTrait>(db: &C, name: &str) -> Result<device_pools::Model, AppError> {
    topology::pool(db, name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Device pool {name}")))
}

async fn detail<C: ConnectionTrait>(
    db: &C,
    names: &Names,
    row: &device_pools::Model,
) -> Result<PoolDetail, AppError> {
    let devices = topology::devices_in_pool(db, row.id).await?;
    Ok(PoolDetail {
        fields: names.fields(row),
        version: row.version,
        devices,
    })
}

/// Every device pool with its group and SRST choice, by name (the short list of
/// `GET /api/v1/device-pools`).
pub async fn summaries(
    state: &AppState,
    _grant: &Grant<area::System, Reads>,
) -> Result<Vec<crate::model::PoolInfo>, AppError> {
    Ok(cluster::pools(&state.db).await?)
}

/// Every pool with its device count, by name.
pub async fn list(
    state: &AppState,
    _grant: &Grant<area::System, Reads>,
) -> Result<Vec<PoolDetail>, AppError> {
    let names = Names::load(&state.db).await?;
    let counts = topology::devices_per_pool(&state.db).await?;
    Ok(cluster::pool_rows(&state.db)
        .await?
        .iter()
        .map(|p| PoolDetail {
            fields: names.fields(p),
            version: p.version,
            devices: counts.get(&p.id).copied().unwrap_or(0),
        })
        .collect())
}

/// One pool.
pub async fn get(
    state: &AppState,
    _grant: &Grant<area::System, Reads>,
    name: &str,
) -> Result<PoolDetail, AppError> {
    let names = Names::load(&state.db).await?;
    let row = find(&state.db, name).await?;
    detail(&state.db, &names, &row).await
}

/// What the group and pool forms offer.
pub async fn choices(
    state: &AppState,
    _grant: &Grant<area::System, Reads>,
) -> Result<PoolChoices, AppError> {
    let names = Names::load(&state.db).await?;
    Ok(PoolChoices {
        servers: topology::server_names(&state.db).await?,
        groups: names.groups.into_iter().map(|g| g.name).collect(),
        regions: names.regions.into_iter().map(|r| r.name).collect(),
        srst_references: names.srst.into_iter().map(|(_, n)| n).collect(),
    })
}

/// The columns a save of `f` writes, with the ids it names (group, region, SRST reference).
fn values(f: &PoolFields, ids: (i32, i32, Option<i32>)) -> PoolValues<'_> {
    PoolValues {
        name: &f.name,
        callmanager_group_id: ids.0,
        region_id: ids.1,
        srst_option: f.srst.key(),
        srst_reference_id: ids.2,
    }
}

async fn name_free<C: ConnectionTrait>(
    db: &C,
    name: &str,
    own_id: Option<i32>,
) -> Result<(), AppError> {
    match topology::pool(db, name).await? {
        Some(other) if Some(other.id) != own_id => Err(AppError::invalid(
            "Device Pool Name",
            format!("{name} already exists"),
        )),
        _ => Ok(()),
    }
}

/// Adds a pool (Copy is an add with the fields of another pool).
pub async fn create(
    state: &AppState,
    grant: &Grant<area::System, Writes>,
    fields: PoolFields,
) -> Result<PoolSaved, AppError> {
    validate_pool(&fields)?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    locks::topology(&txn).await?;
    let names = Names::load(&txn).await?;
    let ids = names.ids(&fields)?;
    name_free(&txn, &fields.name, None).await?;
    let row = topology::insert_pool(&txn, &values(&fields, ids)).await?;
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Create,
            object_type: object::DEVICE_POOL,
            object_name: &fields.name,
            before: None,
            after: Some(json!(fields)),
            detail: format!("Device pool {} added", fields.name),
        },
    )
    .await?;
    let pool = detail(&txn, &names, &row).await?;
    txn.commit().await?;
    state.reference.invalidate();
    Ok(PoolSaved {
        pool,
        required_actions: Vec::new(),
    })
}

/// Updates a pool read at `version`. A change of its group, region or SRST choice requires a
/// reset of its devices (R10).
pub async fn update(
    state: &AppState,
    grant: &Grant<area::System, Writes>,
    name: &str,
    fields: PoolFields,
    version: i32,
) -> Result<PoolSaved, AppError> {
    validate_pool(&fields)?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    locks::topology(&txn).await?;
    let names = Names::load(&txn).await?;
    let row = find(&txn, name).await?;
    let ids = names.ids(&fields)?;
    name_free(&txn, &fields.name, Some(row.id)).await?;
    let before = names.fields(&row);
    let saved = topology::update_pool(&txn, row, &values(&fields, ids), version).await?;
    let Some(row) = saved else {
        return Err(audit::conflict(&txn, object::DEVICE_POOL, name).await);
    };
    let audit_id = audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Update,
            object_type: object::DEVICE_POOL,
            object_name: name,
            before: Some(json!(before)),
            after: Some(json!(fields)),
            detail: format!("Device pool {name} updated"),
        },
    )
    .await?;
    let pool = detail(&txn, &names, &row).await?;
    let mut required_actions = Vec::new();
    let devices_see_it = before.callmanager_group != fields.callmanager_group
        || before.region != fields.region
        || before.srst != fields.srst;
    if devices_see_it && pool.devices > 0 {
        let reason = format!("Device pool {name} changed");
        actions::record_pool_resets(&txn, now, &[row.id], &reason, audit_id).await?;
        required_actions.push(format!(
            "Reset the {} devices of device pool {} (R10)",
            pool.devices, fields.name
        ));
    }
    txn.commit().await?;
    state.reference.invalidate();
    Ok(PoolSaved {
        pool,
        required_actions,
    })
}

/// Deletes a pool read at `version`; refused while devices are in it.
pub async fn delete(
    state: &AppState,
    grant: &Grant<area::System, Writes>,
    name: &str,
    version: Option<i32>,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    locks::topology(&txn).await?;
    let names = Names::load(&txn).await?;
    let row = find(&txn, name).await?;
    let pool = detail(&txn, &names, &row).await?;
    if pool.devices > 0 {
        return Err(AppError::InUse(format!(
            "Device pool {name} has {} devices; move them to another pool first.",
            pool.devices
        )));
    }
    if !topology::delete_pool(&txn, row.id, version).await? {
        return Err(audit::conflict(&txn, object::DEVICE_POOL, name).await);
    }
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Delete,
            object_type: object::DEVICE_POOL,
            object_name: name,
            before: Some(json!(pool.fields)),
            after: None,
            detail: format!("Device pool {name} deleted"),
        },
    )
    .await?;
    txn.commit().await?;
    state.reference.invalidate();
    Ok(())
}
