//! Required actions in the store (R10, R17): recorded in the transaction of the change that
//! requires them, kept until done. An action already pending is not recorded twice.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use super::state::internal;
use crate::domain::actions::RequiredAction;
use crate::error::AppError;
use crate::store::entities::required_actions;

/// Records `actions`, required by the change `reason` (audit row `audit_id`), unless the same
/// action is already pending. Returns their descriptions for the page.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    actions: &[RequiredAction],
    reason: &str,
    audit_id: i64,
) -> Result<Vec<String>, AppError> {
    let mut distinct: Vec<&RequiredAction> = Vec::new();
    for action in actions {
        if !distinct.contains(&action) {
            distinct.push(action);
        }
    }
    for action in &distinct {
        let mut pending = required_actions::Entity::find()
            .filter(required_actions::Column::DoneAt.is_null())
            .filter(required_actions::Column::Kind.eq(action.kind()))
            .filter(required_actions::Column::Target.eq(action.target()));
        pending = match action.server() {
            Some(server) => pending.filter(required_actions::Column::Server.eq(server)),
            None => pending.filter(required_actions::Column::Server.is_null()),
        };
        if pending.one(db).await.map_err(internal)?.is_some() {
            continue;
        }
        required_actions::Entity::insert(required_actions::ActiveModel {
            kind: Set(action.kind().to_owned()),
            server: Set(action.server().map(str::to_owned)),
            target: Set(action.target()),
            reason: Set(reason.to_owned()),
            rule: Set(action.rule().to_owned()),
            audit_id: Set(Some(audit_id)),
            created_at: Set(now),
            done_at: Set(None),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await
        .map_err(internal)?;
    }
    Ok(distinct.iter().map(|a| a.describe()).collect())
}

/// Marks the pending actions equal to `action` done.
pub async fn complete<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    action: &RequiredAction,
) -> Result<u64, AppError> {
    let mut update = required_actions::Entity::update_many()
        .col_expr(required_actions::Column::DoneAt, Expr::value(Some(now)))
        .filter(required_actions::Column::DoneAt.is_null())
        .filter(required_actions::Column::Kind.eq(action.kind()))
        .filter(required_actions::Column::Target.eq(action.target()));
    update = match action.server() {
        Some(server) => update.filter(required_actions::Column::Server.eq(server)),
        None => update.filter(required_actions::Column::Server.is_null()),
    };
    Ok(update.exec(db).await.map_err(internal)?.rows_affected)
}

/// Every pending action, oldest first.
pub async fn pending<C: ConnectionTrait>(db: &C) -> Result<Vec<required_actions::Model>, AppError> {
    required_actions::Entity::find()
        .filter(required_actions::Column::DoneAt.is_null())
        .order_by_asc(required_actions::Column::Id)
        .all(db)
        .await
        .map_err(internal)
}

/// How many actions are pending.
pub async fn pending_count<C: ConnectionTrait>(db: &C) -> Result<u64, AppError> {
    required_actions::Entity::find()
        .filter(required_actions::Column::DoneAt.is_null())
        .count(db)
        .await
        .map_err(internal)
}
