//! Bulk changes of phones (Find and List Phones): a preview of how many change, how many are
//! refused and why, then a job that applies the change in batches, each batch with its audit row
//! and its progress in one transaction, so the request that starts it returns at once.

use std::collections::BTreeMap;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, Set, TransactionTrait,
};
use serde_json::json;

use super::actions;
use super::audit::{self, Event};
use super::authz::{area, Actor, Grant, Reads, Writes};
use super::phones::{facts, Facts};
use super::state::internal;
use super::AppState;
use crate::domain::audit::{object, AuditAction};
use crate::domain::security::{refuse_mode, ConfiguredMode, DeviceClass};
use crate::error::AppError;
use crate::model::{BulkPreview, BulkRequest, JobInfo};
use crate::store::cluster;
use crate::store::entities::{devices, jobs};
use crate::store::phones::{self, PhoneQuery};

/// The most phones a request may name one by one.
pub const MAX_NAMES: usize = 1_000;
/// Phones changed per transaction.
pub const BATCH: u64 = 2_000;
/// The refusal reason of a selected name that no phone has.
const NOT_FOUND: &str = "no phone has that name";
/// The kind of a bulk phone job.
pub const KIND: &str = "bulk_phone_change";

/// The field a bulk change sets, with its new value.
#[derive(Debug, Clone, Copy)]
enum Target {
    Mode(ConfiguredMode),
    Hardening(devices::Column, bool),
}

fn parse_target(field: &str, value: &str) -> Result<Target, AppError> {
    let hardening = match field {
        "security_mode" => {
            let mode = ConfiguredMode::parse(value).ok_or_else(|| {
                AppError::invalid("Device Security Mode", format!("{value:?} is not a mode"))
            })?;
            return Ok(Target::Mode(mode));
        }
        "gratuitous_arp" => devices::Column::GratuitousArp,
        "web_access" => devices::Column::WebAccess,
        "pc_voice_vlan_access" => devices::Column::PcVoiceVlanAccess,
        "settings_access" => devices::Column::SettingsAccess,
        "pc_port" => devices::Column::PcPort,
        other => {
            return Err(AppError::invalid(
                "Field",
                format!("{other:?} cannot be changed in bulk"),
            ))
        }
    };
    let on = match value {
        "Enabled" => true,
        "Disabled" => false,
        other => {
            return Err(AppError::invalid(
                "Value",
                format!("{other:?} must be Enabled or Disabled"),
            ))
        }
    };
    Ok(Target::Hardening(hardening, on))
}

impl Target {
    fn column(self) -> devices::Column {
        match self {
            Target::Mode(_) => devices::Column::SecurityMode,
            Target::Hardening(col, _) => col,
        }
    }

    /// Why a model refuses the value (R7, R20), if it does.
    fn refusal(self, facts: &Facts, model_id: i32) -> Option<String> {
        let model = facts.models().iter().find(|m| m.id == model_id)?;
        let caps = cluster::capabilities(model);
        match self {
            Target::Mode(mode) => refuse_mode(mode, &caps).map(|r| format!("{}: {r}", model.name)),
            Target::Hardening(..) if caps.class != DeviceClass::Phone => Some(format!(
                "{}: a {} has no phone hardening settings (R7)",
                model.name,
                caps.class.label()
            )),
            Target::Hardening(..) => None,
        }
    }

    fn unchanged(self) -> Condition {
        match self {
            Target::Mode(mode) => {
                Condition::all().add(devices::Column::SecurityMode.eq(mode.key()))
            }
            Target::Hardening(col, on) => Condition::all().add(col.eq(on)),
        }
    }
}

fn query_of(facts: &Facts, req: &BulkRequest) -> Result<PhoneQuery, AppError> {
    selection(facts, &req.filter, &req.names)
}

/// The phones a request selects: all that match `filter`, or exactly `names` (at most
/// [`MAX_NAMES`]).
pub(crate) fn selection(
    facts: &Facts,
    filter: &Option<crate::model::PhoneFilter>,
    names: &Option<Vec<String>>,
) -> Result<PhoneQuery, AppError> {
    match (filter, names) {
        (Some(filter), None) => facts.query_of(filter),
        (None, Some(names)) if names.len() > MAX_NAMES => Err(AppError::invalid(
            "Phones",
            format!("select at most {MAX_NAMES} phones, or choose all that match the filter"),
        )),
        (None, Some(names)) if !names.is_empty() => Ok(PhoneQuery {
            names: Some(names.clone()),
            ..Default::default()
        }),
        _ => Err(AppError::invalid(
            "Phones",
            "select phones, or choose all that match the filter",
        )),
    }
}

/// Per model: how many phones match, and how many of them already have the value.
async fn tally(
    state: &AppState,
    query: &PhoneQuery,
    target: Target,
) -> Result<BTreeMap<i32, (u64, u64)>, AppError> {
    let mut per_model: BTreeMap<i32, (u64, u64)> = BTreeMap::new();
    let mut add = |model: i32, same: bool, n: i64| {
        let n = u64::try_from(n).unwrap_or(0);
        let entry = per_model.entry(model).or_default();
        entry.0 += n;
        if same {
            entry.1 += n;
        }
    };
    match target {
        Target::Mode(mode) => {
            for (model, current, n) in
                phones::counts_by_model_and::<_, String>(&state.db, query, target.column())
                    .await
                    .map_err(internal)?
            {
                add(model, current == mode.key(), n);
            }
        }
        Target::Hardening(_, on) => {
            for (model, current, n) in
                phones::counts_by_model_and::<_, bool>(&state.db, query, target.column())
                    .await
                    .map_err(internal)?
            {
                add(model, current == on, n);
            }
        }
    }
    Ok(per_model)
}

/// How many phones the request matches, would change, already have the value, and are refused
/// (by reason).
pub async fn preview(
    state: &AppState,
    _grant: &Grant<area::Phone, Writes>,
    req: &BulkRequest,
) -> Result<BulkPreview, AppError> {
    let target = parse_target(&req.field, &req.value)?;
    let facts = facts(state).await?;
    let query = query_of(&facts, req)?;
    let mut out = BulkPreview {
        matched: 0,
        will_change: 0,
        unchanged: 0,
        refused: Vec::new(),
    };
    let mut refused: BTreeMap<String, u64> = BTreeMap::new();
    for (model, (n, same)) in tally(state, &query, target).await? {
        out.matched += n;
        match target.refusal(&facts, model) {
            Some(reason) => *refused.entry(reason).or_default() += n,
            None => {
                out.unchanged += same;
                out.will_change += n - same;
            }
        }
    }
    if let Some(names) = &req.names {
        let missing = u64::try_from(names.len())
            .unwrap_or(0)
            .saturating_sub(out.matched);
        if missing > 0 {
            refused.insert(NOT_FOUND.to_owned(), missing);
        }
    }
    out.refused = refused.into_iter().collect();
    Ok(out)
}

fn job_info(row: jobs::Model) -> JobInfo {
    JobInfo {
        id: row.id,
        kind: row.kind,
        status: row.status,
        total: row.total,
        processed: row.processed,
        changed: row.changed,
        refused: row.refused,
        message: row.message,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// Starts the bulk change as a job and returns it at once; the work runs in the background.
pub async fn start(
    state: &AppState,
    grant: &Grant<area::Phone, Writes>,
    req: BulkRequest,
) -> Result<JobInfo, AppError> {
    let preview = preview(state, grant, &req).await?;
    let now = state.clock.now();
    let refused: u64 = preview.refused.iter().map(|(_, n)| n).sum();
    let missing: u64 = preview
        .refused
        .iter()
        .filter(|(reason, _)| reason == NOT_FOUND)
        .map(|(_, n)| n)
        .sum();
    let total = preview.matched + missing;
    let row = jobs::ActiveModel {
        kind: Set(KIND.to_owned()),
        status: Set("running".to_owned()),
        total: Set(i64::try_from(total).unwrap_or(i64::MAX)),
        processed: Set(i64::try_from(refused + preview.unchanged).unwrap_or(0)),
        changed: Set(0),
        refused: Set(i64::try_from(refused).unwrap_or(0)),
        params: Set(serde_json::to_string(&req).map_err(internal)?),
        message: Set(String::new()),
        created_by: Set(grant.actor.name.clone().unwrap_or_default()),
        created_at: Set(now),
        updated_at: Set(now),
        rate: Set(None),
        version: Set(1),
        ..Default::default()
    }
    .insert(&state.db)
    .await
    .map_err(internal)?;
    let job = job_info(row.clone());
    let state = state.clone();
    let actor = grant.actor.clone();
    tokio::spawn(async move {
        if let Err(err) = run(&state, row.id, &req, &actor).await {
            tracing::error!("bulk job {} failed: {err}", row.id);
            let failed = jobs::ActiveModel {
                id: Set(row.id),
                status: Set("failed".to_owned()),
                message: Set(err.to_string()),
                updated_at: Set(state.clock.now()),
                ..Default::default()
            };
            if let Err(e) = failed.update(&state.db).await {
                tracing::error!("cannot record the failure of job {}: {e}", row.id);
            }
        }
    });
    Ok(job)
}

/// Applies the change in batches of [`BATCH`]: each batch updates its phones, writes its audit
/// row and advances the job's progress in one transaction.
async fn run(
    state: &AppState,
    job_id: i32,
    req: &BulkRequest,
    actor: &Actor,
) -> Result<(), AppError> {
    let target = parse_target(&req.field, &req.value)?;
    let facts = facts(state).await?;
    let query = query_of(&facts, req)?;
    let allowed: Vec<i32> = facts
        .models()
        .iter()
        .filter(|m| target.refusal(&facts, m.id).is_none())
        .map(|m| m.id)
        .collect();
    let pending = Condition::all()
        .add(devices::Column::ModelId.is_in(allowed))
        .add(target.unchanged().not());
    let who = actor.name.clone().unwrap_or_default();
    let mut changed_total: i64 = 0;
    loop {
        let ids = phones::ids_matching(&state.db, &query, pending.clone(), BATCH)
            .await
            .map_err(internal)?;
        if ids.is_empty() {
            break;
        }
        let now = state.clock.now();
        let txn = state.db.begin().await.map_err(internal)?;
        let value = match target {
            Target::Mode(mode) => Expr::value(mode.key()),
            Target::Hardening(_, on) => Expr::value(on),
        };
        let updated = devices::Entity::update_many()
            .col_expr(target.column(), value)
            .col_expr(
                devices::Column::Version,
                Expr::col(devices::Column::Version).add(1),
            )
            .col_expr(devices::Column::UpdatedAt, Expr::value(now))
            .col_expr(devices::Column::UpdatedBy, Expr::value(who.clone()))
            .filter(devices::Column::Id.is_in(ids.clone()))
            .exec(&txn)
            .await
            .map_err(internal)?
            .rows_affected;
        let n = i64::try_from(updated).unwrap_or(0);
        changed_total += n;
        let detail = format!(
            "Bulk change: {} set to {} on {n} phones",
            req.field, req.value
        );
        let audit_id = audit::record(
            &txn,
            now,
            actor,
            Event {
                action: AuditAction::Update,
                object_type: object::PHONE,
                object_name: &format!("bulk job {job_id}"),
                before: None,
                after: Some(json!({ "field": req.field, "value": req.value, "device_ids": ids })),
                detail: detail.clone(),
            },
        )
        .await?;
        // Security mode and hardening both need a reset of each changed device (R10).
        actions::record_device_resets(&txn, now, &ids, &detail, audit_id).await?;
        jobs::Entity::update_many()
            .col_expr(
                jobs::Column::Processed,
                Expr::col(jobs::Column::Processed).add(n),
            )
            .col_expr(
                jobs::Column::Changed,
                Expr::col(jobs::Column::Changed).add(n),
            )
            .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
            .filter(jobs::Column::Id.eq(job_id))
            .exec(&txn)
            .await
            .map_err(internal)?;
        txn.commit().await.map_err(internal)?;
    }
    let done = jobs::ActiveModel {
        id: Set(job_id),
        status: Set("done".to_owned()),
        message: Set(format!("{changed_total} phones changed")),
        updated_at: Set(state.clock.now()),
        ..Default::default()
    };
    done.update(&state.db).await.map_err(internal)?;
    Ok(())
}

/// A job's progress.
pub async fn job(
    state: &AppState,
    _grant: &Grant<area::Phone, Reads>,
    id: i32,
) -> Result<JobInfo, AppError> {
    jobs::Entity::find_by_id(id)
        .one(&state.db)
        .await
        .map_err(internal)?
        .map(job_info)
        .ok_or_else(|| AppError::NotFound(format!("Job {id}")))
}
