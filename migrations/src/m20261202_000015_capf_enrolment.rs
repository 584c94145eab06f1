//! CAPF enrolment (issue 17): each device keeps the LSC CAPF issued it (serial, issuer,
//! validity, SHA-256 fingerprint) and the last MIC it presented, and its certificate
//! operation's outcome (the operation that ran, the reason of a failure, when); the
//! manufacturer CAs trusted for MICs get their own table. Each device contact says how the device
//! registered (`registration`: "TLS with LSC serial …", "TLS with MIC …", "UDP") and why its last
//! secure registration was refused, and when. On PostgreSQL `authentication_mode`
//! grows to 64 characters: "By Existing Certificate (Precedence to LSC)" did not fit in 32
//! (SQLite does not enforce a length).

use sea_orm_migration::prelude::*;

/// Adds the devices' certificate columns and `manufacturer_cas`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000015_capf_enrolment"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Devices {
    Table,
    LscSerial,
    LscIssuer,
    LscSha256,
    LscNotBefore,
    LscNotAfter,
    MicSerial,
    MicIssuer,
    MicSha256,
    MicNotAfter,
    CapfOperation,
    CapfReason,
    CapfStatusAt,
    CapfAttempts,
    AuthenticationMode,
}

#[derive(DeriveIden, Clone, Copy)]
enum DeviceContacts {
    Table,
    Registration,
    Refusal,
    RefusedAt,
}

#[derive(DeriveIden)]
enum ManufacturerCas {
    Table,
    Id,
    Subject,
    Issuer,
    Serial,
    Sha256,
    Der,
    NotBefore,
    NotAfter,
    AddedAt,
    AddedBy,
}

const TEXT: [Devices; 8] = [
    Devices::LscSerial,
    Devices::LscIssuer,
    Devices::LscSha256,
    Devices::MicSerial,
    Devices::MicIssuer,
    Devices::MicSha256,
    Devices::CapfOperation,
    Devices::CapfReason,
];
const TIMES: [Devices; 4] = [
    Devices::LscNotBefore,
    Devices::LscNotAfter,
    Devices::MicNotAfter,
    Devices::CapfStatusAt,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column a statement: SQLite adds one at a time.
        for column in TEXT {
            manager
                .alter_table(
                    Table::alter()
                        .table(Devices::Table)
                        .add_column(
                            ColumnDef::new(column)
                                .string_len(255)
                                .not_null()
                                .default(""),
                        )
                        .to_owned(),
                )
                .await?;
        }
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres {
            manager
                .alter_table(
                    Table::alter()
                        .table(Devices::Table)
                        .modify_column(
                            ColumnDef::new(Devices::AuthenticationMode)
                                .string_len(64)
                                .not_null(),
                        )
                        .to_owned(),
                )
                .await?;
        }
        for column in TIMES {
            manager
                .alter_table(
                    Table::alter()
                        .table(Devices::Table)
                        .add_column(ColumnDef::new(column).timestamp_with_time_zone().null())
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Devices::Table)
                    .add_column(
                        ColumnDef::new(Devices::CapfAttempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        for column in [DeviceContacts::Registration, DeviceContacts::Refusal] {
            manager
                .alter_table(
                    Table::alter()
                        .table(DeviceContacts::Table)
                        .add_column(
                            ColumnDef::new(column)
                                .string_len(255)
                                .not_null()
                                .default(""),
                        )
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(DeviceContacts::Table)
                    .add_column(
                        ColumnDef::new(DeviceContacts::RefusedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ManufacturerCas::Table)
                    .col(
                        ColumnDef::new(ManufacturerCas::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ManufacturerCas::Subject)
                            .string_len(1024)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ManufacturerCas::Issuer)
                            .string_len(1024)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ManufacturerCas::Serial)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ManufacturerCas::Sha256)
                            .string_len(128)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(ManufacturerCas::Der).binary().not_null())
                    .col(
                        ColumnDef::new(ManufacturerCas::NotBefore)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ManufacturerCas::NotAfter)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ManufacturerCas::AddedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ManufacturerCas::AddedBy)
                            .string_len(128)
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ManufacturerCas::Table).to_owned())
            .await?;
        for column in [
            DeviceContacts::Registration,
            DeviceContacts::Refusal,
            DeviceContacts::RefusedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(DeviceContacts::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in TEXT.into_iter().chain(TIMES).chain([Devices::CapfAttempts]) {
            manager
                .alter_table(
                    Table::alter()
                        .table(Devices::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
