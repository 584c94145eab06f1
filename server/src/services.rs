//! This node's service supervisor (Control Center made real): it reads the stored state of the
//! services of this node's server and starts or stops the work behind them — Cisco TFTP is the
//! TFTP listener and the file pipeline, Cisco CTL Provider listens on its TLS port and hands out
//! the CTL file, Cisco Certificate Authority Proxy Function serves CAPF sessions on its TLS port
//! (`capf`), Cisco CallManager answers registrations — over UDP and, on the secured SIP port,
//! over TLS (`registrar`) — and sends resets (both read its state in the store). A service asked to start (or restart) is Starting until the work runs, then
//! Started; a start that fails goes back to Stopped with the reason.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinHandle;

use app::domain::services::{Service, ServiceState};
use app::service::authz::Internal;
use app::service::{control, AppState};
use app::tftp::{TftpDirs, CTL_FILE};

use crate::accept::{accept_loop, Bounds};
use crate::serve::announce;
use crate::{capf, limits, pipeline, registrar, tftp};

/// What the supervisor needs to start the services.
#[derive(Debug, Clone)]
pub struct Supervised {
    /// The shared state.
    pub state: AppState,
    /// The TFTP side's folders, when this node runs it (`CCMADMIN_TFTP`).
    pub tftp: Option<(TftpDirs, SocketAddr)>,
    /// The CTL Provider's TLS address and configuration.
    pub ctl_provider: (SocketAddr, Arc<ServerConfig>),
    /// How CAPF listens (it runs where Control Center says: the publisher).
    pub capf: capf::Options,
    /// Where Cisco CallManager's registrar listens for REGISTER over TLS.
    pub sip_tls: SocketAddr,
    /// The supervisor's capability: it records the services' states without a user's grant.
    pub internal: Internal,
}

#[derive(Default)]
struct Running {
    tftp: Vec<JoinHandle<()>>,
    ctl_provider: Option<JoinHandle<()>>,
    capf: Option<JoinHandle<()>>,
    sip_tls: Option<JoinHandle<()>>,
    /// Why the TLS registrar last failed to start (logged once, tried again every second).
    sip_tls_failed: Option<String>,
    /// The addresses bound at the first start (a port 0 becomes the port the system chose, so
    /// a restarted service is found where it was).
    tftp_bound: Option<SocketAddr>,
    ctl_bound: Option<SocketAddr>,
    capf_bound: Option<SocketAddr>,
    sip_tls_bound: Option<SocketAddr>,
}

async fn stop(tasks: Vec<JoinHandle<()>>) {
    for t in tasks {
        t.abort();
        let _ = t.await;
    }
}

/// Brings this node's services to their stored state, then keeps them there in the background:
/// on every Control Center operation made through this node, and every second for those made
/// through another node.
pub async fn start(s: Supervised) {
    let mut running = Running::default();
    reconcile_all(&s, &mut running).await;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = s.state.services_changed.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            reconcile_all(&s, &mut running).await;
        }
    });
}

async fn reconcile_all(s: &Supervised, running: &mut Running) {
    for service in [
        Service::Tftp,
        Service::CtlProvider,
        Service::Capf,
        Service::CallManager,
    ] {
        if let Err(e) = reconcile(s, running, service).await {
            tracing::error!("service supervisor: {}: {e}", service.label());
        }
    }
}

async fn reconcile(
    s: &Supervised,
    running: &mut Running,
    service: Service,
) -> Result<(), app::error::AppError> {
    // A node whose server is not in the store yet runs its services as before — but CAPF,
    // which holds the CA key, only where Control Center activated it.
    let unknown = if service == Service::Capf {
        ServiceState::Stopped
    } else {
        ServiceState::Started
    };
    let state = control::local(&s.state, &s.internal, service)
        .await?
        .map_or(unknown, |st| st.state);
    let wanted = matches!(state, ServiceState::Starting | ServiceState::Started);
    let restart = state == ServiceState::Starting;
    match service {
        Service::Tftp => {
            let Some((dirs, bind)) = &s.tftp else {
                return Ok(());
            };
            let is_running = !running.tftp.is_empty();
            if is_running && (!wanted || restart) {
                stop(std::mem::take(&mut running.tftp)).await;
                announce("ccmadmin TFTP stopped");
            }
            if wanted && running.tftp.is_empty() {
                let started = start_tftp(&s.state, dirs, running.tftp_bound.unwrap_or(*bind))
                    .await
                    .map(|(tasks, local)| {
                        running.tftp = tasks;
                        running.tftp_bound = Some(local);
                    });
                mark_started(s, service, started).await?;
            }
        }
        Service::CtlProvider => {
            let is_running = running.ctl_provider.is_some();
            if is_running && (!wanted || restart) {
                stop(running.ctl_provider.take().into_iter().collect()).await;
            }
            if wanted && running.ctl_provider.is_none() {
                let files = s.tftp.as_ref().map(|(d, _)| d.files.clone());
                let bind = running.ctl_bound.unwrap_or(s.ctl_provider.0);
                let started = start_ctl_provider(bind, s.ctl_provider.1.clone(), files)
                    .await
                    .map(|(task, local)| {
                        running.ctl_provider = Some(task);
                        running.ctl_bound = Some(local);
                    });
                mark_started(s, service, started).await?;
            }
        }
        Service::Capf => {
            let is_running = running.capf.is_some();
            if is_running && (!wanted || restart) {
                stop(running.capf.take().into_iter().collect()).await;
                announce("ccmadmin CAPF stopped");
            }
            if wanted && running.capf.is_none() {
                let mut options = s.capf;
                // A restart keeps a port the system chose, unless the CAPF Phone Port moves it.
                if options.bind.is_some_and(|b| b.port() == 0) {
                    options.bind = running.capf_bound.or(options.bind);
                }
                let started = capf::start(s.state.clone(), s.internal.clone(), options)
                    .await
                    .map(|(task, local)| {
                        running.capf = Some(task);
                        running.capf_bound = Some(local);
                    });
                mark_started(s, service, started).await?;
            }
        }
        Service::CallManager => {
            let is_running = running.sip_tls.is_some();
            if is_running && (!wanted || restart) {
                stop(running.sip_tls.take().into_iter().collect()).await;
            }
            // The TLS registrar needs this server's CallManager certificate: until it exists,
            // Cisco CallManager runs without it (UDP and the HTTPS endpoint answer) and tries
            // again each second.
            if wanted && running.sip_tls.is_none() {
                let bind = running.sip_tls_bound.unwrap_or(s.sip_tls);
                match registrar::start_tls(s.state.clone(), s.internal.clone(), bind).await {
                    Ok((task, local)) => {
                        running.sip_tls = Some(task);
                        running.sip_tls_bound = Some(local);
                        running.sip_tls_failed = None;
                    }
                    Err(e) => {
                        if running.sip_tls_failed.as_deref() != Some(e.as_str()) {
                            tracing::warn!("Cisco CallManager: no SIP over TLS yet: {e}");
                        }
                        running.sip_tls_failed = Some(e);
                    }
                }
            }
            if restart {
                mark_started(s, service, Ok(())).await?;
            }
        }
    }
    Ok(())
}

/// Records on this node's run state what starting `service` gave: Started, or Stopped with why.
async fn mark_started(
    s: &Supervised,
    service: Service,
    started: Result<(), String>,
) -> Result<(), app::error::AppError> {
    let (state, why) = match &started {
        Ok(()) => (ServiceState::Started, ""),
        Err(e) => (ServiceState::Stopped, e.as_str()),
    };
    control::mark_local(&s.state, &s.internal, service, state, why).await
}

/// Binds the TFTP listener and starts it with the file pipeline.
async fn start_tftp(
    state: &AppState,
    dirs: &TftpDirs,
    bind: SocketAddr,
) -> Result<(Vec<JoinHandle<()>>, SocketAddr), String> {
    dirs.create()
        .map_err(|e| format!("cannot create {}: {e}", dirs.files.display()))?;
    let socket = UdpSocket::bind(bind)
        .await
        .map_err(|e| format!("cannot listen on udp {bind}: {e}"))?;
    let local = socket
        .local_addr()
        .map_err(|e| format!("cannot listen on udp {bind}: {e}"))?;
    announce(&format!(
        "ccmadmin TFTP serving {} on udp {local}",
        dirs.files.display()
    ));
    Ok((
        vec![
            tokio::spawn(tftp::serve(socket, dirs.files.clone())),
            tokio::spawn(pipeline::run(state.clone())),
        ],
        local,
    ))
}

/// Binds the CTL Provider's TLS port: each connection gets the current CTL file, then closes.
/// At most [`limits::CTL_PROVIDER_MAX_CONNECTIONS`] are served at once,
/// [`limits::CTL_PROVIDER_MAX_PER_SOURCE`] from one source address (`accept::accept_loop`),
/// each within [`limits::CTL_PROVIDER_TIMEOUT`] for its handshake and the file. A failed
/// handshake only closes its own connection.
async fn start_ctl_provider(
    bind: SocketAddr,
    config: Arc<ServerConfig>,
    files: Option<PathBuf>,
) -> Result<(JoinHandle<()>, SocketAddr), String> {
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot listen on tcp {bind}: {e}"))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on tcp {bind}: {e}"))?;
    announce(&format!("ccmadmin CTL Provider listening on tls {local}"));
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let bounds = Bounds {
        max: limits::CTL_PROVIDER_MAX_CONNECTIONS,
        per_source: limits::CTL_PROVIDER_MAX_PER_SOURCE,
    };
    let task = tokio::spawn(accept_loop(
        listener,
        bounds,
        "CTL Provider",
        move |tcp, _peer| {
            let (acceptor, files) = (acceptor.clone(), files.clone());
            async move {
                match tokio::time::timeout(
                    limits::CTL_PROVIDER_TIMEOUT,
                    send_ctl(acceptor, tcp, files),
                )
                .await
                {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::debug!("CTL Provider: a connection failed: {e}"),
                    Err(_) => tracing::debug!(
                        "CTL Provider: a connection took longer than {} s",
                        limits::CTL_PROVIDER_TIMEOUT.as_secs()
                    ),
                }
            }
        },
    ));
    Ok((task, local))
}

/// One CTL Provider connection: the TLS handshake, the current CTL file (nothing when there is
/// none), the TLS close.
async fn send_ctl(
    acceptor: tokio_rustls::TlsAcceptor,
    tcp: TcpStream,
    files: Option<PathBuf>,
) -> std::io::Result<()> {
    let mut tls = acceptor.accept(tcp).await?;
    let ctl = match files {
        Some(dir) => tokio::fs::read(dir.join(CTL_FILE))
            .await
            .unwrap_or_default(),
        None => Vec::new(),
    };
    tls.write_all(&ctl).await?;
    tls.shutdown().await
}
