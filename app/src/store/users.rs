//! Queries on accounts (`users`) and their group memberships and privileges, owned by the
//! services `users` and `auth`; `authz` and `guard` read the privileges here.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait, Set,
};

use super::entities::{sessions, user_group_members, user_group_privileges, user_groups, users};
use super::versioned;

/// The account named `name`, if any.
pub async fn find_by_name<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<users::Model>, sea_orm::DbErr> {
    users::Entity::find()
        .filter(users::Column::Name.eq(name))
        .one(db)
        .await
}

/// The account with primary key `id`, if any.
pub async fn find_by_id<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Option<users::Model>, sea_orm::DbErr> {
    users::Entity::find_by_id(id).one(db).await
}

/// Every account (in no particular order).
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<users::Model>, sea_orm::DbErr> {
    users::Entity::find().all(db).await
}

/// How many accounts exist.
pub async fn count<C: ConnectionTrait>(db: &C) -> Result<u64, sea_orm::DbErr> {
    users::Entity::find().count(db).await
}

/// The names of the groups `user_id` belongs to, sorted.
pub async fn group_names<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
) -> Result<Vec<String>, sea_orm::DbErr> {
    let groups = user_groups::Entity::find()
        .inner_join(user_group_members::Entity)
        .filter(user_group_members::Column::UserId.eq(user_id))
        .order_by_asc(user_groups::Column::Name)
        .all(db)
        .await?;
    Ok(groups.into_iter().map(|g| g.name).collect())
}

/// Creates an account and puts it in the named groups (which must exist).
pub async fn create<C: ConnectionTrait>(
    db: &C,
    name: &str,
    password_hash: String,
    must_change_password: bool,
    groups: &[&str],
    now: DateTime<Utc>,
) -> Result<users::Model, sea_orm::DbErr> {
    let user = users::ActiveModel {
        name: Set(name.to_owned()),
        password_hash: Set(password_hash),
        must_change_password: Set(must_change_password),
        disabled: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        ..Default::default()
    }
    .insert(db)
    .await?;
    for group in groups {
        let Some(group) = user_groups::Entity::find()
            .filter(user_groups::Column::Name.eq(*group))
            .one(db)
            .await?
        else {
            return Err(sea_orm::DbErr::RecordNotFound(format!(
                "user group {group}"
            )));
        };
        user_group_members::ActiveModel {
            user_id: Set(user.id),
            group_id: Set(group.id),
        }
        .insert(db)
        .await?;
    }
    Ok(user)
}

/// Replaces an account's password hash and bumps its version, only while the account still has
/// the version read (`None`: another change came first).
pub async fn set_password<C: ConnectionTrait>(
    db: &C,
    user: users::Model,
    password_hash: String,
    must_change_password: bool,
    now: DateTime<Utc>,
) -> Result<Option<users::Model>, sea_orm::DbErr> {
    let read = user.version;
    let mut active: users::ActiveModel = user.into();
    active.password_hash = Set(password_hash);
    active.must_change_password = Set(must_change_password);
    active.updated_at = Set(now);
    versioned::update(db, active, read).await
}

/// Ends every session of `user_id`, optionally sparing one (the caller's own, by its cookie id,
/// which the caller then moves to the new epoch): deletes them and moves the user's session epoch
/// on, so that a session written later from a login or a request already in flight is refused.
pub async fn end_sessions<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    except: Option<&str>,
) -> Result<u64, sea_orm::DbErr> {
    users::Entity::update_many()
        .col_expr(
            users::Column::SessionEpoch,
            sea_orm::sea_query::Expr::col(users::Column::SessionEpoch).add(1),
        )
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    let mut delete = sessions::Entity::delete_many().filter(sessions::Column::UserId.eq(user_id));
    if let Some(keep) = except {
        delete = delete.filter(sessions::Column::Id.ne(super::session_store::stored_id(keep)));
    }
    Ok(delete.exec(db).await?.rows_affected)
}

/// One page of accounts whose user ID contains `search` (case-insensitive), by name, and the
/// number of matching accounts.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    search: &str,
    page: u64,
    per_page: u64,
) -> Result<(Vec<users::Model>, u64), sea_orm::DbErr> {
    let mut select = users::Entity::find();
    if !search.is_empty() {
        let pattern = format!("%{}%", search.to_lowercase().replace(['%', '_'], ""));
        select = select.filter(
            sea_orm::sea_query::Expr::expr(sea_orm::sea_query::Func::lower(
                sea_orm::sea_query::Expr::col(users::Column::Name),
            ))
            .like(pattern),
        );
    }
    let total = select.clone().count(db).await?;
    let rows = select
        .order_by_asc(users::Column::Name)
        .offset((page.max(1) - 1) * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// Saves changed account fields and bumps the version, only while the account still has the
/// version read (`None`: another change came first).
pub async fn update<C: ConnectionTrait>(
    db: &C,
    user: users::Model,
    disabled: bool,
    must_change_password: bool,
    password_hash: Option<String>,
    now: DateTime<Utc>,
) -> Result<Option<users::Model>, sea_orm::DbErr> {
    let read = user.version;
    let mut active: users::ActiveModel = user.into();
    active.disabled = Set(disabled);
    active.must_change_password = Set(must_change_password);
    if let Some(hash) = password_hash {
        active.password_hash = Set(hash);
    }
    active.updated_at = Set(now);
    versioned::update(db, active, read).await
}

/// Deletes an account (memberships, sessions and tokens go with it).
pub async fn delete<C: ConnectionTrait>(db: &C, user_id: i32) -> Result<(), sea_orm::DbErr> {
    users::Entity::delete_by_id(user_id)
        .exec(db)
        .await
        .map(|_| ())
}

/// Deletes the account `user_id` (memberships, sessions and tokens go with it), only while it
/// still has the version `read`: false when another change came first.
pub async fn delete_at_version<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    read: i32,
) -> Result<bool, sea_orm::DbErr> {
    versioned::delete::<users::Entity, _>(db, users::Column::Id.eq(user_id), Some(read)).await
}

/// (group, functional group, level) rows of a user's groups, sorted by group.
pub type GroupLevelRows = Vec<(String, Option<String>, Option<String>)>;

/// The (group, functional group, level) rows of the groups of `user_id`, sorted by group, in one
/// query (a group without privileges gives one row without them).
pub async fn group_level_rows<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
) -> Result<GroupLevelRows, sea_orm::DbErr> {
    user_group_members::Entity::find()
        .select_only()
        .column(user_groups::Column::Name)
        .column(user_group_privileges::Column::FunctionalGroup)
        .column(user_group_privileges::Column::AccessLevel)
        .join(
            JoinType::InnerJoin,
            user_group_members::Relation::Group.def(),
        )
        .join(
            JoinType::LeftJoin,
            user_group_privileges::Relation::Group.def().rev(),
        )
        .filter(user_group_members::Column::UserId.eq(user_id))
        .order_by_asc(user_groups::Column::Name)
        .into_tuple()
        .all(db)
        .await
}

/// What a request needs to know of its user: the account's flags and its groups' privileges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAccess {
    /// Primary key.
    pub id: i32,
    /// The user ID.
    pub name: String,
    /// A disabled user cannot log in.
    pub disabled: bool,
    /// True while a password change is due.
    pub must_change_password: bool,
    /// The account's session epoch (sessions from an earlier one are over).
    pub session_epoch: i32,
    /// The groups' privilege rows (a group without privileges gives one row without them).
    pub rows: GroupLevelRows,
}

/// The account `id` with its groups' privileges, in one query.
pub async fn with_group_levels<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Option<UserAccess>, sea_orm::DbErr> {
    type Row = (
        i32,
        String,
        bool,
        bool,
        i32,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .column(users::Column::Name)
        .column(users::Column::Disabled)
        .column(users::Column::MustChangePassword)
        .column(users::Column::SessionEpoch)
        .column_as(user_groups::Column::Name, "group_name")
        .column_as(
            user_group_privileges::Column::FunctionalGroup,
            "functional_group",
        )
        .column_as(user_group_privileges::Column::AccessLevel, "access_level")
        .join(JoinType::LeftJoin, users::Relation::Memberships.def())
        .join(
            JoinType::LeftJoin,
            user_group_members::Relation::Group.def(),
        )
        .join(
            JoinType::LeftJoin,
            user_group_privileges::Relation::Group.def().rev(),
        )
        .filter(users::Column::Id.eq(id))
        .order_by_asc(user_groups::Column::Name)
        .into_tuple()
        .all(db)
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let (id, name, disabled, must_change_password, session_epoch) =
        (first.0, first.1.clone(), first.2, first.3, first.4);
    let rows = rows
        .into_iter()
        .filter_map(|(_, _, _, _, _, group, fg, level)| group.map(|g| (g, fg, level)))
        .collect();
    Ok(Some(UserAccess {
        id,
        name,
        disabled,
        must_change_password,
        session_epoch,
        rows,
    }))
}
