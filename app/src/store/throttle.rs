//! Failed-login counters in the store, shared by every node.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect, Set};

use super::entities::login_throttle;
use crate::domain::throttle::Failures;

/// The counter of `subject`, if any.
pub async fn get<C: ConnectionTrait>(
    db: &C,
    subject: &str,
) -> Result<Option<Failures>, sea_orm::DbErr> {
    Ok(login_throttle::Entity::find_by_id(subject.to_owned())
        .one(db)
        .await?
        .map(|row| Failures {
            count: row.failures,
            window_start: row.window_start,
            blocked_until: row.blocked_until,
        }))
}

/// The counter of `subject`, locked until the end of the transaction `txn`, so that checking and
/// counting an attempt is one step: on PostgreSQL a row is made if missing (count 0) and selected
/// `FOR UPDATE`; SQLite's single writer connection serialises transactions anyway.
pub async fn get_locked<C: ConnectionTrait>(
    txn: &C,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<Option<Failures>, sea_orm::DbErr> {
    login_throttle::Entity::insert(login_throttle::ActiveModel {
        subject: Set(subject.to_owned()),
        failures: Set(0),
        window_start: Set(now),
        blocked_until: Set(now),
    })
    .on_conflict(
        OnConflict::column(login_throttle::Column::Subject)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(login_throttle::Entity::find_by_id(subject.to_owned())
        .lock_exclusive()
        .one(txn)
        .await?
        .map(|row| Failures {
            count: row.failures,
            window_start: row.window_start,
            blocked_until: row.blocked_until,
        }))
}

/// Stores the counter of `subject`.
pub async fn put<C: ConnectionTrait>(
    db: &C,
    subject: &str,
    failures: &Failures,
) -> Result<(), sea_orm::DbErr> {
    login_throttle::Entity::insert(login_throttle::ActiveModel {
        subject: Set(subject.to_owned()),
        failures: Set(failures.count),
        window_start: Set(failures.window_start),
        blocked_until: Set(failures.blocked_until),
    })
    .on_conflict(
        OnConflict::column(login_throttle::Column::Subject)
            .update_columns([
                login_throttle::Column::Failures,
                login_throttle::Column::WindowStart,
                login_throttle::Column::BlockedUntil,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map(|_| ())
}

/// Takes back one counted failure of `subject` (an attempt counted before its password was
/// checked, which then held), in one statement; the delay goes when the count is back within
/// `free_attempts`.
pub async fn forgive_one<C: ConnectionTrait>(
    db: &C,
    subject: &str,
    free_attempts: i32,
) -> Result<(), sea_orm::DbErr> {
    use login_throttle::Column;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, QueryFilter};
    let back_within = Expr::col(Column::Failures).lte(free_attempts.saturating_add(1));
    login_throttle::Entity::update_many()
        .col_expr(Column::Failures, Expr::col(Column::Failures).sub(1))
        .col_expr(
            Column::BlockedUntil,
            Expr::case(back_within, Expr::col(Column::WindowStart))
                .finally(Expr::col(Column::BlockedUntil))
                .into(),
        )
        .filter(Column::Subject.eq(subject))
        .filter(Column::Failures.gt(0))
        .exec(db)
        .await
        .map(|_| ())
}

/// Forgets every counter whose window and delay are over (they would count from 1 again), so
/// that the table holds only the last hour's subjects; returns how many.
pub async fn forget_stale<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    use login_throttle::Column;
    use sea_orm::{ColumnTrait, QueryFilter};
    let hour_ago = now - crate::domain::throttle::WINDOW;
    Ok(login_throttle::Entity::delete_many()
        .filter(Column::WindowStart.lt(hour_ago))
        .filter(Column::BlockedUntil.lt(now))
        .exec(db)
        .await?
        .rows_affected)
}

/// Forgets the counter of `subject`.
pub async fn clear<C: ConnectionTrait>(db: &C, subject: &str) -> Result<(), sea_orm::DbErr> {
    login_throttle::Entity::delete_by_id(subject.to_owned())
        .exec(db)
        .await
        .map(|_| ())
}
