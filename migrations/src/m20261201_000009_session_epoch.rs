//! Sessions end for good: `users.session_epoch` counts the times a user's sessions were ended
//! (logout elsewhere, password reset, disabling, "end sessions"). A session records the epoch of
//! its login, and one from an earlier epoch is refused, even if a login or a request in flight
//! wrote it after the sessions were ended.

use sea_orm_migration::prelude::*;

/// Adds `users.session_epoch`, 0 for every existing user.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000009_session_epoch"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    SessionEpoch,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(
                        ColumnDef::new(Users::SessionEpoch)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::SessionEpoch)
                    .to_owned(),
            )
            .await
    }
}
