//! A phone's REGISTER, for the simulator and the tests: over UDP from its own address, or over
//! TLS to the secured SIP port trusting only the CallManager certificates of its CTL and
//! presenting its LSC or MIC. Returns the registrar's status and reason.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UdpSocket;

use app::domain::sip_register::{message_length, register, RegisterRequest, MAX_REGISTER_BYTES};

use crate::capf_client::{connect_with, pinned_config, ClientError, Held};
use crate::jobs::sender::random_hex;

/// How long the phone waits for the registrar's answer.
const WAIT: Duration = Duration::from_secs(5);

/// The registrar's answer: status code and reason phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// The status code.
    pub code: u16,
    /// The reason phrase.
    pub reason: String,
}

fn status_of(text: &[u8]) -> Result<Registered, ClientError> {
    let text = String::from_utf8_lossy(text);
    let line = text.lines().next().unwrap_or_default();
    let mut parts = line.splitn(3, ' ');
    let (version, code) = (parts.next(), parts.next());
    match (version, code.and_then(|c| c.parse::<u16>().ok())) {
        (Some("SIP/2.0"), Some(code)) => Ok(Registered {
            code,
            reason: parts.next().unwrap_or_default().to_owned(),
        }),
        _ => Err(ClientError::Protocol(format!(
            "not a SIP response: {line:?}"
        ))),
    }
}

fn request(device: &str, registrar: SocketAddr, contact: SocketAddr, transport: &str) -> String {
    let id = random_hex(16).unwrap_or_default();
    register(&RegisterRequest {
        device,
        registrar,
        contact,
        transport,
        branch: &id,
        call_id: &id,
        tag: &id[..8.min(id.len())],
    })
}

/// REGISTER over UDP to `registrar` from a socket of its own, naming `contact` (its SIP port).
pub async fn register_udp(
    registrar: SocketAddr,
    device: &str,
    contact: SocketAddr,
) -> Result<Registered, ClientError> {
    let socket = UdpSocket::bind(SocketAddr::new(contact.ip(), 0))
        .await
        .map_err(ClientError::Connect)?;
    let text = request(device, registrar, contact, "UDP");
    socket
        .send_to(text.as_bytes(), registrar)
        .await
        .map_err(ClientError::Connect)?;
    let mut buf = vec![0u8; MAX_REGISTER_BYTES];
    let (n, _) = tokio::time::timeout(WAIT, socket.recv_from(&mut buf))
        .await
        .map_err(|_| ClientError::Timeout)?
        .map_err(ClientError::Connect)?;
    status_of(&buf[..n])
}

/// REGISTER over TLS to `registrar`, trusting `callmanagers` (the CTL's CallManager
/// certificates) and presenting `certificate`, naming `contact` (its SIP port).
pub async fn register_tls(
    registrar: SocketAddr,
    callmanagers: &[Vec<u8>],
    certificate: Option<&Held>,
    device: &str,
    contact: SocketAddr,
) -> Result<Registered, ClientError> {
    let mut tls = connect_with(registrar, pinned_config(callmanagers, certificate)?).await?;
    let text = request(device, registrar, contact, "TLS");
    tls.write_all(text.as_bytes())
        .await
        .map_err(ClientError::Connect)?;
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 2048];
    let length = loop {
        if let Some(n) = message_length(&buffer).map_err(ClientError::Protocol)? {
            break n;
        }
        let n = tokio::time::timeout(WAIT, tls.read(&mut chunk))
            .await
            .map_err(|_| ClientError::Timeout)?
            .map_err(ClientError::Connect)?;
        if n == 0 {
            return Err(ClientError::Protocol(
                "the registrar closed the connection".to_owned(),
            ));
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let _ = tls.shutdown().await;
    status_of(&buffer[..length])
}
