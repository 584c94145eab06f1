//! A security token's key can live offline (issue 16, item 4): `certificates.key_offline_at` is
//! when its key file was removed from the server after the admin exported it as a token file.
//! Null: the key is on the server, in the file `key_file` names.

use sea_orm_migration::prelude::*;

/// Adds `certificates.key_offline_at`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000014_offline_tokens"
    }
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    KeyOfflineAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Certificates::Table)
                    .add_column(
                        ColumnDef::new(Certificates::KeyOfflineAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Certificates::Table)
                    .drop_column(Certificates::KeyOfflineAt)
                    .to_owned(),
            )
            .await
    }
}
