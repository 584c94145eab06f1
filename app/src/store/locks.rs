//! Locks that serialise the changes whose invariant spans many rows. On PostgreSQL a
//! transaction-scoped advisory lock, released at commit or rollback; SQLite needs none, since its
//! single writer connection runs one transaction at a time.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// The advisory lock key of the access-rights invariant (someone keeps Full Access to
/// UserPrivilegeManagement).
const ACCESS_RIGHTS: i64 = 0x0ccd_0001;

/// The advisory lock key of the cluster topology: which groups, regions and pools exist and which
/// uses which (a region a pool names exists; at most one auto-registration group).
const TOPOLOGY: i64 = 0x0ccd_0002;

/// Waits until no other transaction is checking or changing who holds the access rights; held
/// until the end of `txn`.
pub async fn access_rights<C: ConnectionTrait>(txn: &C) -> Result<(), DbErr> {
    advisory(txn, ACCESS_RIGHTS).await
}

/// Waits until no other transaction is changing the CallManager groups, device pools or regions;
/// held until the end of `txn`.
pub async fn topology<C: ConnectionTrait>(txn: &C) -> Result<(), DbErr> {
    advisory(txn, TOPOLOGY).await
}

async fn advisory<C: ConnectionTrait>(txn: &C, key: i64) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [key.into()],
        ))
        .await?;
    }
    Ok(())
}
