//! Enterprise parameters: cluster-wide settings by name.

use sea_orm::entity::prelude::*;

/// A row of `enterprise_parameters`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "enterprise_parameters")]
pub struct Model {
    /// The parameter's name.
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// Its value as text.
    pub value: String,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
