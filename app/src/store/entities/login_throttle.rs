//! Failed-login counters per account and per address.

use sea_orm::entity::prelude::*;

/// A row of `login_throttle`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "login_throttle")]
pub struct Model {
    /// `user:<name>` or `addr:<address>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject: String,
    /// Failed attempts since `window_start`.
    pub failures: i32,
    /// Start of the current one-hour window.
    pub window_start: DateTimeUtc,
    /// No attempt is checked before this instant.
    pub blocked_until: DateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
