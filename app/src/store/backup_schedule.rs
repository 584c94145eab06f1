//! The queries on `backup_schedule` (one row): read it, change it under its version, claim a
//! slot (so that of several nodes exactly one takes each scheduled backup), record its result.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use super::entities::backup_schedule;
use super::versioned;

/// The schedule's row, made (off) on first use.
pub async fn row<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> Result<backup_schedule::Model, DbErr> {
    if let Some(row) = backup_schedule::Entity::find_by_id(1).one(db).await? {
        return Ok(row);
    }
    let made = backup_schedule::ActiveModel {
        id: Set(1),
        enabled: Set(false),
        frequency: Set("daily".to_owned()),
        weekday: Set(1),
        at_time: Set("02:00".to_owned()),
        keep: Set(7),
        sealed_passphrase: Set(None),
        sealed_for: Set(None),
        version: Set(1),
        updated_at: Set(now),
        last_run_at: Set(None),
        last_backup: Set(None),
        last_error: Set(None),
    };
    match backup_schedule::Entity::insert(made).exec(db).await {
        Ok(_) => {}
        // Made meanwhile by another request or node.
        Err(e) if versioned::is_duplicate(&e) => {}
        Err(e) => return Err(e),
    }
    backup_schedule::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("backup_schedule".to_owned()))
}

/// What an admin sets.
#[derive(Debug, Clone)]
pub struct Settings {
    /// On or off.
    pub enabled: bool,
    /// `daily` or `weekly`.
    pub frequency: String,
    /// 1 (Monday) to 7.
    pub weekday: i32,
    /// `HH:MM`.
    pub at_time: String,
    /// How many to keep.
    pub keep: i32,
    /// The new sealed passphrase and the public key it is sealed to, or `None` to keep the
    /// ones stored.
    pub sealed_passphrase: Option<(Vec<u8>, String)>,
}

/// Saves `settings` where the row is still at version `read`; `None` when another change came
/// first.
pub async fn set<C: ConnectionTrait>(
    db: &C,
    settings: Settings,
    read: i32,
    now: DateTime<Utc>,
) -> Result<Option<backup_schedule::Model>, DbErr> {
    let mut active = backup_schedule::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(1),
        enabled: Set(settings.enabled),
        frequency: Set(settings.frequency),
        weekday: Set(settings.weekday),
        at_time: Set(settings.at_time),
        keep: Set(settings.keep),
        updated_at: Set(now),
        ..Default::default()
    };
    if let Some((sealed, recipient)) = settings.sealed_passphrase {
        active.sealed_passphrase = Set(Some(sealed));
        active.sealed_for = Set(Some(recipient));
    }
    versioned::update(db, active, read).await
}

/// Claims `slot` for this node: true for exactly one caller of all those that claim it.
pub async fn claim<C: ConnectionTrait>(db: &C, slot: DateTime<Utc>) -> Result<bool, DbErr> {
    let done = backup_schedule::Entity::update_many()
        .col_expr(backup_schedule::Column::LastRunAt, Expr::value(Some(slot)))
        .col_expr(
            backup_schedule::Column::LastBackup,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            backup_schedule::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .filter(backup_schedule::Column::Id.eq(1))
        .filter(backup_schedule::Column::Enabled.eq(true))
        .filter(
            Condition::any()
                .add(backup_schedule::Column::LastRunAt.is_null())
                .add(backup_schedule::Column::LastRunAt.lt(slot)),
        )
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Records what the claimed `slot` made: the backup's name, or why it failed.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    slot: DateTime<Utc>,
    result: Result<&str, &str>,
) -> Result<(), DbErr> {
    let (backup, error) = match result {
        Ok(name) => (Some(name.to_owned()), None),
        Err(why) => (None, Some(why.chars().take(2000).collect::<String>())),
    };
    backup_schedule::Entity::update_many()
        .col_expr(backup_schedule::Column::LastBackup, Expr::value(backup))
        .col_expr(backup_schedule::Column::LastError, Expr::value(error))
        .filter(backup_schedule::Column::Id.eq(1))
        .filter(backup_schedule::Column::LastRunAt.eq(slot))
        .exec(db)
        .await?;
    Ok(())
}

/// How long a claimed slot may run before it counts as a backup that did not finish.
pub const STALE_AFTER: chrono::Duration = chrono::Duration::hours(1);

/// Why the last scheduled backup failed (for the dashboard): its error, or that it did not
/// finish (claimed over [`STALE_AFTER`] ago with no result: the node stopped meanwhile).
pub fn failure_of(row: &backup_schedule::Model, now: DateTime<Utc>) -> Option<String> {
    if !row.enabled {
        return None;
    }
    if let Some(error) = &row.last_error {
        return Some(error.clone());
    }
    let at = row.last_run_at?;
    (row.last_backup.is_none() && now - at > STALE_AFTER).then(|| {
        format!(
            "the backup of {} did not finish (the node taking it stopped)",
            at.format("%Y-%m-%d %H:%M UTC")
        )
    })
}

/// [`failure_of`] the stored schedule.
pub async fn last_failure<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    Ok(backup_schedule::Entity::find_by_id(1)
        .one(db)
        .await?
        .and_then(|r| failure_of(&r, now)))
}
