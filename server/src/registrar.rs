//! Cisco CallManager's SIP registrar on the wire (R13, R14): REGISTER over UDP on the SIP port
//! (the datagrams the reset sender's socket receives that are requests), and over TLS on the
//! secured SIP port, presenting this server's CallManager certificate (the one the CTL lists) and
//! asking for the device's certificate. Each REGISTER is judged by `app::service::registrar` and
//! answered with its status and reason. Bounded: a message is at most
//! [`MAX_REGISTER_BYTES`](app::domain::sip_register::MAX_REGISTER_BYTES), each read has its time,
//! each source address a share of the TLS connections.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;

use app::domain::sip::{parse_request, response_to, Request};
use app::domain::sip_register::{message_length, register_of, MAX_REGISTER_BYTES};
use app::service::authz::Internal;
use app::service::registrar::{self, Answer, Transport};
use app::service::AppState;

use crate::accept::{accept_loop, Bounds};
use crate::rsa_handshake;
use crate::serve::announce;

/// Time a TLS connection has for its handshake, and for each REGISTER after it.
const STEP: Duration = Duration::from_secs(30);
/// TLS connections open at once.
const MAX_CONNECTIONS: usize = 1024;
/// TLS connections one source address may hold.
const MAX_PER_SOURCE: usize = 64;
/// REGISTERs over UDP judged at once; more wait in the channel.
const UDP_AT_ONCE: usize = 16;

/// Asks every device for its certificate, requires none, and accepts any chain: the registrar
/// judges it after the handshake (to say why it refuses). The handshake's signature is checked,
/// so a device presenting a certificate holds its key.
#[derive(Debug)]
struct AnyClientCertificate(Arc<CryptoProvider>);

impl ClientCertVerifier for AnyClientCertificate {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    // The phones' RSA keys may be smaller than ring takes (a 1024-bit LSC): OpenSSL checks them.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rsa_handshake::verify(&self.0, message, cert, dss, false)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rsa_handshake::verify(&self.0, message, cert, dss, true)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        rsa_handshake::schemes(&self.0)
    }
}

fn tls_config(der: Vec<u8>, key_pem: &[u8]) -> Result<Arc<ServerConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| format!("the CallManager key cannot be read: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?
        .with_client_cert_verifier(Arc::new(AnyClientCertificate(provider)))
        .with_single_cert(vec![CertificateDer::from(der)], key)
        .map_err(|e| format!("the CallManager certificate and key do not go together: {e}"))?;
    Ok(Arc::new(config))
}

/// The answer to `bytes` (one REGISTER) from `peer` over `transport`, as SIP text; `None` for
/// bytes that are not a request (they get no answer).
async fn answer(
    state: &AppState,
    internal: &Internal,
    bytes: &[u8],
    peer: SocketAddr,
    transport: Transport<'_>,
) -> Option<String> {
    let req: Request = parse_request(bytes)?;
    let answer = match register_of(&req) {
        Ok(register) => {
            match registrar::register(state, internal, &register, peer, transport).await {
                Ok(answer) => {
                    tracing::info!(
                        "SIP registrar: {} from {peer}: {} {}",
                        register.device,
                        answer.code,
                        answer.reason
                    );
                    answer
                }
                Err(e) => {
                    tracing::warn!("SIP registrar: {} from {peer}: {e}", register.device);
                    Answer {
                        code: 500,
                        reason: "Server Internal Error".to_owned(),
                    }
                }
            }
        }
        Err(why) => Answer {
            code: if req.method == "REGISTER" { 400 } else { 405 },
            reason: why,
        },
    };
    // A reason phrase is one line of text.
    let reason: String = answer
        .reason
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    Some(response_to(&req, answer.code, &reason, "ccmadmin"))
}

/// Answers the REGISTERs the SIP socket receives (handed over by the reset sender), from the
/// same socket.
pub async fn serve_udp(
    state: AppState,
    internal: Internal,
    socket: Arc<UdpSocket>,
    mut incoming: mpsc::Receiver<(Vec<u8>, SocketAddr)>,
) {
    let at_once = Arc::new(Semaphore::new(UDP_AT_ONCE));
    while let Some((bytes, peer)) = incoming.recv().await {
        let Ok(permit) = at_once.clone().acquire_owned().await else {
            return;
        };
        let (state, internal, socket) = (state.clone(), internal.clone(), socket.clone());
        tokio::spawn(async move {
            let _permit = permit;
            if let Some(text) = answer(&state, &internal, &bytes, peer, Transport::Udp).await {
                let _ = socket.send_to(text.as_bytes(), peer).await;
            }
        });
    }
}

/// Binds the secured SIP port and serves REGISTERs over TLS until the task is aborted.
pub async fn start_tls(
    state: AppState,
    internal: Internal,
    bind: SocketAddr,
) -> Result<(JoinHandle<()>, SocketAddr), String> {
    let (der, pem) = registrar::tls_identity(&state, &internal)
        .await
        .map_err(|e| e.to_string())?;
    let acceptor = tokio_rustls::TlsAcceptor::from(tls_config(der, &pem)?);
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot listen on tcp {bind}: {e}"))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on tcp {bind}: {e}"))?;
    announce(&format!("ccmadmin SIP on tls {local}"));
    let bounds = Bounds {
        max: MAX_CONNECTIONS,
        per_source: MAX_PER_SOURCE,
    };
    let task = tokio::spawn(accept_loop(
        listener,
        bounds,
        "SIP over TLS",
        move |tcp, peer| {
            let (state, internal, acceptor) = (state.clone(), internal.clone(), acceptor.clone());
            async move {
                if let Err(e) = connection(&state, &internal, &acceptor, tcp, peer).await {
                    tracing::debug!("SIP over TLS: {peer}: {e}");
                }
            }
        },
    ));
    Ok((task, local))
}

/// One TLS connection: the handshake, then REGISTERs one after the other until it closes.
async fn connection(
    state: &AppState,
    internal: &Internal,
    acceptor: &tokio_rustls::TlsAcceptor,
    tcp: TcpStream,
    peer: SocketAddr,
) -> Result<(), String> {
    let _ = tcp.set_nodelay(true);
    let mut tls = tokio::time::timeout(STEP, acceptor.accept(tcp))
        .await
        .map_err(|_| "the handshake took too long".to_owned())?
        .map_err(|e| format!("the handshake failed: {e}"))?;
    let chain: Vec<Vec<u8>> = tls
        .get_ref()
        .1
        .peer_certificates()
        .map(|certs| certs.iter().map(|c| c.as_ref().to_vec()).collect())
        .unwrap_or_default();
    let mut buffer: Vec<u8> = Vec::with_capacity(2048);
    let mut chunk = [0u8; 4096];
    loop {
        let length = loop {
            match message_length(&buffer)? {
                Some(n) => break n,
                None => {
                    let n = tokio::time::timeout(STEP, tls.read(&mut chunk))
                        .await
                        .map_err(|_| "no REGISTER in time".to_owned())?
                        .map_err(|e| e.to_string())?;
                    if n == 0 {
                        return Ok(());
                    }
                    buffer.extend_from_slice(&chunk[..n]);
                    if buffer.len() > 2 * MAX_REGISTER_BYTES {
                        return Err("too many bytes".to_owned());
                    }
                }
            }
        };
        let message: Vec<u8> = buffer.drain(..length).collect();
        let Some(text) = answer(state, internal, &message, peer, Transport::Tls(&chain)).await
        else {
            return Err("not a SIP request".to_owned());
        };
        tls.write_all(text.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        tls.flush().await.map_err(|e| e.to_string())?;
    }
}
