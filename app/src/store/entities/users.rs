//! Administrator accounts.

use sea_orm::entity::prelude::*;

/// A row of `users`. Not `Serialize`: it carries the password hash.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The user ID, unique.
    pub name: String,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// True while a generated or reset password must be changed.
    pub must_change_password: bool,
    /// A disabled user cannot log in.
    pub disabled: bool,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// How many times the user's sessions were ended; a session from an earlier epoch is
    /// refused.
    pub session_epoch: i32,
}

/// Relations of `users`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Group memberships.
    #[sea_orm(has_many = "super::user_group_members::Entity")]
    Memberships,
}

impl Related<super::user_group_members::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Memberships.def()
    }
}

impl Related<super::user_groups::Entity> for Entity {
    fn to() -> RelationDef {
        super::user_group_members::Relation::Group.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::user_group_members::Relation::User.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
