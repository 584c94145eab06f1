//! Opening the store and bringing its schema up to date.

use std::path::Path;
use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement,
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
    /// A file of the SQLite store cannot be made readable by its owner only.
    #[error("cannot make {path} private (mode 0600): {source}")]
    Permissions {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Connects to `url`, runs every pending migration and seeds what a new store needs.
///
/// SQLite gets WAL journaling, foreign keys and a single connection: SQLite has one writer, and
/// one connection keeps every write in order without `database is locked` retries. Its files (the
/// database, `-wal`, `-shm`) are made 0600, also those an older version left open to others.
pub async fn connect(url: &str) -> Result<DatabaseConnection, StoreError> {
    open(url, None).await
}

/// [`connect`] on PostgreSQL with `schema` first in the search path: the tables are made and
/// read there (a restore builds its new store in a schema of its own).
pub async fn connect_in_schema(url: &str, schema: &str) -> Result<DatabaseConnection, StoreError> {
    open(url, Some(schema)).await
}

/// A store at `url` (in `schema` on PostgreSQL) migrated only through the first `steps`
/// migrations and not seeded: where a restore loads an archive of an older schema, before
/// [`migrate`] takes it to this console's.
pub async fn connect_at(
    url: &str,
    schema: Option<&str>,
    steps: u32,
) -> Result<DatabaseConnection, StoreError> {
    let db = pool(url, schema).await?;
    Migrator::up(&db, Some(steps)).await?;
    Ok(db)
}

/// Takes `db` to this console's schema and seeds what is missing (the standard groups, the
/// parameters): what every open of the store does.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), StoreError> {
    Migrator::up(db, None).await?;
    let txn = db.begin().await?;
    super::seed::seed(&txn).await?;
    txn.commit().await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        make_sqlite_files_private(db).await?;
    }
    Ok(())
}

async fn open(url: &str, schema: Option<&str>) -> Result<DatabaseConnection, StoreError> {
    let db = pool(url, schema).await?;
    migrate(&db).await?;
    Ok(db)
}

async fn pool(url: &str, schema: Option<&str>) -> Result<DatabaseConnection, StoreError> {
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
    if let Some(schema) = schema {
        options.set_schema_search_path(schema.to_owned());
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
    Ok(db)
}

/// Sets the files of the SQLite store `db` — the database and, when present, its `-wal` and
/// `-shm` — to be readable and writable by the owner only when the group or others have any
/// access. The path is the one SQLite opened (`PRAGMA database_list`); an in-memory store has
/// none.
async fn make_sqlite_files_private(db: &DatabaseConnection) -> Result<(), StoreError> {
    let row = db
        .query_one(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT file FROM pragma_database_list WHERE name = 'main'",
        ))
        .await?;
    let file = match row {
        Some(row) => row.try_get::<Option<String>>("", "file")?,
        None => None,
    };
    let Some(file) = file.filter(|f| !f.is_empty()) else {
        return Ok(());
    };
    for path in [file.clone(), format!("{file}-wal"), format!("{file}-shm")] {
        make_private(Path::new(&path))?;
    }
    Ok(())
}

/// Sets `path` to 0600 when the group or others have any access to it; a missing file is left
/// missing.
fn make_private(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    let error = |source| StoreError::Permissions {
        path: path.display().to_string(),
        source,
    };
    let mode = match std::fs::metadata(path) {
        Ok(meta) => meta.permissions().mode(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(error(e)),
    };
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(error)?;
    }
    Ok(())
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
    use super::{connect, redact};

    /// Issue 13, point 8: a store an older version left open to the group and others (0644,
    /// its WAL and shared-memory files too) is 0600 once connected.
    #[tokio::test]
    async fn an_existing_sqlite_store_is_made_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("old.db");
        let url = format!("sqlite:{}?mode=rwc", file.display());
        // Open: the WAL and shared-memory files exist while a connection holds the store.
        let first = connect(&url).await.unwrap();
        let files = [
            file.clone(),
            dir.path().join("old.db-wal"),
            dir.path().join("old.db-shm"),
        ];
        for path in &files {
            if path.exists() {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
            }
        }
        let second = connect(&url).await.unwrap();
        for path in &files {
            if path.exists() {
                let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", path.display());
            }
        }
        assert!(file.exists());
        second.close().await.unwrap();
        first.close().await.unwrap();
    }

    #[test]
    fn redact_hides_the_password_only() {
        assert_eq!(
            redact("postgres://ccm:secret@127.0.0.1:5432/db"),
            "postgres://ccm:***@127.0.0.1:5432/db"
        );
        assert_eq!(redact("sqlite:./data/x.db"), "sqlite:./data/x.db");
    }
}
