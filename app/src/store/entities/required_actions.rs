//! Required actions (R10, R17) recorded by changes, kept until done.

use sea_orm::entity::prelude::*;

/// A row of `required_actions`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "required_actions")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// What to do (`RequiredAction::kind`).
    pub kind: String,
    /// The server it concerns, if one.
    pub server: Option<String>,
    /// The device, reference or service it concerns.
    pub target: String,
    /// The change that requires it.
    pub reason: String,
    /// The rule that requires it.
    pub rule: String,
    /// The audit row of the change.
    pub audit_id: Option<i64>,
    /// When it was recorded.
    pub created_at: DateTimeUtc,
    /// When it was done; `None` while pending.
    pub done_at: Option<DateTimeUtc>,
}

/// No relations used through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
