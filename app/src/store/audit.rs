//! Writing and reading the audit log. Rows are inserted, never updated or deleted.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::entities::audit_log;
use crate::domain::audit::AuditAction;

/// One event to record.
#[derive(Debug, Clone)]
pub struct AuditRecord<'a> {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: Option<&'a str>,
    /// From where.
    pub address: Option<&'a str>,
    /// What kind of event.
    pub action: AuditAction,
    /// The kind of object.
    pub object_type: &'a str,
    /// The object.
    pub object_name: &'a str,
    /// Before a change, as JSON.
    pub before: Option<serde_json::Value>,
    /// After a change, as JSON.
    pub after: Option<serde_json::Value>,
    /// A sentence about it.
    pub detail: String,
}

/// Inserts one row (inside the caller's transaction when `db` is one).
pub async fn record<C: ConnectionTrait>(
    db: &C,
    rec: AuditRecord<'_>,
) -> Result<i64, sea_orm::DbErr> {
    audit_log::ActiveModel {
        at: Set(rec.at),
        actor: Set(rec.actor.map(str::to_owned)),
        address: Set(rec.address.map(str::to_owned)),
        action: Set(rec.action.key().to_owned()),
        object_type: Set(rec.object_type.to_owned()),
        object_name: Set(rec.object_name.to_owned()),
        before: Set(rec.before.map(|v| v.to_string())),
        after: Set(rec.after.map(|v| v.to_string())),
        detail: Set(rec.detail),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(|row| row.id)
}

/// Which rows to read.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only this actor.
    pub actor: Option<String>,
    /// Only this object type.
    pub object_type: Option<String>,
    /// Only this action.
    pub action: Option<AuditAction>,
    /// From this instant.
    pub from: Option<DateTime<Utc>>,
    /// Before this instant.
    pub to: Option<DateTime<Utc>>,
}

/// One page of matching rows, newest first, and the number of matching rows.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    query: &AuditQuery,
    page: u64,
    per_page: u64,
) -> Result<(Vec<audit_log::Model>, u64), sea_orm::DbErr> {
    let mut cond = Condition::all();
    if let Some(actor) = &query.actor {
        cond = cond.add(audit_log::Column::Actor.eq(actor.clone()));
    }
    if let Some(object_type) = &query.object_type {
        cond = cond.add(audit_log::Column::ObjectType.eq(object_type.clone()));
    }
    if let Some(action) = query.action {
        cond = cond.add(audit_log::Column::Action.eq(action.key()));
    }
    if let Some(from) = query.from {
        cond = cond.add(audit_log::Column::At.gte(from));
    }
    if let Some(to) = query.to {
        cond = cond.add(audit_log::Column::At.lt(to));
    }
    let select = audit_log::Entity::find().filter(cond);
    let total = select.clone().count(db).await?;
    let rows = select
        .order_by_desc(audit_log::Column::Id)
        .offset((page.max(1) - 1) * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// The newest row about an object, to say who changed it last.
pub async fn last_about<C: ConnectionTrait>(
    db: &C,
    object_type: &str,
    object_name: &str,
) -> Result<Option<audit_log::Model>, sea_orm::DbErr> {
    audit_log::Entity::find()
        .filter(audit_log::Column::ObjectType.eq(object_type))
        .filter(audit_log::Column::ObjectName.eq(object_name))
        .order_by_desc(audit_log::Column::Id)
        .one(db)
        .await
}
