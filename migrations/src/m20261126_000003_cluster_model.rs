//! The cluster model: servers, CallManager groups, SRST references, device pools, phone models
//! and devices with their security fields.

use sea_orm_migration::prelude::*;

/// Creates the cluster-model tables. Phone models are seeded by the application.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000003_cluster_model"
    }
}

#[derive(DeriveIden)]
enum Servers {
    Table,
    Id,
    Name,
    Address,
    Description,
    Role,
    Guid,
    EthernetPhonePort,
    MgcpListenPort,
    MgcpKeepAlivePort,
    AutoRegistration,
    Version,
}

#[derive(DeriveIden)]
enum CallmanagerGroups {
    Table,
    Id,
    Name,
    Version,
}

#[derive(DeriveIden)]
enum CallmanagerGroupMembers {
    Table,
    GroupId,
    Priority,
    ServerId,
}

#[derive(DeriveIden)]
enum SrstReferences {
    Table,
    Id,
    Name,
    IpAddress,
    Port,
    SipAddress,
    SipPort,
    IsSecure,
    CertificateProviderPort,
    Version,
}

#[derive(DeriveIden)]
enum DevicePools {
    Table,
    Id,
    Name,
    CallmanagerGroupId,
    SrstOption,
    SrstReferenceId,
    Version,
}

#[derive(DeriveIden)]
enum PhoneModels {
    Table,
    Id,
    Name,
    DeviceClass,
    SupportsSccp,
    SupportsSip,
    SupportsAuthentication,
    SupportsEncryption,
    HasMic,
    HasBuiltInBridge,
}

#[derive(DeriveIden)]
enum Devices {
    Table,
    Id,
    Name,
    Description,
    ModelId,
    Protocol,
    DevicePoolId,
    SecurityMode,
    BuiltInBridge,
    CertificateOperation,
    AuthenticationMode,
    AuthenticationString,
    KeySize,
    OperationCompletesBy,
    CertificateOperationStatus,
    LscStatus,
    GratuitousArp,
    WebAccess,
    PcVoiceVlanAccess,
    SettingsAccess,
    PcPort,
    Version,
    UpdatedAt,
    UpdatedBy,
}

fn id_col<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn version_col<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .integer()
        .not_null()
        .default(1)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Servers::Table)
                    .col(id_col(Servers::Id))
                    .col(
                        ColumnDef::new(Servers::Name)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Servers::Address).string_len(64).not_null())
                    .col(
                        ColumnDef::new(Servers::Description)
                            .string_len(128)
                            .not_null()
                            .default(""),
                    )
                    .col(ColumnDef::new(Servers::Role).string_len(16).not_null())
                    .col(ColumnDef::new(Servers::Guid).string_len(36).not_null())
                    .col(
                        ColumnDef::new(Servers::EthernetPhonePort)
                            .integer()
                            .not_null()
                            .default(2000),
                    )
                    .col(
                        ColumnDef::new(Servers::MgcpListenPort)
                            .integer()
                            .not_null()
                            .default(2427),
                    )
                    .col(
                        ColumnDef::new(Servers::MgcpKeepAlivePort)
                            .integer()
                            .not_null()
                            .default(2428),
                    )
                    .col(
                        ColumnDef::new(Servers::AutoRegistration)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(version_col(Servers::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CallmanagerGroups::Table)
                    .col(id_col(CallmanagerGroups::Id))
                    .col(
                        ColumnDef::new(CallmanagerGroups::Name)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(version_col(CallmanagerGroups::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CallmanagerGroupMembers::Table)
                    .col(
                        ColumnDef::new(CallmanagerGroupMembers::GroupId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CallmanagerGroupMembers::Priority)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CallmanagerGroupMembers::ServerId)
                            .integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(CallmanagerGroupMembers::GroupId)
                            .col(CallmanagerGroupMembers::Priority),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                CallmanagerGroupMembers::Table,
                                CallmanagerGroupMembers::GroupId,
                            )
                            .to(CallmanagerGroups::Table, CallmanagerGroups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                CallmanagerGroupMembers::Table,
                                CallmanagerGroupMembers::ServerId,
                            )
                            .to(Servers::Table, Servers::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SrstReferences::Table)
                    .col(id_col(SrstReferences::Id))
                    .col(
                        ColumnDef::new(SrstReferences::Name)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(SrstReferences::IpAddress)
                            .string_len(15)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SrstReferences::Port)
                            .integer()
                            .not_null()
                            .default(2000),
                    )
                    .col(
                        ColumnDef::new(SrstReferences::SipAddress)
                            .string_len(15)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(SrstReferences::SipPort)
                            .integer()
                            .not_null()
                            .default(5060),
                    )
                    .col(
                        ColumnDef::new(SrstReferences::IsSecure)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(SrstReferences::CertificateProviderPort)
                            .integer()
                            .not_null()
                            .default(2445),
                    )
                    .col(version_col(SrstReferences::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DevicePools::Table)
                    .col(id_col(DevicePools::Id))
                    .col(
                        ColumnDef::new(DevicePools::Name)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(DevicePools::CallmanagerGroupId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DevicePools::SrstOption)
                            .string_len(16)
                            .not_null()
                            .default("disable"),
                    )
                    .col(
                        ColumnDef::new(DevicePools::SrstReferenceId)
                            .integer()
                            .null(),
                    )
                    .col(version_col(DevicePools::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .from(DevicePools::Table, DevicePools::CallmanagerGroupId)
                            .to(CallmanagerGroups::Table, CallmanagerGroups::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(DevicePools::Table, DevicePools::SrstReferenceId)
                            .to(SrstReferences::Table, SrstReferences::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PhoneModels::Table)
                    .col(id_col(PhoneModels::Id))
                    .col(
                        ColumnDef::new(PhoneModels::Name)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(PhoneModels::DeviceClass)
                            .string_len(24)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PhoneModels::SupportsSccp)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PhoneModels::SupportsSip)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PhoneModels::SupportsAuthentication)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PhoneModels::SupportsEncryption)
                            .boolean()
                            .not_null(),
                    )
                    .col(ColumnDef::new(PhoneModels::HasMic).boolean().not_null())
                    .col(
                        ColumnDef::new(PhoneModels::HasBuiltInBridge)
                            .boolean()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Devices::Table)
                    .col(id_col(Devices::Id))
                    .col(
                        ColumnDef::new(Devices::Name)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Devices::Description)
                            .string_len(128)
                            .not_null()
                            .default(""),
                    )
                    .col(ColumnDef::new(Devices::ModelId).integer().not_null())
                    .col(ColumnDef::new(Devices::Protocol).string_len(8).not_null())
                    .col(ColumnDef::new(Devices::DevicePoolId).integer().not_null())
                    .col(
                        ColumnDef::new(Devices::SecurityMode)
                            .string_len(24)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Devices::BuiltInBridge)
                            .string_len(8)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Devices::CertificateOperation)
                            .string_len(24)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Devices::AuthenticationMode)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Devices::AuthenticationString)
                            .string_len(10)
                            .not_null()
                            .default(""),
                    )
                    .col(
                        ColumnDef::new(Devices::KeySize)
                            .integer()
                            .not_null()
                            .default(1024),
                    )
                    .col(
                        ColumnDef::new(Devices::OperationCompletesBy)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Devices::CertificateOperationStatus)
                            .string_len(24)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Devices::LscStatus).string_len(16).not_null())
                    .col(
                        ColumnDef::new(Devices::GratuitousArp)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(
                        ColumnDef::new(Devices::WebAccess)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(
                        ColumnDef::new(Devices::PcVoiceVlanAccess)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(
                        ColumnDef::new(Devices::SettingsAccess)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(
                        ColumnDef::new(Devices::PcPort)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(version_col(Devices::Version))
                    .col(
                        ColumnDef::new(Devices::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Devices::UpdatedBy)
                            .string_len(128)
                            .not_null()
                            .default(""),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Devices::Table, Devices::ModelId)
                            .to(PhoneModels::Table, PhoneModels::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Devices::Table, Devices::DevicePoolId)
                            .to(DevicePools::Table, DevicePools::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // Each filter of Find and List Phones with the name it sorts by, so that a filtered page
        // is an ordered index scan rather than a sort of every match.
        for (name, cols) in [
            ("idx_devices_model_name", [Devices::ModelId, Devices::Name]),
            (
                "idx_devices_model_mode",
                [Devices::ModelId, Devices::SecurityMode],
            ),
            (
                "idx_devices_pool_name",
                [Devices::DevicePoolId, Devices::Name],
            ),
            (
                "idx_devices_mode_name",
                [Devices::SecurityMode, Devices::Name],
            ),
            ("idx_devices_lsc_name", [Devices::LscStatus, Devices::Name]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Devices::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Devices::Table.into_iden(),
            PhoneModels::Table.into_iden(),
            DevicePools::Table.into_iden(),
            SrstReferences::Table.into_iden(),
            CallmanagerGroupMembers::Table.into_iden(),
            CallmanagerGroups::Table.into_iden(),
            Servers::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
