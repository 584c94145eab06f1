//! Queries on the job tables: `jobs` (reset, restart, bulk change and import jobs, with the node
//! that claims each) and `job_devices` (the status of every device of a reset or restart job).
//! The reset-job worker of the server calls these for its loop; the services `resets`, `bulk`
//! and `imports` start and control the jobs.

use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Iterable,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::entities::{device_contacts, device_resets, job_devices, jobs};
use super::phones::{select_matching, PhoneQuery};
use crate::domain::jobs::{DeviceStatus, JobStatus};

/// A stored job (its kind, status, progress and claim).
pub type Job = jobs::Model;

/// A time in the store's clock.
type Time = chrono::DateTime<chrono::Utc>;

/// Jobs `me` may work: unclaimed, claimed by it, or claimed by a node whose last renewal is
/// older than `stale_before`.
fn claimable(me: &str, stale_before: Time) -> Condition {
    Condition::any()
        .add(jobs::Column::Worker.is_null())
        .add(jobs::Column::Worker.eq(me))
        .add(jobs::Column::HeartbeatAt.lt(stale_before))
}

/// The running or paused jobs of `kinds` that nobody or `me` claims.
pub async fn open_of<C: ConnectionTrait>(
    db: &C,
    kinds: &[&str],
    me: &str,
) -> Result<Vec<i32>, DbErr> {
    jobs::Entity::find()
        .select_only()
        .column(jobs::Column::Id)
        .filter(jobs::Column::Kind.is_in(kinds.iter().copied()))
        .filter(jobs::Column::Status.is_in([JobStatus::Running, JobStatus::Paused]))
        .filter(
            Condition::any()
                .add(jobs::Column::Worker.is_null())
                .add(jobs::Column::Worker.eq(me)),
        )
        .into_tuple()
        .all(db)
        .await
}

/// The devices of `job_ids` sent with no answer yet go back to pending.
pub async fn resend_unanswered<C: ConnectionTrait>(db: &C, job_ids: Vec<i32>) -> Result<(), DbErr> {
    if job_ids.is_empty() {
        return Ok(());
    }
    job_devices::Entity::update_many()
        .col_expr(
            job_devices::Column::Status,
            Expr::value(DeviceStatus::Pending),
        )
        .filter(job_devices::Column::JobId.is_in(job_ids))
        .filter(job_devices::Column::Status.eq(DeviceStatus::Sent))
        .exec(db)
        .await?;
    Ok(())
}

/// Claims job `id` for `me` at `now` (renewing the claim when `me` holds it); false when another
/// node holds a claim renewed since `stale_before`. One conditional UPDATE, so that two nodes
/// never both take it.
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    id: i32,
    me: &str,
    now: Time,
    stale_before: Time,
) -> Result<bool, DbErr> {
    Ok(jobs::Entity::update_many()
        .col_expr(jobs::Column::Worker, Expr::value(me))
        .col_expr(jobs::Column::HeartbeatAt, Expr::value(now))
        .filter(jobs::Column::Id.eq(id))
        .filter(claimable(me, stale_before))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// The oldest running job of `kinds` that `me` may work.
pub async fn next_running<C: ConnectionTrait>(
    db: &C,
    kinds: &[&str],
    me: &str,
    stale_before: Time,
) -> Result<Option<jobs::Model>, DbErr> {
    jobs::Entity::find()
        .filter(jobs::Column::Kind.is_in(kinds.iter().copied()))
        .filter(jobs::Column::Status.eq(JobStatus::Running))
        .filter(claimable(me, stale_before))
        .order_by_asc(jobs::Column::Id)
        .one(db)
        .await
}

/// Job `id`.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<jobs::Model>, DbErr> {
    jobs::Entity::find_by_id(id).one(db).await
}

/// Sets the message job `id` shows (no write when it shows it already).
pub async fn set_message<C: ConnectionTrait>(db: &C, id: i32, message: &str) -> Result<(), DbErr> {
    jobs::Entity::update_many()
        .col_expr(jobs::Column::Message, Expr::value(message))
        .filter(jobs::Column::Id.eq(id))
        .filter(jobs::Column::Message.ne(message))
        .exec(db)
        .await?;
    Ok(())
}

/// How many devices of job `id` have no final status yet (pending or sent).
pub async fn unfinished_devices<C: ConnectionTrait>(db: &C, id: i32) -> Result<u64, DbErr> {
    job_devices::Entity::find()
        .filter(job_devices::Column::JobId.eq(id))
        .filter(job_devices::Column::Status.is_in([DeviceStatus::Pending, DeviceStatus::Sent]))
        .count(db)
        .await
}

/// Up to `n` pending devices of job `id`, oldest first.
pub async fn take_pending<C: ConnectionTrait>(
    db: &C,
    id: i32,
    n: u64,
) -> Result<Vec<job_devices::Model>, DbErr> {
    job_devices::Entity::find()
        .filter(job_devices::Column::JobId.eq(id))
        .filter(job_devices::Column::Status.eq(DeviceStatus::Pending))
        .order_by_asc(job_devices::Column::Id)
        .limit(n)
        .all(db)
        .await
}

/// The stored SIP contacts of `device_ids`.
pub async fn contacts_of<C: ConnectionTrait>(
    db: &C,
    device_ids: impl IntoIterator<Item = i32>,
) -> Result<Vec<device_contacts::Model>, DbErr> {
    device_contacts::Entity::find()
        .filter(device_contacts::Column::DeviceId.is_in(device_ids))
        .all(db)
        .await
}

/// The pending devices `ids` were sent a NOTIFY at `contact`.
pub async fn mark_sent<C: ConnectionTrait>(
    db: &C,
    ids: Vec<i64>,
    contact: &str,
    now: Time,
) -> Result<(), DbErr> {
    job_devices::Entity::update_many()
        .col_expr(job_devices::Column::Status, Expr::value(DeviceStatus::Sent))
        .col_expr(job_devices::Column::Contact, Expr::value(contact))
        .col_expr(job_devices::Column::UpdatedAt, Expr::value(now))
        .filter(job_devices::Column::Id.is_in(ids))
        .filter(job_devices::Column::Status.eq(DeviceStatus::Pending))
        .exec(db)
        .await?;
    Ok(())
}

/// Devices `ids` have no contact to reach them at: final status "not registered".
pub async fn mark_not_registered<C: ConnectionTrait>(
    db: &C,
    ids: Vec<i64>,
    detail: &str,
    now: Time,
) -> Result<(), DbErr> {
    job_devices::Entity::update_many()
        .col_expr(
            job_devices::Column::Status,
            Expr::value(DeviceStatus::NotRegistered),
        )
        .col_expr(job_devices::Column::Detail, Expr::value(detail))
        .col_expr(job_devices::Column::UpdatedAt, Expr::value(now))
        .filter(job_devices::Column::Id.is_in(ids))
        .exec(db)
        .await?;
    Ok(())
}

/// The answers of the sent devices `ids`: one status, attempt count and detail for all of them.
pub async fn record_outcomes<C: ConnectionTrait>(
    db: &C,
    ids: Vec<i64>,
    status: DeviceStatus,
    attempts: i32,
    detail: &str,
    now: Time,
) -> Result<(), DbErr> {
    job_devices::Entity::update_many()
        .col_expr(job_devices::Column::Status, Expr::value(status.key()))
        .col_expr(job_devices::Column::Attempts, Expr::value(attempts))
        .col_expr(job_devices::Column::Detail, Expr::value(detail))
        .col_expr(job_devices::Column::UpdatedAt, Expr::value(now))
        .filter(job_devices::Column::Id.is_in(ids))
        .filter(job_devices::Column::Status.eq(DeviceStatus::Sent))
        .exec(db)
        .await?;
    Ok(())
}

/// Jobs never claimed, or whose claim was last renewed before `stale_before`.
fn stale_claim(stale_before: Time) -> Condition {
    Condition::any()
        .add(jobs::Column::HeartbeatAt.is_null())
        .add(jobs::Column::HeartbeatAt.lt(stale_before))
}

/// Renews `claim` on job `id` at `now`; false when the job is no longer running under it.
pub async fn renew<C: ConnectionTrait>(
    db: &C,
    id: i32,
    claim: &str,
    now: Time,
) -> Result<bool, DbErr> {
    Ok(jobs::Entity::update_many()
        .col_expr(jobs::Column::HeartbeatAt, Expr::value(now))
        .filter(jobs::Column::Id.eq(id))
        .filter(jobs::Column::Worker.eq(claim))
        .filter(jobs::Column::Status.eq(JobStatus::Running))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Marks job `id` failed with `message`, while `claim` holds it.
pub async fn fail<C: ConnectionTrait>(
    db: &C,
    id: i32,
    claim: &str,
    message: &str,
    now: Time,
) -> Result<(), DbErr> {
    jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, Expr::value(JobStatus::Failed))
        .col_expr(jobs::Column::Message, Expr::value(message))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
        .filter(jobs::Column::Id.eq(id))
        .filter(jobs::Column::Worker.eq(claim))
        .exec(db)
        .await?;
    Ok(())
}

/// The jobs of `kinds` in one of `statuses` whose claim went stale by `stale_before`, oldest
/// first.
pub async fn stale_of<C: ConnectionTrait>(
    db: &C,
    kinds: &[&str],
    statuses: &[JobStatus],
    stale_before: Time,
) -> Result<Vec<jobs::Model>, DbErr> {
    jobs::Entity::find()
        .filter(jobs::Column::Kind.is_in(kinds.iter().copied()))
        .filter(jobs::Column::Status.is_in(statuses.iter().copied()))
        .filter(stale_claim(stale_before))
        .order_by_asc(jobs::Column::Id)
        .all(db)
        .await
}

/// Takes job `id` over with `claim` (running again) if it is still in one of `statuses` with a
/// stale claim: one conditional UPDATE, so that one node only takes it.
pub async fn take_over<C: ConnectionTrait>(
    db: &C,
    id: i32,
    statuses: &[JobStatus],
    claim: &str,
    now: Time,
    stale_before: Time,
) -> Result<bool, DbErr> {
    Ok(jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, Expr::value(JobStatus::Running))
        .col_expr(jobs::Column::Worker, Expr::value(claim))
        .col_expr(jobs::Column::HeartbeatAt, Expr::value(now))
        .filter(jobs::Column::Id.eq(id))
        .filter(jobs::Column::Status.is_in(statuses.iter().copied()))
        .filter(stale_claim(stale_before))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Records in `device_resets` that job `id` reached at `now` its devices whose status is one of
/// `reached` (and that still exist), one row per device, replacing an older time.
pub async fn record_reached<C: ConnectionTrait>(
    db: &C,
    id: i32,
    reached: &[&str],
    now: Time,
) -> Result<(), DbErr> {
    let source = Query::select()
        .column(job_devices::Column::DeviceId)
        .expr(Expr::val(now))
        .from(job_devices::Entity)
        .and_where(Expr::col(job_devices::Column::JobId).eq(id))
        .and_where(Expr::col(job_devices::Column::Status).is_in(reached.iter().copied()))
        .and_where(Expr::cust(
            "EXISTS (SELECT 1 FROM devices d WHERE d.id = job_devices.device_id)",
        ))
        .to_owned();
    let insert = Query::insert()
        .into_table(device_resets::Entity)
        .columns([
            device_resets::Column::DeviceId,
            device_resets::Column::ResetAt,
        ])
        .select_from(source)
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(
            OnConflict::column(device_resets::Column::DeviceId)
                .update_column(device_resets::Column::ResetAt)
                .to_owned(),
        )
        .to_owned();
    db.execute(db.get_database_backend().build(&insert)).await?;
    Ok(())
}

/// A job to insert: what it does and how much of it there is at the start.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    /// The kind (`reset_devices`, `bulk_phone_change`…).
    pub kind: &'a str,
    /// Items to process.
    pub total: i64,
    /// Items processed already (refused or unchanged at the start).
    pub processed: i64,
    /// Items refused at the start.
    pub refused: i64,
    /// The job's request as JSON.
    pub params: String,
    /// Who started it.
    pub created_by: String,
    /// Devices per second for a reset job; `None`: unthrottled.
    pub rate: Option<i32>,
    /// The claim of the node that works it from the start, if one does.
    pub claim: Option<String>,
}

/// Inserts `job`, running, at `now` (version 1).
pub async fn insert<C: ConnectionTrait>(db: &C, job: NewJob<'_>, now: Time) -> Result<Job, DbErr> {
    jobs::ActiveModel {
        kind: Set(job.kind.to_owned()),
        status: Set(JobStatus::Running),
        total: Set(job.total),
        processed: Set(job.processed),
        changed: Set(0),
        refused: Set(job.refused),
        params: Set(job.params),
        message: Set(String::new()),
        created_by: Set(job.created_by),
        created_at: Set(now),
        updated_at: Set(now),
        rate: Set(job.rate),
        version: Set(1),
        heartbeat_at: Set(job.claim.is_some().then_some(now)),
        worker: Set(job.claim),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Adds the phones matching `query` to reset job `id` as pending devices, in one INSERT … SELECT;
/// returns how many.
pub async fn add_matching_devices<C: ConnectionTrait>(
    db: &C,
    id: i32,
    query: &PhoneQuery,
    now: Time,
) -> Result<u64, DbErr> {
    let source = select_matching(
        query,
        vec![Expr::val(id).into()],
        vec![
            Expr::val(DeviceStatus::Pending).into(),
            Expr::val(0).into(),
            Expr::val("").into(),
            Expr::val(now).into(),
        ],
    );
    let insert = Query::insert()
        .into_table(job_devices::Entity)
        .columns([
            job_devices::Column::JobId,
            job_devices::Column::DeviceId,
            job_devices::Column::DeviceName,
            job_devices::Column::Status,
            job_devices::Column::Attempts,
            job_devices::Column::Detail,
            job_devices::Column::UpdatedAt,
        ])
        .select_from(source)
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .to_owned();
    Ok(db
        .execute(db.get_database_backend().build(&insert))
        .await?
        .rows_affected())
}

/// Sets the number of items of job `id`.
pub async fn set_total<C: ConnectionTrait>(db: &C, id: i32, total: i64) -> Result<(), DbErr> {
    jobs::Entity::update_many()
        .col_expr(jobs::Column::Total, Expr::value(total))
        .filter(jobs::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// How many devices of each of `job_ids` have each status: (job, status, count) rows, in one
/// grouped query.
pub async fn device_counts<C: ConnectionTrait>(
    db: &C,
    job_ids: &[i32],
) -> Result<Vec<(i32, DeviceStatus, i64)>, DbErr> {
    job_devices::Entity::find()
        .select_only()
        .column(job_devices::Column::JobId)
        .column(job_devices::Column::Status)
        .column_as(Expr::col(job_devices::Column::Id).count(), "n")
        .filter(job_devices::Column::JobId.is_in(job_ids.iter().copied()))
        .group_by(job_devices::Column::JobId)
        .group_by(job_devices::Column::Status)
        .into_tuple()
        .all(db)
        .await
}

/// The first `limit` devices of job `id` (of `status`, when given), in the order they were added.
pub async fn devices_of<C: ConnectionTrait>(
    db: &C,
    id: i32,
    status: Option<DeviceStatus>,
    limit: u64,
) -> Result<Vec<job_devices::Model>, DbErr> {
    let mut listed = job_devices::Entity::find()
        .filter(job_devices::Column::JobId.eq(id))
        .order_by_asc(job_devices::Column::Id)
        .limit(limit);
    if let Some(s) = status {
        listed = listed.filter(job_devices::Column::Status.eq(s));
    }
    listed.all(db).await
}

/// The newest `limit` jobs of `kinds`, newest first.
pub async fn latest_of<C: ConnectionTrait>(
    db: &C,
    kinds: &[&str],
    limit: u64,
) -> Result<Vec<Job>, DbErr> {
    jobs::Entity::find()
        .filter(jobs::Column::Kind.is_in(kinds.iter().copied()))
        .order_by_desc(jobs::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// What an administrator changes on a job.
#[derive(Debug, Clone, Copy)]
pub enum JobChange {
    /// Its status (paused, running again, cancelled).
    Status(JobStatus),
    /// Its rate (`None`: unthrottled).
    Rate(Option<i32>),
}

/// Applies `change` to job `id` only while it still has version `read` (one conditional
/// UPDATE that bumps the version); false when another change came first.
pub async fn change_versioned<C: ConnectionTrait>(
    db: &C,
    id: i32,
    read: i32,
    change: JobChange,
    now: Time,
) -> Result<bool, DbErr> {
    let update = jobs::Entity::update_many()
        .col_expr(
            jobs::Column::Version,
            Expr::col(jobs::Column::Version).add(1),
        )
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now));
    let update = match change {
        JobChange::Status(status) => update.col_expr(jobs::Column::Status, Expr::value(status)),
        JobChange::Rate(rate) => update.col_expr(jobs::Column::Rate, Expr::value(rate)),
    };
    Ok(update
        .filter(jobs::Column::Id.eq(id))
        .filter(jobs::Column::Version.eq(read))
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// The devices of job `id` not reached yet are cancelled.
pub async fn cancel_pending<C: ConnectionTrait>(db: &C, id: i32, now: Time) -> Result<(), DbErr> {
    job_devices::Entity::update_many()
        .col_expr(
            job_devices::Column::Status,
            Expr::value(DeviceStatus::Cancelled),
        )
        .col_expr(job_devices::Column::UpdatedAt, Expr::value(now))
        .filter(job_devices::Column::JobId.eq(id))
        .filter(job_devices::Column::Status.eq(DeviceStatus::Pending))
        .exec(db)
        .await?;
    Ok(())
}

/// Closes reset job `id` as done with its final counts and `message`, unless it was cancelled.
pub async fn finish_reset<C: ConnectionTrait>(
    db: &C,
    id: i32,
    processed: i64,
    changed: i64,
    message: String,
    now: Time,
) -> Result<(), DbErr> {
    jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, Expr::value(JobStatus::Done))
        .col_expr(jobs::Column::Processed, Expr::value(processed))
        .col_expr(jobs::Column::Changed, Expr::value(changed))
        .col_expr(jobs::Column::Message, Expr::value(message))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
        .filter(jobs::Column::Id.eq(id))
        .filter(jobs::Column::Status.ne(JobStatus::Cancelled))
        .exec(db)
        .await?;
    Ok(())
}

/// What one batch of a bulk change or an import did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    /// Items processed by the batch.
    pub processed: i64,
    /// Items changed.
    pub changed: i64,
    /// Items refused.
    pub refused: i64,
    /// The last line of the file applied (imports).
    pub cursor: Option<i64>,
}

/// Adds the progress of a batch to job `id`.
pub async fn add_progress<C: ConnectionTrait>(
    db: &C,
    id: i32,
    progress: Progress,
    now: Time,
) -> Result<(), DbErr> {
    let mut update = jobs::Entity::update_many()
        .col_expr(
            jobs::Column::Processed,
            Expr::col(jobs::Column::Processed).add(progress.processed),
        )
        .col_expr(
            jobs::Column::Changed,
            Expr::col(jobs::Column::Changed).add(progress.changed),
        )
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now));
    if progress.refused != 0 {
        update = update.col_expr(
            jobs::Column::Refused,
            Expr::col(jobs::Column::Refused).add(progress.refused),
        );
    }
    if let Some(line) = progress.cursor {
        update = update.col_expr(jobs::Column::Cursor, Expr::value(Some(line)));
    }
    update.filter(jobs::Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

/// Closes job `id` as done with `message`, while `claim` holds it and it runs.
pub async fn finish_claimed<C: ConnectionTrait>(
    db: &C,
    id: i32,
    claim: &str,
    message: String,
    now: Time,
) -> Result<(), DbErr> {
    jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, Expr::value(JobStatus::Done))
        .col_expr(jobs::Column::Message, Expr::value(message))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
        .filter(jobs::Column::Id.eq(id))
        .filter(jobs::Column::Worker.eq(claim))
        .filter(jobs::Column::Status.eq(JobStatus::Running))
        .exec(db)
        .await?;
    Ok(())
}

/// Sets how many items of job `id` are processed, while `claim` holds it.
pub async fn set_processed<C: ConnectionTrait>(
    db: &C,
    id: i32,
    claim: &str,
    processed: i64,
) -> Result<(), DbErr> {
    jobs::Entity::update_many()
        .col_expr(jobs::Column::Processed, Expr::value(processed))
        .filter(jobs::Column::Id.eq(id))
        .filter(jobs::Column::Worker.eq(claim))
        .exec(db)
        .await?;
    Ok(())
}

/// Replaces the stored request of job `id` by `summary` once the job no longer runs.
pub async fn replace_params_when_ended<C: ConnectionTrait>(
    db: &C,
    id: i32,
    summary: String,
) -> Result<(), DbErr> {
    jobs::Entity::update_many()
        .col_expr(jobs::Column::Params, Expr::value(summary))
        .filter(jobs::Column::Id.eq(id))
        .filter(jobs::Column::Status.ne(JobStatus::Running))
        .exec(db)
        .await?;
    Ok(())
}

/// Job `id` without its stored request (for an import that is a whole file): the progress the
/// pages poll.
pub async fn find_without_params<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Option<Job>, DbErr> {
    let columns = jobs::Column::iter().filter(|c| !matches!(c, jobs::Column::Params));
    jobs::Entity::find_by_id(id)
        .select_only()
        .columns(columns)
        .column_as(Expr::val(""), "params")
        .into_model::<jobs::Model>()
        .one(db)
        .await
}
