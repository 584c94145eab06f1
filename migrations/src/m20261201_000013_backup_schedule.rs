//! The schedule of the backups a node takes by itself (Serviceability > Disaster Recovery): one
//! row, with the passphrase sealed under a key of the keys folder and the slot last claimed.

use sea_orm_migration::prelude::*;

/// Creates `backup_schedule`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000013_backup_schedule"
    }
}

#[derive(DeriveIden)]
enum BackupSchedule {
    Table,
    Id,
    Enabled,
    Frequency,
    Weekday,
    AtTime,
    Keep,
    SealedPassphrase,
    SealedFor,
    Version,
    UpdatedAt,
    LastRunAt,
    LastBackup,
    LastError,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BackupSchedule::Table)
                    .col(
                        ColumnDef::new(BackupSchedule::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(BackupSchedule::Enabled)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(BackupSchedule::Frequency)
                            .string_len(8)
                            .not_null()
                            .default("daily"),
                    )
                    .col(
                        ColumnDef::new(BackupSchedule::Weekday)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .col(
                        ColumnDef::new(BackupSchedule::AtTime)
                            .string_len(5)
                            .not_null()
                            .default("02:00"),
                    )
                    .col(
                        ColumnDef::new(BackupSchedule::Keep)
                            .integer()
                            .not_null()
                            .default(7),
                    )
                    .col(ColumnDef::new(BackupSchedule::SealedPassphrase).binary())
                    .col(ColumnDef::new(BackupSchedule::SealedFor).string_len(128))
                    .col(
                        ColumnDef::new(BackupSchedule::Version)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .col(
                        ColumnDef::new(BackupSchedule::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(BackupSchedule::LastRunAt).timestamp_with_time_zone())
                    .col(ColumnDef::new(BackupSchedule::LastBackup).string_len(64))
                    .col(ColumnDef::new(BackupSchedule::LastError).text())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(BackupSchedule::Table).to_owned())
            .await
    }
}
