//! Login sessions, kept in the store so that they survive a restart.

use sea_orm::entity::prelude::*;

/// A row of `sessions`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// The session id (the cookie's value).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The logged-in user, so that all of a user's sessions can be ended at once.
    pub user_id: Option<i32>,
    /// The session's data as JSON.
    pub data: String,
    /// Unix seconds after which the session is gone.
    pub expires_at: i64,
}

/// No relations used through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
