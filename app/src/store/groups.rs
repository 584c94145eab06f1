//! User groups, their members and their privileges (`user_groups`, `user_group_members`,
//! `user_group_privileges`), owned by the service `groups`; the service `users` sets a user's
//! groups here too.

use std::collections::BTreeMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::entities::{user_group_members, user_group_privileges, user_groups, users};
use super::versioned;
use crate::domain::access::{AccessLevel, FunctionalGroup};

/// A group with its members (user IDs, sorted) and its levels (No Access rows omitted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    /// The group.
    pub group: user_groups::Model,
    /// Its members' user IDs.
    pub members: Vec<String>,
    /// Its levels.
    pub privileges: BTreeMap<FunctionalGroup, AccessLevel>,
}

/// Every group, by name, with members and privileges.
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<GroupRow>, sea_orm::DbErr> {
    let groups = user_groups::Entity::find()
        .order_by_asc(user_groups::Column::Name)
        .all(db)
        .await?;
    let mut rows = Vec::with_capacity(groups.len());
    for group in groups {
        rows.push(details(db, group).await?);
    }
    Ok(rows)
}

/// The group named `name`.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<user_groups::Model>, sea_orm::DbErr> {
    user_groups::Entity::find()
        .filter(user_groups::Column::Name.eq(name))
        .one(db)
        .await
}

/// Creates a group that is not a standard one, at version 1; a unique-key violation when the
/// name is taken.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    name: &str,
    description: &str,
) -> Result<user_groups::Model, sea_orm::DbErr> {
    user_groups::ActiveModel {
        name: Set(name.to_owned()),
        description: Set(description.to_owned()),
        built_in: Set(false),
        version: Set(1),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Saves `group` with the name and description given (the others unchanged). With `read` (a
/// group read before the change), only while the group still has that version, which it bumps:
/// `None` when another change came first; without (a group made in the same transaction), as
/// it is.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    group: user_groups::Model,
    name: Option<&str>,
    description: Option<&str>,
    read: Option<i32>,
) -> Result<Option<user_groups::Model>, sea_orm::DbErr> {
    let mut active: user_groups::ActiveModel = group.into();
    if let Some(name) = name {
        active.name = Set(name.to_owned());
    }
    if let Some(description) = description {
        active.description = Set(description.to_owned());
    }
    match read {
        Some(read) => versioned::update(db, active, read).await,
        None => active.update(db).await.map(Some),
    }
}

/// Deletes the group `group_id` (its memberships and privileges go with it).
pub async fn delete<C: ConnectionTrait>(db: &C, group_id: i32) -> Result<(), sea_orm::DbErr> {
    user_groups::Entity::delete_by_id(group_id)
        .exec(db)
        .await
        .map(|_| ())
}

/// The members and privileges of `group`.
pub async fn details<C: ConnectionTrait>(
    db: &C,
    group: user_groups::Model,
) -> Result<GroupRow, sea_orm::DbErr> {
    let members = users::Entity::find()
        .inner_join(user_group_members::Entity)
        .filter(user_group_members::Column::GroupId.eq(group.id))
        .order_by_asc(users::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.name)
        .collect();
    let privileges = user_group_privileges::Entity::find()
        .filter(user_group_privileges::Column::GroupId.eq(group.id))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|row| {
            Some((
                FunctionalGroup::from_name(&row.functional_group)?,
                AccessLevel::from_label(&row.access_level)?,
            ))
        })
        .filter(|(_, level)| *level != AccessLevel::NoAccess)
        .collect();
    Ok(GroupRow {
        group,
        members,
        privileges,
    })
}

/// Replaces the members of `group_id` with the users `user_ids`.
pub async fn set_members<C: ConnectionTrait>(
    db: &C,
    group_id: i32,
    user_ids: &[i32],
) -> Result<(), sea_orm::DbErr> {
    user_group_members::Entity::delete_many()
        .filter(user_group_members::Column::GroupId.eq(group_id))
        .exec(db)
        .await?;
    for user_id in user_ids {
        user_group_members::ActiveModel {
            user_id: Set(*user_id),
            group_id: Set(group_id),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Replaces the levels of `group_id`.
pub async fn set_privileges<C: ConnectionTrait>(
    db: &C,
    group_id: i32,
    levels: &BTreeMap<FunctionalGroup, AccessLevel>,
) -> Result<(), sea_orm::DbErr> {
    user_group_privileges::Entity::delete_many()
        .filter(user_group_privileges::Column::GroupId.eq(group_id))
        .exec(db)
        .await?;
    for (group, level) in levels {
        if *level == AccessLevel::NoAccess {
            continue;
        }
        user_group_privileges::ActiveModel {
            group_id: Set(group_id),
            functional_group: Set(group.name().to_owned()),
            access_level: Set(level.key().to_owned()),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Replaces the groups of user `user_id` with `group_ids`.
pub async fn set_groups_of_user<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    group_ids: &[i32],
) -> Result<(), sea_orm::DbErr> {
    user_group_members::Entity::delete_many()
        .filter(user_group_members::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    for group_id in group_ids {
        user_group_members::ActiveModel {
            user_id: Set(user_id),
            group_id: Set(*group_id),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}
