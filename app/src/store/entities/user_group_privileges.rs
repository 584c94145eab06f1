//! The access level a user group holds on a functional group (a missing row is No Access).

use sea_orm::entity::prelude::*;

/// A row of `user_group_privileges`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "user_group_privileges")]
pub struct Model {
    /// The user group.
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_id: i32,
    /// The functional group's name.
    #[sea_orm(primary_key, auto_increment = false)]
    pub functional_group: String,
    /// `no_access`, `read_only` or `full_access`.
    pub access_level: String,
}

/// Relations of `user_group_privileges`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The group.
    #[sea_orm(
        belongs_to = "super::user_groups::Entity",
        from = "Column::GroupId",
        to = "super::user_groups::Column::Id",
        on_delete = "Cascade"
    )]
    Group,
}

impl Related<super::user_groups::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Group.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
