//! Queries of the TFTP file pipeline: its state row (`tftp_state`: the change the files must
//! reflect, the one they reflect, the progress of a build), the newest change that can shape
//! the files, and the rows a build reads beyond the reference data (the group members in order,
//! the phones). The pipeline in the server owns `tftp_state`; Security > TFTP Files reads it.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::entities::{audit_log, callmanager_group_members, devices, tftp_state};
use crate::domain::audit::object::TFTP_RELEVANT;
use crate::domain::builds::BuildStatus;

/// A time in the store's clock.
type Time = chrono::DateTime<chrono::Utc>;

/// The pipeline's state row.
pub type BuildState = tftp_state::Model;

/// The newest change that can shape the files: the highest audit row id of the relevant objects.
pub async fn latest_change<C: ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    let max: Option<Option<i64>> = audit_log::Entity::find()
        .select_only()
        .column_as(Expr::col(audit_log::Column::Id).max(), "m")
        .filter(audit_log::Column::ObjectType.is_in(TFTP_RELEVANT.iter().copied()))
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.flatten().unwrap_or(0))
}

/// The pipeline's state row (made on first use: never built).
pub async fn state_row<C: ConnectionTrait>(db: &C) -> Result<BuildState, DbErr> {
    if let Some(row) = tftp_state::Entity::find_by_id(1).one(db).await? {
        return Ok(row);
    }
    tftp_state::ActiveModel {
        id: Set(1),
        wanted_change: Set(0),
        built_change: Set(-1),
        status: Set(BuildStatus::Idle),
        total: Set(0),
        written: Set(0),
        signed: Set(0),
        removed: Set(0),
        errors: Set(0),
        last_error: Set(None),
        started_at: Set(None),
        finished_at: Set(None),
        updated_at: Set(None),
    }
    .insert(db)
    .await
}

/// A step of a build, as the state row records it.
#[derive(Debug, Clone)]
pub enum BuildStep {
    /// A build for change `target` started at `at`: the counts start again from zero.
    Started {
        /// The change the build makes the files reflect.
        target: i64,
        /// When it started.
        at: Time,
    },
    /// The build knows how many files the store describes.
    Total(u64),
    /// Files written and signed so far.
    Counted {
        /// Files written.
        written: u64,
        /// Files signed.
        signed: u64,
    },
    /// The build for `target` ended at `at`; `errors` devices kept their old files.
    Finished {
        /// The change the files now reflect.
        target: i64,
        /// When it ended.
        at: Time,
        /// Stale files removed.
        removed: u64,
        /// Devices whose file was not rebuilt.
        errors: u64,
        /// Why, in words.
        summary: Option<String>,
    },
    /// The build stopped with `message`.
    Failed(String),
}

/// Records `step` on the state row at `now`.
pub async fn record_step<C: ConnectionTrait>(
    db: &C,
    step: BuildStep,
    now: Time,
) -> Result<(), DbErr> {
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let mut a: tftp_state::ActiveModel = state_row(db).await?.into();
    match step {
        BuildStep::Started { target, at } => {
            a.status = Set(BuildStatus::Running);
            a.wanted_change = Set(target);
            a.started_at = Set(Some(at));
            a.total = Set(0);
            a.written = Set(0);
            a.signed = Set(0);
            a.removed = Set(0);
            a.errors = Set(0);
            a.last_error = Set(None);
        }
        BuildStep::Total(total) => a.total = Set(count(total)),
        BuildStep::Counted { written, signed } => {
            a.written = Set(count(written));
            a.signed = Set(count(signed));
        }
        BuildStep::Finished {
            target,
            at,
            removed,
            errors,
            summary,
        } => {
            a.status = Set(BuildStatus::Idle);
            a.built_change = Set(target);
            a.finished_at = Set(Some(at));
            a.removed = Set(count(removed));
            a.errors = Set(count(errors));
            a.last_error = Set(summary);
        }
        BuildStep::Failed(message) => {
            a.status = Set(BuildStatus::Failed);
            a.last_error = Set(Some(message));
            a.errors = Set(1);
        }
    }
    a.updated_at = Set(Some(now));
    a.update(db).await?;
    Ok(())
}

/// Every (group id, server id) membership, by group and then priority.
pub async fn group_members<C: ConnectionTrait>(db: &C) -> Result<Vec<(i32, i32)>, DbErr> {
    Ok(callmanager_group_members::Entity::find()
        .order_by_asc(callmanager_group_members::Column::GroupId)
        .order_by_asc(callmanager_group_members::Column::Priority)
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.group_id, m.server_id))
        .collect())
}

/// The phones that have a file (named `SEP…`), by name.
pub async fn phones_with_files<C: ConnectionTrait>(db: &C) -> Result<Vec<devices::Model>, DbErr> {
    devices::Entity::find()
        .filter(devices::Column::Name.starts_with("SEP"))
        .order_by_asc(devices::Column::Name)
        .all(db)
        .await
}
