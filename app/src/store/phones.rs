//! Queries on phones: the filtered, sorted page of Find and List Phones, and single rows.

use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

use super::entities::{device_pools, devices, phone_models};

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
    /// LSC status.
    pub lsc_status: Option<String>,
    /// Exactly these device names.
    pub names: Option<Vec<String>>,
    /// Every model's id: a pair of `effective_in` listing them all needs no model condition.
    pub all_models: Vec<i32>,
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
            Condition::all().add(Expr::val(1).eq(0))
        } else {
            any
        });
    }
    if let Some(lsc) = &q.lsc_status {
        cond = cond.add(devices::Column::LscStatus.eq(lsc.clone()));
    }
    if let Some(names) = &q.names {
        cond = cond.add(devices::Column::Name.is_in(names.clone()));
    }
    cond
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
