//! Restoring a checked archive. The new store is built beside the old one — SQLite: a file
//! `<store>.restore` beside the store's file; PostgreSQL: a schema `ccmadmin_restore` — migrated,
//! loaded in one transaction (an older schema's archive: loaded at its schema, then migrated),
//! and for a full restore the keys, TLS and TFTP folders are staged in `DATA_DIR/restore/` (for a
//! data-only restore the keys folder with the cluster's tokens and the TFTP folder with the
//! phones' CTL file, [`super::tokens`]). Only then is `DATA_DIR/restore/READY` written, and the
//! switch begins: the store (a rename of the file, or of the two schemas in one transaction),
//! then each folder. A crash before `READY` leaves the old store untouched (the next start
//! discards the staging); a crash after it is finished by the next start ([`finish_pending`]), so
//! it is never a mix.
//!
//! The console must be stopped while the command restores (every node, on PostgreSQL).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement, TransactionTrait};

use super::archive::{Contents, Manifest};
use super::snapshot::{schema, sync_dir, FOLDERS};
use super::{tokens, BackupError};
use crate::domain::actions::RequiredAction;
use crate::domain::audit::{object, AuditAction};
use crate::domain::services::Service;
use crate::store::audit::AuditRecord;
use crate::store::dump::{self, TableRows, TABLES};
use crate::store::{actions, connect};

/// The staging folder under the data folder.
const STAGING: &str = "restore";
/// The file that marks a complete staging: from it on, the switch is finished at any cost.
const READY: &str = "READY";
/// The PostgreSQL schema a new store is built in.
const NEW_SCHEMA: &str = "ccmadmin_restore";
/// The PostgreSQL schema the replaced store is kept in until the next restore.
const OLD_SCHEMA: &str = "ccmadmin_previous";

/// What to restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The store, the keys, the TLS files, the CTL file: a failed publisher replaced.
    Full,
    /// The store and the cluster's security tokens with the CTL file the phones hold: this node
    /// keeps its own CallManager, TFTP and CAPF keys, and R16's actions are recorded (update the
    /// CTL file, restart TFTP and CallManager everywhere, reset all devices).
    DataOnly,
}

/// Where to restore: the store's URL and the data folder.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The store (`sqlite:…` or `postgres://…`).
    pub url: &'a str,
    /// The data folder (keys, TLS, TFTP files).
    pub data_dir: &'a Path,
}

/// Who asked for a restore, for the audit row of the restored store (none: the host's owner, by
/// `ccmadmin restore`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Who<'a> {
    /// The administrator's user ID.
    pub name: Option<&'a str>,
    /// Their address.
    pub address: Option<&'a str>,
}

/// The actions a data-only restore records (R16): update the CTL file, restart Cisco TFTP and
/// Cisco CallManager on every server, reset all devices.
pub fn data_only_actions() -> [RequiredAction; 4] {
    [
        RequiredAction::UpdateCtl,
        RequiredAction::RestartService {
            server: None,
            service: Service::Tftp,
        },
        RequiredAction::RestartService {
            server: None,
            service: Service::CallManager,
        },
        RequiredAction::ResetAllDevices,
    ]
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct Restored {
    /// Rows loaded into the new store.
    pub rows: u64,
    /// Files put in the data folder.
    pub files: usize,
    /// The required actions recorded (a data-only restore).
    pub actions: Vec<String>,
}

/// Restores `contents` into `target`; `now` stamps the audit row and the actions.
pub async fn restore(
    target: Target<'_>,
    contents: &Contents,
    kind: Kind,
    now: DateTime<Utc>,
) -> Result<Restored, BackupError> {
    let restored = stage(target, contents, kind, now, Who::default()).await?;
    finish_pending(target).await?;
    Ok(restored)
}

/// True when a complete staging waits for the switch (the next [`finish_pending`]).
pub fn is_staged(data_dir: &Path) -> bool {
    data_dir.join(STAGING).join(READY).exists()
}

/// Removes whatever a restore staged, complete or not, switching nothing: after a restore from
/// the page failed, the console serves on its live store.
pub async fn discard(target: Target<'_>) -> Result<(), BackupError> {
    remove_file(&target.data_dir.join(STAGING).join(READY))?;
    finish_pending(target).await
}

/// Builds the new store and folders of `contents` beside `target`'s and marks them complete
/// (`READY`), switching nothing: the next [`finish_pending`] — [`restore`]'s last step, or the
/// next start of a console that restores from its page — makes the switch.
pub async fn stage(
    target: Target<'_>,
    contents: &Contents,
    kind: Kind,
    now: DateTime<Utc>,
    who: Who<'_>,
) -> Result<Restored, BackupError> {
    let archive_schema = check_schema(&contents.manifest)?;
    let mut copy = tables(contents, archive_schema)?;
    // What an earlier, interrupted restore left is finished or discarded first.
    finish_pending(target).await?;
    let staging = target.data_dir.join(STAGING);
    create_private_dir(&staging)?;
    let taken = match kind {
        Kind::Full => None,
        Kind::DataOnly => {
            // This node's own certificates stay (they name the keys it keeps); the cluster's
            // tokens come from the archive.
            let live = connect::connect(target.url).await?;
            let own = dump::table(&live, "certificates").await?;
            live.close().await?;
            let certificates = copy
                .iter_mut()
                .find(|t| t.table == "certificates")
                .ok_or_else(|| BackupError::Damaged("it has no certificates".to_owned()))?;
            let taken = tokens::take(
                &own,
                &certificates.rows,
                &contents.entries,
                &target.data_dir.join("keys"),
                now,
            )?;
            certificates.rows.clone_from(&taken.rows);
            Some(taken)
        }
    };
    let (rows, actions) = stage_store(
        target,
        &copy,
        (kind, archive_schema),
        &contents.manifest,
        now,
        who,
    )
    .await?;
    crash_point("staged-store");
    let files = match &taken {
        None => stage_files(&staging, contents)?,
        Some(taken) => tokens::stage(&staging, target.data_dir, taken)?,
    };
    let ready = staging.join(READY);
    std::fs::write(&ready, b"ready\n")
        .and_then(|()| std::fs::File::open(&ready)?.sync_all())
        .map_err(BackupError::file(&ready))?;
    sync_dir(&staging)?;
    crash_point("ready");
    Ok(Restored {
        rows,
        files,
        actions,
    })
}

/// The crash-safety tests' hook: `CCMADMIN_TEST_CRASH_AT=<point>` aborts the process at that
/// point of a restore (no destructor runs, as in a `kill -9`), so that the test can check what
/// the next start finds after a crash at each step.
fn crash_point(point: &str) {
    if std::env::var("CCMADMIN_TEST_CRASH_AT").is_ok_and(|at| at == point) {
        std::process::abort();
    }
}

/// The schema of an archive, as far as this console is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArchiveSchema {
    /// This console's schema.
    Current,
    /// An older schema: the first `steps` migrations made it.
    Older {
        /// How many migrations, from the first, made the archive's schema.
        steps: u32,
    },
}

/// The archive's schema: this console's, or an older one its migrations know (restored at that
/// schema, then migrated); a newer or unknown one is refused.
fn check_schema(m: &Manifest) -> Result<ArchiveSchema, BackupError> {
    let ours = schema();
    if m.schema == ours {
        return Ok(ArchiveSchema::Current);
    }
    match Migrator::migrations()
        .iter()
        .position(|g| g.name() == m.schema)
    {
        Some(at) => Ok(ArchiveSchema::Older {
            steps: u32::try_from(at + 1).unwrap_or(u32::MAX),
        }),
        None => Err(BackupError::Unsupported(format!(
            "its schema {} is newer than this console's ({ours}), or not one of its own",
            m.schema
        ))),
    }
}

/// The archive's tables, in [`TABLES`] order; an archive without one of them (but for the
/// tables made after an older archive's schema), or with a table this console does not have,
/// is refused.
fn tables(contents: &Contents, schema: ArchiveSchema) -> Result<Vec<TableRows>, BackupError> {
    let stored: Vec<&str> = contents
        .entries
        .keys()
        .filter_map(|name| name.strip_prefix("store/")?.strip_suffix(".jsonl"))
        .collect();
    if let Some(extra) = stored.iter().find(|t| !TABLES.contains(t)) {
        return Err(BackupError::Unsupported(format!(
            "it holds a table this console does not have ({extra})"
        )));
    }
    TABLES
        .iter()
        .filter_map(|table| {
            match contents.entries.get(&format!("store/{table}.jsonl")) {
                Some(rows) => Some(Ok(TableRows {
                    table: (*table).to_owned(),
                    rows: rows.clone(),
                })),
                // A later migration makes it (`stage_store` checks that the archive's schema has
                // no such table).
                None if schema != ArchiveSchema::Current => None,
                None => Some(Err(BackupError::Damaged(format!(
                    "it has no rows for {table}"
                )))),
            }
        })
        .collect()
}

/// Builds the new store beside the old one and loads `copy` into it in one transaction.
async fn stage_store(
    target: Target<'_>,
    copy: &[TableRows],
    (kind, archive_schema): (Kind, ArchiveSchema),
    manifest: &Manifest,
    now: DateTime<Utc>,
    who: Who<'_>,
) -> Result<(u64, Vec<String>), BackupError> {
    let sqlite = sqlite_path(target.url)?;
    let open = |url: String, schema: Option<&'static str>| async move {
        match archive_schema {
            ArchiveSchema::Current => match schema {
                Some(schema) => connect::connect_in_schema(&url, schema).await,
                None => connect::connect(&url).await,
            },
            ArchiveSchema::Older { steps } => connect::connect_at(&url, schema, steps).await,
        }
    };
    let db = match &sqlite {
        Some(path) => {
            let staged = staged_sqlite(path);
            remove_sqlite(&staged)?;
            open(format!("sqlite:{}?mode=rwc", staged.display()), None).await?
        }
        None => {
            let admin = Database::connect(target.url).await?;
            may_rename_public(&admin).await?;
            admin
                .execute_unprepared(&format!(
                    "DROP SCHEMA IF EXISTS {NEW_SCHEMA} CASCADE; CREATE SCHEMA {NEW_SCHEMA}"
                ))
                .await?;
            admin.close().await?;
            open(target.url.to_owned(), Some(NEW_SCHEMA)).await?
        }
    };
    let (rows, txn) = match archive_schema {
        ArchiveSchema::Current => {
            let txn = db.begin().await?;
            (dump::load(&txn, copy).await?, txn)
        }
        ArchiveSchema::Older { .. } => {
            // Every table the archive's schema has is in the archive.
            for table in TABLES {
                if !copy.iter().any(|t| t.table == *table)
                    && db
                        .execute_unprepared(&format!("SELECT 1 FROM \"{table}\" LIMIT 0"))
                        .await
                        .is_ok()
                {
                    return Err(BackupError::Damaged(format!("it has no rows for {table}")));
                }
            }
            // Loaded at the archive's schema, then migrated to this console's.
            let txn = db.begin().await?;
            let rows = dump::load_older(&txn, copy).await?;
            txn.commit().await?;
            connect::migrate(&db).await?;
            (rows, db.begin().await?)
        }
    };
    let detail = format!(
        "{} restore of the backup of {} made {} by {} ({} store)",
        match kind {
            Kind::Full => "Full",
            Kind::DataOnly => "Data-only",
        },
        manifest.cluster,
        manifest.created_at.format("%Y-%m-%d %H:%M UTC"),
        manifest.node.as_deref().unwrap_or("the console"),
        manifest.backend,
    ) + &match who.name {
        Some(name) => format!(", by {name} from the Disaster Recovery page"),
        None => String::new(),
    };
    let audit_id = crate::store::audit::record(
        &txn,
        AuditRecord {
            at: now,
            actor: who.name,
            address: who.address,
            action: AuditAction::Restore,
            object_type: object::BACKUP,
            object_name: &manifest.created_at.to_rfc3339(),
            before: None,
            after: None,
            detail,
        },
    )
    .await?;
    let recorded = match kind {
        Kind::Full => Vec::new(),
        Kind::DataOnly => {
            let r16 = data_only_actions();
            // An update the archive held pending becomes this one: the same file, now required
            // by the restore.
            actions::complete(&txn, now, &RequiredAction::UpdateCtl).await?;
            actions::record(&txn, now, &r16, actions::RESTORE_REASON, audit_id).await?
        }
    };
    txn.commit().await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // One file, no journal beside it: what is renamed is the whole store.
        db.execute_unprepared("PRAGMA journal_mode = DELETE")
            .await?;
    }
    db.close().await?;
    // The new file's entry is on disk before READY says it is complete.
    if let Some(dir) = sqlite.as_deref().and_then(Path::parent) {
        sync_dir(dir)?;
    }
    Ok((rows, recorded))
}

/// Writes the archive's `keys/`, `tls/` and `tftp/` entries into `staging/<folder>/` (each
/// folder made even when empty: a full restore replaces them all), synced.
fn stage_files(staging: &Path, contents: &Contents) -> Result<usize, BackupError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut written = 0;
    for folder in FOLDERS {
        let dir = staging.join(folder);
        create_private_dir(&dir)?;
        let prefix = format!("{folder}/");
        for (name, bytes) in &contents.entries {
            let Some(file) = name.strip_prefix(&prefix) else {
                continue;
            };
            let path = dir.join(file);
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(if folder == "tftp" { 0o644 } else { 0o600 })
                .open(&path)
                .map_err(BackupError::file(&path))?;
            std::io::Write::write_all(&mut out, bytes).map_err(BackupError::file(&path))?;
            out.sync_all().map_err(BackupError::file(&path))?;
            written += 1;
        }
        sync_dir(&dir)?;
    }
    Ok(written)
}

/// Finishes a restore whose staging is complete (`READY`), or discards an incomplete one. Run
/// before the store is opened by every command, and by a restore before it stages.
pub async fn finish_pending(target: Target<'_>) -> Result<(), BackupError> {
    let staging = target.data_dir.join(STAGING);
    let ready = staging.join(READY);
    let sqlite = sqlite_path(target.url)?;
    if !ready.exists() {
        match &sqlite {
            Some(path) => remove_sqlite(&staged_sqlite(path))?,
            None => {
                if staging.exists() {
                    let admin = Database::connect(target.url).await?;
                    admin
                        .execute_unprepared(&format!("DROP SCHEMA IF EXISTS {NEW_SCHEMA} CASCADE"))
                        .await?;
                    admin.close().await?;
                }
            }
        }
        return remove_dir(&staging);
    }
    match &sqlite {
        Some(path) => {
            let staged = staged_sqlite(path);
            if staged.exists() {
                // The old store's journal must not be applied to the new file.
                for journal in ["-wal", "-shm"] {
                    remove_file(&with_suffix(path, journal))?;
                }
                std::fs::rename(&staged, path).map_err(BackupError::file(path))?;
                if let Some(dir) = path.parent() {
                    sync_dir(dir)?;
                }
            }
        }
        None => switch_schemas(target.url).await?,
    }
    crash_point("store-switched");
    for folder in FOLDERS {
        let new = staging.join(folder);
        if !new.exists() {
            continue;
        }
        let live = target.data_dir.join(folder);
        if live.exists() {
            let old = staging.join(format!("{folder}.previous"));
            remove_dir(&old)?;
            std::fs::rename(&live, &old).map_err(BackupError::file(&live))?;
        }
        std::fs::rename(&new, &live).map_err(BackupError::file(&new))?;
        sync_dir(target.data_dir)?;
        crash_point("folder-switched");
    }
    remove_file(&ready)?;
    sync_dir(&staging)?;
    remove_dir(&staging)
}

/// Refuses, before anything is staged, a PostgreSQL user that could not make the switch: renaming
/// `public` takes its owner (or a member of the owning role).
async fn may_rename_public(admin: &sea_orm::DatabaseConnection) -> Result<(), BackupError> {
    let owner = admin
        .query_one(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_has_role(current_user, nspowner, 'USAGE') AS owns \
             FROM pg_namespace WHERE nspname = 'public'",
        ))
        .await?
        .map(|row| row.try_get::<bool>("", "owns"))
        .transpose()?;
    if owner != Some(true) {
        return Err(BackupError::Unsupported(
            "the database user does not own the schema public, which a restore replaces: \
             restore as its owner"
                .to_owned(),
        ));
    }
    Ok(())
}

/// Puts the new schema in place of `public` in one transaction (the old one is kept as
/// `ccmadmin_previous` until the next restore); nothing to do when it already is.
async fn switch_schemas(url: &str) -> Result<(), BackupError> {
    let admin = Database::connect(url).await?;
    let exists = admin
        .query_one(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 AS found FROM pg_namespace WHERE nspname = $1",
            [NEW_SCHEMA.into()],
        ))
        .await?
        .is_some();
    if exists {
        let txn = admin.begin().await?;
        txn.execute_unprepared(&format!(
            "DROP SCHEMA IF EXISTS {OLD_SCHEMA} CASCADE; \
             ALTER SCHEMA public RENAME TO {OLD_SCHEMA}; \
             ALTER SCHEMA {NEW_SCHEMA} RENAME TO public"
        ))
        .await?;
        txn.commit().await?;
    }
    admin.close().await?;
    Ok(())
}

/// The file of an SQLite URL (`None` for PostgreSQL); an in-memory store cannot be restored.
fn sqlite_path(url: &str) -> Result<Option<PathBuf>, BackupError> {
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return Ok(None);
    };
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Err(BackupError::Unsupported(
            "the store is in memory, not in a file".to_owned(),
        ));
    }
    Ok(Some(PathBuf::from(path)))
}

fn staged_sqlite(path: &Path) -> PathBuf {
    with_suffix(path, ".restore")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_sqlite(path: &Path) -> Result<(), BackupError> {
    remove_file(path)?;
    for journal in ["-wal", "-shm", "-journal"] {
        remove_file(&with_suffix(path, journal))?;
    }
    Ok(())
}

fn remove_file(path: &Path) -> Result<(), BackupError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(BackupError::file(path)(e)),
        _ => Ok(()),
    }
}

fn remove_dir(path: &Path) -> Result<(), BackupError> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(BackupError::file(path)(e)),
        _ => Ok(()),
    }
}

fn create_private_dir(path: &Path) -> Result<(), BackupError> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::DirBuilder::new().mode(0o700).create(path) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(BackupError::file(path)(e)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_file_is_read_from_its_url() {
        assert_eq!(
            sqlite_path("sqlite:/var/lib/ccmadmin/ccmadmin.db?mode=rwc").unwrap(),
            Some(PathBuf::from("/var/lib/ccmadmin/ccmadmin.db"))
        );
        assert_eq!(
            sqlite_path("sqlite:///data/c.db").unwrap(),
            Some(PathBuf::from("/data/c.db"))
        );
        assert_eq!(sqlite_path("postgres://u@h/db").unwrap(), None);
        assert!(sqlite_path("sqlite::memory:").is_err());
    }
}
