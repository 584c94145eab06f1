//! Security settings around the cluster model: the certificates fetched from SRST gateways, service
//! parameters and service activation per server, the other clusters that share the TFTP servers
//! (R3), and the required actions a change leaves behind (R10).

use sea_orm_migration::prelude::*;

/// Creates the tables of the SRST, parameter, service and required-action pages.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000005_security_settings"
    }
}

#[derive(DeriveIden)]
enum SrstReferences {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Devices {
    Table,
    SecurityMode,
    ModelId,
    BuiltInBridge,
    DevicePoolId,
}

#[derive(DeriveIden)]
enum Servers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum SrstCertificates {
    Table,
    SrstReferenceId,
    Der,
    Subject,
    Issuer,
    NotBefore,
    NotAfter,
    Sha256,
    Error,
    FetchedAt,
}

#[derive(DeriveIden)]
enum ServiceParameters {
    Table,
    ServerId,
    Service,
    Name,
    Value,
    Version,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum ServiceActivations {
    Table,
    ServerId,
    Service,
    Activated,
    Version,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum TftpClusters {
    Table,
    Id,
    Name,
    TftpPath,
    AlternateTftpPath,
    SecurityMode,
    Version,
}

#[derive(DeriveIden)]
enum RequiredActions {
    Table,
    Id,
    Kind,
    Server,
    Target,
    Reason,
    Rule,
    AuditId,
    CreatedAt,
    DoneAt,
}

fn text(col: impl IntoIden, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).not_null().to_owned()
}

fn optional_text(col: impl IntoIden, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).null().to_owned()
}

fn when(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn version(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .integer()
        .not_null()
        .default(1)
        .to_owned()
}

fn cascade_to_server(
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(Servers::Table, Servers::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SrstCertificates::Table)
                    .col(
                        ColumnDef::new(SrstCertificates::SrstReferenceId)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(SrstCertificates::Der).binary().null())
                    .col(ColumnDef::new(SrstCertificates::Subject).text().null())
                    .col(ColumnDef::new(SrstCertificates::Issuer).text().null())
                    .col(
                        ColumnDef::new(SrstCertificates::NotBefore)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(SrstCertificates::NotAfter)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(optional_text(SrstCertificates::Sha256, 95))
                    .col(ColumnDef::new(SrstCertificates::Error).text().null())
                    .col(when(SrstCertificates::FetchedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SrstCertificates::Table, SrstCertificates::SrstReferenceId)
                            .to(SrstReferences::Table, SrstReferences::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ServiceParameters::Table)
                    .col(
                        ColumnDef::new(ServiceParameters::ServerId)
                            .integer()
                            .not_null(),
                    )
                    .col(text(ServiceParameters::Service, 32))
                    .col(text(ServiceParameters::Name, 64))
                    .col(text(ServiceParameters::Value, 256))
                    .col(version(ServiceParameters::Version))
                    .col(when(ServiceParameters::UpdatedAt))
                    .col(text(ServiceParameters::UpdatedBy, 128))
                    .primary_key(
                        Index::create()
                            .col(ServiceParameters::ServerId)
                            .col(ServiceParameters::Service)
                            .col(ServiceParameters::Name),
                    )
                    .foreign_key(&mut cascade_to_server((
                        ServiceParameters::Table,
                        ServiceParameters::ServerId,
                    )))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ServiceActivations::Table)
                    .col(
                        ColumnDef::new(ServiceActivations::ServerId)
                            .integer()
                            .not_null(),
                    )
                    .col(text(ServiceActivations::Service, 32))
                    .col(
                        ColumnDef::new(ServiceActivations::Activated)
                            .boolean()
                            .not_null(),
                    )
                    .col(version(ServiceActivations::Version))
                    .col(when(ServiceActivations::UpdatedAt))
                    .col(text(ServiceActivations::UpdatedBy, 128))
                    .primary_key(
                        Index::create()
                            .col(ServiceActivations::ServerId)
                            .col(ServiceActivations::Service),
                    )
                    .foreign_key(&mut cascade_to_server((
                        ServiceActivations::Table,
                        ServiceActivations::ServerId,
                    )))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TftpClusters::Table)
                    .col(
                        ColumnDef::new(TftpClusters::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(text(TftpClusters::Name, 64).unique_key().to_owned())
                    .col(text(TftpClusters::TftpPath, 255))
                    .col(text(TftpClusters::AlternateTftpPath, 255))
                    .col(text(TftpClusters::SecurityMode, 16))
                    .col(version(TftpClusters::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RequiredActions::Table)
                    .col(
                        ColumnDef::new(RequiredActions::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(text(RequiredActions::Kind, 32))
                    .col(optional_text(RequiredActions::Server, 64))
                    .col(text(RequiredActions::Target, 128))
                    .col(ColumnDef::new(RequiredActions::Reason).text().not_null())
                    .col(text(RequiredActions::Rule, 8))
                    .col(
                        ColumnDef::new(RequiredActions::AuditId)
                            .big_integer()
                            .null(),
                    )
                    .col(when(RequiredActions::CreatedAt))
                    .col(
                        ColumnDef::new(RequiredActions::DoneAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("required_actions_open")
                    .table(RequiredActions::Table)
                    .col(RequiredActions::DoneAt)
                    .col(RequiredActions::Kind)
                    .to_owned(),
            )
            .await?;
        // The dashboard counts devices by the facts the rules read: an index-only scan.
        manager
            .create_index(
                Index::create()
                    .name("idx_devices_rule_facts")
                    .table(Devices::Table)
                    .col(Devices::SecurityMode)
                    .col(Devices::ModelId)
                    .col(Devices::BuiltInBridge)
                    .col(Devices::DevicePoolId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_devices_rule_facts")
                    .table(Devices::Table)
                    .to_owned(),
            )
            .await?;
        for table in [
            RequiredActions::Table.into_iden(),
            TftpClusters::Table.into_iden(),
            ServiceActivations::Table.into_iden(),
            ServiceParameters::Table.into_iden(),
            SrstCertificates::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
