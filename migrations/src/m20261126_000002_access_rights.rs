//! Multi-level administration: privileges of user groups, enterprise parameters, the audit log,
//! API tokens and login throttling.

use sea_orm_migration::prelude::*;

/// Creates the access-rights tables. The standard groups are seeded by the application.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000002_access_rights"
    }
}

#[derive(DeriveIden)]
enum UserGroups {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum UserGroupPrivileges {
    Table,
    GroupId,
    FunctionalGroup,
    AccessLevel,
}

#[derive(DeriveIden)]
enum EnterpriseParameters {
    Table,
    Name,
    Value,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    Actor,
    Address,
    Action,
    ObjectType,
    ObjectName,
    Before,
    After,
    Detail,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    Subject,
    Failures,
    WindowStart,
    BlockedUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UserGroupPrivileges::Table)
                    .col(
                        ColumnDef::new(UserGroupPrivileges::GroupId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(UserGroupPrivileges::FunctionalGroup)
                            .string_len(40)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(UserGroupPrivileges::AccessLevel)
                            .string_len(16)
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(UserGroupPrivileges::GroupId)
                            .col(UserGroupPrivileges::FunctionalGroup),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserGroupPrivileges::Table, UserGroupPrivileges::GroupId)
                            .to(UserGroups::Table, UserGroups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EnterpriseParameters::Table)
                    .col(
                        ColumnDef::new(EnterpriseParameters::Name)
                            .string_len(80)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(EnterpriseParameters::Value)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EnterpriseParameters::Version)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .col(
                        ColumnDef::new(EnterpriseParameters::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(
                        ColumnDef::new(AuditLog::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(AuditLog::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditLog::Actor).string_len(128).null())
                    .col(ColumnDef::new(AuditLog::Address).string_len(64).null())
                    .col(ColumnDef::new(AuditLog::Action).string_len(32).not_null())
                    .col(
                        ColumnDef::new(AuditLog::ObjectType)
                            .string_len(40)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditLog::ObjectName)
                            .string_len(256)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditLog::Before).text().null())
                    .col(ColumnDef::new(AuditLog::After).text().null())
                    .col(ColumnDef::new(AuditLog::Detail).text().not_null())
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_audit_at", AuditLog::At),
            ("idx_audit_actor", AuditLog::Actor),
            ("idx_audit_object_type", AuditLog::ObjectType),
            ("idx_audit_action", AuditLog::Action),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AuditLog::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(
                        ColumnDef::new(ApiTokens::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ApiTokens::UserId).integer().not_null())
                    .col(ColumnDef::new(ApiTokens::Name).string_len(64).not_null())
                    .col(
                        ColumnDef::new(ApiTokens::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(ApiTokens::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ApiTokens::LastUsedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiTokens::Table, ApiTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .index(
                        Index::create()
                            .name("uq_api_tokens_user_name")
                            .col(ApiTokens::UserId)
                            .col(ApiTokens::Name)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LoginThrottle::Table)
                    .col(
                        ColumnDef::new(LoginThrottle::Subject)
                            .string_len(200)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(LoginThrottle::Failures).integer().not_null())
                    .col(
                        ColumnDef::new(LoginThrottle::WindowStart)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LoginThrottle::BlockedUntil)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LoginThrottle::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            AuditLog::Table.into_iden(),
            EnterpriseParameters::Table.into_iden(),
            UserGroupPrivileges::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
