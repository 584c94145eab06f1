//! API tokens for automation; only their SHA-256 is stored.

use sea_orm::entity::prelude::*;

/// A row of `api_tokens`. Not `Serialize`: it carries the token's hash.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The user whose privileges the token carries.
    pub user_id: i32,
    /// The name the user gave it.
    pub name: String,
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// When it was made.
    pub created_at: DateTimeUtc,
    /// When it last authenticated a request (noted at most once a minute).
    pub last_used_at: Option<DateTimeUtc>,
    /// When it stops authenticating requests (chosen at creation, at most a year later).
    pub expires_at: DateTimeUtc,
}

/// No relations used through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
