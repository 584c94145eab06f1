//! Enterprise parameters (System): reading them, and setting the ones the console knows.

use sea_orm::{ActiveModelTrait, Set, TransactionTrait};
use serde::{Deserialize, Serialize};

use super::audit::{self, Event};
use super::authz::{area, Grant, Reads, Writes};
use super::state::internal;
use super::{guard, AppState};
use crate::domain::access::{OverlapPolicy, OVERLAP_POLICY_PARAMETER};
use crate::domain::audit::{object, AuditAction};
use crate::error::AppError;
use crate::store::entities::enterprise_parameters;
use crate::store::parameters;

/// An enterprise parameter as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParameterInfo {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: String,
    /// Optimistic-concurrency version.
    pub version: i32,
}

/// A change of one parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterChange {
    /// The new value.
    pub value: String,
    /// The version read; a stale one is refused.
    #[serde(default)]
    pub version: Option<i32>,
}

fn to_info(row: enterprise_parameters::Model) -> ParameterInfo {
    ParameterInfo {
        name: row.name,
        value: row.value,
        version: row.version,
    }
}

/// Every enterprise parameter.
pub async fn list(
    state: &AppState,
    _grant: &Grant<area::System, Reads>,
) -> Result<Vec<ParameterInfo>, AppError> {
    Ok(parameters::all(&state.db)
        .await
        .map_err(internal)?
        .into_iter()
        .map(to_info)
        .collect())
}

fn validate(name: &str, value: &str) -> Result<(), AppError> {
    match name {
        OVERLAP_POLICY_PARAMETER => OverlapPolicy::from_name(value)
            .map(|_| ())
            .ok_or_else(|| AppError::invalid(name, "must be Maximum or Minimum")),
        _ => Err(AppError::NotFound(format!("Enterprise parameter {name}"))),
    }
}

/// Sets one parameter.
pub async fn set(
    state: &AppState,
    grant: &Grant<area::System, Writes>,
    name: &str,
    change: ParameterChange,
) -> Result<ParameterInfo, AppError> {
    validate(name, &change.value)?;
    let now = state.clock.now();
    let txn = state.db.begin().await.map_err(internal)?;
    let row = parameters::find(&txn, name)
        .await
        .map_err(internal)?
        .ok_or_else(|| AppError::NotFound(format!("Enterprise parameter {name}")))?;
    if change.version.is_some_and(|v| v != row.version) {
        return Err(audit::conflict(&txn, object::ENTERPRISE_PARAMETER, name).await);
    }
    let before = row.value.clone();
    let version = row.version + 1;
    let mut active: enterprise_parameters::ActiveModel = row.into();
    active.value = Set(change.value.clone());
    active.version = Set(version);
    active.updated_at = Set(now);
    let updated = active.update(&txn).await.map_err(internal)?;
    guard::super_user_keeps_control(&txn, name).await?;
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Update,
            object_type: object::ENTERPRISE_PARAMETER,
            object_name: name,
            before: Some(serde_json::json!({ "value": before })),
            after: Some(serde_json::json!({ "value": change.value })),
            detail: format!("{name} set to {}", change.value),
        },
    )
    .await?;
    txn.commit().await.map_err(internal)?;
    state.reference.invalidate();
    Ok(to_info(updated))
}
