//! The audit log: one row per login, logout, refused access and change. Rows are only inserted.

use sea_orm::entity::prelude::*;

/// A row of `audit_log`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    /// Primary key, in order of writing.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// When (UTC).
    pub at: DateTimeUtc,
    /// Who (the user ID given, for a failed login).
    pub actor: Option<String>,
    /// From which address.
    pub address: Option<String>,
    /// What kind of event.
    pub action: String,
    /// The kind of object.
    pub object_type: String,
    /// The object's name.
    pub object_name: String,
    /// The object before the change, as JSON.
    pub before: Option<String>,
    /// The object after the change, as JSON.
    pub after: Option<String>,
    /// A sentence about the event.
    pub detail: String,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
