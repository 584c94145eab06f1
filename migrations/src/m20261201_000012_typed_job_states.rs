//! Job, device, build and service states are read as enums (`JobStatus`, `DeviceStatus`,
//! `BuildStatus`, `ServiceState`): every stored value must be one of their names. Early bulk jobs
//! were stored `queued` before they ran, a state the code has read as running ever since; this
//! migration stores them as what they are.

use sea_orm_migration::prelude::*;

/// Rewrites the status `queued` of old jobs as `running`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000012_typed_job_states"
    }
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Status,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let update = Query::update()
            .table(Jobs::Table)
            .value(Jobs::Status, "running")
            .and_where(Expr::col(Jobs::Status).eq("queued"))
            .to_owned();
        manager.exec_stmt(update).await
    }

    /// Nothing to undo: `running` is what `queued` always meant.
    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
