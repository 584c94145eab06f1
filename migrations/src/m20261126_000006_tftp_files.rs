//! The TFTP side: the cluster's certificates (keys stay in files of the data dir), the state of
//! the file pipeline, and an index that lets it find the newest relevant change.

use sea_orm_migration::prelude::*;

/// Creates `certificates` and `tftp_state`, and indexes the audit log by object type.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000006_tftp_files"
    }
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
    Role,
    Name,
    Der,
    Subject,
    Issuer,
    Serial,
    NotBefore,
    NotAfter,
    Sha256,
    KeyFile,
    Version,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TftpState {
    Table,
    Id,
    WantedChange,
    BuiltChange,
    Status,
    Total,
    Written,
    Signed,
    Removed,
    Errors,
    LastError,
    StartedAt,
    FinishedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    ObjectType,
}

fn count(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .default(0)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Certificates::Table)
                    .col(
                        ColumnDef::new(Certificates::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Certificates::Role).string_len(16).not_null())
                    .col(ColumnDef::new(Certificates::Name).string_len(64).not_null())
                    .col(ColumnDef::new(Certificates::Der).binary().not_null())
                    .col(ColumnDef::new(Certificates::Subject).text().not_null())
                    .col(ColumnDef::new(Certificates::Issuer).text().not_null())
                    .col(
                        ColumnDef::new(Certificates::Serial)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Certificates::NotBefore)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Certificates::NotAfter)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Certificates::Sha256)
                            .string_len(95)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Certificates::KeyFile)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Certificates::Version)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .col(
                        ColumnDef::new(Certificates::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .index(
                        Index::create()
                            .name("certificates_role_name")
                            .col(Certificates::Role)
                            .col(Certificates::Name)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TftpState::Table)
                    .col(
                        ColumnDef::new(TftpState::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(TftpState::WantedChange)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(TftpState::BuiltChange)
                            .big_integer()
                            .not_null()
                            .default(-1),
                    )
                    .col(
                        ColumnDef::new(TftpState::Status)
                            .string_len(16)
                            .not_null()
                            .default("idle"),
                    )
                    .col(count(TftpState::Total))
                    .col(count(TftpState::Written))
                    .col(count(TftpState::Signed))
                    .col(count(TftpState::Removed))
                    .col(count(TftpState::Errors))
                    .col(ColumnDef::new(TftpState::LastError).text().null())
                    .col(
                        ColumnDef::new(TftpState::StartedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(TftpState::FinishedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(TftpState::UpdatedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_object_type_id")
                    .table(AuditLog::Table)
                    .col(AuditLog::ObjectType)
                    .col(AuditLog::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_audit_object_type_id")
                    .table(AuditLog::Table)
                    .to_owned(),
            )
            .await?;
        for table in [
            TftpState::Table.into_iden(),
            Certificates::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
