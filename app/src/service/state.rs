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
}

impl AppState {
    /// State on `db` with `clock`.
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        Self {
            read: db.clone(),
            db,
            clock,
            reference: Arc::default(),
            files: None,
            changed: Arc::default(),
        }
    }

    /// The state with the TFTP side in `dirs`.
    pub fn with_files(self, dirs: crate::tftp::TftpDirs) -> Self {
        Self {
            files: Some(Arc::new(dirs)),
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

/// Logs a store error and turns it into the opaque [`AppError::Internal`].
pub fn internal(err: impl std::fmt::Display) -> AppError {
    tracing::error!("internal error: {err}");
    AppError::Internal
}
