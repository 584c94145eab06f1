//! Opening the store and bringing its schema up to date.

use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr,
    TransactionTrait,
};

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names neither `sqlite:` nor `postgres:`.
    #[error("DATABASE_URL must start with sqlite: or postgres:, got {0:?}")]
    UnsupportedUrl(String),
    /// The database refused the connection or a statement.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// Connects to `url`, runs every pending migration and seeds what a new store needs.
///
/// SQLite gets WAL journaling, foreign keys and a single connection: SQLite has one writer, and
/// one connection keeps every write in order without `database is locked` retries.
pub async fn connect(url: &str) -> Result<DatabaseConnection, StoreError> {
    let is_sqlite = url.starts_with("sqlite:");
    if !is_sqlite && !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
        return Err(StoreError::UnsupportedUrl(redact(url)));
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
    if is_sqlite {
        options.max_connections(1).min_connections(1);
    } else {
        // A small pool: more connections than cores only queue in the database server.
        options.max_connections(8);
    }
    let db = Database::connect(options).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        for pragma in [
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = NORMAL",
            "PRAGMA foreign_keys = ON",
            "PRAGMA busy_timeout = 5000",
        ] {
            db.execute_unprepared(pragma).await?;
        }
    }
    Migrator::up(&db, None).await?;
    let txn = db.begin().await?;
    super::seed::seed(&txn).await?;
    txn.commit().await?;
    Ok(db)
}

/// Read-only connections to an SQLite store, beside its one writer.
pub const SQLITE_READERS: u32 = 3;

/// The connections that serve the hot read paths (sessions, privileges, phone lists). On SQLite a
/// pool of [`SQLITE_READERS`] read-only connections: in WAL mode readers run beside the one writer
/// and see every committed write, so reads are no longer queued behind a single connection. On
/// PostgreSQL the writer's pool serves reads too.
pub async fn connect_reader(
    url: &str,
    writer: &DatabaseConnection,
) -> Result<DatabaseConnection, StoreError> {
    if writer.get_database_backend() != DbBackend::Sqlite {
        return Ok(writer.clone());
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .max_connections(SQLITE_READERS)
        .min_connections(1)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.read_only(true)
                .busy_timeout(Duration::from_secs(5))
                .pragma("query_only", "ON")
        });
    Ok(Database::connect(options).await?)
}

/// The URL with any password replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            let user = creds.split(':').next().unwrap_or_default();
            format!("{}://{user}:***@{}", &url[..scheme_end], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redact_hides_the_password_only() {
        assert_eq!(
            redact("postgres://ccm:secret@127.0.0.1:5432/db"),
            "postgres://ccm:***@127.0.0.1:5432/db"
        );
        assert_eq!(redact("sqlite:./data/x.db"), "sqlite:./data/x.db");
    }
}
