//! The real `ccmadmin` binary keeps its data private: the data dir 0700, the SQLite store (and
//! its WAL) 0600, also when an older version left them open to the group and others.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::RunningServer;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// The store's files that exist: the database, and its `-wal` and `-shm` when present.
fn store_files(data_dir: &Path) -> Vec<std::path::PathBuf> {
    let db = data_dir.join("ccmadmin.db");
    assert!(db.exists(), "no {}", db.display());
    let mut files = vec![db];
    for extra in ["ccmadmin.db-wal", "ccmadmin.db-shm"] {
        let path = data_dir.join(extra);
        if path.exists() {
            files.push(path);
        }
    }
    files
}

/// Issue 13, point 8: started on a data dir that does not exist yet (nor its parent), the binary
/// creates it 0700 and its SQLite files 0600; restarted after the data dir and the store were
/// opened to the group and others (as an older version left them), it makes them private again.
#[tokio::test]
async fn data_dir_and_sqlite_files_are_private() {
    let scratch = tempfile::tempdir().unwrap();
    // The scratch folder itself open to others, as /var/lib or a home folder may be.
    std::fs::set_permissions(scratch.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data_dir = scratch.path().join("fresh").join("data");
    let server = RunningServer::start(&data_dir, &[]);
    assert_eq!(mode(&data_dir), 0o700, "a new data dir");
    for file in store_files(&data_dir) {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    assert_eq!(mode(&data_dir.join("keys")), 0o700, "the keys folder");
    server.kill();

    // An older version's modes: the data dir and the store readable by everyone.
    std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    for file in store_files(&data_dir) {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let server = RunningServer::start(&data_dir, &[]);
    assert_eq!(mode(&data_dir), 0o700, "an existing data dir tightened");
    for file in store_files(&data_dir) {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    server.kill();
}
