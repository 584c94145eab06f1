//! CAPF's side of one session with a phone (`docs/FORMATS.md`, "Session"): ask who it is, find
//! what is scheduled for it, check its authentication string or its certificate and proof, then
//! install, delete or fetch its certificate — each read bounded by a timeout, each refusal ending
//! the session with its reason, the outcome recorded through a [`Registry`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use openssl::pkey::{PKey, Private};
use tokio::io::{AsyncRead, AsyncWrite};

use super::codec::{self, reason, CertType, Command, Element, Message, Sender, WireError};
use super::lsc::{self, CertificateRecord};
use super::proof::{self, ProofHash};
use crate::domain::device::{AuthenticationMode, CertificateOperation};
use crate::error::AppError;

/// What is scheduled for a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// The operation.
    pub operation: CertificateOperation,
    /// How the phone must authenticate.
    pub authentication: AuthenticationMode,
    /// The authentication string (By Authentication String).
    pub string: String,
    /// The key size to ask for.
    pub key_size: u16,
    /// The device row's version when it was read.
    pub version: i32,
    /// Refused tries so far.
    pub attempts: i32,
    /// The SHA-256 fingerprint of the LSC CAPF last issued the device (empty: none): the only
    /// LSC it may prove itself with.
    pub lsc_sha256: String,
}

/// What the store says of a device that connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// No such device.
    Unknown,
    /// Nothing is scheduled.
    Nothing,
    /// Its operation's deadline has passed.
    Expired(Ticket),
    /// Scheduled, but outside the operations window (R19): it waits.
    Waiting,
    /// Another session of the device is in progress.
    Busy,
    /// Scheduled now.
    Scheduled(Ticket),
}

/// How a session ended, for the device record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An LSC was issued and the phone stored it.
    Installed(CertificateRecord),
    /// The phone deleted its LSC (`held`: it had one).
    Deleted {
        /// Whether the phone held an LSC.
        held: bool,
    },
    /// The phone reported the certificate it holds (Troubleshoot).
    Reported(Option<(CertType, CertificateRecord)>),
    /// The operation failed.
    Failed(String),
    /// The phone's authentication was refused (a wrong string, a refused certificate).
    Refused(String),
}

/// Where CAPF finds and records operations (the store, in the console).
#[async_trait::async_trait]
pub trait Registry: Send + Sync {
    /// What is scheduled for `device` at `now`.
    async fn lookup(&self, device: &str, now: DateTime<Utc>) -> Result<Lookup, AppError>;
    /// The phone authenticated: its operation is in progress (the ticket's version follows the
    /// row's). `mic` is the manufacturer certificate it presented, if any.
    async fn begin(
        &self,
        device: &str,
        ticket: &mut Ticket,
        mic: Option<&CertificateRecord>,
    ) -> Result<(), AppError>;
    /// The session ended with `outcome`.
    async fn finish(&self, device: &str, ticket: &Ticket, outcome: Outcome)
        -> Result<(), AppError>;
    /// The deadline passed: the operation ends failed ("expired").
    async fn expire(&self, device: &str, ticket: &Ticket) -> Result<(), AppError>;
}

/// The CA and trust anchors a session uses.
pub struct Authority {
    /// The CAPF CA's certificate (DER).
    pub ca_der: Vec<u8>,
    /// Its key.
    pub ca_key: PKey<Private>,
    /// The manufacturer CAs trusted for MICs (DER).
    pub manufacturer_cas: Vec<Vec<u8>>,
    /// Days an issued LSC is valid.
    pub validity_days: u32,
}

/// How long each step may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// One message from the phone.
    pub step: Duration,
    /// The phone's key generation, all its RequestInProgress messages included.
    pub key_generation: Duration,
}

/// Why a session ended without an outcome to record.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Reading or writing failed, or the phone's bytes were refused.
    #[error("{0}")]
    Wire(#[from] WireError),
    /// The phone did not answer in time.
    #[error("the phone sent nothing within {0} s")]
    Timeout(u64),
    /// The phone sent a message out of turn.
    #[error("{0}")]
    Protocol(String),
    /// The store failed.
    #[error("the store failed: {0}")]
    Store(#[from] AppError),
    /// Issuing or randomness failed on this side.
    #[error("CAPF failed: {0}")]
    Internal(String),
}

/// What a session did, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The device, when it said.
    pub device: Option<String>,
    /// What happened.
    pub result: String,
}

struct Conversation<'a, S> {
    stream: &'a mut S,
    session: u32,
    step: Duration,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conversation<'_, S> {
    async fn send(&mut self, command: Command, elements: Vec<Element>) -> Result<(), SessionError> {
        codec::write(self.stream, &Message::new(command, self.session, elements)).await?;
        Ok(())
    }

    async fn end(&mut self, code: u8, info: &str) -> Result<(), SessionError> {
        let mut elements = vec![Element::Reason(code)];
        if !info.is_empty() {
            elements.push(Element::ReasonInfo(clip(info)));
        }
        self.send(Command::EndSession, elements).await
    }

    async fn receive_within(&mut self, limit: Duration) -> Result<Message, SessionError> {
        let m = tokio::time::timeout(limit, codec::read(self.stream, Sender::Phone))
            .await
            .map_err(|_| SessionError::Timeout(limit.as_secs()))??;
        if m.session != self.session {
            return Err(SessionError::Protocol(format!(
                "session id {:#010x} is not this session's {:#010x}",
                m.session, self.session
            )));
        }
        Ok(m)
    }

    async fn expect(&mut self, command: Command) -> Result<Message, SessionError> {
        let m = self.receive_within(self.step).await?;
        if m.command != command {
            return Err(SessionError::Protocol(format!(
                "{:?} where {command:?} was expected",
                m.command
            )));
        }
        Ok(m)
    }
}

fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(200).collect();
    while out.len() > codec::MAX_TEXT - 1 {
        out.pop();
    }
    out
}

/// Runs one session on `stream` (TLS already established) at `now`.
pub async fn serve<S, R>(
    stream: &mut S,
    registry: &R,
    authority: &Authority,
    timeouts: Timeouts,
    now: DateTime<Utc>,
) -> Result<Summary, SessionError>
where
    S: AsyncRead + AsyncWrite + Unpin,
    R: Registry + ?Sized,
{
    let mut session = [0u8; 4];
    openssl::rand::rand_bytes(&mut session).map_err(|e| SessionError::Internal(e.to_string()))?;
    let mut c = Conversation {
        stream,
        session: u32::from_be_bytes(session),
        step: timeouts.step,
    };
    c.send(
        Command::AuthReq,
        vec![Element::Version(codec::VERSION), Element::AuthType(0)],
    )
    .await?;
    let auth = c.expect(Command::AuthResp).await?;
    let Some(device) = auth.find(|e| match e {
        Element::DeviceName(n) if !n.is_empty() => Some(n.clone()),
        _ => None,
    }) else {
        c.end(reason::INVALID, "no device name").await?;
        return Err(SessionError::Protocol(
            "AuthResp without a device name".into(),
        ));
    };
    let summary = |result: &str| Summary {
        device: Some(device.clone()),
        result: result.to_owned(),
    };
    let ticket = match registry.lookup(&device, now).await? {
        Lookup::Unknown => {
            c.end(reason::UNKNOWN_DEVICE, "unknown device").await?;
            return Ok(summary("unknown device"));
        }
        Lookup::Nothing => {
            c.end(reason::NO_ACTION, "").await?;
            return Ok(summary("nothing scheduled"));
        }
        Lookup::Waiting => {
            c.end(reason::NO_ACTION, "outside the CAPF operations window")
                .await?;
            return Ok(summary("waits for the operations window"));
        }
        Lookup::Busy => {
            c.end(
                reason::NO_ACTION,
                "another session of this phone is in progress",
            )
            .await?;
            return Ok(summary("another session is in progress"));
        }
        Lookup::Expired(ticket) => {
            registry.expire(&device, &ticket).await?;
            c.end(reason::NO_ACTION, "").await?;
            return Ok(summary("expired"));
        }
        Lookup::Scheduled(ticket) => ticket,
    };
    let mut ticket = ticket;
    let mic = match authenticate(&device, &auth, &ticket, authority, now) {
        Ok(mic) => mic,
        Err(why) => {
            registry
                .finish(&device, &ticket, Outcome::Refused(why.clone()))
                .await?;
            c.end(reason::INVALID, &why).await?;
            return Ok(summary(&format!("refused: {why}")));
        }
    };
    registry.begin(&device, &mut ticket, mic.as_ref()).await?;
    let outcome = match ticket.operation {
        CertificateOperation::InstallUpgrade => {
            install(&mut c, &device, &ticket, authority, timeouts, now).await
        }
        CertificateOperation::Delete => delete(&mut c).await,
        CertificateOperation::Troubleshoot => fetch(&mut c).await,
        CertificateOperation::NoPendingOperation => Ok(Outcome::Reported(None)),
    };
    let outcome = match outcome {
        Ok(o) => o,
        // The phone broke off or sent what it must not: the operation stays scheduled (it may
        // connect again before its deadline) and says why it failed.
        Err(e) => {
            let why = e.to_string();
            registry
                .finish(&device, &ticket, Outcome::Failed(why.clone()))
                .await?;
            let _ = c.end(reason::INVALID, &why).await;
            return Ok(summary(&format!("failed: {why}")));
        }
    };
    let result = match &outcome {
        Outcome::Installed(r) => format!("LSC {} installed", r.serial),
        Outcome::Deleted { held: true } => "LSC deleted".to_owned(),
        Outcome::Deleted { held: false } => "the phone held no LSC".to_owned(),
        Outcome::Reported(Some((kind, r))) => format!("reported {kind:?} {}", r.serial),
        Outcome::Reported(None) => "reported no certificate".to_owned(),
        Outcome::Failed(why) | Outcome::Refused(why) => format!("failed: {why}"),
    };
    let (code, info) = match &outcome {
        Outcome::Failed(why) | Outcome::Refused(why) => (reason::INVALID, why.clone()),
        Outcome::Reported(_) => (reason::NO_ACTION, String::new()),
        _ => (reason::SUCCESS, String::new()),
    };
    registry.finish(&device, &ticket, outcome).await?;
    c.end(code, &info).await?;
    Ok(summary(&result))
}

/// Checks the phone's AuthResp against the ticket's authentication mode; returns the MIC it
/// presented, if it presented one.
fn authenticate(
    device: &str,
    auth: &Message,
    ticket: &Ticket,
    authority: &Authority,
    now: DateTime<Utc>,
) -> Result<Option<CertificateRecord>, String> {
    match ticket.authentication {
        AuthenticationMode::ByNullString => Ok(None),
        AuthenticationMode::ByAuthenticationString => {
            let typed = auth
                .find(|e| match e {
                    Element::Password(p) => Some(p.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            let same = typed.len() == ticket.string.len()
                && openssl::memcmp::eq(typed.as_bytes(), ticket.string.as_bytes());
            if same && !ticket.string.is_empty() {
                Ok(None)
            } else {
                Err("wrong authentication string".to_owned())
            }
        }
        AuthenticationMode::ByExistingCertificateLsc
        | AuthenticationMode::ByExistingCertificateMic => {
            let (kind, der) = auth
                .find(|e| match e {
                    Element::Certificate(kind, der) => Some((*kind, der.clone())),
                    _ => None,
                })
                .ok_or("no certificate presented")?;
            let anchors = match kind {
                CertType::Lsc => std::slice::from_ref(&authority.ca_der),
                CertType::Mic => authority.manufacturer_cas.as_slice(),
            };
            let label = match kind {
                CertType::Lsc => "LSC",
                CertType::Mic => "MIC",
            };
            let public = lsc::check_presented(&der, device, anchors, now)
                .map_err(|e| format!("the {label} is refused: {e}"))?;
            // Only the LSC CAPF last issued this phone: not one it replaced or deleted.
            if kind == CertType::Lsc && crate::tftp::keys::fingerprint(&der) != ticket.lsc_sha256 {
                return Err("the LSC is not the one CAPF last issued this phone".to_owned());
            }
            let data = proof::signed_data(device, &der);
            let sha1 = auth
                .find(|e| match e {
                    Element::SignedData(s) => Some(s.clone()),
                    _ => None,
                })
                .ok_or("no signed data")?;
            proof::verify_raw(&public, ProofHash::Sha1, &data, &sha1)
                .map_err(|e| format!("the SHA-1 proof is refused: {e}"))?;
            if proof::fits(public.bits(), ProofHash::Sha512) {
                let sha512 = auth
                    .find(|e| match e {
                        Element::Sha2SignedData(codec::SHA512_ID, s) => Some(s.clone()),
                        _ => None,
                    })
                    .ok_or("no SHA-512 signed data")?;
                proof::verify_raw(&public, ProofHash::Sha512, &data, &sha512)
                    .map_err(|e| format!("the SHA-512 proof is refused: {e}"))?;
            }
            match kind {
                CertType::Mic => lsc::record(&der).map(Some).map_err(|e| e.to_string()),
                CertType::Lsc => Ok(None),
            }
        }
    }
}

async fn install<S: AsyncRead + AsyncWrite + Unpin>(
    c: &mut Conversation<'_, S>,
    device: &str,
    ticket: &Ticket,
    authority: &Authority,
    timeouts: Timeouts,
    now: DateTime<Utc>,
) -> Result<Outcome, SessionError> {
    c.send(
        Command::KeyGenReq,
        vec![Element::KeySize(ticket.key_size), Element::KeyType(0)],
    )
    .await?;
    let until = tokio::time::Instant::now() + timeouts.key_generation;
    let response = loop {
        let left = until.saturating_duration_since(tokio::time::Instant::now());
        let m = c.receive_within(left.min(c.step)).await?;
        match m.command {
            Command::RequestInProgress => continue,
            Command::KeyGenResp => break m,
            other => {
                return Err(SessionError::Protocol(format!(
                    "{other:?} where KeyGenResp was expected"
                )))
            }
        }
    };
    let Some(spki) = response.find(|e| match e {
        Element::PublicKey(k) => Some(k.clone()),
        _ => None,
    }) else {
        return Ok(Outcome::Failed("key generation failed on the phone".into()));
    };
    let public = match lsc::phone_key(&spki, u32::from(ticket.key_size)) {
        Ok(k) => k,
        Err(e) => return Ok(Outcome::Failed(e.to_string())),
    };
    let der = lsc::issue(
        &authority.ca_der,
        &authority.ca_key,
        device,
        &public,
        now,
        authority.validity_days,
    )
    .map_err(|e| SessionError::Internal(e.to_string()))?;
    let record = lsc::record(&der).map_err(|e| SessionError::Internal(e.to_string()))?;
    c.send(
        Command::StoreCertReq,
        vec![
            Element::CertType(CertType::Lsc),
            Element::Certificate(CertType::Lsc, der),
        ],
    )
    .await?;
    let stored = c.expect(Command::StoreCertResp).await?;
    if stored.reason() == Some(reason::SUCCESS) {
        Ok(Outcome::Installed(record))
    } else {
        Ok(Outcome::Failed(
            "the phone did not store the certificate".into(),
        ))
    }
}

async fn delete<S: AsyncRead + AsyncWrite + Unpin>(
    c: &mut Conversation<'_, S>,
) -> Result<Outcome, SessionError> {
    c.send(Command::DeleteCertReq, Vec::new()).await?;
    let answer = c.expect(Command::DeleteCertResp).await?;
    match answer.reason() {
        Some(reason::SUCCESS) => Ok(Outcome::Deleted { held: true }),
        Some(reason::INVALID) => Ok(Outcome::Deleted { held: false }),
        other => Err(SessionError::Protocol(format!(
            "DeleteCertResp with reason {other:?}"
        ))),
    }
}

async fn fetch<S: AsyncRead + AsyncWrite + Unpin>(
    c: &mut Conversation<'_, S>,
) -> Result<Outcome, SessionError> {
    c.send(Command::FetchCertReq, Vec::new()).await?;
    let answer = c.expect(Command::FetchCertResp).await?;
    let certificate = answer.find(|e| match e {
        Element::Certificate(kind, der) => Some((*kind, der.clone())),
        _ => None,
    });
    match (answer.reason(), certificate) {
        (Some(reason::SUCCESS), Some((kind, der))) => match lsc::record(&der) {
            Ok(r) => Ok(Outcome::Reported(Some((kind, r)))),
            Err(e) => Ok(Outcome::Failed(format!(
                "the phone's certificate cannot be read: {e}"
            ))),
        },
        (Some(reason::INVALID), _) => Ok(Outcome::Reported(None)),
        (r, _) => Err(SessionError::Protocol(format!(
            "FetchCertResp with reason {r:?} and no certificate"
        ))),
    }
}
