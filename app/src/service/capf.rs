//! The store side of Cisco Certificate Authority Proxy Function (R13, R14, R19): what the CAPF
//! listener needs (its TLS identity, the CAPF CA, the manufacturer CAs, its settings from the
//! publisher's service parameters) and the [`Registry`] that finds each connecting phone's
//! scheduled operation and records its outcome on the device row — each change one conditional
//! statement with its audit row, so the file pipeline re-signs the phone's file. Also Security >
//! Certificates' manufacturer CAs (upload, list, remove).

use std::time::Duration;

use chrono::{DateTime, Utc};
use openssl::pkey::PKey;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;

use super::audit::{self, Event};
use super::authz::{area, Grant, Internal, KeysGrant, Reads};
use super::errors::internal;
use super::principal::Actor;
use super::AppState;
use crate::capf::lsc::CertificateRecord;
use crate::capf::session::{Authority, Lookup, Outcome, Registry, Ticket};
use crate::domain::audit::{object, AuditAction};
use crate::domain::capf::{CapfState, Window};
use crate::domain::device::{AuthenticationMode, CertificateOperation};
use crate::domain::parameters::{self as params, service_parameter, CAPF_PHONE_PORT};
use crate::domain::services::Service;
use crate::error::AppError;
use crate::model::security::{CertRole, ManufacturerCa};
use crate::store::entities::devices;
use crate::store::manufacturer_cas::{self as cas, NewCa};
use crate::store::phones::{self, CapfRecord, KeptCertificate};
use crate::store::{certificates, parameters, servers, service_settings};

/// Refused tries (a wrong string, a refused certificate) that end a scheduled operation.
pub const MAX_REFUSED: i32 = 5;
/// How long a session in progress keeps another session of its phone out.
const IN_PROGRESS_FOR: chrono::Duration = chrono::Duration::minutes(2);
/// The longest reason or certificate field kept on a device (its text is partly the phone's).
const KEPT_CHARS: usize = 200;

/// `text` cut to [`KEPT_CHARS`] characters.
fn kept_text(text: &str) -> String {
    text.chars().take(KEPT_CHARS).collect()
}

/// The longest manufacturer CA upload (PEM).
pub const CA_UPLOAD_MAX_BYTES: usize = 64 * 1024;
/// The most manufacturer CAs kept.
pub const MAX_MANUFACTURER_CAS: usize = 64;

/// CAPF's settings: the publisher's CAPF service parameters and the CAPF Phone Port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// The TCP port phones connect to.
    pub port: u16,
    /// Days an issued LSC is valid.
    pub validity_days: u32,
    /// Sessions served at once.
    pub max_sessions: usize,
    /// The time a phone has for its key generation.
    pub key_generation: Duration,
}

async fn service_value<C: ConnectionTrait>(
    db: &C,
    server_id: Option<i32>,
    name: &str,
) -> Result<String, AppError> {
    let stored = match server_id {
        Some(id) => service_settings::parameters_of(db, id, Service::Capf).await?,
        None => Vec::new(),
    };
    Ok(stored
        .into_iter()
        .find(|p| p.name == name)
        .map(|p| p.value)
        .or_else(|| service_parameter(Service::Capf, name).map(|p| p.def.default.to_owned()))
        .unwrap_or_default())
}

/// CAPF's settings as stored now.
pub async fn settings(state: &AppState, _internal: &Internal) -> Result<Settings, AppError> {
    let db = &state.db;
    let publisher = servers::publisher(db).await?.map(|s| s.id);
    let number = |text: String, default: u64| text.parse::<u64>().unwrap_or(default);
    let port = parameters::find(db, CAPF_PHONE_PORT)
        .await?
        .and_then(|p| p.value.parse::<u16>().ok())
        .unwrap_or(3804);
    let years = number(
        service_value(db, publisher, params::CAPF_VALIDITY_YEARS).await?,
        5,
    );
    let minutes = number(
        service_value(db, publisher, params::CAPF_KEY_GENERATION_MINUTES).await?,
        30,
    );
    let sessions = number(
        service_value(db, publisher, params::CAPF_MAX_SESSIONS).await?,
        4,
    );
    Ok(Settings {
        port,
        validity_days: u32::try_from(years.clamp(1, 20) * 365).unwrap_or(365),
        max_sessions: usize::try_from(sessions.clamp(1, 100)).unwrap_or(1),
        key_generation: Duration::from_secs(minutes.clamp(1, 120) * 60),
    })
}

/// Why CAPF cannot start.
fn not_a_ca() -> AppError {
    AppError::Unavailable(
        "The CAPF certificate is not a certificate authority (it was made by an earlier \
         version): regenerate it on Security > Certificates, then update the CTL file."
            .to_owned(),
    )
}

/// The CAPF certificate (DER) and its key (PEM): CAPF's TLS identity and its CA.
pub async fn identity(
    state: &AppState,
    _internal: &Internal,
) -> Result<(Vec<u8>, Vec<u8>), AppError> {
    let dirs = super::certificates::dirs(state)?;
    let row = certificates::of_role(&state.db, CertRole::Capf, "CAPF")
        .await?
        .ok_or_else(|| AppError::Unavailable("There is no CAPF certificate yet.".to_owned()))?;
    let (_, cert) = x509_parser::parse_x509_certificate(&row.der).map_err(internal)?;
    let is_ca = cert
        .basic_constraints()
        .ok()
        .flatten()
        .is_some_and(|bc| bc.value.ca);
    if !is_ca {
        return Err(not_a_ca());
    }
    let pem = std::fs::read(dirs.keys.join(&row.key_file)).map_err(internal)?;
    Ok((row.der, pem))
}

/// The CA and trust anchors of a session, read now.
pub async fn authority(state: &AppState, internal: &Internal) -> Result<Authority, AppError> {
    let (ca_der, pem) = identity(state, internal).await?;
    let ca_key = PKey::private_key_from_pem(&pem).map_err(super::errors::internal)?;
    let settings = settings(state, internal).await?;
    Ok(Authority {
        ca_der,
        ca_key,
        manufacturer_cas: cas::all(&state.db)
            .await?
            .into_iter()
            .map(|c| c.der)
            .collect(),
        validity_days: settings.validity_days,
    })
}

/// The registry of the console's store, for the CAPF listener.
#[derive(Clone)]
pub struct StoreRegistry {
    state: AppState,
    window: Option<Window>,
    address: Option<String>,
}

impl StoreRegistry {
    /// The registry of `state`, for a phone connecting from `address`, with the operations
    /// window in force.
    pub fn new(
        state: &AppState,
        _internal: &Internal,
        window: Option<Window>,
        address: Option<String>,
    ) -> Self {
        Self {
            state: state.clone(),
            window,
            address,
        }
    }

    fn actor(&self) -> Actor {
        Actor {
            user_id: None,
            name: Some("CAPF".to_owned()),
            address: self.address.clone(),
        }
    }

    /// Records `r` on `device` (read at `read`) with an audit row, in one transaction; false
    /// when the row changed first.
    async fn record(
        &self,
        device: &str,
        read: Option<i32>,
        r: CapfRecord,
        detail: String,
    ) -> Result<bool, AppError> {
        let r = CapfRecord {
            reason: kept_text(&r.reason),
            ..r
        };
        let txn = self.state.db.begin().await?;
        if !phones::record_capf(&txn, device, read, &r).await? {
            return Ok(false);
        }
        audit::record(
            &txn,
            r.at,
            &self.actor(),
            Event {
                action: AuditAction::Update,
                object_type: object::PHONE,
                object_name: device,
                before: None,
                after: Some(json!({
                    "certificate_operation_status": r.state,
                    "operation": r.operation,
                    "reason": r.reason,
                })),
                detail,
            },
        )
        .await?;
        txn.commit().await?;
        self.state.changed.notify_waiters();
        Ok(true)
    }
}

fn kept(r: &CertificateRecord) -> KeptCertificate {
    KeptCertificate {
        serial: kept_text(&r.serial),
        issuer: kept_text(&r.issuer),
        sha256: r.sha256.clone(),
        not_before: r.not_before,
        not_after: r.not_after,
    }
}

fn ticket(row: &devices::Model) -> Option<Ticket> {
    let operation = CertificateOperation::parse(&row.certificate_operation)?;
    if operation == CertificateOperation::NoPendingOperation {
        return None;
    }
    Some(Ticket {
        operation,
        authentication: AuthenticationMode::parse(&row.authentication_mode)?,
        string: row.authentication_string.clone(),
        key_size: u16::try_from(row.key_size).ok()?,
        version: row.version,
        attempts: row.capf_attempts,
        lsc_sha256: row.lsc_sha256.clone(),
    })
}

#[async_trait::async_trait]
impl Registry for StoreRegistry {
    async fn lookup(&self, device: &str, now: DateTime<Utc>) -> Result<Lookup, AppError> {
        let Some(row) = phones::find(&self.state.db, device).await? else {
            return Ok(Lookup::Unknown);
        };
        let Some(t) = ticket(&row) else {
            return Ok(Lookup::Nothing);
        };
        if row.operation_completes_by.is_some_and(|by| by <= now) {
            return Ok(Lookup::Expired(t));
        }
        if self.window.is_some_and(|w| !w.contains(now)) {
            return Ok(Lookup::Waiting);
        }
        let in_progress = row.certificate_operation_status == CapfState::InProgress.key()
            && row
                .capf_status_at
                .is_some_and(|at| at > now - IN_PROGRESS_FOR);
        if in_progress {
            return Ok(Lookup::Busy);
        }
        Ok(Lookup::Scheduled(t))
    }

    async fn begin(
        &self,
        device: &str,
        ticket: &mut Ticket,
        mic: Option<&CertificateRecord>,
    ) -> Result<(), AppError> {
        let r = CapfRecord {
            state: CapfState::InProgress.key(),
            operation: ticket.operation.label().to_owned(),
            reason: String::new(),
            at: self.state.clock.now(),
            end_operation: false,
            lsc: None,
            mic: mic.map(kept),
            attempts: None,
            facts_only: false,
        };
        // A change the admin made since the lookup wins; the session records nothing more.
        let detail = format!("CAPF: {} in progress", ticket.operation.label());
        if !self.record(device, Some(ticket.version), r, detail).await? {
            return Err(AppError::Conflict(format!(
                "{device} changed while its CAPF session started"
            )));
        }
        ticket.version += 1;
        Ok(())
    }

    async fn finish(
        &self,
        device: &str,
        ticket: &Ticket,
        outcome: Outcome,
    ) -> Result<(), AppError> {
        let label = ticket.operation.label().to_owned();
        let at = self.state.clock.now();
        let mut attempts = None;
        let (state, reason, end_operation, lsc) = match &outcome {
            Outcome::Installed(r) => (CapfState::Success, String::new(), true, Some(Some(kept(r)))),
            Outcome::Deleted { held } => (
                CapfState::Success,
                if *held {
                    String::new()
                } else {
                    "the phone held no LSC".to_owned()
                },
                true,
                Some(None),
            ),
            // What the phone reports is its word only: shown, not kept as its certificate.
            Outcome::Reported(found) => (
                CapfState::Success,
                match found {
                    Some((kind, r)) => format!("the phone holds {kind:?} serial {}", r.serial),
                    None => "the phone holds no certificate it will report".to_owned(),
                },
                true,
                None,
            ),
            Outcome::Failed(why) => (CapfState::Failed, why.clone(), false, None),
            // A wrong string can be guessed only so often: the fifth refusal ends the operation.
            Outcome::Refused(why) => {
                let n = ticket.attempts.saturating_add(1);
                attempts = Some(n);
                if n >= MAX_REFUSED {
                    (
                        CapfState::Failed,
                        format!("{why}; {n} refused tries: the operation is cancelled, schedule it again"),
                        true,
                        None,
                    )
                } else {
                    (CapfState::Failed, why.clone(), false, None)
                }
            }
        };
        let detail = crate::domain::capf::status_text(&label, state, &reason);
        let r = CapfRecord {
            state: state.key(),
            operation: label,
            reason,
            at,
            end_operation,
            lsc: lsc.clone(),
            mic: None,
            attempts,
            facts_only: false,
        };
        if self
            .record(device, Some(ticket.version), r, format!("CAPF: {detail}"))
            .await?
        {
            return Ok(());
        }
        // The admin changed the phone meanwhile: the certificate the phone now holds is still
        // a fact to keep; the operation and its status are theirs.
        if lsc.is_some() {
            let facts = CapfRecord {
                state: state.key(),
                operation: ticket.operation.label().to_owned(),
                reason: String::new(),
                at,
                end_operation: false,
                lsc,
                mic: None,
                attempts: None,
                facts_only: true,
            };
            self.record(device, None, facts, format!("CAPF: {detail}"))
                .await?;
        }
        Ok(())
    }

    async fn expire(&self, device: &str, ticket: &Ticket) -> Result<(), AppError> {
        let r = CapfRecord {
            state: CapfState::Failed.key(),
            operation: ticket.operation.label().to_owned(),
            reason: "expired".to_owned(),
            at: self.state.clock.now(),
            end_operation: true,
            lsc: None,
            mic: None,
            attempts: None,
            facts_only: false,
        };
        let detail = format!("CAPF: {} failed: expired", ticket.operation.label());
        self.record(device, Some(ticket.version), r, detail).await?;
        Ok(())
    }
}

fn ca_info(row: crate::store::entities::manufacturer_cas::Model) -> ManufacturerCa {
    ManufacturerCa {
        id: row.id,
        subject: row.subject,
        issuer: row.issuer,
        serial: row.serial,
        sha256: row.sha256,
        not_before: row.not_before,
        not_after: row.not_after,
        added_at: row.added_at,
        added_by: row.added_by,
    }
}

/// The manufacturer CAs trusted for MICs.
pub async fn manufacturer_cas(
    state: &AppState,
    _grant: &Grant<area::System, Reads>,
) -> Result<Vec<ManufacturerCa>, AppError> {
    Ok(cas::all(&state.db)
        .await?
        .into_iter()
        .map(ca_info)
        .collect())
}

/// Adds the manufacturer CA in `pem` (one PEM certificate, a CA): refused when it is too long,
/// not a certificate, not a CA, or already trusted. A trust anchor for the phones' proofs is as
/// strong as the cluster's keys, so it takes the holder of those ([`KeysGrant`]).
pub async fn add_manufacturer_ca(
    state: &AppState,
    grant: &KeysGrant,
    pem: &str,
) -> Result<ManufacturerCa, AppError> {
    const FIELD: &str = "Manufacturer CA Certificate";
    if pem.len() > CA_UPLOAD_MAX_BYTES {
        return Err(AppError::invalid(
            FIELD,
            format!("is longer than {} KiB", CA_UPLOAD_MAX_BYTES / 1024),
        ));
    }
    let der = crate::tftp::keys::certificate_der(pem.as_bytes())
        .map_err(|_| AppError::invalid(FIELD, "is not a PEM certificate"))?;
    let (_, cert) = x509_parser::parse_x509_certificate(&der)
        .map_err(|_| AppError::invalid(FIELD, "is not a readable certificate"))?;
    let is_ca = cert
        .basic_constraints()
        .ok()
        .flatten()
        .is_some_and(|bc| bc.value.ca);
    if !is_ca {
        return Err(AppError::invalid(
            FIELD,
            "is not a certificate authority (Basic Constraints CA:true)",
        ));
    }
    let facts = crate::tftp::keys::certificate_facts(&der)
        .map_err(|_| AppError::invalid(FIELD, "is not a readable certificate"))?;
    let now = state.clock.now();
    let who = grant.actor.name.clone().unwrap_or_default();
    let txn = state.db.begin().await?;
    if cas::by_fingerprint(&txn, &facts.sha256).await?.is_some() {
        return Err(AppError::invalid(FIELD, "is trusted already"));
    }
    if cas::all(&txn).await?.len() >= MAX_MANUFACTURER_CAS {
        return Err(AppError::invalid(
            FIELD,
            format!("cannot be added: {MAX_MANUFACTURER_CAS} CAs are trusted already"),
        ));
    }
    let row = cas::insert(
        &txn,
        NewCa {
            subject: facts.subject,
            issuer: facts.issuer,
            serial: crate::domain::hex::lower(&facts.serial),
            sha256: facts.sha256,
            der,
            not_before: facts.not_before,
            not_after: facts.not_after,
        },
        now,
        &who,
    )
    .await?;
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Create,
            object_type: object::CERTIFICATE,
            object_name: &row.subject,
            before: None,
            after: Some(json!({ "manufacturer_ca": row.sha256 })),
            detail: format!("Manufacturer CA {} trusted for MICs", row.subject),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(ca_info(row))
}

/// Stops trusting manufacturer CA `id`.
pub async fn remove_manufacturer_ca(
    state: &AppState,
    grant: &KeysGrant,
    id: i32,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let row = cas::all(&txn)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| AppError::NotFound(format!("Manufacturer CA {id}")))?;
    if !cas::delete(&txn, id).await? {
        return Err(AppError::NotFound(format!("Manufacturer CA {id}")));
    }
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Delete,
            object_type: object::CERTIFICATE,
            object_name: &row.subject,
            before: Some(json!({ "manufacturer_ca": row.sha256 })),
            after: None,
            detail: format!("Manufacturer CA {} no longer trusted", row.subject),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The LSC a device's record keeps, for the page.
pub(crate) fn lsc_of(row: &devices::Model) -> Option<crate::model::device::KeptCertificate> {
    (!row.lsc_serial.is_empty()).then(|| crate::model::device::KeptCertificate {
        serial: row.lsc_serial.clone(),
        issuer: row.lsc_issuer.clone(),
        sha256: row.lsc_sha256.clone(),
        not_before: row.lsc_not_before,
        not_after: row.lsc_not_after,
    })
}

/// The last MIC a device presented, for the page.
pub(crate) fn mic_of(row: &devices::Model) -> Option<crate::model::device::KeptCertificate> {
    (!row.mic_serial.is_empty()).then(|| crate::model::device::KeptCertificate {
        serial: row.mic_serial.clone(),
        issuer: row.mic_issuer.clone(),
        sha256: row.mic_sha256.clone(),
        not_before: None,
        not_after: row.mic_not_after,
    })
}

/// The operations window in force (R19), read from the publisher's CAPF parameters.
pub async fn window<C: ConnectionTrait>(db: &C) -> Result<Option<Window>, AppError> {
    let publisher = servers::publisher(db).await?.map(|s| s.id);
    Ok(Window::from_hours(
        &service_value(db, publisher, params::CAPF_WINDOW_START).await?,
        &service_value(db, publisher, params::CAPF_WINDOW_END).await?,
    ))
}
