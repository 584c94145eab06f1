//! What every request handler can reach: the store, the clock and the build's facts.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::reference::ReferenceCache;
use super::Clock;
use crate::error::AppError;

/// Shared state of the running console.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The config store: every write, and every read inside a transaction.
    pub db: DatabaseConnection,
    /// Connections for the hot read paths outside transactions (see `store::connect_reader`);
    /// the same as `db` unless set with [`AppState::with_reader`].
    pub read: DatabaseConnection,
    /// The time source.
    pub clock: Arc<dyn Clock>,
    /// The node's copy of the rarely changing reference data.
    pub reference: Arc<ReferenceCache>,
    /// The TFTP and keys folders, when this node runs the TFTP side.
    pub files: Option<Arc<crate::tftp::TftpDirs>>,
    /// Wakes the TFTP file pipeline after a change made through this node.
    pub changed: Arc<tokio::sync::Notify>,
    /// The server whose services this node runs (`None`: the publisher).
    pub node: Option<Arc<str>>,
    /// Wakes this node's service supervisor after a Control Center operation.
    pub services_changed: Arc<tokio::sync::Notify>,
    /// Wakes the reset-job worker after a job was started or controlled.
    pub jobs_changed: Arc<tokio::sync::Notify>,
    /// The key device credentials are checked with (see `registrations`).
    pub registration_key: Option<Arc<[u8]>>,
    /// Which device contacts this node accepts and sends NOTIFYs to (default: no loopback, no
    /// trusted proxy).
    pub contact_policy: Arc<crate::domain::sip::ContactPolicy>,
    /// The node's password-hashing slots (see `password`).
    pub hashing: super::password::Hashing,
    /// The largest CSV file and the most rows an import takes.
    pub import_limits: crate::domain::bat::ImportLimits,
    /// One permit: a node reads and plans one import file at a time, so that its memory holds at
    /// most one file's rows.
    pub import_slot: Arc<tokio::sync::Semaphore>,
    /// The data folder (keys, TLS, TFTP, backups), when the console runs on one.
    pub data_dir: Option<Arc<std::path::Path>>,
    /// One permit: a node takes one backup at a time (each holds the store's copy in memory).
    pub backup_slot: Arc<tokio::sync::Semaphore>,
    /// A restore from the page: the maintenance switch and the restart that follows.
    pub maintenance: Arc<Maintenance>,
}

/// What a restore from the Disaster Recovery page needs of the running console: the store's URL
/// (the new store is built beside it), the switch by which every request but `/healthz` is
/// answered 503 while it runs, and the restart the server makes once it is staged (the new
/// store is switched to by the next start, under the data folder's lock).
#[derive(Debug, Default)]
pub struct Maintenance {
    store_url: std::sync::OnceLock<String>,
    on: std::sync::atomic::AtomicBool,
    restart: tokio::sync::Notify,
}

impl Maintenance {
    /// Records the store's URL (once, at start).
    pub fn set_store_url(&self, url: &str) {
        let _ = self.store_url.set(url.to_owned());
    }

    /// The store's URL, when the server recorded it.
    pub fn store_url(&self) -> Option<&str> {
        self.store_url.get().map(String::as_str)
    }

    /// True while a restore runs: requests are answered 503.
    pub fn is_on(&self) -> bool {
        self.on.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Switches maintenance on or off.
    pub fn set(&self, on: bool) {
        self.on.store(on, std::sync::atomic::Ordering::SeqCst);
    }

    /// Asks the server to restart (a staged restore is complete).
    pub fn request_restart(&self) {
        self.restart.notify_one();
    }

    /// Waits until a restart is asked for.
    pub async fn restart_requested(&self) {
        self.restart.notified().await;
    }
}

impl AppState {
    /// State on `db` with `clock`.
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        Self {
            data_dir: None,
            backup_slot: Arc::new(tokio::sync::Semaphore::new(1)),
            maintenance: Arc::default(),
            read: db.clone(),
            db,
            clock,
            reference: Arc::default(),
            files: None,
            changed: Arc::default(),
            node: None,
            services_changed: Arc::default(),
            jobs_changed: Arc::default(),
            registration_key: None,
            contact_policy: Arc::default(),
            hashing: super::password::Hashing::default(),
            import_limits: crate::domain::bat::ImportLimits::default(),
            import_slot: Arc::new(tokio::sync::Semaphore::new(1)),
        }
    }

    /// The state holding imports to `limits`.
    pub fn with_import_limits(self, limits: crate::domain::bat::ImportLimits) -> Self {
        Self {
            import_limits: limits,
            ..self
        }
    }

    /// The state accepting device contacts by `policy`.
    pub fn with_contact_policy(self, policy: crate::domain::sip::ContactPolicy) -> Self {
        Self {
            contact_policy: Arc::new(policy),
            ..self
        }
    }

    /// The state of a node running the services of server `name` (`None`: the publisher).
    pub fn with_node(self, name: Option<String>) -> Self {
        Self {
            node: name.map(Arc::from),
            ..self
        }
    }

    /// The state checking device credentials with `key`.
    pub fn with_registration_key(self, key: Vec<u8>) -> Self {
        Self {
            registration_key: Some(Arc::from(key)),
            ..self
        }
    }

    /// The state with the TFTP side in `dirs`.
    pub fn with_files(self, dirs: crate::tftp::TftpDirs) -> Self {
        Self {
            files: Some(Arc::new(dirs)),
            ..self
        }
    }

    /// The state with its data folder (backups are kept in `backups/` under it).
    pub fn with_data_dir(self, dir: &std::path::Path) -> Self {
        Self {
            data_dir: Some(Arc::from(dir)),
            ..self
        }
    }

    /// The state with `read` serving the hot read paths.
    pub fn with_reader(self, read: DatabaseConnection) -> Self {
        Self { read, ..self }
    }

    /// The state provided to server functions through Leptos' context.
    pub fn from_context() -> Result<Self, AppError> {
        leptos::prelude::use_context::<Self>().ok_or_else(|| {
            tracing::error!("AppState missing from the server function context");
            AppError::Internal
        })
    }
}
