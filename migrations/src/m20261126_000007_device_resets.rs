//! Required actions become work: device contacts (registrations), reset and restart jobs with a
//! status per device, the last reset of each device, and the run state of every service.

use sea_orm_migration::prelude::*;

/// Creates `device_contacts`, `job_devices` and `device_resets`; adds the rate, version and
/// worker claim of a job and the state of a service.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000007_device_resets"
    }
}

#[derive(DeriveIden)]
enum Devices {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Rate,
    Version,
    Worker,
    HeartbeatAt,
}

#[derive(DeriveIden)]
enum ServiceActivations {
    Table,
    State,
    Detail,
    RestartedAt,
}

#[derive(DeriveIden)]
enum DeviceContacts {
    Table,
    DeviceId,
    Address,
    Port,
    Transport,
    Source,
    LastSeen,
    RunningMode,
    ConfigFile,
    Signature,
    ReportedAt,
    Version,
}

#[derive(DeriveIden)]
enum JobDevices {
    Table,
    Id,
    JobId,
    DeviceId,
    DeviceName,
    Status,
    Contact,
    Attempts,
    Detail,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DeviceResets {
    Table,
    DeviceId,
    ResetAt,
}

fn when(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn cascade_to_device(
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(Devices::Table, Devices::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

async fn add_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden + 'static,
    col: ColumnDef,
) -> Result<(), DbErr> {
    // SQLite takes one column per ALTER TABLE.
    let mut col = col;
    manager
        .alter_table(Table::alter().table(table).add_column(&mut col).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DeviceContacts::Table)
                    .col(
                        ColumnDef::new(DeviceContacts::DeviceId)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(DeviceContacts::Address)
                            .string_len(45)
                            .not_null(),
                    )
                    .col(ColumnDef::new(DeviceContacts::Port).integer().not_null())
                    .col(
                        ColumnDef::new(DeviceContacts::Transport)
                            .string_len(8)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DeviceContacts::Source)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(when(DeviceContacts::LastSeen))
                    .col(
                        ColumnDef::new(DeviceContacts::RunningMode)
                            .string_len(16)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(DeviceContacts::ConfigFile)
                            .string_len(64)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(DeviceContacts::Signature)
                            .string_len(16)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(DeviceContacts::ReportedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(DeviceContacts::Version)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .foreign_key(&mut cascade_to_device((
                        DeviceContacts::Table,
                        DeviceContacts::DeviceId,
                    )))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JobDevices::Table)
                    .col(
                        ColumnDef::new(JobDevices::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(JobDevices::JobId).integer().not_null())
                    .col(ColumnDef::new(JobDevices::DeviceId).integer().not_null())
                    .col(
                        ColumnDef::new(JobDevices::DeviceName)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(JobDevices::Status).string_len(16).not_null())
                    .col(ColumnDef::new(JobDevices::Contact).string_len(64).null())
                    .col(
                        ColumnDef::new(JobDevices::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(JobDevices::Detail)
                            .text()
                            .not_null()
                            .default(""),
                    )
                    .col(when(JobDevices::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(JobDevices::Table, JobDevices::JobId)
                            .to(Jobs::Table, Jobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("job_devices_job_status")
                    .table(JobDevices::Table)
                    .col(JobDevices::JobId)
                    .col(JobDevices::Status)
                    .col(JobDevices::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DeviceResets::Table)
                    .col(
                        ColumnDef::new(DeviceResets::DeviceId)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(when(DeviceResets::ResetAt))
                    .foreign_key(&mut cascade_to_device((
                        DeviceResets::Table,
                        DeviceResets::DeviceId,
                    )))
                    .to_owned(),
            )
            .await?;
        add_column(
            manager,
            Jobs::Table,
            ColumnDef::new(Jobs::Rate).integer().null().to_owned(),
        )
        .await?;
        add_column(
            manager,
            Jobs::Table,
            ColumnDef::new(Jobs::Version)
                .integer()
                .not_null()
                .default(1)
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            Jobs::Table,
            ColumnDef::new(Jobs::Worker)
                .string_len(128)
                .null()
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            Jobs::Table,
            ColumnDef::new(Jobs::HeartbeatAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            ServiceActivations::Table,
            ColumnDef::new(ServiceActivations::State)
                .string_len(16)
                .not_null()
                .default("started")
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            ServiceActivations::Table,
            ColumnDef::new(ServiceActivations::Detail)
                .text()
                .not_null()
                .default("")
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            ServiceActivations::Table,
            ColumnDef::new(ServiceActivations::RestartedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, col) in [
            (
                ServiceActivations::Table.into_iden(),
                ServiceActivations::RestartedAt.into_iden(),
            ),
            (
                ServiceActivations::Table.into_iden(),
                ServiceActivations::Detail.into_iden(),
            ),
            (
                ServiceActivations::Table.into_iden(),
                ServiceActivations::State.into_iden(),
            ),
            (Jobs::Table.into_iden(), Jobs::HeartbeatAt.into_iden()),
            (Jobs::Table.into_iden(), Jobs::Worker.into_iden()),
            (Jobs::Table.into_iden(), Jobs::Version.into_iden()),
            (Jobs::Table.into_iden(), Jobs::Rate.into_iden()),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(col).to_owned())
                .await?;
        }
        for table in [
            DeviceResets::Table.into_iden(),
            JobDevices::Table.into_iden(),
            DeviceContacts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
