//! Versioned writes: an update or a delete that happens only while the row still carries the
//! version the caller read, in one conditional statement (`… WHERE id = ? AND version = ?`).
//! Two concurrent saves of the same version can then never both succeed, on either store: on
//! PostgreSQL the second waits for the first's row lock and then matches no row.

use std::str::FromStr;

use sea_orm::sea_query::IntoCondition;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter,
};

/// The name of the version column of every versioned table.
const VERSION: &str = "version";

fn version_column<E: EntityTrait>() -> Result<E::Column, DbErr> {
    E::Column::from_str(VERSION).map_err(|_| {
        DbErr::Custom(format!(
            "table {} has no version column",
            E::default().table_name()
        ))
    })
}

/// Saves `active` with the version `read + 1`, only where the stored version is still `read`.
/// `None` when another change came first (or the row is gone): the caller's save is a conflict.
pub async fn update<A, C>(
    db: &C,
    mut active: A,
    read: i32,
) -> Result<Option<<A::Entity as EntityTrait>::Model>, DbErr>
where
    A: ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    C: ConnectionTrait,
{
    let column = version_column::<A::Entity>()?;
    active.set(column, (read + 1).into());
    match A::Entity::update(active)
        .filter(column.eq(read))
        .exec(db)
        .await
    {
        Ok(model) => Ok(Some(model)),
        Err(DbErr::RecordNotUpdated) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Whether `err` is a unique-key violation: a row made meanwhile by a concurrent change, which the
/// caller reports as a conflict.
pub fn is_duplicate(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Inserts `active` as a new row: false when a concurrent change made that row first (a
/// unique-key violation), which the caller reports as a conflict.
pub async fn insert_new<A, C>(db: &C, active: A) -> Result<bool, DbErr>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    C: ConnectionTrait,
{
    match active.insert(db).await {
        Ok(_) => Ok(true),
        Err(err) if is_duplicate(&err) => Ok(false),
        Err(err) => Err(err),
    }
}

/// Deletes the rows `which` selects, only where their version is still `read` (any version when
/// `read` is `None`). False when nothing matched: another change came first.
pub async fn delete<E, C>(
    db: &C,
    which: impl IntoCondition,
    read: Option<i32>,
) -> Result<bool, DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let mut delete = E::delete_many().filter(which);
    if let Some(read) = read {
        delete = delete.filter(version_column::<E>()?.eq(read));
    }
    Ok(delete.exec(db).await?.rows_affected > 0)
}
