//! Cisco Certificate Authority Proxy Function's listener: TLS on the CAPF Phone Port presenting
//! the CAPF certificate (the one the CTL lists), one CAPF session a connection
//! (`app::capf::session`). At most "Maximum Concurrent CAPF Sessions" run at once (R19); a phone
//! beyond them waits up to [`limits::CAPF_QUEUE_WAIT`] and is then told to retry later. Each
//! source address holds at most [`limits::CAPF_MAX_PER_SOURCE`] connections, each handshake and
//! each message has its time, so a client that stalls or sends garbage only loses its own
//! connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use app::capf::codec::{self, Command, Message};
use app::capf::session::{self, Timeouts};
use app::service::authz::Internal;
use app::service::capf::{self as service, StoreRegistry};
use app::service::AppState;

use crate::accept::{accept_loop, Bounds};
use crate::limits;
use crate::serve::announce;

/// How the listener is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Where it listens; `None`: loopback on the CAPF Phone Port.
    pub bind: Option<SocketAddr>,
    /// Time for each message of a phone.
    pub step: Duration,
    /// Time a phone waits for a free session.
    pub queue_wait: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            bind: None,
            step: limits::CAPF_STEP_TIMEOUT,
            queue_wait: limits::CAPF_QUEUE_WAIT,
        }
    }
}

/// CAPF's TLS configuration: the CAPF certificate and key, TLS 1.2 and 1.3, no client
/// certificate (the phone trusts CAPF through its CTL record; CAPF authenticates the phone in
/// the protocol).
fn tls_config(der: Vec<u8>, key_pem: &[u8]) -> Result<Arc<ServerConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| format!("the CAPF key cannot be read: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(der)], key)
        .map_err(|e| format!("the CAPF certificate and key do not go together: {e}"))?;
    Ok(Arc::new(config))
}

/// Starts CAPF: binds its port and serves sessions until the task is aborted. Refused (with
/// the reason Control Center shows) when the CAPF certificate is missing or not a CA, or the
/// port cannot be bound.
pub async fn start(
    state: AppState,
    internal: Internal,
    options: Options,
) -> Result<(JoinHandle<()>, SocketAddr), String> {
    let (der, pem) = service::identity(&state, &internal)
        .await
        .map_err(|e| e.to_string())?;
    let config = tls_config(der, &pem)?;
    let settings = service::settings(&state, &internal)
        .await
        .map_err(|e| e.to_string())?;
    let bind = options
        .bind
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], settings.port)));
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot listen on tcp {bind}: {e}"))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on tcp {bind}: {e}"))?;
    announce(&format!("ccmadmin CAPF listening on tls {local}"));
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let sessions = Arc::new(Semaphore::new(settings.max_sessions));
    let timeouts = Timeouts {
        step: options.step,
        key_generation: settings.key_generation,
    };
    let bounds = Bounds {
        max: limits::CAPF_MAX_CONNECTIONS,
        per_source: limits::CAPF_MAX_PER_SOURCE,
    };
    let task = tokio::spawn(accept_loop(listener, bounds, "CAPF", move |tcp, peer| {
        let connection = Connection {
            state: state.clone(),
            internal: internal.clone(),
            acceptor: acceptor.clone(),
            sessions: sessions.clone(),
            timeouts,
            queue_wait: options.queue_wait,
        };
        async move {
            if let Err(e) = connection.serve(tcp, peer).await {
                tracing::info!("CAPF: {peer}: {e}");
            }
        }
    }));
    Ok((task, local))
}

struct Connection {
    state: AppState,
    internal: Internal,
    acceptor: tokio_rustls::TlsAcceptor,
    sessions: Arc<Semaphore>,
    timeouts: Timeouts,
    queue_wait: Duration,
}

impl Connection {
    async fn serve(self, tcp: TcpStream, peer: SocketAddr) -> Result<(), String> {
        let _ = tcp.set_nodelay(true);
        let mut tls =
            tokio::time::timeout(limits::CAPF_HANDSHAKE_TIMEOUT, self.acceptor.accept(tcp))
                .await
                .map_err(|_| "the TLS handshake took too long".to_owned())?
                .map_err(|e| format!("the TLS handshake failed: {e}"))?;
        let Ok(Ok(_session)) =
            tokio::time::timeout(self.queue_wait, self.sessions.clone().acquire_owned()).await
        else {
            // Every session is taken (R19): the phone tries again later.
            let busy = Message::new(Command::RetryLater, 0, Vec::new());
            codec::write(&mut tls, &busy)
                .await
                .map_err(|e| e.to_string())?;
            return Err("every CAPF session is taken: told to retry later".to_owned());
        };
        let authority = service::authority(&self.state, &self.internal)
            .await
            .map_err(|e| e.to_string())?;
        // The window as stored now: Phone Configuration says the same.
        let window = service::window(&self.state.db)
            .await
            .map_err(|e| e.to_string())?;
        let registry = StoreRegistry::new(
            &self.state,
            &self.internal,
            window,
            Some(peer.ip().to_string()),
        );
        let now = self.state.clock.now();
        let summary = session::serve(&mut tls, &registry, &authority, self.timeouts, now)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(
            "CAPF: {peer} {}: {}",
            summary.device.as_deref().unwrap_or("?"),
            summary.result
        );
        let _ = tokio::io::AsyncWriteExt::shutdown(&mut tls).await;
        Ok(())
    }
}
