//! A phone's side of a CAPF session, for the simulator and the tests: TLS to CAPF trusting only
//! the CAPF certificate of the phone's CTL, the AuthResp with the string or the certificate
//! proof (raw RSA, as real phones sign), then whatever CAPF asks — generate a key and store the
//! LSC, delete the LSC, report the certificate — until EndSession.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::net::TcpStream;

use app::capf::codec::{self, reason, CertType, Command, Element, Message, Sender, WireError};
use app::capf::proof::{self, ProofHash};

/// How long the phone waits for each message of CAPF.
const STEP: Duration = Duration::from_secs(30);

/// A certificate the phone holds, with its key.
pub struct Held {
    /// The certificate (DER).
    pub der: Vec<u8>,
    /// Its private key.
    pub key: PKey<Private>,
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Held")
            .field("der", &format_args!("{} bytes", self.der.len()))
            .finish_non_exhaustive()
    }
}

/// What a phone holds.
#[derive(Debug)]
pub struct PhoneCertificates {
    /// The device name.
    pub name: String,
    /// Its manufacturer certificate (cannot be deleted: R14).
    pub mic: Option<Held>,
    /// Its LSC.
    pub lsc: Option<Held>,
}

/// How the phone authenticates, from its `<capfAuthMode>` and what its user types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authentication {
    /// The string the user types.
    String(String),
    /// Nothing.
    Null,
    /// The LSC when it has one, else the MIC.
    PreferLsc,
    /// The MIC when it has one, else the LSC.
    PreferMic,
}

/// Ways this phone departs from real firmware, for tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quirks {
    /// Sign the proof as standard PKCS#1 v1.5 (with DigestInfo), which real phones never do.
    pub standard_signature: bool,
    /// Generate a key of this size instead of the one asked for.
    pub key_size: Option<u32>,
    /// RequestInProgress messages sent before the key.
    pub in_progress: u8,
}

/// How the session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    /// EndSession's reason (RetryLater: `None`).
    pub reason: Option<u8>,
    /// Its reason info.
    pub info: String,
}

/// Why the session failed on the phone's side.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The connection failed.
    #[error("cannot reach CAPF: {0}")]
    Connect(#[source] std::io::Error),
    /// The TLS client cannot be made.
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
    /// A message failed.
    #[error("{0}")]
    Wire(#[from] WireError),
    /// CAPF did not answer in time.
    #[error("CAPF sent nothing within {} s", STEP.as_secs())]
    Timeout,
    /// CAPF sent what a phone does not expect.
    #[error("{0}")]
    Protocol(String),
    /// A key or signature failed.
    #[error("{0}")]
    Crypto(String),
}

/// Trusts exactly the certificates of the phone's CTL given (CAPF's, or CallManager's), and
/// checks the handshake's signatures, so the server must hold the key.
#[derive(Debug)]
struct CtlPinned {
    certificates: Vec<Vec<u8>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for CtlPinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self
            .certificates
            .iter()
            .any(|c| c.as_slice() == end_entity.as_ref())
        {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "the server's certificate is not one the CTL lists".to_owned(),
            ))
        }
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
            &self.provider.signature_verification_algorithms,
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
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn crypto(e: impl std::fmt::Display) -> ClientError {
    ClientError::Crypto(e.to_string())
}

/// Signs the proof of `held` as `device`: SHA-1 always, SHA-512 when the key is large enough.
fn proof_elements(
    device: &str,
    kind: CertType,
    held: &Held,
    quirks: Quirks,
) -> Result<Vec<Element>, ClientError> {
    let data = proof::signed_data(device, &held.der);
    let sign = |hash: ProofHash| -> Result<Vec<u8>, ClientError> {
        if quirks.standard_signature {
            let md = match hash {
                ProofHash::Sha1 => openssl::hash::MessageDigest::sha1(),
                ProofHash::Sha512 => openssl::hash::MessageDigest::sha512(),
            };
            let mut signer = openssl::sign::Signer::new(md, &held.key).map_err(crypto)?;
            signer.sign_oneshot_to_vec(&data).map_err(crypto)
        } else {
            proof::sign_raw(&held.key, hash, &data).map_err(crypto)
        }
    };
    let mut out = vec![
        Element::Certificate(kind, held.der.clone()),
        Element::SignedData(sign(ProofHash::Sha1)?),
    ];
    if proof::fits(held.key.bits(), ProofHash::Sha512) {
        out.push(Element::Sha2SignedData(
            codec::SHA512_ID,
            sign(ProofHash::Sha512)?,
        ));
    }
    Ok(out)
}

async fn receive<S: tokio::io::AsyncRead + Unpin>(s: &mut S) -> Result<Message, ClientError> {
    tokio::time::timeout(STEP, codec::read(s, Sender::Server))
        .await
        .map_err(|_| ClientError::Timeout)?
        .map_err(ClientError::from)
}

/// A TLS client trusting exactly `trusted` (certificates of the phone's CTL), presenting
/// `client` when given.
pub fn pinned_config(
    trusted: &[Vec<u8>],
    client: Option<&Held>,
) -> Result<ClientConfig, ClientError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(CtlPinned {
            certificates: trusted.to_vec(),
            provider,
        }));
    Ok(match client {
        // Signed by OpenSSL: a phone's key may be smaller than ring takes (a 1024-bit LSC).
        Some(held) => builder.with_client_cert_resolver(crate::rsa_handshake::client_certificate(
            held.der.clone(),
            held.key.clone(),
        )),
        None => builder.with_no_client_auth(),
    })
}

/// TLS to `addr` (CAPF, or CallManager's secured SIP port) with `config`.
pub async fn connect_with(
    addr: SocketAddr,
    config: ClientConfig,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, ClientError> {
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(ClientError::Connect)?;
    let name = ServerName::try_from("ccmadmin")
        .map_err(|e| ClientError::Protocol(e.to_string()))?
        .to_owned();
    connector
        .connect(name, tcp)
        .await
        .map_err(ClientError::Connect)
}

/// TLS to CAPF at `addr`, trusting exactly `capf_certificate` (from the phone's CTL).
pub async fn connect(
    addr: SocketAddr,
    capf_certificate: &[u8],
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, ClientError> {
    connect_with(addr, pinned_config(&[capf_certificate.to_vec()], None)?).await
}

/// Runs one session with CAPF at `addr`, trusting `capf_certificate` (from the phone's CTL).
pub async fn session(
    addr: SocketAddr,
    capf_certificate: &[u8],
    phone: &mut PhoneCertificates,
    authentication: &Authentication,
    quirks: Quirks,
) -> Result<Ended, ClientError> {
    let mut tls = connect(addr, capf_certificate).await?;
    let first = receive(&mut tls).await?;
    if first.command == Command::RetryLater {
        return Ok(Ended {
            reason: None,
            info: "retry later".to_owned(),
        });
    }
    if first.command != Command::AuthReq {
        return Err(ClientError::Protocol(format!(
            "{:?} where AuthReq was expected",
            first.command
        )));
    }
    let session_id = first.session;
    let mut auth = vec![
        Element::Reason(reason::SUCCESS),
        Element::Version(codec::VERSION),
        Element::DeviceName(phone.name.clone()),
    ];
    let string = match authentication {
        Authentication::String(s) => s.clone(),
        _ => String::new(),
    };
    auth.push(Element::Password(string));
    let presented = match authentication {
        Authentication::PreferLsc => phone
            .lsc
            .as_ref()
            .map(|h| (CertType::Lsc, h))
            .or(phone.mic.as_ref().map(|h| (CertType::Mic, h))),
        Authentication::PreferMic => phone
            .mic
            .as_ref()
            .map(|h| (CertType::Mic, h))
            .or(phone.lsc.as_ref().map(|h| (CertType::Lsc, h))),
        _ => None,
    };
    if let Some((kind, held)) = presented {
        auth.extend(proof_elements(&phone.name, kind, held, quirks)?);
    }
    let send = |command, elements| Message::new(command, session_id, elements);
    codec::write(&mut tls, &send(Command::AuthResp, auth)).await?;
    let mut new_key: Option<PKey<Private>> = None;
    loop {
        let m = receive(&mut tls).await?;
        if m.session != session_id {
            return Err(ClientError::Protocol("another session id".to_owned()));
        }
        match m.command {
            Command::EndSession => {
                let info = m
                    .find(|e| match e {
                        Element::ReasonInfo(i) => Some(i.clone()),
                        _ => None,
                    })
                    .unwrap_or_default();
                return Ok(Ended {
                    reason: m.reason(),
                    info,
                });
            }
            Command::KeyGenReq => {
                let asked = m
                    .find(|e| match e {
                        Element::KeySize(n) => Some(u32::from(*n)),
                        _ => None,
                    })
                    .ok_or_else(|| ClientError::Protocol("KeyGenReq without a key size".into()))?;
                for _ in 0..quirks.in_progress {
                    codec::write(&mut tls, &send(Command::RequestInProgress, Vec::new())).await?;
                }
                let bits = quirks.key_size.unwrap_or(asked);
                let key = tokio::task::spawn_blocking(move || {
                    Rsa::generate(bits).and_then(PKey::from_rsa)
                })
                .await
                .map_err(crypto)?
                .map_err(crypto)?;
                let spki = key.public_key_to_der().map_err(crypto)?;
                new_key = Some(key);
                codec::write(
                    &mut tls,
                    &send(Command::KeyGenResp, vec![Element::PublicKey(spki)]),
                )
                .await?;
            }
            Command::StoreCertReq => {
                let der = m
                    .find(|e| match e {
                        Element::Certificate(CertType::Lsc, der) => Some(der.clone()),
                        _ => None,
                    })
                    .ok_or_else(|| ClientError::Protocol("StoreCertReq without an LSC".into()))?;
                let key = new_key
                    .take()
                    .ok_or_else(|| ClientError::Protocol("StoreCertReq before KeyGenReq".into()))?;
                let matches = openssl::x509::X509::from_der(&der)
                    .and_then(|c| c.public_key())
                    .is_ok_and(|p| p.public_eq(&key));
                let answer = if matches {
                    phone.lsc = Some(Held { der, key });
                    reason::SUCCESS
                } else {
                    reason::INVALID
                };
                codec::write(
                    &mut tls,
                    &send(Command::StoreCertResp, vec![Element::Reason(answer)]),
                )
                .await?;
            }
            Command::DeleteCertReq => {
                let answer = if phone.lsc.take().is_some() {
                    reason::SUCCESS
                } else {
                    reason::INVALID
                };
                codec::write(
                    &mut tls,
                    &send(Command::DeleteCertResp, vec![Element::Reason(answer)]),
                )
                .await?;
            }
            Command::FetchCertReq => {
                let held = phone
                    .lsc
                    .as_ref()
                    .map(|h| (CertType::Lsc, h))
                    .or(phone.mic.as_ref().map(|h| (CertType::Mic, h)));
                let elements = match held {
                    Some((kind, h)) => vec![
                        Element::Reason(reason::SUCCESS),
                        Element::Certificate(kind, h.der.clone()),
                    ],
                    None => vec![Element::Reason(reason::INVALID)],
                };
                codec::write(&mut tls, &send(Command::FetchCertResp, elements)).await?;
            }
            other => {
                return Err(ClientError::Protocol(format!(
                    "{other:?} is not a command CAPF sends a phone"
                )))
            }
        }
    }
}

/// A new manufacturer CA (self-signed, CA:true, 2048-bit RSA) named `name`, valid from `from`
/// for twenty years, as the simulator's stand-in for a phone maker's CA: its certificate (DER)
/// and key.
pub fn new_manufacturer_ca(
    name: &str,
    from: chrono::DateTime<chrono::Utc>,
) -> Result<Held, ClientError> {
    use openssl::asn1::{Asn1Integer, Asn1Time};
    use openssl::bn::BigNum;
    use openssl::x509::extension::{BasicConstraints, KeyUsage};
    use openssl::x509::{X509NameBuilder, X509};
    let key = PKey::from_rsa(Rsa::generate(2048).map_err(crypto)?).map_err(crypto)?;
    let build = || -> Result<Vec<u8>, openssl::error::ErrorStack> {
        let mut subject = X509NameBuilder::new()?;
        subject.append_entry_by_text("O", "Simulated Phone Maker")?;
        subject.append_entry_by_text("CN", name)?;
        let subject = subject.build();
        let mut b = X509::builder()?;
        b.set_version(2)?;
        let mut serial = [0u8; 16];
        openssl::rand::rand_bytes(&mut serial)?;
        serial[0] = (serial[0] & 0x7f) | 1;
        let serial = Asn1Integer::from_bn(BigNum::from_slice(&serial)?.as_ref())?;
        b.set_serial_number(serial.as_ref())?;
        b.set_subject_name(&subject)?;
        b.set_issuer_name(&subject)?;
        b.set_pubkey(&key)?;
        let start = Asn1Time::from_unix(from.timestamp())?;
        b.set_not_before(start.as_ref())?;
        let until = Asn1Time::from_unix((from + chrono::Duration::days(7300)).timestamp())?;
        b.set_not_after(until.as_ref())?;
        b.append_extension(BasicConstraints::new().critical().ca().build()?)?;
        b.append_extension(
            KeyUsage::new()
                .critical()
                .key_cert_sign()
                .crl_sign()
                .build()?,
        )?;
        b.sign(&key, openssl::hash::MessageDigest::sha256())?;
        b.build().to_der()
    };
    let der = build().map_err(crypto)?;
    Ok(Held { der, key })
}

/// A MIC for `device` (CN = the device name) issued by the manufacturer CA `ca`, with a new
/// RSA key of `bits`, valid from `from` for ten years.
pub fn issue_mic(
    ca: &Held,
    device: &str,
    bits: u32,
    from: chrono::DateTime<chrono::Utc>,
) -> Result<Held, ClientError> {
    let key = PKey::from_rsa(Rsa::generate(bits).map_err(crypto)?).map_err(crypto)?;
    let public =
        PKey::public_key_from_der(&key.public_key_to_der().map_err(crypto)?).map_err(crypto)?;
    let der =
        app::capf::lsc::issue(&ca.der, &ca.key, device, &public, from, 3650).map_err(crypto)?;
    Ok(Held { der, key })
}
