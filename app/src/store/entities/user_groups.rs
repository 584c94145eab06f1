//! User groups: the unit that access rights are granted to.

use sea_orm::entity::prelude::*;

/// A row of `user_groups`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "user_groups")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The group's name, unique.
    pub name: String,
    /// What the group is for.
    pub description: String,
    /// Seeded standard groups cannot be deleted.
    pub built_in: bool,
    /// Optimistic-concurrency version.
    pub version: i32,
}

/// Relations of `user_groups`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Its members.
    #[sea_orm(has_many = "super::user_group_members::Entity")]
    Memberships,
}

impl Related<super::user_group_members::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Memberships.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
