//! `ccmadmin serve`: open the store, make sure an administrator exists, and serve HTTPS.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use app::domain::sip::{ContactPolicy, Timers};
use app::service::registrations;
use app::tftp::TftpDirs;
use axum_server::tls_rustls::RustlsConfig;
use axum_server::Handle;
use leptos::prelude::LeptosOptions;

use app::error::AppError;
use app::service::authz::Internal;
use app::service::{auth, AppState, SystemClock};
use app::store::session_store::DbSessionStore;
use app::store::{self, StoreError};

use crate::cli::Settings;
use crate::jobs::{self, sender::Sender};
use crate::{limits, router, services, tls};

/// Why the console could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The data dir could not be created.
    #[error("cannot create the data dir {path}: {source}")]
    DataDir {
        /// The folder.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The HTTPS material is unusable.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The store could not be opened or migrated.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Another `ccmadmin serve` (or a restore) holds the data dir.
    #[error(
        "another ccmadmin holds the data dir {path} (a console serving it, or a restore); stop \
         it first"
    )]
    Busy {
        /// The data dir.
        path: String,
    },
    /// A restore that a crash interrupted could not be finished or discarded.
    #[error("an interrupted restore: {0}")]
    Restore(#[from] app::backup::BackupError),
    /// Creating the first administrator failed.
    #[error("cannot create the first administrator: {0}")]
    Bootstrap(AppError),
    /// The listener could not be bound or failed.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Creates the data dir (and any missing parent) readable by the owner only, 0700; an existing
/// one the group or others can enter is set to 0700, with a warning in the log. It holds the
/// store, the private keys and the registration key.
pub fn create_data_dir(path: &Path) -> Result<(), ServeError> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let err = |source| ServeError::DataDir {
        path: path.display().to_string(),
        source,
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(err)?;
    let mode = std::fs::metadata(path).map_err(err)?.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).map_err(err)?;
        tracing::warn!(
            "the data dir {} was mode {mode:04o}, open to the group or others; set it to 0700",
            path.display()
        );
    }
    Ok(())
}

/// Opens the store at the configured URL, creating the data dir for a SQLite file.
pub async fn open_store(settings: &Settings) -> Result<AppState, ServeError> {
    create_data_dir(&settings.data_dir)?;
    // A restore left unfinished is finished (or discarded) only by whoever holds the data dir:
    // while a console serves or a restore runs, they do it themselves.
    if let Ok(_held) = lock_data_dir(&settings.data_dir) {
        finish_restore(settings).await?;
    }
    let url = settings.database_url();
    let db = store::connect(&url).await?;
    let read = store::connect_reader(&url, &db).await?;
    let dirs = TftpDirs::under(&settings.data_dir);
    let key = registrations::ensure_key(&dirs).map_err(|e| ServeError::DataDir {
        path: dirs.keys.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok(AppState::new(db, Arc::new(SystemClock))
        .with_reader(read)
        .with_files(dirs)
        .with_data_dir(&settings.data_dir)
        .with_node(settings.node.clone())
        .with_registration_key(key)
        .with_contact_policy(contact_policy(settings))
        .with_import_limits(app::domain::bat::ImportLimits {
            max_bytes: settings.import_max_bytes,
            max_rows: settings.import_max_rows,
        }))
}

/// Which device contacts the console accepts: loopback ones only while both its HTTPS and its
/// SIP addresses are loopback, any contact from a trusted proxy.
pub fn contact_policy(settings: &Settings) -> ContactPolicy {
    ContactPolicy {
        loopback: settings.bind.ip().is_loopback() && settings.sip_bind.ip().is_loopback(),
        trusted_proxies: settings.sip_trusted_proxies.clone(),
    }
}

/// Holds the data dir for as long as the returned file is open: one console serves a data dir,
/// and a restore never replaces the store under a running console (an advisory `flock` on
/// `DATA_DIR/ccmadmin.lock`, let go by the kernel when the process ends, however it ends).
pub fn lock_data_dir(dir: &Path) -> Result<std::fs::File, ServeError> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join("ccmadmin.lock");
    let err = |source| ServeError::DataDir {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .map_err(err)?;
    match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(file),
        Err(rustix::io::Errno::WOULDBLOCK) => Err(ServeError::Busy {
            path: dir.display().to_string(),
        }),
        Err(e) => Err(err(e.into())),
    }
}

/// Finishes a restore that a crash interrupted after its new store was complete, or discards
/// one interrupted before (`app::backup::restore`).
pub async fn finish_restore(settings: &Settings) -> Result<(), ServeError> {
    let url = settings.database_url();
    let target = app::backup::restore::Target {
        url: &url,
        data_dir: &settings.data_dir,
    };
    Ok(app::backup::restore::finish_pending(target).await?)
}

/// Waits until a restore from the page is staged, then replaces this process by a new run of
/// the console (`process::exec_self`): the new run takes the data folder's lock and switches to
/// the restored store before it serves. Should the new run not start, the console exits (with
/// status 1) so that its service manager starts it again: that start finishes the restore.
async fn restart_after_restore(state: AppState) {
    state.maintenance.restart_requested().await;
    // The answer to the restore request leaves first.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    announce("ccmadmin restarting into the restored backup");
    let error = crate::process::exec_self();
    // Exit rather than serve 503 for ever: the service manager starts the console again, and
    // that start finishes the restore.
    tracing::error!(
        "the console could not restart into the restored backup ({error}); exiting: the next \
         start finishes the restore"
    );
    std::process::exit(1);
}

/// Runs the console until SIGINT or SIGTERM.
pub async fn serve(settings: &Settings) -> Result<(), ServeError> {
    let host_name = gethostname::gethostname().to_string_lossy().into_owned();
    create_data_dir(&settings.data_dir)?;
    let _held = lock_data_dir(&settings.data_dir)?;
    // Before the TLS files are read: a full restore replaces them.
    finish_restore(settings).await?;
    let tls = tls::load_or_generate(
        &settings.data_dir,
        settings.tls_cert.as_deref(),
        settings.tls_key.as_deref(),
        &host_name,
    )?;
    if tls.generated {
        tracing::info!(
            "generated a self-signed certificate: {}",
            tls.cert_path.display()
        );
    }
    tracing::info!(
        "TLS certificate {} SHA-256 fingerprint {}",
        tls.cert_path.display(),
        tls.fingerprint
    );

    let state = open_store(settings).await?;
    // A restore from the page builds its new store beside this one, then restarts the console.
    state.maintenance.set_store_url(&settings.database_url());
    tokio::spawn(restart_after_restore(state.clone()));
    tracing::info!(
        "store: {}",
        store::connect::redact(&settings.database_url())
    );
    if let Some(password) = auth::bootstrap(&state, settings.bootstrap_password.as_deref())
        .await
        .map_err(ServeError::Bootstrap)?
    {
        println!(
            "Created user CCMAdministrator with the one-time password: {password}\n\
             It is shown only now and must be changed at first login."
        );
    }
    let publisher =
        app::service::first_start::server_name_of(settings.node.as_deref().unwrap_or(&host_name));
    if let Some(created) = app::service::first_start::ensure_publisher(
        &state,
        &Internal::at_start("first start"),
        &publisher,
        &settings.node_address().to_string(),
    )
    .await
    .map_err(ServeError::Bootstrap)?
    {
        tracing::info!(
            "empty store: created the publisher {} ({}), the CallManager group Default and the \
             device pool Default",
            created.publisher,
            created.address
        );
    }
    spawn_session_cleanup(
        DbSessionStore::new(state.db.clone(), state.read.clone()),
        state.clone(),
    );
    start_services(settings, &state, tls.config.clone()).await?;
    if settings.tftp {
        tokio::spawn(crate::backup_schedule::run(
            state.clone(),
            Internal::at_start("scheduled backups"),
        ));
    }

    let leptos = LeptosOptions::builder()
        .output_name("ccmadmin")
        .site_root(settings.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .build();
    let app = router::build_with_timeout(state, leptos, settings.request_timeout());

    let listener =
        std::net::TcpListener::bind(settings.bind).map_err(|source| ServeError::Listen {
            addr: settings.bind.to_string(),
            source,
        })?;
    let local = listener.local_addr().map_err(|source| ServeError::Listen {
        addr: settings.bind.to_string(),
        source,
    })?;
    let handle = Handle::new();
    tokio::spawn(shutdown_on_signal(handle.clone()));
    announce(&format!("ccmadmin listening on https://{local}"));
    let header_timeout = settings.header_timeout();
    let max_connections = settings.max_connections;
    let mut server = axum_server::from_tcp_rustls(listener, RustlsConfig::from_config(tls.config))
        .map_err(|source| ServeError::Listen {
            addr: local.to_string(),
            source,
        })?
        // At most `max_connections` open at once, each with TCP_NODELAY (see
        // `limits::ConnectionLimit`), and a TLS handshake bounded in time.
        .map(|tls| {
            tls.handshake_timeout(limits::TLS_HANDSHAKE_TIMEOUT)
                .acceptor(limits::ConnectionLimit::new(max_connections))
        })
        // A connection that sends no request after its handshake is closed: this also bounds
        // hyper's protocol detection, which the timeouts below do not cover.
        .first_request_timeout(header_timeout)
        .handle(handle);
    // A request head sent too slowly, or an HTTP/1 connection idle between requests, is closed
    // (axum-server installs the Tokio timer these timeouts need). HTTP/2 pings find a peer gone.
    let mut http1 = server.http_builder().http1();
    http1.header_read_timeout(header_timeout);
    let mut http2 = server.http_builder().http2();
    http2
        .max_concurrent_streams(limits::HTTP2_MAX_CONCURRENT_STREAMS)
        .keep_alive_interval(limits::HTTP2_KEEPALIVE_INTERVAL)
        .keep_alive_timeout(limits::HTTP2_KEEPALIVE_TIMEOUT);
    server
        .serve(app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .await
        .map_err(|source| ServeError::Listen {
            addr: local.to_string(),
            source,
        })
}

/// Starts this node's service supervisor (TFTP, CTL Provider, CallManager), the reset-job
/// worker with its SIP socket, and the resumption of interrupted bulk jobs.
async fn start_services(
    settings: &Settings,
    state: &AppState,
    tls: Arc<rustls::ServerConfig>,
) -> Result<(), ServeError> {
    let sip = tokio::net::UdpSocket::bind(settings.sip_bind)
        .await
        .map_err(|source| ServeError::Listen {
            addr: format!("udp {}", settings.sip_bind),
            source,
        })?;
    let timers = Timers::with_t1(Duration::from_millis(settings.sip_t1_ms.max(1)));
    let (registers, incoming) = tokio::sync::mpsc::channel(1024);
    let (sender, outcomes) =
        Sender::start(sip, timers, Some(registers)).map_err(|source| ServeError::Listen {
            addr: format!("udp {}", settings.sip_bind),
            source,
        })?;
    announce(&format!("ccmadmin SIP on udp {}", sender.local));
    tokio::spawn(crate::registrar::serve_udp(
        state.clone(),
        Internal::at_start("SIP registrar"),
        sender.socket.clone(),
        incoming,
    ));
    let me = settings
        .node
        .clone()
        .unwrap_or_else(|| gethostname::gethostname().to_string_lossy().into_owned());
    tokio::spawn(jobs::run(state.clone(), me, sender, outcomes));
    // Bulk changes left running by a stop or a crash (of this node or another) are resumed.
    tokio::spawn(app::service::interrupted::watch_interrupted(
        state.clone(),
        Internal::at_start("interrupted jobs"),
    ));
    let tftp = settings
        .tftp
        .then(|| (TftpDirs::under(&settings.data_dir), settings.tftp_bind));
    services::start(services::Supervised {
        state: state.clone(),
        tftp,
        ctl_provider: (settings.ctl_provider_bind, tls),
        capf: crate::capf::Options {
            bind: settings.capf_bind,
            ..crate::capf::Options::default()
        },
        sip_tls: settings.sip_tls_bind,
        internal: Internal::at_start("service supervisor"),
    })
    .await;
    Ok(())
}

/// Prints a line for whoever started the console (tests and scripts read the addresses); a
/// closed standard output is not an error.
pub fn announce(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Deletes expired sessions every ten minutes.
fn spawn_session_cleanup(store: DbSessionStore, state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            match store.delete_expired().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!("deleted {n} expired sessions"),
                Err(e) => tracing::warn!("cannot delete expired sessions: {e}"),
            }
            let now = state.clock.now();
            match app::store::throttle::forget_stale(&state.db, now).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!("forgot {n} login throttle counters past their hour"),
                Err(e) => tracing::warn!("cannot forget old login throttle counters: {e}"),
            }
        }
    });
}

async fn shutdown_on_signal(handle: Handle<std::net::SocketAddr>) {
    let ctrl_c = tokio::signal::ctrl_c();
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot watch SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
    handle.graceful_shutdown(Some(Duration::from_secs(10)));
}
