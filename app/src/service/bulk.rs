//! Bulk changes of phones (Find and List Phones): a preview of how many change, how many are
//! refused and why, then a job that applies the change in batches, each batch with its audit row
//! and its progress in one transaction, so the request that starts it returns at once.
//!
//! A job survives a restart: the node working it holds a claim in the store (`worker`,
//! `heartbeat_at`) renewed while it works, and each batch commits only while the claim holds. A
//! job whose claim went stale (its node stopped) is resumed by the next node that looks
//! ([`super::interrupted::watch_interrupted`], started with the console) from the job's stored request: a batch
//! takes the phones that match and do not have the value yet, so it picks up exactly where the
//! last committed batch stopped. A job that cannot be resumed is marked failed with the reason.

use std::collections::BTreeMap;

use sea_orm::TransactionTrait;
use serde_json::json;

use super::audit::{self, Event};
use super::authz::{area, Grant, Reads, Writes};
use super::errors::internal;
use super::job_claims::{claim_token, fail, job_info, keep_claim, renew};
use super::phones::{facts, Facts};
use super::principal::Actor;
use super::AppState;
use crate::domain::audit::{object, AuditAction};
use crate::domain::device::{AuthenticationMode, CertificateOperation};
use crate::domain::security::{refuse_mode, ConfiguredMode, DeviceClass};
use crate::error::AppError;
use crate::model::{BulkPreview, BulkRequest, JobInfo};
use crate::store::actions;
use crate::store::cluster;
use crate::store::entities::{devices, jobs};
use crate::store::phones::{self, PhoneQuery};
use chrono::{DateTime, Utc};

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
    /// A CAPF certificate operation (CallManager 4.1 did bulk CAPF through BAT): each phone
    /// keeps its authentication mode and key size.
    Operation(CertificateOperation),
    /// How the phones authenticate to CAPF.
    Authentication(AuthenticationMode),
}

fn parse_target(field: &str, value: &str) -> Result<Target, AppError> {
    let hardening = match field {
        "certificate_operation" => {
            let op = CertificateOperation::parse(value).ok_or_else(|| {
                AppError::invalid(
                    "Certificate Operation",
                    format!("{value:?} is not a certificate operation"),
                )
            })?;
            return Ok(Target::Operation(op));
        }
        "authentication_mode" => {
            let mode = AuthenticationMode::parse(value).ok_or_else(|| {
                AppError::invalid(
                    "Authentication Mode",
                    format!("{value:?} is not an authentication mode"),
                )
            })?;
            if mode == AuthenticationMode::ByAuthenticationString {
                return Err(AppError::invalid(
                    "Authentication Mode",
                    "By Authentication String is set phone by phone: each phone needs a string of its own",
                ));
            }
            return Ok(Target::Authentication(mode));
        }
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
            Target::Operation(_) => devices::Column::CertificateOperation,
            Target::Authentication(_) => devices::Column::AuthenticationMode,
        }
    }

    /// The other columns set with it: a newly scheduled operation is pending until `deadline`
    /// (a cancelled one has no status and no deadline).
    fn also(self, deadline: DateTime<Utc>) -> Vec<(devices::Column, sea_orm::Value)> {
        match self {
            Target::Operation(CertificateOperation::NoPendingOperation) => vec![
                (devices::Column::CertificateOperationStatus, "None".into()),
                (
                    devices::Column::OperationCompletesBy,
                    Option::<DateTime<Utc>>::None.into(),
                ),
            ],
            Target::Operation(_) => vec![
                (
                    devices::Column::CertificateOperationStatus,
                    "Pending".into(),
                ),
                (devices::Column::OperationCompletesBy, Some(deadline).into()),
                (devices::Column::CapfOperation, "".into()),
                (devices::Column::CapfReason, "".into()),
                (devices::Column::CapfAttempts, 0.into()),
            ],
            _ => Vec::new(),
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
            Target::Operation(_) | Target::Authentication(_) if !caps.authentication => {
                Some(format!(
                    "{}: supports no authentication, so it takes no LSC (R7)",
                    model.name
                ))
            }
            Target::Operation(_) | Target::Authentication(_) => None,
        }
    }

    /// The value the column is set to.
    fn value(self) -> sea_orm::Value {
        match self {
            Target::Mode(mode) => mode.key().into(),
            Target::Hardening(_, on) => on.into(),
            Target::Operation(op) => op.label().into(),
            Target::Authentication(mode) => mode.label().into(),
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
        Target::Mode(_) | Target::Operation(_) | Target::Authentication(_) => {
            let wanted = match target.value() {
                sea_orm::Value::String(Some(v)) => *v,
                _ => String::new(),
            };
            for (model, current, n) in
                phones::counts_by_model_and::<_, String>(&state.db, query, target.column()).await?
            {
                add(model, current == wanted, n);
            }
        }
        Target::Hardening(_, on) => {
            for (model, current, n) in
                phones::counts_by_model_and::<_, bool>(&state.db, query, target.column()).await?
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
    let claim = claim_token(state);
    let row = crate::store::jobs::insert(
        &state.db,
        crate::store::jobs::NewJob {
            kind: KIND,
            total: i64::try_from(total).unwrap_or(i64::MAX),
            processed: i64::try_from(refused + preview.unchanged).unwrap_or(0),
            refused: i64::try_from(refused).unwrap_or(0),
            params: serde_json::to_string(&req).map_err(internal)?,
            created_by: grant.actor.name.clone().unwrap_or_default(),
            rate: None,
            claim: Some(claim.clone()),
        },
        now,
    )
    .await?;
    let job = job_info(row.clone());
    let state = state.clone();
    let actor = grant.actor.clone();
    tokio::spawn(async move {
        if let Err(err) = run_claimed(&state, row.id, &req, &actor, &claim, 0).await {
            tracing::error!("bulk job {} failed: {err}", row.id);
            fail(&state, row.id, &claim, &err.to_string()).await;
        }
    });
    Ok(job)
}

/// [`run`] while renewing the claim.
async fn run_claimed(
    state: &AppState,
    job_id: i32,
    req: &BulkRequest,
    actor: &Actor,
    claim: &str,
    already: i64,
) -> Result<(), AppError> {
    tokio::select! {
        done = run(state, job_id, req, actor, claim, already) => done,
        () = keep_claim(state, job_id, claim) => Ok(()),
    }
}

/// Works job `job` (claimed by `claim`) from where it stopped, or marks it failed with the
/// reason.
pub(crate) async fn resume(state: &AppState, job: &jobs::Model, claim: &str) {
    // `processed` counts the refused and unchanged phones from the start, then the changed ones.
    let wanted = (job.total - job.processed + job.changed).max(job.changed);
    let interrupted = format!(
        "interrupted by a restart of the console; {} of {wanted} phones changed",
        job.changed
    );
    let outcome = match serde_json::from_str::<BulkRequest>(&job.params) {
        Err(e) => {
            tracing::error!("bulk job {}: its stored request is unreadable: {e}", job.id);
            Err(interrupted)
        }
        Ok(req) => {
            tracing::info!(
                "bulk job {} resumed after {} of {wanted} phones",
                job.id,
                job.changed
            );
            let actor = Actor {
                user_id: None,
                name: (!job.created_by.is_empty()).then(|| job.created_by.clone()),
                address: None,
            };
            run_claimed(state, job.id, &req, &actor, claim, job.changed)
                .await
                .map_err(|e| format!("{interrupted}; resuming it failed: {e}"))
        }
    };
    if let Err(message) = outcome {
        tracing::error!("bulk job {}: {message}", job.id);
        fail(state, job.id, claim, &message).await;
    }
}

/// Applies the change in batches of [`BATCH`]: each batch updates its phones, writes its audit
/// row and advances the job's progress in one transaction, which commits only while `claim`
/// holds the job (else the run stops and leaves the job to its new holder). `already`: phones
/// changed by earlier runs of the job.
async fn run(
    state: &AppState,
    job_id: i32,
    req: &BulkRequest,
    actor: &Actor,
    claim: &str,
    already: i64,
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
    let who = actor.name.clone().unwrap_or_default();
    let mut changed_total: i64 = already;
    loop {
        let ids = phones::ids_to_set(
            &state.db,
            &query,
            &allowed,
            (target.column(), target.value()),
            BATCH,
        )
        .await?;
        if ids.is_empty() {
            break;
        }
        let now = state.clock.now();
        let txn = state.db.begin().await?;
        // First, so that a node that lost the job changes nothing more (on PostgreSQL the row
        // stays locked until the batch commits, so no other node can claim it meanwhile).
        if !renew(&txn, now, job_id, claim).await? {
            txn.rollback().await?;
            tracing::warn!("bulk job {job_id}: no longer held by {claim}; stopped");
            return Ok(());
        }
        let deadline = now + chrono::Duration::days(super::phones::expiry_days(&txn).await?);
        let updated = phones::set_in_bulk(
            &txn,
            ids.clone(),
            (target.column(), target.value()),
            target.also(deadline),
            now,
            &who,
        )
        .await?;
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
        // Security mode, hardening and a CAPF operation all need a reset of each changed device
        // (R10): the phone reads its new file then.
        actions::record_device_resets(&txn, now, &ids, &detail, audit_id).await?;
        let progress = crate::store::jobs::Progress {
            processed: n,
            changed: n,
            ..Default::default()
        };
        crate::store::jobs::add_progress(&txn, job_id, progress, now).await?;
        txn.commit().await?;
    }
    crate::store::jobs::finish_claimed(
        &state.db,
        job_id,
        claim,
        format!("{changed_total} phones changed"),
        state.clock.now(),
    )
    .await?;
    Ok(())
}

/// A job's progress (without its stored request, which for an import is a whole file).
pub async fn job(
    state: &AppState,
    _grant: &Grant<area::Phone, Reads>,
    id: i32,
) -> Result<JobInfo, AppError> {
    crate::store::jobs::find_without_params(&state.db, id)
        .await?
        .map(job_info)
        .ok_or_else(|| AppError::NotFound(format!("Job {id}")))
}
