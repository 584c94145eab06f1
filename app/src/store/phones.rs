//! Queries on phones (`devices`): the filtered, sorted page of Find and List Phones, single rows,
//! and the inserts and deletes of the service `phones`.

use sea_orm::sea_query::{Expr, Func, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, JoinType, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationTrait,
};

use super::entities::{device_pools, devices, phone_models};
use super::versioned;
use crate::domain::capf::LscFilter;

/// How to sort the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    /// Device name.
    Name,
    /// Description.
    Description,
    /// Model name.
    Model,
    /// Device pool name.
    DevicePool,
    /// Configured mode.
    Configured,
}

/// The SQL side of a phone search.
#[derive(Debug, Clone, Default)]
pub struct PhoneQuery {
    /// Name contains (case-insensitive).
    pub name: Option<String>,
    /// Description contains (case-insensitive).
    pub description: Option<String>,
    /// Model id.
    pub model_id: Option<i32>,
    /// Device pool id.
    pub pool_id: Option<i32>,
    /// Configured mode (stored name).
    pub configured: Option<String>,
    /// (configured mode, model ids) pairs that give the wanted effective mode; `Some(empty)`
    /// matches nothing.
    pub effective_in: Option<Vec<(String, Vec<i32>)>>,
    /// LSC status, as of the time given.
    pub lsc: Option<(LscFilter, chrono::DateTime<chrono::Utc>)>,
    /// Exactly these device names.
    pub names: Option<Vec<String>>,
    /// Every model's id: a pair of `effective_in` listing them all needs no model condition.
    pub all_models: Vec<i32>,
    /// Conditions on the facts the rules read, all of which must hold.
    pub classes: Vec<ClassCondition>,
}

/// Devices whose facts match any of `terms` (all devices when `None`) and whose device pool is
/// one of `pools` (any pool when `None`); the opposite when `negate`.
#[derive(Debug, Clone, Default)]
pub struct ClassCondition {
    /// Combinations of configured mode, built-in bridge and models.
    pub terms: Option<Vec<ClassTerm>>,
    /// Device pool ids.
    pub pools: Option<Vec<i32>>,
    /// Match the devices that do not match.
    pub negate: bool,
}

/// Devices with this configured mode, this built-in bridge (any when `None`) and one of these
/// models (any when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassTerm {
    /// Configured mode (stored name).
    pub configured: String,
    /// Built In Bridge (stored label).
    pub bridge: Option<String>,
    /// Model ids.
    pub models: Option<Vec<i32>>,
}

fn never() -> Condition {
    Condition::all().add(Expr::val(1).eq(0))
}

fn class_condition(c: &ClassCondition) -> Condition {
    let mut cond = Condition::all();
    if let Some(terms) = &c.terms {
        if terms.is_empty() {
            cond = cond.add(never());
        } else {
            let mut any = Condition::any();
            for t in terms {
                let mut term =
                    Condition::all().add(devices::Column::SecurityMode.eq(t.configured.clone()));
                if let Some(bridge) = &t.bridge {
                    term = term.add(devices::Column::BuiltInBridge.eq(bridge.clone()));
                }
                if let Some(models) = &t.models {
                    term = term.add(devices::Column::ModelId.is_in(models.clone()));
                }
                any = any.add(term);
            }
            cond = cond.add(any);
        }
    }
    if let Some(pools) = &c.pools {
        cond = cond.add(if pools.is_empty() {
            never()
        } else {
            Condition::all().add(devices::Column::DevicePoolId.is_in(pools.clone()))
        });
    }
    if c.negate {
        cond.not()
    } else {
        cond
    }
}

fn contains(col: devices::Column, text: &str) -> sea_orm::sea_query::SimpleExpr {
    let pattern = format!("%{}%", text.to_lowercase().replace(['%', '_'], ""));
    Expr::expr(Func::lower(Expr::col((devices::Entity, col)))).like(pattern)
}

fn condition(q: &PhoneQuery) -> Condition {
    let mut cond = Condition::all();
    if let Some(name) = &q.name {
        cond = cond.add(contains(devices::Column::Name, name));
    }
    if let Some(description) = &q.description {
        cond = cond.add(contains(devices::Column::Description, description));
    }
    if let Some(id) = q.model_id {
        cond = cond.add(devices::Column::ModelId.eq(id));
    }
    if let Some(id) = q.pool_id {
        cond = cond.add(devices::Column::DevicePoolId.eq(id));
    }
    if let Some(mode) = &q.configured {
        cond = cond.add(devices::Column::SecurityMode.eq(mode.clone()));
    }
    if let Some(pairs) = &q.effective_in {
        let mut any = Condition::any();
        for (mode, models) in pairs {
            if models.is_empty() {
                continue;
            }
            let mut pair = Condition::all().add(devices::Column::SecurityMode.eq(mode.clone()));
            if *models != q.all_models {
                pair = pair.add(devices::Column::ModelId.is_in(models.clone()));
            }
            any = any.add(pair);
        }
        // An empty `any` matches nothing, which is what an impossible effective mode means.
        cond = cond.add(if pairs.iter().all(|(_, m)| m.is_empty()) {
            never()
        } else {
            any
        });
    }
    if let Some((lsc, now)) = q.lsc {
        cond = cond.add(lsc_condition(lsc, now));
    }
    if let Some(names) = &q.names {
        cond = cond.add(devices::Column::Name.is_in(names.clone()));
    }
    for class in &q.classes {
        cond = cond.add(class_condition(class));
    }
    cond
}

/// The devices in LSC status `lsc` at `now` (as `service::phones` reads one row): a failed
/// operation first, then one pending, then the LSC by its end.
fn lsc_condition(lsc: LscFilter, now: chrono::DateTime<chrono::Utc>) -> Condition {
    use devices::Column as C;
    let failed = C::CertificateOperationStatus.eq("Failed");
    let pending = C::CertificateOperation.ne("No Pending Operation");
    let settled = Condition::all()
        .add(C::CertificateOperationStatus.ne("Failed"))
        .add(C::CertificateOperation.eq("No Pending Operation"));
    let soon = now + chrono::Duration::days(crate::domain::capf::EXPIRING_DAYS);
    let held = || C::LscSerial.ne("");
    match lsc {
        LscFilter::Failed => Condition::all().add(failed),
        LscFilter::OperationPending => Condition::all()
            .add(C::CertificateOperationStatus.ne("Failed"))
            .add(pending),
        LscFilter::None => settled.add(
            Condition::any()
                .add(C::LscSerial.eq(""))
                .add(C::LscNotAfter.is_null()),
        ),
        LscFilter::Valid => settled.add(held()).add(C::LscNotAfter.gt(soon)),
        LscFilter::Expiring => settled
            .add(held())
            .add(C::LscNotAfter.gt(now))
            .add(C::LscNotAfter.lte(soon)),
        LscFilter::Expired => settled.add(held()).add(C::LscNotAfter.lte(now)),
    }
}

/// How many devices there are per (configured mode, model, built-in bridge, device pool): the
/// facts every rule of the dashboard reads.
pub async fn fact_counts<C: ConnectionTrait>(
    db: &C,
) -> Result<Vec<(String, i32, String, i32, i64)>, sea_orm::DbErr> {
    devices::Entity::find()
        .select_only()
        .column(devices::Column::SecurityMode)
        .column(devices::Column::ModelId)
        .column(devices::Column::BuiltInBridge)
        .column(devices::Column::DevicePoolId)
        .column_as(
            Expr::col((devices::Entity, devices::Column::Id)).count(),
            "n",
        )
        .group_by(devices::Column::SecurityMode)
        .group_by(devices::Column::ModelId)
        .group_by(devices::Column::BuiltInBridge)
        .group_by(devices::Column::DevicePoolId)
        .into_tuple()
        .all(db)
        .await
}

/// How many devices are in each LSC status at `now` (as [`lsc_condition`] reads one row): one
/// grouped count, whatever the number of devices. Statuses no device is in are left out.
pub async fn lsc_counts<C: ConnectionTrait>(
    db: &C,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<(LscFilter, u64)>, DbErr> {
    use sea_orm::sea_query::{Alias, CaseStatement, SimpleExpr};
    let position = |f: LscFilter| {
        LscFilter::ALL
            .iter()
            .position(|x| *x == f)
            .and_then(|i| i32::try_from(i).ok())
            .unwrap_or(0)
    };
    let case = LscFilter::ALL
        .into_iter()
        .fold(CaseStatement::new(), |case, f| {
            case.case(lsc_condition(f, now), Expr::val(position(f)))
        })
        .finally(Expr::val(position(LscFilter::None)));
    let rows: Vec<(i32, i64)> = devices::Entity::find()
        .select_only()
        .column_as(Into::<SimpleExpr>::into(case), "lsc_state")
        .column_as(
            Expr::col((devices::Entity, devices::Column::Id)).count(),
            "n",
        )
        .group_by(Expr::col(Alias::new("lsc_state")))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(state, n)| {
            let f = *LscFilter::ALL.get(usize::try_from(state).ok()?)?;
            Some((f, u64::try_from(n).unwrap_or(0)))
        })
        .collect())
}

/// How many phones matching `q` there are per (model, value of `column`).
pub async fn counts_by_model_and<C, T>(
    db: &C,
    q: &PhoneQuery,
    column: devices::Column,
) -> Result<Vec<(i32, T, i64)>, sea_orm::DbErr>
where
    C: ConnectionTrait,
    T: sea_orm::TryGetable,
{
    devices::Entity::find()
        .select_only()
        .column(devices::Column::ModelId)
        .column(column)
        .column_as(
            Expr::col((devices::Entity, devices::Column::Id)).count(),
            "n",
        )
        .filter(condition(q))
        .group_by(devices::Column::ModelId)
        .group_by(column)
        .into_tuple()
        .all(db)
        .await
}

/// Up to `limit` ids of phones matching `q` and `extra`, lowest first.
pub async fn ids_matching<C: ConnectionTrait>(
    db: &C,
    q: &PhoneQuery,
    extra: Condition,
    limit: u64,
) -> Result<Vec<i32>, sea_orm::DbErr> {
    devices::Entity::find()
        .select_only()
        .column(devices::Column::Id)
        .filter(condition(q))
        .filter(extra)
        .order_by_asc(devices::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
}

/// Up to `limit` ids (in order) of the phones matching `q`, of the models `models`, whose
/// `column` does not hold `value` yet: the next batch of a bulk change.
pub async fn ids_to_set<C: ConnectionTrait>(
    db: &C,
    q: &PhoneQuery,
    models: &[i32],
    (column, value): (devices::Column, sea_orm::Value),
    limit: u64,
) -> Result<Vec<i32>, DbErr> {
    let pending = Condition::all()
        .add(devices::Column::ModelId.is_in(models.iter().copied()))
        .add(Condition::all().add(column.eq(value)).not());
    ids_matching(db, q, pending, limit).await
}

/// `SELECT id, name FROM devices WHERE <q> ORDER BY id`, with `leading` values before the
/// columns: the source of an `INSERT … SELECT`.
pub fn select_matching(
    q: &PhoneQuery,
    leading: Vec<sea_orm::sea_query::SimpleExpr>,
    trailing: Vec<sea_orm::sea_query::SimpleExpr>,
) -> sea_orm::sea_query::SelectStatement {
    let mut select = devices::Entity::find().select_only();
    for e in leading {
        select = select.expr(e);
    }
    select = select
        .column(devices::Column::Id)
        .column(devices::Column::Name);
    for e in trailing {
        select = select.expr(e);
    }
    select
        .filter(condition(q))
        .order_by_asc(devices::Column::Id)
        .into_query()
}

/// The number of phones matching `q`.
pub async fn count<C: ConnectionTrait>(db: &C, q: &PhoneQuery) -> Result<u64, sea_orm::DbErr> {
    devices::Entity::find().filter(condition(q)).count(db).await
}

/// One page of phones matching `q`, sorted.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    q: &PhoneQuery,
    sort: SortBy,
    desc: bool,
    page: u64,
    per_page: u64,
) -> Result<Vec<devices::Model>, sea_orm::DbErr> {
    let order = if desc { Order::Desc } else { Order::Asc };
    let mut select = devices::Entity::find().filter(condition(q));
    select = match sort {
        SortBy::Name => select.order_by(devices::Column::Name, order),
        SortBy::Description => select
            .order_by(devices::Column::Description, order)
            .order_by_asc(devices::Column::Name),
        SortBy::Configured => select
            .order_by(devices::Column::SecurityMode, order)
            .order_by_asc(devices::Column::Name),
        SortBy::Model => select
            .join(JoinType::InnerJoin, devices::Relation::Model.def())
            .order_by(phone_models::Column::Name, order)
            .order_by_asc(devices::Column::Name),
        SortBy::DevicePool => select
            .join(JoinType::InnerJoin, devices::Relation::DevicePool.def())
            .order_by(device_pools::Column::Name, order)
            .order_by_asc(devices::Column::Name),
    };
    select
        .offset((page.max(1) - 1) * per_page)
        .limit(per_page)
        .all(db)
        .await
}

/// The phone named `name`.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<devices::Model>, sea_orm::DbErr> {
    devices::Entity::find()
        .filter(devices::Column::Name.eq(name))
        .one(db)
        .await
}

/// Up to `limit` phones matching `q` whose name sorts after `after`, by name: the pages of a
/// streamed export (each a cheap index range, however far in).
pub async fn after<C: ConnectionTrait>(
    db: &C,
    q: &PhoneQuery,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<devices::Model>, sea_orm::DbErr> {
    let mut find = devices::Entity::find().filter(condition(q));
    if let Some(name) = after {
        find = find.filter(devices::Column::Name.gt(name));
    }
    find.order_by_asc(devices::Column::Name)
        .limit(limit)
        .all(db)
        .await
}

/// The phones named `names` (any order).
pub async fn by_names<C: ConnectionTrait>(
    db: &C,
    names: &[&str],
) -> Result<Vec<devices::Model>, sea_orm::DbErr> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    devices::Entity::find()
        .filter(devices::Column::Name.is_in(names.iter().copied()))
        .all(db)
        .await
}

/// Inserts the phone `active` (its columns set by the service from the checked fields) and
/// returns the stored row.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    active: devices::ActiveModel,
) -> Result<devices::Model, sea_orm::DbErr> {
    active.insert(db).await
}

/// Deletes the phone `id`, only while it still has the version read (any version when `read` is
/// `None`); false when another change came first.
pub async fn delete<C: ConnectionTrait>(
    db: &C,
    id: i32,
    read: Option<i32>,
) -> Result<bool, sea_orm::DbErr> {
    versioned::delete::<devices::Entity, _>(db, devices::Column::Id.eq(id), read).await
}

/// Sets `set` (a column and its value) and the columns `also` on the phones `ids` in one
/// statement, bumping each one's version and recording `who` changed it at `now`; returns how
/// many changed.
pub async fn set_in_bulk<C: ConnectionTrait>(
    db: &C,
    ids: Vec<i32>,
    set: (devices::Column, sea_orm::Value),
    also: Vec<(devices::Column, sea_orm::Value)>,
    now: chrono::DateTime<chrono::Utc>,
    who: &str,
) -> Result<u64, DbErr> {
    let mut update = devices::Entity::update_many().col_expr(set.0, Expr::value(set.1));
    for (column, value) in also {
        update = update.col_expr(column, Expr::value(value));
    }
    Ok(update
        .col_expr(
            devices::Column::Version,
            Expr::col(devices::Column::Version).add(1),
        )
        .col_expr(devices::Column::UpdatedAt, Expr::value(now))
        .col_expr(devices::Column::UpdatedBy, Expr::value(who))
        .filter(devices::Column::Id.is_in(ids))
        .exec(db)
        .await?
        .rows_affected)
}

/// Inserts `rows` in one statement, leaving out every name that exists already (someone else's
/// phone is never overwritten); returns how many were inserted.
pub async fn insert_new_many<C: ConnectionTrait>(
    db: &C,
    rows: Vec<devices::ActiveModel>,
) -> Result<u64, DbErr> {
    devices::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(devices::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
}

/// A certificate as a device row keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptCertificate {
    /// Serial, upper-case hex.
    pub serial: String,
    /// Issuer (common name).
    pub issuer: String,
    /// SHA-256 fingerprint.
    pub sha256: String,
    /// Valid from.
    pub not_before: chrono::DateTime<chrono::Utc>,
    /// Valid until.
    pub not_after: chrono::DateTime<chrono::Utc>,
}

/// What CAPF records on a device's row.
#[derive(Debug, Clone)]
pub struct CapfRecord {
    /// The operation's state (stored name of `domain::capf::CapfState`).
    pub state: &'static str,
    /// The operation the state is about (label).
    pub operation: String,
    /// Why it failed (empty otherwise).
    pub reason: String,
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The operation is over: No Pending Operation, no deadline.
    pub end_operation: bool,
    /// The LSC: `Some(Some(..))` a new one, `Some(None)` none any more, `None` unchanged.
    pub lsc: Option<Option<KeptCertificate>>,
    /// The MIC the phone presented, if it did.
    pub mic: Option<KeptCertificate>,
    /// The refused tries of the operation, when they change.
    pub attempts: Option<i32>,
    /// Only the certificates (`lsc`, `mic`): the operation and its status stay as they are.
    pub facts_only: bool,
}

/// Records `r` on the device `name` in one statement, bumping its version — only while it still
/// has the version `read` (any version when `None`). False when another change came first.
pub async fn record_capf<C: ConnectionTrait>(
    db: &C,
    name: &str,
    read: Option<i32>,
    r: &CapfRecord,
) -> Result<bool, DbErr> {
    use devices::Column as C;
    let mut update =
        devices::Entity::update_many().col_expr(C::Version, Expr::col(C::Version).add(1));
    if !r.facts_only {
        update = update
            .col_expr(C::CertificateOperationStatus, Expr::value(r.state))
            .col_expr(C::CapfOperation, Expr::value(r.operation.clone()))
            .col_expr(C::CapfReason, Expr::value(r.reason.clone()))
            .col_expr(C::CapfStatusAt, Expr::value(r.at));
    }
    if let Some(n) = r.attempts.filter(|_| !r.facts_only) {
        update = update.col_expr(C::CapfAttempts, Expr::value(n));
    }
    if r.end_operation && !r.facts_only {
        update = update
            .col_expr(C::CertificateOperation, Expr::value("No Pending Operation"))
            .col_expr(
                C::OperationCompletesBy,
                Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            );
    }
    if let Some(lsc) = &r.lsc {
        let text = |f: fn(&KeptCertificate) -> String| lsc.as_ref().map(f).unwrap_or_default();
        update = update
            .col_expr(
                C::LscStatus,
                Expr::value(if lsc.is_some() { "Installed" } else { "None" }),
            )
            .col_expr(C::LscSerial, Expr::value(text(|c| c.serial.clone())))
            .col_expr(C::LscIssuer, Expr::value(text(|c| c.issuer.clone())))
            .col_expr(C::LscSha256, Expr::value(text(|c| c.sha256.clone())))
            .col_expr(
                C::LscNotBefore,
                Expr::value(lsc.as_ref().map(|c| c.not_before)),
            )
            .col_expr(
                C::LscNotAfter,
                Expr::value(lsc.as_ref().map(|c| c.not_after)),
            );
    }
    if let Some(mic) = &r.mic {
        update = update
            .col_expr(C::MicSerial, Expr::value(mic.serial.clone()))
            .col_expr(C::MicIssuer, Expr::value(mic.issuer.clone()))
            .col_expr(C::MicSha256, Expr::value(mic.sha256.clone()))
            .col_expr(C::MicNotAfter, Expr::value(Some(mic.not_after)));
    }
    let mut filter = Condition::all().add(C::Name.eq(name));
    if let Some(v) = read {
        filter = filter.add(C::Version.eq(v));
    }
    Ok(update.filter(filter).exec(db).await?.rows_affected == 1)
}
