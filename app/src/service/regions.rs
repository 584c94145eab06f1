//! System > Region: the audio codec between the devices of a region's pools (R6 concerns the
//! wideband ones). The `Default` region exists after installation; a region a pool is in cannot
//! be deleted.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, Set, TransactionTrait};
use serde_json::json;

use super::audit::{self, Event};
use super::authz::{area, Grant, Reads, Writes};
use super::state::internal;
use super::AppState;
use crate::domain::audit::{object, AuditAction};
use crate::domain::pools::{validate_region, AudioCodec, RegionFields, DEFAULT_NAME};
use crate::error::AppError;
use crate::model::system::RegionDetail;
use crate::store::entities::regions;
use crate::store::{locks, topology, versioned};

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
        pools: topology::pools_of_region(db, row.id)
            .await
            .map_err(internal)?,
    })
}

async fn find<C: ConnectionTrait>(db: &C, name: &str) -> Result<regions::Model, AppError> {
    topology::region(db, name)
        .await
        .map_err(internal)?
        .ok_or_else(|| AppError::NotFound(format!("Region {name}")))
}

async fn name_free<C: ConnectionTrait>(
    db: &C,
    name: &str,
    own_id: Option<i32>,
) -> Result<(), AppError> {
    match topology::region(db, name).await.map_err(internal)? {
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
    let pools = crate::store::cluster::pool_rows(&state.db)
        .await
        .map_err(internal)?;
    Ok(topology::regions(&state.db)
        .await
        .map_err(internal)?
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
    let txn = state.db.begin().await.map_err(internal)?;
    locks::topology(&txn).await.map_err(internal)?;
    name_free(&txn, &f.name, None).await?;
    let row = regions::ActiveModel {
        name: Set(f.name.clone()),
        audio_codec: Set(f.audio_codec.label().to_owned()),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(internal)?;
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
    txn.commit().await.map_err(internal)?;
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
    let txn = state.db.begin().await.map_err(internal)?;
    locks::topology(&txn).await.map_err(internal)?;
    let row = find(&txn, name).await?;
    if row.name == DEFAULT_NAME && f.name != DEFAULT_NAME {
        return Err(AppError::invalid(
            "Region Name",
            "the Default region keeps its name (new device pools start in it)",
        ));
    }
    name_free(&txn, &f.name, Some(row.id)).await?;
    let before = fields(&row);
    let mut active: regions::ActiveModel = row.into();
    active.name = Set(f.name.clone());
    active.audio_codec = Set(f.audio_codec.label().to_owned());
    let Some(row) = versioned::update(&txn, active, version)
        .await
        .map_err(internal)?
    else {
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
    txn.commit().await.map_err(internal)?;
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
    let txn = state.db.begin().await.map_err(internal)?;
    locks::topology(&txn).await.map_err(internal)?;
    let row = find(&txn, name).await?;
    if row.name == DEFAULT_NAME {
        return Err(AppError::InUse(
            "The Default region cannot be deleted: new device pools start in it.".to_owned(),
        ));
    }
    let pools = topology::pools_of_region(&txn, row.id)
        .await
        .map_err(internal)?;
    if !pools.is_empty() {
        return Err(AppError::InUse(format!(
            "Region {name} is the region of device pool(s) {}; give them another region first.",
            pools.join(", ")
        )));
    }
    if !versioned::delete::<regions::Entity, _>(&txn, regions::Column::Id.eq(row.id), version)
        .await
        .map_err(internal)?
    {
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
