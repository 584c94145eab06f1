//! What an empty install needs to be built on, and what Bulk Administration keeps: regions (with
//! the `Default` region every install has), a device pool's region, the CallManager group used
//! for auto-registration, phone templates that an import row can name, and the place a resumable
//! job reached (`jobs.cursor`: the last line of an import applied).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// Creates `regions` and `phone_templates`, adds `device_pools.region_id`,
/// `callmanager_groups.auto_registration` and `jobs.cursor`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000011_pools_regions_imports"
    }
}

#[derive(DeriveIden)]
enum Regions {
    Table,
    Id,
    Name,
    AudioCodec,
    Version,
}

#[derive(DeriveIden)]
enum DevicePools {
    Table,
    RegionId,
}

#[derive(DeriveIden)]
enum CallmanagerGroups {
    Table,
    AutoRegistration,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Cursor,
}

#[derive(DeriveIden)]
enum PhoneTemplates {
    Table,
    Id,
    Name,
    Defaults,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Regions::Table)
                    .col(
                        ColumnDef::new(Regions::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Regions::Name)
                            .string_len(50)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Regions::AudioCodec)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Regions::Version)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .to_owned(),
            )
            .await?;
        // The region every install has; existing pools are in it. Its id is 1 (a new table).
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(Regions::Table)
                    .columns([Regions::Id, Regions::Name, Regions::AudioCodec])
                    .values_panic([1.into(), "Default".into(), "G.711".into()])
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "SELECT setval(pg_get_serial_sequence('regions', 'id'), \
                     (SELECT MAX(id) FROM regions))",
                )
                .await?;
        }
        // No foreign key: SQLite cannot add one to an existing table. The device pool service
        // owns the column and refuses a region that does not exist, and the region service
        // refuses to delete a region a pool uses.
        manager
            .alter_table(
                Table::alter()
                    .table(DevicePools::Table)
                    .add_column(
                        ColumnDef::new(DevicePools::RegionId)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CallmanagerGroups::Table)
                    .add_column(
                        ColumnDef::new(CallmanagerGroups::AutoRegistration)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .add_column(ColumnDef::new(Jobs::Cursor).big_integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PhoneTemplates::Table)
                    .col(
                        ColumnDef::new(PhoneTemplates::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(PhoneTemplates::Name)
                            .string_len(50)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(PhoneTemplates::Defaults).text().not_null())
                    .col(
                        ColumnDef::new(PhoneTemplates::Version)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PhoneTemplates::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .drop_column(Jobs::Cursor)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CallmanagerGroups::Table)
                    .drop_column(CallmanagerGroups::AutoRegistration)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(DevicePools::Table)
                    .drop_column(DevicePools::RegionId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Regions::Table).to_owned())
            .await
    }
}
