//! Bulk Administration's phone import and export, in CallManager's BAT manner.
//!
//! *Validate* reads a CSV file (the export's format, columns in any order) against the store and
//! reports, per row, every refused value with its line and column, the counts of inserts,
//! updates, unchanged and refused rows, and the R5/R7 warnings. *Import* stores the file in a
//! job and applies it in batches: each batch inserts and updates its phones, writes its audit
//! row, records the resets its changes require (R10) and advances the job, in one transaction,
//! so a row is never half written. A job interrupted by a stop is resumed by the next node that
//! looks (the claim of [`super::job_claims`]): the file is planned again against the store, where the
//! rows already applied are now unchanged, so it goes on where the last batch committed.
//!
//! *Export* writes the phones matching a Find and List filter as CSV, a page at a time, so that
//! 100,000 phones never sit in memory.

use std::collections::HashMap;

use chrono::Duration;
use sea_orm::{Set, TransactionTrait};
use serde_json::json;

use super::audit::{self, Event};
use super::authz::{area, Grant, Reads, Writes};
use super::errors::internal;
use super::job_claims::{claim_token, fail, job_info, keep_claim, renew};
use super::phones::{self as phone_service, facts, Facts, CAPF_OPERATION_EXPIRES_DAYS, MASK};
use super::principal::Actor;
use super::{templates, AppState};
use crate::domain::audit::{object, AuditAction};
use crate::domain::bat::{self, Column, Row};
use crate::domain::csv;
use crate::domain::device::{CertificateOperation, PhoneFields};
use crate::domain::security::device_change_requires;
use crate::error::AppError;
use crate::model::imports::{
    ImportAction, ImportMode, ImportReport, ImportRequest, RowProblem, TemplateFields, MAX_REPORTED,
};
use crate::model::{JobInfo, PhoneFilter};
use crate::store::actions;
use crate::store::entities::{devices, jobs};
use crate::store::phones::{self, PhoneQuery};

/// The kind of an import job.
pub const KIND: &str = "bulk_phone_import";
/// Rows applied per transaction.
pub const BATCH: usize = 1_000;
/// Phones read per page of an export, and names looked up per query while planning.
const PAGE: u64 = 1_000;

/// What one row does to the store.
#[derive(Debug, Clone)]
enum Change {
    /// A new phone.
    Insert(PhoneFields),
    /// An existing phone (`id`, read at `version`) gets `fields`; `reset`: the change requires
    /// a reset of the device (R10).
    Update {
        id: i32,
        version: i32,
        fields: PhoneFields,
        before: Box<PhoneFields>,
        reset: bool,
    },
}

/// A row that changes the store.
#[derive(Debug, Clone)]
struct Planned {
    line: u64,
    change: Change,
}

/// The file planned against the store: the report and the changes to make.
struct Plan {
    report: ImportReport,
    changes: Vec<Planned>,
    facts: Facts,
}

fn note(list: &mut Vec<RowProblem>, truncated: &mut bool, line: u64, column: &str, reason: &str) {
    if list.len() < MAX_REPORTED {
        list.push(RowProblem {
            line,
            column: column.to_owned(),
            reason: reason.to_owned(),
        });
    } else {
        *truncated = true;
    }
}

fn file_error(reason: String) -> AppError {
    AppError::invalid("File", reason)
}

/// The records of the file, refused before any work when over the limits (named).
fn records(state: &AppState, text: &str) -> Result<(Vec<bat::Column>, Vec<csv::Record>), AppError> {
    let limits = state.import_limits;
    if text.len() > limits.max_bytes {
        return Err(file_error(format!(
            "is {} bytes; the limit is {} bytes ({} MiB)",
            text.len(),
            limits.max_bytes,
            limits.max_bytes / (1024 * 1024)
        )));
    }
    let bounds = csv::Bounds {
        records: limits.max_rows.saturating_add(1),
        cells: Column::ALL.len(),
    };
    let mut records = csv::parse(text, bounds).map_err(|e| {
        if e.too_many_records {
            file_error(format!(
                "has more than {} rows; the limit is {} rows",
                limits.max_rows, limits.max_rows
            ))
        } else {
            file_error(e.to_string())
        }
    })?;
    if let Some(line) = csv::replacement_line(text) {
        return Err(file_error(format!(
            "line {line}: is not UTF-8 text (save the file as CSV UTF-8)"
        )));
    }
    if records.is_empty() {
        return Err(file_error(
            "is empty: its first line must be the header row".to_owned(),
        ));
    }
    let header = records.remove(0);
    let columns = bat::header(&header.cells).map_err(|p| {
        file_error(format!(
            "line {}, column {:?}: {}",
            header.line, p.column, p.reason
        ))
    })?;
    Ok((columns, records))
}

/// Fills the fields a template gives into `base`.
fn with_template(mut base: PhoneFields, t: &TemplateFields) -> PhoneFields {
    base.model.clone_from(&t.model);
    base.protocol = t.protocol;
    base.device_pool.clone_from(&t.device_pool);
    base.security_mode = t.security_mode;
    base.built_in_bridge = t.built_in_bridge;
    base.hardening = t.hardening;
    base
}

/// How a plan takes the node's import slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Turn {
    /// An admin's request: refused at once while another file is being read.
    Now,
    /// A resumed job: waits its turn.
    Wait,
}

/// Reads the file and plans it against the store as of now; the rows on lines up to
/// `after_line` (applied by an earlier run of the job) are left out.
async fn plan(
    state: &AppState,
    req: &ImportRequest,
    after_line: u64,
    turn: Turn,
) -> Result<Plan, AppError> {
    let _slot = if turn == Turn::Now {
        state.import_slot.try_acquire().map_err(|_| {
            AppError::Unavailable(
                "another CSV file is being checked on this node; try again in a moment".to_owned(),
            )
        })?
    } else {
        state.import_slot.acquire().await.map_err(internal)?
    };
    let (columns, mut records) = records(state, &req.csv)?;
    let rows_in_file = records.len() as u64;
    records.retain(|r| r.line > after_line);
    let facts = facts(state).await?;
    let templates: HashMap<String, TemplateFields> = templates::all(&state.read)
        .await?
        .into_iter()
        .map(|t| (t.fields.name.clone(), t.fields))
        .collect();
    let mut report = ImportReport {
        rows: rows_in_file,
        ..Default::default()
    };
    let mut truncated = false;
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    // Rows that read, with their line; the first refusal of each row is reported.
    let mut rows: Vec<Row> = Vec::with_capacity(records.len());
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in &records {
        let row = match bat::row(&columns, record) {
            Ok(row) => row,
            Err(p) => {
                report.refused += 1;
                note(
                    &mut problems,
                    &mut truncated,
                    record.line,
                    &p.column,
                    &p.reason,
                );
                continue;
            }
        };
        if row.name().is_empty() {
            report.refused += 1;
            note(
                &mut problems,
                &mut truncated,
                row.line,
                "Device Name",
                "is required",
            );
            continue;
        }
        if let Some(first) = seen.get(row.name()) {
            report.refused += 1;
            let reason = format!("{} is also on line {first}", row.name());
            note(
                &mut problems,
                &mut truncated,
                row.line,
                "Device Name",
                &reason,
            );
            continue;
        }
        seen.insert(row.name().to_owned(), row.line);
        rows.push(row);
    }
    let mut existing: HashMap<String, devices::Model> = HashMap::new();
    for chunk in rows.chunks(PAGE as usize) {
        let names: Vec<&str> = chunk.iter().map(Row::name).collect();
        for d in phones::by_names(&state.read, &names).await? {
            existing.insert(d.name.clone(), d);
        }
    }
    let mut changes = Vec::new();
    for row in rows {
        let line = row.line;
        let stored = existing.remove(row.name());
        let refusal = match (&stored, req.action) {
            (Some(_), ImportAction::InsertOnly) => {
                Some("already exists, and the action inserts new phones only")
            }
            (None, ImportAction::UpdateOnly) => {
                Some("no phone has this name, and the action updates existing phones only")
            }
            _ => None,
        };
        if let Some(reason) = refusal {
            report.refused += 1;
            note(&mut problems, &mut truncated, line, "Device Name", reason);
            continue;
        }
        let template = match row.get(Column::Template) {
            None => None,
            Some(name) => match templates.get(name) {
                Some(t) => Some(t),
                None => {
                    report.refused += 1;
                    let reason = format!("{name:?} is not a phone template");
                    note(&mut problems, &mut truncated, line, "Template", &reason);
                    continue;
                }
            },
        };
        let before = stored.as_ref().map(|d| facts.detail(d.clone()).fields);
        // An existing phone keeps its stored value where the row is empty; a new one takes the
        // template's, then the page's defaults.
        let base = match (&before, template) {
            (Some(before), _) => before.clone(),
            (None, Some(t)) => with_template(PhoneFields::new(row.name(), "", ""), t),
            (None, None) => PhoneFields::new(row.name(), "", ""),
        };
        let fields = match bat::apply(&row, base, MASK) {
            Ok(f) => f,
            Err(p) => {
                report.refused += 1;
                note(&mut problems, &mut truncated, line, &p.column, &p.reason);
                continue;
            }
        };
        if before.is_none() {
            let missing = [
                (Column::PhoneModel, fields.model.is_empty()),
                (Column::DevicePool, fields.device_pool.is_empty()),
            ]
            .into_iter()
            .find(|(_, empty)| *empty);
            if let Some((column, _)) = missing {
                report.refused += 1;
                note(
                    &mut problems,
                    &mut truncated,
                    line,
                    column.header(),
                    "is required for a new phone (or name a Template that gives it)",
                );
                continue;
            }
        }
        // A row equal to the stored phone changes nothing, so it is never refused.
        if before.as_ref() == Some(&fields) {
            report.unchanged += 1;
            continue;
        }
        let model_id = match facts.check(&fields) {
            Ok((model_id, _)) => model_id,
            Err(AppError::Invalid { field, reason }) => {
                report.refused += 1;
                note(&mut problems, &mut truncated, line, &field, &reason);
                continue;
            }
            Err(e) => return Err(e),
        };
        for warning in facts.warnings(&fields) {
            note(
                &mut warnings,
                &mut truncated,
                line,
                "Built In Bridge",
                &warning,
            );
        }
        let effective = facts.effective(fields.security_mode, model_id);
        if effective.reason.contains("(R7)") {
            note(
                &mut warnings,
                &mut truncated,
                line,
                "Device Security Mode",
                &effective.reason,
            );
        }
        let change = match (stored, before) {
            (Some(d), Some(before)) => {
                report.updates += 1;
                let reset = !device_change_requires(
                    &fields.name,
                    before.security_mode,
                    fields.security_mode,
                    &before.hardening,
                    &fields.hardening,
                )
                .is_empty();
                Change::Update {
                    id: d.id,
                    version: d.version,
                    fields,
                    before: Box::new(before),
                    reset,
                }
            }
            _ => {
                report.inserts += 1;
                Change::Insert(fields)
            }
        };
        changes.push(Planned { line, change });
    }
    problems.sort_by_key(|p| p.line);
    report.problems = problems;
    report.warnings = warnings;
    report.truncated = truncated;
    Ok(Plan {
        report,
        changes,
        facts,
    })
}

/// What importing `req` would do, row by row; nothing is written.
pub async fn validate(
    state: &AppState,
    _grant: &Grant<area::Phone, Writes>,
    req: &ImportRequest,
) -> Result<ImportReport, AppError> {
    Ok(plan(state, req, 0, Turn::Now).await?.report)
}

/// Starts importing `req` as a job and returns it at once. In all-or-nothing mode a file with a
/// refused row is refused whole, with the count and the first refusal.
pub async fn start(
    state: &AppState,
    grant: &Grant<area::Phone, Writes>,
    req: ImportRequest,
) -> Result<JobInfo, AppError> {
    let plan = plan(state, &req, 0, Turn::Now).await?;
    let report = &plan.report;
    if req.mode == ImportMode::AllOrNothing && report.refused > 0 {
        let first = report
            .problems
            .first()
            .map(|p| format!("; the first is line {}, {}: {}", p.line, p.column, p.reason))
            .unwrap_or_default();
        return Err(file_error(format!(
            "{} rows are refused, so nothing was imported (all or nothing){first}",
            report.refused
        )));
    }
    let now = state.clock.now();
    let claim = claim_token(state);
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let row = crate::store::jobs::insert(
        &state.db,
        crate::store::jobs::NewJob {
            kind: KIND,
            total: count(report.rows),
            processed: count(report.unchanged + report.refused),
            refused: count(report.refused),
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
    let mode = req.mode;
    tokio::spawn(async move {
        let outcome = tokio::select! {
            done = apply(&state, row.id, plan, mode, &actor, &claim) => done,
            () = keep_claim(&state, row.id, &claim) => Ok(()),
        };
        if let Err(err) = outcome {
            tracing::error!("import job {} failed: {err}", row.id);
            fail(&state, row.id, &claim, &err.to_string()).await;
        }
        forget_file(&state, row.id).await;
    });
    Ok(job)
}

/// Goes on with import job `job` (claimed by `claim`) after a stop: plans its file again — the
/// rows already applied are unchanged now — and applies the rest, or marks it failed.
pub(crate) async fn resume(state: &AppState, job: &jobs::Model, claim: &str) {
    let outcome = async {
        let req: ImportRequest = serde_json::from_str(&job.params)
            .map_err(|e| file_error(format!("the stored file cannot be read back: {e}")))?;
        let after_line = u64::try_from(job.cursor.unwrap_or(0)).unwrap_or(0);
        let plan = plan(state, &req, after_line, Turn::Wait).await?;
        if req.mode == ImportMode::AllOrNothing && plan.report.refused > 0 {
            return Err(file_error(format!(
                "{} rows are refused now (the store changed while the console was stopped)",
                plan.report.refused
            )));
        }
        tracing::info!(
            "import job {} resumed: {} rows left to apply",
            job.id,
            plan.changes.len()
        );
        // Every row but the ones left to apply counts as processed.
        let left = i64::try_from(plan.changes.len()).unwrap_or(0);
        crate::store::jobs::set_processed(&state.db, job.id, claim, job.total - left).await?;
        let actor = Actor {
            user_id: None,
            name: (!job.created_by.is_empty()).then(|| job.created_by.clone()),
            address: None,
        };
        tokio::select! {
            done = apply(state, job.id, plan, req.mode, &actor, claim) => done,
            () = keep_claim(state, job.id, claim) => Ok(()),
        }
    }
    .await;
    if let Err(e) = outcome {
        let message = format!(
            "interrupted by a restart of the console after {} changes; resuming it failed: {e}",
            job.changed
        );
        tracing::error!("import job {}: {message}", job.id);
        fail(state, job.id, claim, &message).await;
    }
    forget_file(state, job.id).await;
}

/// Replaces an import job's stored file (CAPF strings included) by a summary once the job has
/// ended: the file is needed only to resume it.
async fn forget_file(state: &AppState, job_id: i32) {
    let summary = json!({ "file": "removed when the import ended" }).to_string();
    let forgotten = crate::store::jobs::replace_params_when_ended(&state.db, job_id, summary).await;
    if let Err(e) = forgotten {
        tracing::error!("import job {job_id}: its file was not removed: {e}");
    }
}

/// The new row of `fields` as inserted by an import at `now` by `who`.
fn new_row(
    facts: &Facts,
    fields: &PhoneFields,
    now: chrono::DateTime<chrono::Utc>,
    who: &str,
) -> Result<devices::ActiveModel, AppError> {
    let (model_id, pool_id) = facts.check(fields)?;
    let pending = fields.certificate_operation != CertificateOperation::NoPendingOperation;
    let mut active = devices::ActiveModel {
        certificate_operation_status: Set(if pending { "Pending" } else { "None" }.to_owned()),
        lsc_status: Set("None".to_owned()),
        operation_completes_by: Set(
            pending.then(|| now + Duration::days(CAPF_OPERATION_EXPIRES_DAYS))
        ),
        version: Set(1),
        updated_at: Set(now),
        updated_by: Set(who.to_owned()),
        ..Default::default()
    };
    phone_service::apply(&mut active, fields, model_id, pool_id);
    Ok(active)
}

/// Why a planned row was left as it is: another admin changed or inserted that phone after the
/// file was checked (it is never overwritten).
fn taken_meanwhile(line: u64, name: &str) -> String {
    format!(
        "line {line}: {name} was changed or inserted by someone else after the file was checked"
    )
}

/// Applies the planned changes in batches of [`BATCH`] while `claim` holds job `job_id`, then
/// marks it done. Each batch commits its rows, its audit row, its R10 resets and the job's
/// progress and cursor (its last line) together. A row another admin changed or inserted since
/// it was planned is never overwritten: with [`ImportMode::ValidRows`] it is counted refused; with
/// [`ImportMode::AllOrNothing`] its batch is rolled back and the job stops there, saying what the
/// batches before it applied.
async fn apply(
    state: &AppState,
    job_id: i32,
    plan: Plan,
    mode: ImportMode,
    actor: &Actor,
    claim: &str,
) -> Result<(), AppError> {
    let who = actor.name.clone().unwrap_or_default();
    let facts = &plan.facts;
    let mut applied: i64 = 0;
    for batch in plan.changes.chunks(BATCH) {
        let now = state.clock.now();
        let txn = state.db.begin().await?;
        if !renew(&txn, now, job_id, claim).await? {
            txn.rollback().await?;
            tracing::warn!("import job {job_id}: no longer held by {claim}; stopped");
            return Ok(());
        }
        let mut inserts = Vec::new();
        let mut inserted_names = Vec::new();
        let mut updated = Vec::new();
        let mut reset_ids = Vec::new();
        let mut refused: i64 = 0;
        for planned in batch {
            let lost = match &planned.change {
                Change::Insert(fields) => {
                    inserts.push(new_row(facts, fields, now, &who)?);
                    inserted_names.push(fields.name.clone());
                    None
                }
                Change::Update {
                    id,
                    version,
                    fields,
                    before,
                    reset,
                } => {
                    let (model_id, pool_id) = facts.check(fields)?;
                    let mut active = devices::ActiveModel {
                        id: sea_orm::Unchanged(*id),
                        ..Default::default()
                    };
                    phone_service::apply(&mut active, fields, model_id, pool_id);
                    if before.certificate_operation != fields.certificate_operation {
                        let pending = fields.certificate_operation
                            != CertificateOperation::NoPendingOperation;
                        active.certificate_operation_status =
                            Set(if pending { "Pending" } else { "None" }.to_owned());
                        active.operation_completes_by =
                            Set(pending.then(|| now + Duration::days(CAPF_OPERATION_EXPIRES_DAYS)));
                    }
                    active.updated_at = Set(now);
                    active.updated_by = Set(who.clone());
                    let done = crate::store::versioned::update(&txn, active, *version).await?;
                    if done.is_some() {
                        updated.push(json!({
                            "name": fields.name,
                            "security_mode": [before.security_mode.label(), fields.security_mode.label()],
                        }));
                        if *reset {
                            reset_ids.push(*id);
                        }
                        None
                    } else {
                        Some(&fields.name)
                    }
                }
            };
            if let Some(name) = lost {
                let why = taken_meanwhile(planned.line, name);
                if mode == ImportMode::AllOrNothing {
                    txn.rollback().await?;
                    return Err(AppError::Conflict(format!(
                        "{why}; the import stopped there (all or nothing), after {applied} \
                         phones were inserted or updated by the batches before it"
                    )));
                }
                tracing::warn!("import job {job_id}: {why}; left as it is");
                refused += 1;
            }
        }
        if !inserts.is_empty() {
            // A name someone else inserted since the file was checked is left to them (no
            // lookup before: on a table growing by the batch, a lookup costs more than the insert).
            let wanted = inserts.len();
            let inserted = phones::insert_new_many(&txn, inserts).await?;
            let inserted = usize::try_from(inserted).unwrap_or(0);
            if inserted < wanted {
                let first = batch.first().map_or(0, |p| p.line);
                let last = batch.last().map_or(0, |p| p.line);
                let why = format!(
                    "lines {first}–{last}: {} new phones were inserted by someone else after the \
                     file was checked",
                    wanted - inserted
                );
                if mode == ImportMode::AllOrNothing {
                    txn.rollback().await?;
                    return Err(AppError::Conflict(format!(
                        "{why}; the import stopped there (all or nothing), after {applied} \
                         phones were inserted or updated by the batches before it"
                    )));
                }
                tracing::warn!("import job {job_id}: {why}; left as they are");
                refused += i64::try_from(wanted - inserted).unwrap_or(0);
                // Only this batch's own rows carry its instant and its author.
                let ours: std::collections::HashSet<String> = phones::by_names(
                    &txn,
                    &inserted_names
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>(),
                )
                .await?
                .into_iter()
                .filter(|d| d.version == 1 && d.updated_at == now && d.updated_by == who)
                .map(|d| d.name)
                .collect();
                inserted_names.retain(|n| ours.contains(n));
            }
        }
        let changed = i64::try_from(inserted_names.len() + updated.len()).unwrap_or(0);
        let detail = format!(
            "Bulk import: {} phones inserted, {} updated",
            inserted_names.len(),
            updated.len()
        );
        let audit_id = audit::record(
            &txn,
            now,
            actor,
            Event {
                action: AuditAction::Update,
                object_type: object::PHONE,
                object_name: &format!("bulk import job {job_id}"),
                before: None,
                after: Some(json!({ "inserted": inserted_names, "updated": updated })),
                detail: detail.clone(),
            },
        )
        .await?;
        actions::record_device_resets(&txn, now, &reset_ids, &detail, audit_id).await?;
        let n = i64::try_from(batch.len()).unwrap_or(0);
        let last_line = batch
            .last()
            .map_or(0, |p| i64::try_from(p.line).unwrap_or(i64::MAX));
        let progress = crate::store::jobs::Progress {
            processed: n,
            changed,
            refused,
            cursor: Some(last_line),
        };
        crate::store::jobs::add_progress(&txn, job_id, progress, now).await?;
        txn.commit().await?;
        applied += changed;
        state.changed.notify_one();
    }
    let row = crate::store::jobs::find(&state.db, job_id).await?;
    let message = row.map_or_else(String::new, |j| {
        format!(
            "{} phones inserted or updated, {} unchanged, {} refused",
            j.changed,
            (j.total - j.changed - j.refused).max(0),
            j.refused
        )
    });
    crate::store::jobs::finish_claimed(&state.db, job_id, claim, message, state.clock.now())
        .await?;
    Ok(())
}

/// A streamed export of the phones matching a filter: [`PhoneExport::next_chunk`] gives the
/// header, then a page of rows at a time, then `None`.
pub struct PhoneExport {
    state: AppState,
    facts: Facts,
    query: PhoneQuery,
    reveal: bool,
    after: Option<String>,
    header_sent: bool,
    done: bool,
}

/// Starts an export of the phones matching `filter` (all of them for an empty filter), and
/// audits it. CAPF authentication strings are written only when asked for with Phone Full
/// Access (`reveal`); otherwise a set one is written masked, which an import reads as "keep the
/// stored one".
pub async fn export_phones(
    state: &AppState,
    grant: &Grant<area::Phone, Reads>,
    reveal: Option<&Grant<area::Phone, Writes>>,
    filter: &PhoneFilter,
) -> Result<PhoneExport, AppError> {
    let facts = facts(state).await?;
    let query = facts.query_of(filter)?;
    let strings = if reveal.is_some() { "shown" } else { "masked" };
    audit::record(
        &state.db,
        state.clock.now(),
        &grant.actor,
        Event {
            action: AuditAction::Export,
            object_type: object::PHONE,
            object_name: "phones.csv",
            before: None,
            after: Some(json!({ "filter": filter, "authentication_strings": strings })),
            detail: format!("Phones exported as CSV (authentication strings {strings})"),
        },
    )
    .await?;
    Ok(PhoneExport {
        state: state.clone(),
        facts,
        query,
        reveal: reveal.is_some(),
        after: None,
        header_sent: false,
        done: false,
    })
}

impl PhoneExport {
    /// The next piece of the file, or `None` at its end.
    pub async fn next_chunk(&mut self) -> Result<Option<String>, AppError> {
        let mut out = String::new();
        if !self.header_sent {
            self.header_sent = true;
            csv::push_record(&mut out, Column::EXPORTED.map(Column::header));
            return Ok(Some(out));
        }
        if self.done {
            return Ok(None);
        }
        let rows =
            phones::after(&self.state.read, &self.query, self.after.as_deref(), PAGE).await?;
        if (rows.len() as u64) < PAGE {
            self.done = true;
        }
        let Some(last) = rows.last() else {
            return Ok(None);
        };
        self.after = Some(last.name.clone());
        for row in rows {
            let status = row.certificate_operation_status.clone();
            let lsc = row.lsc_status.clone();
            let mut fields = self.facts.detail(row).fields;
            if !self.reveal && !fields.authentication_string.is_empty() {
                fields.authentication_string = MASK.to_owned();
            }
            let cells = bat::export_cells(&fields, &status, &lsc);
            csv::push_record(&mut out, cells.iter().map(String::as_str));
        }
        Ok(Some(out))
    }
}

/// Every device pool as CSV: Device Pool Name, Cisco CallManager Group, Date/Time Group, Region,
/// SRST Reference.
pub async fn pools_csv(
    state: &AppState,
    grant: &Grant<area::System, Reads>,
) -> Result<String, AppError> {
    let mut out = String::new();
    csv::push_record(
        &mut out,
        [
            "Device Pool Name",
            "Cisco CallManager Group",
            "Date/Time Group",
            "Region",
            "SRST Reference",
        ],
    );
    for p in super::device_pools::list(state, grant).await? {
        let srst = p.fields.srst.label();
        csv::push_record(
            &mut out,
            [
                p.fields.name.as_str(),
                p.fields.callmanager_group.as_str(),
                crate::domain::pools::DATE_TIME_GROUP,
                p.fields.region.as_str(),
                srst.as_str(),
            ],
        );
    }
    Ok(out)
}

/// Every CallManager group as CSV: Cisco CallManager Group Name, Auto-registration, and its
/// servers in order (Primary, Secondary, Tertiary).
pub async fn groups_csv(
    state: &AppState,
    grant: &Grant<area::System, Reads>,
) -> Result<String, AppError> {
    let mut out = String::new();
    csv::push_record(
        &mut out,
        [
            "Cisco CallManager Group Name",
            "Auto-registration Cisco CallManager Group",
            "Primary",
            "Secondary",
            "Tertiary",
        ],
    );
    for g in super::callmanager_groups::list(state, grant).await? {
        let member = |i: usize| g.fields.members.get(i).map_or("", String::as_str);
        let auto = if g.fields.auto_registration {
            "Yes"
        } else {
            "No"
        };
        csv::push_record(
            &mut out,
            [
                g.fields.name.as_str(),
                auto,
                member(0),
                member(1),
                member(2),
            ],
        );
    }
    Ok(out)
}
