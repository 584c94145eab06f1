//! Queries on `required_actions` (R10, R17): an action is recorded in the transaction of the
//! change that requires it, kept until done, and not recorded twice while pending. Reset jobs
//! and service restarts complete them; the Pending Actions page reads them merged. The service
//! `actions` owns the table; the services whose changes require actions call these inside their
//! transactions.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::domain::actions::{
    merge, Pending, PendingGroup, Reason, RequiredAction, REASONS, SAMPLE,
};
use crate::domain::security::ConfiguredMode;
use crate::domain::services::Service;
use sea_orm::DbErr;

use super::entities::{devices, required_actions};

/// Records `actions`, required by the change `reason` (audit row `audit_id`), unless the same
/// action is already pending. Returns their descriptions for the page.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    actions: &[RequiredAction],
    reason: &str,
    audit_id: i64,
) -> Result<Vec<String>, DbErr> {
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
        if pending.one(db).await?.is_some() {
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
        .await?;
    }
    Ok(distinct.iter().map(|a| a.describe()).collect())
}

/// Marks the pending actions equal to `action` done.
pub async fn complete<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    action: &RequiredAction,
) -> Result<u64, DbErr> {
    let mut update = required_actions::Entity::update_many()
        .col_expr(required_actions::Column::DoneAt, Expr::value(Some(now)))
        .filter(required_actions::Column::DoneAt.is_null())
        .filter(required_actions::Column::Kind.eq(action.kind()))
        .filter(required_actions::Column::Target.eq(action.target()));
    update = match action.server() {
        Some(server) => update.filter(required_actions::Column::Server.eq(server)),
        None => update.filter(required_actions::Column::Server.is_null()),
    };
    Ok(update.exec(db).await?.rows_affected)
}

/// The reason a data-only restore records its actions under (R16).
pub const RESTORE_REASON: &str = "a data-only restore (R16)";

/// Whether the CTL update a data-only restore requires is still pending (R16).
pub async fn restore_update_pending<C: ConnectionTrait>(db: &C) -> Result<bool, DbErr> {
    Ok(required_actions::Entity::find()
        .filter(required_actions::Column::DoneAt.is_null())
        .filter(required_actions::Column::Kind.eq(RequiredAction::UpdateCtl.kind()))
        .filter(required_actions::Column::Reason.eq(RESTORE_REASON))
        .one(db)
        .await?
        .is_some())
}

/// Every pending action, oldest first.
pub async fn pending<C: ConnectionTrait>(db: &C) -> Result<Vec<required_actions::Model>, DbErr> {
    required_actions::Entity::find()
        .filter(required_actions::Column::DoneAt.is_null())
        .order_by_asc(required_actions::Column::Id)
        .all(db)
        .await
}

/// How many actions are pending.
pub async fn pending_count<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    required_actions::Entity::find()
        .filter(required_actions::Column::DoneAt.is_null())
        .count(db)
        .await
}

/// Records "reset this device" (R10) for each of `device_ids` not already pending, in one
/// statement: a bulk change of thousands of devices records as many actions as one change each.
pub async fn record_device_resets<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    device_ids: &[i32],
    reason: &str,
    audit_id: i64,
) -> Result<(), DbErr> {
    if device_ids.is_empty() {
        return Ok(());
    }
    let which = Expr::col((devices::Entity, devices::Column::Id)).is_in(device_ids.iter().copied());
    record_resets_where(db, now, which, reason, audit_id).await
}

/// Records "reset this device" (R10) for every device of the pools `pool_ids` not already
/// pending, in one statement (a pool's change resets its devices).
pub async fn record_pool_resets<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    pool_ids: &[i32],
    reason: &str,
    audit_id: i64,
) -> Result<(), DbErr> {
    if pool_ids.is_empty() {
        return Ok(());
    }
    let which =
        Expr::col((devices::Entity, devices::Column::DevicePoolId)).is_in(pool_ids.iter().copied());
    record_resets_where(db, now, which, reason, audit_id).await
}

async fn record_resets_where<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    which: sea_orm::sea_query::SimpleExpr,
    reason: &str,
    audit_id: i64,
) -> Result<(), DbErr> {
    let kind = RequiredAction::ResetDevice(String::new()).kind();
    let select = Query::select()
        .expr(Expr::val(kind))
        .column((devices::Entity, devices::Column::Name))
        .expr(Expr::val(reason))
        .expr(Expr::val("R10"))
        .expr(Expr::val(audit_id))
        .expr(Expr::val(now))
        .from(devices::Entity)
        .and_where(which)
        .and_where(Expr::cust(format!(
            "NOT EXISTS (SELECT 1 FROM required_actions p WHERE p.done_at IS NULL \
             AND p.kind = '{kind}' AND p.target = devices.name)"
        )))
        .to_owned();
    let insert = Query::insert()
        .into_table(required_actions::Entity)
        .columns([
            required_actions::Column::Kind,
            required_actions::Column::Target,
            required_actions::Column::Reason,
            required_actions::Column::Rule,
            required_actions::Column::AuditId,
            required_actions::Column::CreatedAt,
        ])
        .select_from(select)
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .to_owned();
    db.execute(db.get_database_backend().build(&insert)).await?;
    Ok(())
}

/// The devices an action of `kind` is about, as SQL over `required_actions` (None: not a reset).
fn device_set(kind: &str) -> Option<String> {
    Some(match kind {
        "reset_device" => {
            "SELECT d.id FROM devices d WHERE d.name = required_actions.target".to_owned()
        }
        "reset_srst_dependents" => {
            "SELECT d.id FROM devices d JOIN device_pools dp ON dp.id = d.device_pool_id \
             JOIN srst_references s ON s.id = dp.srst_reference_id \
             WHERE s.name = required_actions.target"
                .to_owned()
        }
        "reset_system_default_devices" => format!(
            "SELECT d.id FROM devices d WHERE d.security_mode = '{}'",
            ConfiguredMode::UseSystemDefault.key()
        ),
        "reset_all_devices" => "SELECT d.id FROM devices d".to_owned(),
        _ => return None,
    })
}

/// Marks done every pending reset action whose devices have all been reset since it was
/// required (`device_resets`, written when a reset job reaches a device). Returns how many.
pub async fn complete_resets<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let mut done = 0;
    for kind in [
        "reset_device",
        "reset_srst_dependents",
        "reset_system_default_devices",
        "reset_all_devices",
    ] {
        let Some(set) = device_set(kind) else {
            continue;
        };
        let not_reset = format!(
            "NOT EXISTS (SELECT 1 FROM ({set}) AS wanted WHERE NOT EXISTS (SELECT 1 FROM device_resets r \
             WHERE r.device_id = wanted.id AND r.reset_at >= required_actions.created_at))"
        );
        done += required_actions::Entity::update_many()
            .col_expr(required_actions::Column::DoneAt, Expr::value(Some(now)))
            .filter(required_actions::Column::DoneAt.is_null())
            .filter(required_actions::Column::Kind.eq(kind))
            .filter(Expr::cust(not_reset))
            .exec(db)
            .await?
            .rows_affected;
    }
    Ok(done)
}

/// Every pending action, merged into the lines of the Pending Actions page (R10): single-device
/// resets read as one line with their count, the rest as stored, then [`merge`]d.
pub async fn pending_groups<C: ConnectionTrait>(db: &C) -> Result<Vec<PendingGroup>, DbErr> {
    let device_kind = RequiredAction::ResetDevice(String::new()).kind();
    let others = required_actions::Entity::find()
        .filter(required_actions::Column::DoneAt.is_null())
        .filter(required_actions::Column::Kind.ne(device_kind))
        .order_by_asc(required_actions::Column::Id)
        .all(db)
        .await?;
    let mut groups: Vec<PendingGroup> = others
        .into_iter()
        .filter_map(|row| {
            let action =
                RequiredAction::from_stored(&row.kind, row.server.as_deref(), &row.target)?;
            Some(PendingGroup {
                what: Pending::Action(action),
                reasons: vec![reason_of(&row)],
                stored: 1,
                since: row.created_at,
            })
        })
        .collect();
    let device_rows = || {
        required_actions::Entity::find()
            .filter(required_actions::Column::DoneAt.is_null())
            .filter(required_actions::Column::Kind.eq(device_kind))
    };
    let (stored, count): (i64, i64) = device_rows()
        .select_only()
        .column_as(Expr::cust("COUNT(*)"), "stored")
        .column_as(Expr::cust("COUNT(DISTINCT target)"), "n")
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or((0, 0));
    if stored > 0 {
        let sample: Vec<String> = device_rows()
            .select_only()
            .column(required_actions::Column::Target)
            .distinct()
            .order_by_asc(required_actions::Column::Target)
            .limit(SAMPLE as u64)
            .into_tuple()
            .all(db)
            .await?;
        let mut reasons: Vec<Reason> = Vec::new();
        let mut since: Option<DateTime<Utc>> = None;
        // The oldest rows carry the oldest reasons; distinct reasons are few.
        for row in device_rows()
            .order_by_asc(required_actions::Column::Id)
            .limit(200)
            .all(db)
            .await?
        {
            since = Some(since.map_or(row.created_at, |s| s.min(row.created_at)));
            if reasons.len() < REASONS && !reasons.iter().any(|r| r.reason == row.reason) {
                reasons.push(reason_of(&row));
            }
        }
        if let Some(since) = since {
            groups.push(PendingGroup {
                what: Pending::ResetDevices {
                    count: u64::try_from(count).unwrap_or(0),
                    sample,
                },
                reasons,
                stored: u64::try_from(stored).unwrap_or(0),
                since,
            });
        }
    }
    Ok(merge(groups))
}

fn reason_of(row: &required_actions::Model) -> Reason {
    Reason {
        reason: row.reason.clone(),
        rule: row.rule.clone(),
        audit_id: row.audit_id,
        at: row.created_at,
    }
}

/// Marks done the pending restarts of `service` that a (re)start on `server` at `now` fulfils:
/// the restart on that server, and the restart "on every server" once every server where the
/// service is activated has restarted since it was required.
pub async fn complete_restarts<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    server: &str,
    service: Service,
    restarted: &[(String, Option<DateTime<Utc>>)],
) -> Result<u64, DbErr> {
    let mut done = complete(
        db,
        now,
        &RequiredAction::RestartService {
            server: Some(server.to_owned()),
            service,
        },
    )
    .await?;
    let everywhere = RequiredAction::RestartService {
        server: None,
        service,
    };
    for row in pending(db).await? {
        if RequiredAction::from_stored(&row.kind, row.server.as_deref(), &row.target).as_ref()
            != Some(&everywhere)
        {
            continue;
        }
        if restarted
            .iter()
            .all(|(_, at)| at.is_some_and(|at| at >= row.created_at))
        {
            let mut active: required_actions::ActiveModel = row.into();
            active.done_at = Set(Some(now));
            active.update(db).await?;
            done += 1;
        }
    }
    Ok(done)
}
