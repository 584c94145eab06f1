//! Schema migrations of the ccmadmin store. They run at every start of the server and through
//! `ccmadmin migrate`, on SQLite and PostgreSQL alike.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_foundation;
mod m20261126_000002_access_rights;
mod m20261126_000003_cluster_model;
mod m20261126_000004_jobs;
mod m20261126_000005_security_settings;
mod m20261126_000006_tftp_files;
mod m20261126_000007_device_resets;
mod m20261201_000008_token_expiry;
mod m20261201_000009_session_epoch;
mod m20261201_000010_mask_capf_strings;
mod m20261201_000011_pools_regions_imports;
mod m20261201_000012_typed_job_states;
mod m20261201_000013_backup_schedule;
mod m20261201_000014_offline_tokens;
mod m20261202_000015_capf_enrolment;

/// The ordered list of every migration of the store.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_foundation::Migration),
            Box::new(m20261126_000002_access_rights::Migration),
            Box::new(m20261126_000003_cluster_model::Migration),
            Box::new(m20261126_000004_jobs::Migration),
            Box::new(m20261126_000005_security_settings::Migration),
            Box::new(m20261126_000006_tftp_files::Migration),
            Box::new(m20261126_000007_device_resets::Migration),
            Box::new(m20261201_000008_token_expiry::Migration),
            Box::new(m20261201_000009_session_epoch::Migration),
            Box::new(m20261201_000010_mask_capf_strings::Migration),
            Box::new(m20261201_000011_pools_regions_imports::Migration),
            Box::new(m20261201_000012_typed_job_states::Migration),
            Box::new(m20261201_000013_backup_schedule::Migration),
            Box::new(m20261201_000014_offline_tokens::Migration),
            Box::new(m20261202_000015_capf_enrolment::Migration),
        ]
    }
}
