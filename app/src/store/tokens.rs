//! API tokens in the store (by hash).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::entities::api_tokens;

/// The tokens of `user_id`, oldest first.
pub async fn of_user<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
) -> Result<Vec<api_tokens::Model>, sea_orm::DbErr> {
    api_tokens::Entity::find()
        .filter(api_tokens::Column::UserId.eq(user_id))
        .order_by_asc(api_tokens::Column::Id)
        .all(db)
        .await
}

/// Stores a new token, made at `now`, that authenticates until `expires_at`.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    name: &str,
    token_hash: String,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<api_tokens::Model, sea_orm::DbErr> {
    api_tokens::ActiveModel {
        user_id: Set(user_id),
        name: Set(name.to_owned()),
        token_hash: Set(token_hash),
        created_at: Set(now),
        last_used_at: Set(None),
        expires_at: Set(expires_at),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// The token with this hash.
pub async fn by_hash<C: ConnectionTrait>(
    db: &C,
    token_hash: &str,
) -> Result<Option<api_tokens::Model>, sea_orm::DbErr> {
    api_tokens::Entity::find()
        .filter(api_tokens::Column::TokenHash.eq(token_hash))
        .one(db)
        .await
}

/// Notes that the token `id` served a request at `now`; nothing when it was revoked meanwhile.
pub async fn touch<C: ConnectionTrait>(
    db: &C,
    id: i32,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    api_tokens::Entity::update_many()
        .col_expr(api_tokens::Column::LastUsedAt, Expr::value(now))
        .filter(api_tokens::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Revokes (deletes) every token of `user_id`, as when an administrator resets the owner's
/// password or disables the owner; returns how many there were.
pub async fn revoke_all_of_user<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
) -> Result<u64, sea_orm::DbErr> {
    Ok(api_tokens::Entity::delete_many()
        .filter(api_tokens::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected)
}

/// Deletes the token `id` of `user_id`; returns whether it existed.
pub async fn delete<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    id: i32,
) -> Result<Option<api_tokens::Model>, sea_orm::DbErr> {
    let found = api_tokens::Entity::find_by_id(id)
        .filter(api_tokens::Column::UserId.eq(user_id))
        .one(db)
        .await?;
    if let Some(token) = &found {
        api_tokens::Entity::delete_by_id(token.id).exec(db).await?;
    }
    Ok(found)
}
