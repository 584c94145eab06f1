//! Cisco CallManager as the devices' SIP registrar (R13, R14): a REGISTER is judged by how it
//! came. A device set Authenticated or Encrypted registers only over TLS with a client
//! certificate whose chain reaches the CAPF CA (its LSC) or a trusted manufacturer CA (its
//! MIC), valid now, whose subject names the device; a Non-Secure device registers over UDP (or
//! TLS). The contact's address is the connection's, never the message's. The outcome — how it
//! registered, or why it was refused — is kept on the device's contact (`registrations` owns
//! it) for Phone Configuration.

use std::net::{IpAddr, SocketAddr};

use super::authz::Internal;
use super::control;
use super::errors::internal;
use super::AppState;
use crate::capf::lsc::{self, LscError};
use crate::domain::security::{ConfiguredMode, SecurityMode};
use crate::domain::services::Service;
use crate::domain::sip_register::Register;
use crate::error::AppError;
use crate::model::security::CertRole;
use crate::store::{certificates, contacts, manufacturer_cas, phones, servers};

/// How a REGISTER came.
#[derive(Debug, Clone, Copy)]
pub enum Transport<'a> {
    /// A UDP datagram.
    Udp,
    /// A TLS connection, with the client certificate chain the device presented (leaf first;
    /// empty: none).
    Tls(&'a [Vec<u8>]),
}

/// The registrar's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The SIP status code.
    pub code: u16,
    /// The reason phrase: how it registered, or why not.
    pub reason: String,
}

impl Answer {
    fn new(code: u16, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }
}

/// The certificate and key (PEM) Cisco CallManager presents on its TLS port: this node's
/// server's CallManager certificate, the one the CTL lists.
pub async fn tls_identity(
    state: &AppState,
    _internal: &Internal,
) -> Result<(Vec<u8>, Vec<u8>), AppError> {
    let name = match state.node.as_deref() {
        Some(name) => name.to_owned(),
        None => servers::publisher(&state.db)
            .await?
            .map(|s| s.name)
            .ok_or_else(|| AppError::Unavailable("There is no publisher yet.".to_owned()))?,
    };
    let row = certificates::of_role(&state.db, CertRole::CallManager, &name)
        .await?
        .ok_or_else(|| {
            AppError::Unavailable(format!("Server {name} has no CallManager certificate yet."))
        })?;
    let dirs = super::certificates::dirs(state)?;
    let pem = std::fs::read(dirs.keys.join(&row.key_file)).map_err(internal)?;
    Ok((row.der, pem))
}

/// Why a presented certificate is refused, in the words of the device page.
fn refusal(lsc: &LscError, mic: Option<&LscError>) -> String {
    let all = [Some(lsc), mic];
    if let Some(LscError::NameMismatch { found, .. }) = all
        .iter()
        .flatten()
        .find(|e| matches!(e, LscError::NameMismatch { .. }))
    {
        return format!("name mismatch: the certificate names {found:?}");
    }
    if all
        .iter()
        .flatten()
        .any(|e| e.to_string().contains("expired"))
    {
        return "expired certificate".to_owned();
    }
    if all
        .iter()
        .flatten()
        .any(|e| e.to_string().contains("not yet valid"))
    {
        return "certificate not yet valid".to_owned();
    }
    "unknown issuer: neither the CAPF CA nor a trusted manufacturer CA issued it".to_owned()
}

/// How the certificate chain `chain` registers `device` at `now`: "TLS with LSC serial …" or
/// "TLS with MIC serial …", or why it is refused.
async fn judge_certificate(
    state: &AppState,
    device: &str,
    current_lsc: &str,
    chain: &[Vec<u8>],
) -> Result<Result<String, String>, AppError> {
    let Some(leaf) = chain.first() else {
        return Ok(Err("no certificate".to_owned()));
    };
    let now = state.clock.now();
    let capf = certificates::of_role(&state.db, CertRole::Capf, "CAPF")
        .await?
        .map(|c| c.der);
    let lsc_anchors: Vec<Vec<u8>> = capf.into_iter().collect();
    let lsc_refused = match lsc::check_presented(leaf, device, &lsc_anchors, now) {
        // Only the LSC CAPF last issued the device counts: not one it replaced or deleted.
        Ok(_) if crate::tftp::keys::fingerprint(leaf) != current_lsc => {
            return Ok(Err(
                "not the device's current LSC: CAPF issued it another one, or deleted it"
                    .to_owned(),
            ));
        }
        Ok(_) => {
            let r = lsc::record(leaf).map_err(internal)?;
            return Ok(Ok(format!("TLS with LSC serial {}", r.serial)));
        }
        Err(e) => e,
    };
    // Only uploaded CAs are anchors: a certificate the device sends after its leaf is never
    // trusted as one (it could be the device's own).
    let anchors: Vec<Vec<u8>> = manufacturer_cas::all(&state.db)
        .await?
        .into_iter()
        .map(|c| c.der)
        .collect();
    let mic_refused = if anchors.is_empty() {
        None
    } else {
        match lsc::check_presented(leaf, device, &anchors, now) {
            Ok(_) => {
                let r = lsc::record(leaf).map_err(internal)?;
                return Ok(Ok(format!("TLS with MIC serial {}", r.serial)));
            }
            Err(e) => Some(e),
        }
    };
    Ok(Err(refusal(&lsc_refused, mic_refused.as_ref())))
}

/// Judges and records the REGISTER `register` from `peer` that came over `transport`.
pub async fn register(
    state: &AppState,
    _internal: &Internal,
    register: &Register,
    peer: SocketAddr,
    transport: Transport<'_>,
) -> Result<Answer, AppError> {
    if !control::started_here(state, Service::CallManager).await? {
        return Ok(Answer::new(503, "Cisco CallManager is not started"));
    }
    let IpAddr::V4(address) = peer.ip() else {
        return Ok(Answer::new(403, "devices register from an IPv4 address"));
    };
    if let Some(reason) = state.contact_policy.refusal(address) {
        return Ok(Answer::new(403, reason));
    }
    let Some(row) = phones::find(&state.db, &register.device).await? else {
        return Ok(Answer::new(404, "unknown device"));
    };
    let facts = super::phones::facts(state).await?;
    let configured =
        ConfiguredMode::parse(&row.security_mode).unwrap_or(ConfiguredMode::UseSystemDefault);
    let secure = facts.effective(configured, row.model_id).mode != SecurityMode::NonSecure;
    let judged = match (transport, secure) {
        (Transport::Udp, true) => Err(
            "registered over UDP: a device set Authenticated or Encrypted registers over TLS (R13)"
                .to_owned(),
        ),
        (Transport::Udp, false) => Ok("UDP".to_owned()),
        (Transport::Tls(chain), true) => {
            judge_certificate(state, &register.device, &row.lsc_sha256, chain).await?
        }
        (Transport::Tls(_), false) => Ok("TLS".to_owned()),
    };
    let now = state.clock.now();
    match judged {
        Ok(how) => {
            let port = register.contact_port.unwrap_or(peer.port());
            let kind = match transport {
                Transport::Udp => "udp",
                Transport::Tls(_) => "tls",
            };
            contacts::register_sip(
                &state.db,
                row.id,
                &address.to_string(),
                port,
                kind,
                &how,
                now,
            )
            .await?;
            Ok(Answer::new(200, how))
        }
        Err(why) => {
            contacts::refuse(&state.db, row.id, &why, now).await?;
            Ok(Answer::new(403, why))
        }
    }
}
