//! Locks that serialise the changes whose invariant spans many rows. On PostgreSQL a
//! transaction-scoped advisory lock, released at commit or rollback; SQLite needs none, since its
//! single writer connection runs one transaction at a time.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// The advisory lock key of the access-rights invariant (someone keeps Full Access to
/// UserPrivilegeManagement).
const ACCESS_RIGHTS: i64 = 0x0ccd_0001;

/// Waits until no other transaction is checking or changing who holds the access rights; held
/// until the end of `txn`.
pub async fn access_rights<C: ConnectionTrait>(txn: &C) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [ACCESS_RIGHTS.into()],
        ))
        .await?;
    }
    Ok(())
}
