//! System > Region: the audio codec between the devices of a region's pools (R6 concerns the
//! wideband ones). The `Default` region exists after installation; a region a pool is in cannot
//! be deleted.

use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;

use super::audit::{self, Event};
use super::authz::{area, Grant, Reads, Writes};
use super::errors::internal;
use super::AppState;
use crate::domain::audit::{object, AuditAction};
use crate::domain::pools::{validate_region, AudioCodec, RegionFields, DEFAULT_NAME};
use crate::error::AppError;
use crate::model::system::RegionDetail;
use crate::store::entities::regions;
use crate::store::{locks, topology};

fn fields(row: &regions::Model) -> RegionFields {
    RegionFields {
        name: row.name.clone(),
        audio_codec: AudioCodec::parse(&row.audio_codec).unwrap_or(AudioCodec::G711),
    }
}

async fn detail<C: ConnectionTrait>(
    db: &C,
    row: &regions::Model,
) -> Result<RegionDetail, AppError> {
    Ok(RegionDetail {
        fields: fields(row),
        version: row.version,
        pools: topology::pools_of_region(db, row.id).await?,
    })
}

async fn find<C: ConnectionTrait>(db: &C, name: &str) -> Result<regions::Model, AppError> {
    topology::region(db, name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Region {name}")))
}

async fn name_free<C: ConnectionTrait>(
    db: &C,
    name: &str,
    own_id: Option<i32>,
) -> Result<(), AppError> {
    match topology::region(db, name).await? {
        Some(other) if Some(other.id) != own_id => Err(AppError::invalid(
            "Region Name",
            format!("{name} already exists"),
        )),
        _ => Ok(()),
    }
}

/// Every region with its pools, by name.
pub async fn list(
    state: &AppState,
    _grant: &Grant<area::System, Reads>,
) -> Result<Vec<RegionDetail>, AppError> {
    let pools = crate::store::cluster::pool_rows(&state.db).await?;
    Ok(topology::regions(&state.db)
        .await?
        .iter()
        .map(|row| RegionDetail {
            fields: fields(row),
            version: row.version,
            pools: pools
                .iter()
                .filter(|p| p.region_id == row.id)
                .map(|p| p.name.clone())
                .collect(),
        })
        .collect())
}

/// One region.
pub async fn get(
    state: &AppState,
    _grant: &Grant<area::System, Reads>,
    name: &str,
) -> Result<RegionDetail, AppError> {
    let row = find(&state.db, name).await?;
    detail(&state.db, &row).await
}

/// Adds a region.
pub async fn create(
    state: &AppState,
    grant: &Grant<area::System, Writes>,
    f: RegionFields,
) -> Result<RegionDetail, AppError> {
    validate_region(&f)?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    locks::topology(&txn).await?;
    name_free(&txn, &f.name, None).await?;
    let row = topology::insert_region(&txn, &f.name, f.audio_codec).await?;
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Create,
            object_type: object::REGION,
            object_name: &f.name,
            before: None,
            after: Some(json!(f)),
            detail: format!("Region {} added", f.name),
        },
    )
    .await?;
    let out = detail(&txn, &row).await?;
    txn.commit().await?;
    Ok(out)
}

/// Updates a region read at `version`.
pub async fn update(
    state: &AppState,
    grant: &Grant<area::System, Writes>,
    name: &str,
    f: RegionFields,
    version: i32,
) -> Result<RegionDetail, AppError> {
    validate_region(&f)?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    locks::topology(&txn).await?;
    let row = find(&txn, name).await?;
    if row.name == DEFAULT_NAME && f.name != DEFAULT_NAME {
        return Err(AppError::invalid(
            "Region Name",
            "the Default region keeps its name (new device pools start in it)",
        ));
    }
    name_free(&txn, &f.name, Some(row.id)).await?;
    let before = fields(&row);
    let saved = topology::update_region(&txn, row, &f.name, f.audio_codec, version).await?;
    let Some(row) = saved else {
        return Err(audit::conflict(&txn, object::REGION, name).await);
    };
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Update,
            object_type: object::REGION,
            object_name: name,
            before: Some(json!(before)),
            after: Some(json!(f)),
            detail: format!("Region {name} updated"),
        },
    )
    .await?;
    let out = detail(&txn, &row).await?;
    txn.commit().await?;
    state.reference.invalidate();
    Ok(out)
}

/// Deletes a region read at `version`; refused while a pool is in it.
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
    if row.name == DEFAULT_NAME {
        return Err(AppError::InUse(
            "The Default region cannot be deleted: new device pools start in it.".to_owned(),
        ));
    }
    let pools = topology::pools_of_region(&txn, row.id).await?;
    if !pools.is_empty() {
        return Err(AppError::InUse(format!(
            "Region {name} is the region of device pool(s) {}; give them another region first.",
            pools.join(", ")
        )));
    }
    if !topology::delete_region(&txn, row.id, version).await? {
        return Err(audit::conflict(&txn, object::REGION, name).await);
    }
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Delete,
            object_type: object::REGION,
            object_name: name,
            before: Some(json!(fields(&row))),
            after: None,
            detail: format!("Region {name} deleted"),
        },
    )
    .await?;
    txn.commit().await.map_err(internal)
}
