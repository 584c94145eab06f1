//! API tokens expire: `api_tokens.expires_at`, chosen when a token is made (at most a year).
//! Tokens made before this migration expire 90 days after they were made. (When a token last
//! served a request, `last_used_at`, is in the table since `m20261126_000002_access_rights`.)

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// Adds `api_tokens.expires_at` and sets it on the existing tokens.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000008_token_expiry"
    }
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    ExpiresAt,
}

/// The column's default: only the rows that exist when the column is added take it (and are
/// then set from `created_at`); the console sets it on every token it makes. Were a row ever
/// inserted without it, the token would be expired already: it fails closed. SQLite adds a
/// `NOT NULL` column only with a constant default.
const ALREADY_EXPIRED: &str = "1970-01-01T00:00:00+00:00";

/// Existing tokens expire 90 days after they were made. SQLite keeps the instants as RFC 3339
/// text (sqlx's encoding, which it reads back); an unreadable one gives 90 days from now.
const BACKFILL_POSTGRES: &str =
    "UPDATE api_tokens SET expires_at = created_at + INTERVAL '90 days'";
const BACKFILL_SQLITE: &str = "UPDATE api_tokens SET expires_at = COALESCE(\
     strftime('%Y-%m-%dT%H:%M:%f+00:00', created_at, '+90 days'), \
     strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '+90 days'))";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ApiTokens::Table)
                    .add_column(
                        ColumnDef::new(ApiTokens::ExpiresAt)
                            .timestamp_with_time_zone()
                            .not_null()
                            .default(ALREADY_EXPIRED),
                    )
                    .to_owned(),
            )
            .await?;
        let backfill = match manager.get_database_backend() {
            DbBackend::Postgres => BACKFILL_POSTGRES,
            _ => BACKFILL_SQLITE,
        };
        manager
            .get_connection()
            .execute_unprepared(backfill)
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ApiTokens::Table)
                    .drop_column(ApiTokens::ExpiresAt)
                    .to_owned(),
            )
            .await
    }
}
