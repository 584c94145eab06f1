//! Fetching an SRST gateway's certificate over TLS from its certificate provider port, as
//! CallManager does when "Is SRST Secure?" is saved. The certificate is taken as the gateway
//! presents it (it is self-signed on real gateways): the handshake proves the gateway holds its
//! key, and the administrator checks the fingerprint shown.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// How long a fetch may take in all (connect and handshake).
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// A certificate fetched from a gateway, with the facts the pages show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedCertificate {
    /// DER bytes.
    pub der: Vec<u8>,
    /// Subject, as an RFC 4514 string.
    pub subject: String,
    /// Issuer.
    pub issuer: String,
    /// Valid from.
    pub not_before: DateTime<Utc>,
    /// Valid until.
    pub not_after: DateTime<Utc>,
    /// SHA-256 fingerprint, colon-separated upper-case hex.
    pub sha256: String,
}

/// Why a fetch failed, in words for the page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// Nothing accepted the TCP connection.
    #[error("could not connect to {0}: {1}")]
    Connect(SocketAddr, String),
    /// No answer in time.
    #[error("no TLS answer from {0} within {1} seconds")]
    Timeout(SocketAddr, u64),
    /// The TLS handshake failed.
    #[error("TLS handshake with {0} failed: {1}")]
    Handshake(SocketAddr, String),
    /// The gateway sent no certificate, or one that cannot be read.
    #[error("the certificate from {0} cannot be read: {1}")]
    Certificate(SocketAddr, String),
}

/// Fetches the certificate the TLS server at `address:port` presents.
pub async fn fetch(address: Ipv4Addr, port: u16) -> Result<FetchedCertificate, FetchError> {
    let target = SocketAddr::from((address, port));
    match tokio::time::timeout(FETCH_TIMEOUT, handshake(target)).await {
        Ok(result) => result,
        Err(_) => Err(FetchError::Timeout(target, FETCH_TIMEOUT.as_secs())),
    }
}

async fn handshake(target: SocketAddr) -> Result<FetchedCertificate, FetchError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| FetchError::Handshake(target, e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PresentedCertificate(provider)))
        .with_no_client_auth();
    let tcp = TcpStream::connect(target)
        .await
        .map_err(|e| FetchError::Connect(target, e.to_string()))?;
    let name = ServerName::IpAddress(target.ip().into());
    let tls = TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| FetchError::Handshake(target, e.to_string()))?;
    let der = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .map(|c| c.as_ref().to_vec())
        .ok_or_else(|| FetchError::Certificate(target, "no certificate was sent".to_owned()))?;
    describe(&der).map_err(|e| FetchError::Certificate(target, e))
}

/// The facts of a DER certificate.
pub fn describe(der: &[u8]) -> Result<FetchedCertificate, String> {
    let facts = crate::tftp::keys::certificate_facts(der).map_err(|e| e.to_string())?;
    Ok(FetchedCertificate {
        der: der.to_vec(),
        subject: facts.subject,
        issuer: facts.issuer,
        not_before: facts.not_before,
        not_after: facts.not_after,
        sha256: facts.sha256,
    })
}

/// Accepts the certificate the gateway presents (trust on first fetch), but still checks the
/// handshake's signatures, so the gateway must hold the certificate's key.
#[derive(Debug)]
struct PresentedCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for PresentedCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
