//! Phone templates of Bulk Administration: a model, protocol, device pool, security mode, Built
//! In Bridge and hardening that an import row naming the template takes for its empty cells.

use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;

use super::audit::{self, Event};
use super::authz::{area, Grant, Reads, Writes};
use super::errors::internal;
use super::phones::facts;
use super::AppState;
use crate::domain::audit::{object, AuditAction};
use crate::domain::net::record_name;
use crate::error::AppError;
use crate::model::imports::{TemplateFields, TemplateInfo};
use crate::store::entities::phone_templates;
use crate::store::templates;

fn info(row: &phone_templates::Model) -> Result<TemplateInfo, AppError> {
    Ok(TemplateInfo {
        fields: serde_json::from_str(&row.defaults).map_err(internal)?,
        version: row.version,
    })
}

/// Every template, by name.
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<TemplateInfo>, AppError> {
    templates::all(db).await?.iter().map(info).collect()
}

async fn find<C: ConnectionTrait>(db: &C, name: &str) -> Result<phone_templates::Model, AppError> {
    templates::find(db, name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Phone template {name}")))
}

/// Every template.
pub async fn list(
    state: &AppState,
    _grant: &Grant<area::Phone, Reads>,
) -> Result<Vec<TemplateInfo>, AppError> {
    all(&state.db).await
}

/// Checks a template against the models and pools: its model exists, speaks its protocol and
/// supports its security mode (R7), and its pool exists.
async fn check(state: &AppState, f: &TemplateFields) -> Result<(), AppError> {
    record_name("Template Name", &f.name, 50)?;
    let facts = facts(state).await?;
    let mut probe =
        crate::domain::device::PhoneFields::new("SEP000000000000", &f.model, &f.device_pool);
    probe.protocol = f.protocol;
    probe.security_mode = f.security_mode;
    probe.built_in_bridge = f.built_in_bridge;
    probe.hardening = f.hardening;
    facts.check(&probe)?;
    Ok(())
}

/// Adds a template.
pub async fn create(
    state: &AppState,
    grant: &Grant<area::Phone, Writes>,
    fields: TemplateFields,
) -> Result<TemplateInfo, AppError> {
    check(state, &fields).await?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let defaults = serde_json::to_string(&fields).map_err(internal)?;
    if !templates::insert_new(&txn, &fields.name, defaults).await? {
        return Err(AppError::invalid(
            "Template Name",
            format!("{} already exists", fields.name),
        ));
    }
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Create,
            object_type: object::PHONE_TEMPLATE,
            object_name: &fields.name,
            before: None,
            after: Some(json!(fields)),
            detail: format!("Phone template {} added", fields.name),
        },
    )
    .await?;
    let row = find(&txn, &fields.name).await?;
    txn.commit().await?;
    info(&row)
}

/// Updates a template read at `version`.
pub async fn update(
    state: &AppState,
    grant: &Grant<area::Phone, Writes>,
    name: &str,
    fields: TemplateFields,
    version: i32,
) -> Result<TemplateInfo, AppError> {
    check(state, &fields).await?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let row = find(&txn, name).await?;
    if fields.name != name && templates::find(&txn, &fields.name).await?.is_some() {
        return Err(AppError::invalid(
            "Template Name",
            format!("{} already exists", fields.name),
        ));
    }
    let before = info(&row)?;
    let defaults = serde_json::to_string(&fields).map_err(internal)?;
    let Some(row) = templates::update(&txn, row, &fields.name, defaults, version).await? else {
        return Err(audit::conflict(&txn, object::PHONE_TEMPLATE, name).await);
    };
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Update,
            object_type: object::PHONE_TEMPLATE,
            object_name: name,
            before: Some(json!(before.fields)),
            after: Some(json!(fields)),
            detail: format!("Phone template {name} updated"),
        },
    )
    .await?;
    txn.commit().await?;
    info(&row)
}

/// Deletes a template read at `version`.
pub async fn delete(
    state: &AppState,
    grant: &Grant<area::Phone, Writes>,
    name: &str,
    version: Option<i32>,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let row = find(&txn, name).await?;
    if !templates::delete(&txn, row.id, version).await? {
        return Err(audit::conflict(&txn, object::PHONE_TEMPLATE, name).await);
    }
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Delete,
            object_type: object::PHONE_TEMPLATE,
            object_name: name,
            before: Some(json!({ "name": name })),
            after: None,
            detail: format!("Phone template {name} deleted"),
        },
    )
    .await?;
    txn.commit().await.map_err(internal)
}
