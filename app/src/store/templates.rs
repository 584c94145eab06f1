//! Queries on the phone templates of Bulk Administration (`phone_templates`), owned by the
//! service `templates`; imports read them through it.

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

use super::entities::phone_templates;
use super::versioned;

/// Every template, by name.
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<phone_templates::Model>, DbErr> {
    phone_templates::Entity::find()
        .order_by_asc(phone_templates::Column::Name)
        .all(db)
        .await
}

/// The template named `name`.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<phone_templates::Model>, DbErr> {
    phone_templates::Entity::find()
        .filter(phone_templates::Column::Name.eq(name))
        .one(db)
        .await
}

/// Adds the template `name` with its fields as JSON (`defaults`), at version 1: false when a
/// template of that name exists (a unique-key violation).
pub async fn insert_new<C: ConnectionTrait>(
    db: &C,
    name: &str,
    defaults: String,
) -> Result<bool, DbErr> {
    versioned::insert_new(
        db,
        phone_templates::ActiveModel {
            name: Set(name.to_owned()),
            defaults: Set(defaults),
            version: Set(1),
            ..Default::default()
        },
    )
    .await
}

/// Saves the name and fields (`defaults`, JSON) of the template `row`, only while it still has
/// the version `read`: `None` when another change came first.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    row: phone_templates::Model,
    name: &str,
    defaults: String,
    read: i32,
) -> Result<Option<phone_templates::Model>, DbErr> {
    let mut active: phone_templates::ActiveModel = row.into();
    active.name = Set(name.to_owned());
    active.defaults = Set(defaults);
    versioned::update(db, active, read).await
}

/// Deletes the template `id`, only while it still has the version read (any version when `read`
/// is `None`); false when another change came first.
pub async fn delete<C: ConnectionTrait>(db: &C, id: i32, read: Option<i32>) -> Result<bool, DbErr> {
    versioned::delete::<phone_templates::Entity, _>(db, phone_templates::Column::Id.eq(id), read)
        .await
}
