//! Security > CTL: the CTL operation CallManager needed a Windows client and USB tokens for.
//! Choose the cluster security mode and the security tokens; the console builds `CTLFile.tlv`
//! (the tokens, each CallManager server, TFTP and CAPF — without CallManager and TFTP in
//! Non-Secure mode), signs it with a token listed in it, and records what must follow (R10).
//! Refused while Cisco CTL Provider is not activated on every server (R18) and, for Mixed, while
//! any server has auto-registration on (R2).

use sea_orm::TransactionTrait;
use serde_json::json;

use super::audit::{self, Event};
use super::authz::{area, Grant, Reads, Writes};
use super::certificates::{self, CertRole, TOKENS};
use super::errors::internal;
use super::{control, offline_tokens, AppState};
use crate::domain::actions::RequiredAction;
use crate::domain::audit::{object, AuditAction};
use crate::domain::security::ClusterSecurityMode;
use crate::domain::services::{ServerRole, Service, ServiceState};
use crate::error::AppError;
pub use crate::model::security::{CtlRecordInfo, CtlRequest, CtlResult, CtlStatus};
use crate::store::actions;
use crate::store::entities::servers;
use crate::store::service_settings as stored_settings;
use crate::store::{cluster, servers as server_rows};
use crate::tftp::ctl::{self, Record, Role};
use crate::tftp::folder::atomic_write;
use crate::tftp::sgn::{self, HashAlgorithm, HeaderKind};
use crate::tftp::CTL_FILE;

async fn gates(
    state: &AppState,
) -> Result<(Vec<servers::Model>, Vec<String>, Vec<String>), AppError> {
    let servers = server_rows::all(&state.db).await?;
    let activations = stored_settings::activations(&state.db).await?;
    // R18: activated, and running (Control Center) — a stopped CTL Provider gates too.
    let missing = servers
        .iter()
        .filter(|s| {
            control::state_of(s, Service::CtlProvider, &activations) != ServiceState::Started
        })
        .map(|s| s.name.clone())
        .collect();
    let auto = servers
        .iter()
        .filter(|s| s.auto_registration)
        .map(|s| s.name.clone())
        .collect();
    Ok((servers, missing, auto))
}

/// The certificates of the security tokens the CTL file on this node lists; none when there is
/// no file (the first CTL operation, or a node whose phones get the file elsewhere). A file that
/// cannot be read lists none: the phones' tokens are unknown, so any signer needs the
/// confirmation.
fn current_token_certificates(state: &AppState) -> Result<Option<Vec<Vec<u8>>>, AppError> {
    let Some(dirs) = state.files.as_deref() else {
        return Ok(None);
    };
    let bytes = match std::fs::read(dirs.files.join(CTL_FILE)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(internal(e)),
    };
    let records = sgn::parse(&bytes)
        .ok()
        .and_then(|parsed| ctl::decode(&parsed.content).ok())
        .unwrap_or_default();
    Ok(Some(
        records
            .into_iter()
            .filter(|r| r.role == Role::Sast)
            .map(|r| r.certificate)
            .collect(),
    ))
}

/// The tokens whose current certificate the CTL file on this node does not list.
async fn unlisted_tokens(state: &AppState) -> Result<Vec<String>, AppError> {
    let Some(listed) = current_token_certificates(state)? else {
        return Ok(Vec::new());
    };
    Ok(certificates::all(&state.db)
        .await?
        .into_iter()
        .filter(|c| c.role == CertRole::Sast.key() && !listed.contains(&c.der))
        .map(|c| c.name)
        .collect())
}

/// The CTL page's facts.
pub async fn status(
    state: &AppState,
    _grant: &Grant<area::System, Reads>,
) -> Result<CtlStatus, AppError> {
    status_now(state).await
}

async fn status_now(state: &AppState) -> Result<CtlStatus, AppError> {
    let (_, missing, auto) = gates(state).await?;
    let mode = cluster::security_mode(&state.db).await?;
    let (records, signer) = match state
        .files
        .as_deref()
        .and_then(|d| std::fs::read(d.files.join(CTL_FILE)).ok())
    {
        Some(bytes) => match sgn::parse(&bytes) {
            Ok(parsed) => (
                ctl::decode(&parsed.content)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|r| CtlRecordInfo {
                        role: r.role.label().to_owned(),
                        name: r.dns_name,
                        subject: r.subject,
                    })
                    .collect(),
                Some(parsed.header.signer),
            ),
            Err(_) => (Vec::new(), None),
        },
        None => (Vec::new(), None),
    };
    Ok(CtlStatus {
        mode,
        tokens: TOKENS.iter().map(|t| (*t).to_owned()).collect(),
        records,
        signer,
        offline_tokens: offline_tokens::offline(&state.db).await?,
        unlisted_tokens: unlisted_tokens(state).await?,
        ctl_provider_missing: missing,
        auto_registration_on: auto,
        restore_update_pending: actions::restore_update_pending(&state.db).await?,
    })
}

/// Runs the CTL operation.
pub async fn apply(
    state: &AppState,
    grant: &Grant<area::System, Writes>,
    request: CtlRequest,
) -> Result<CtlResult, AppError> {
    let (servers, missing, auto) = gates(state).await?;
    if servers.is_empty() {
        return Err(AppError::invalid(
            "Cisco CTL Provider",
            "no server is configured: add the cluster's servers first",
        ));
    }
    if !missing.is_empty() {
        return Err(AppError::invalid(
            "Cisco CTL Provider",
            format!(
                "must be activated and running on every server before any CTL operation (R18); it \
                 is not activated or not started on {}",
                missing.join(", ")
            ),
        ));
    }
    if request.mode == ClusterSecurityMode::Mixed && !auto.is_empty() {
        return Err(AppError::invalid(
            "Cluster Security Mode",
            format!(
                "cannot be Mixed while auto-registration is on (R2): switch it off on {} first",
                auto.join(", ")
            ),
        ));
    }
    let current = status_now(state).await?;
    if current.restore_update_pending {
        // R16: after a data-only restore the CTL file is updated, the mode is not chosen again,
        // and the phones must know the signer.
        if request.mode != current.mode {
            return Err(AppError::invalid(
                "Cluster Security Mode",
                format!(
                    "after a data-only restore the CTL file is updated in the current mode, {}; \
                     the mode is not chosen again (R16)",
                    current.mode.label()
                ),
            ));
        }
    }
    if request.tokens.is_empty() || request.tokens.len() > 2 {
        return Err(AppError::invalid(
            "Security Tokens",
            "choose one or two security tokens; the first signs the CTL file",
        ));
    }
    if let Some(unknown) = request
        .tokens
        .iter()
        .find(|t| !TOKENS.contains(&t.as_str()))
    {
        return Err(AppError::invalid(
            "Security Tokens",
            format!("{unknown} is not a security token of this console"),
        ));
    }
    certificates::ensure(state).await?;
    let all = certificates::all(&state.db).await?;
    let cert = |role: CertRole, name: &str| {
        all.iter()
            .find(|c| c.role == role.key() && c.name == name)
            .map(|c| c.der.clone())
            .ok_or_else(|| {
                internal(format!(
                    "the {} certificate {name} is missing",
                    role.label()
                ))
            })
    };
    let signer_certificate = cert(CertRole::Sast, &request.tokens[0])?;
    let mut new_signer = false;
    if let Some(listed) = current_token_certificates(state)? {
        if !listed.contains(&signer_certificate) {
            new_signer = true;
            let first = &request.tokens[0];
            if current.restore_update_pending {
                return Err(AppError::invalid(
                    "Security Tokens",
                    format!(
                        "after a data-only restore the file must be signed by a token the \
                         current CTL file lists (R16); {first} is not in it"
                    ),
                ));
            }
            if !request.confirm_new_signer {
                return Err(AppError::invalid(
                    "Security Tokens",
                    format!(
                        "{first} (its current certificate) is not in the current CTL file, so \
                         the phones will refuse a file it signs and keep the old one: every phone would have to have its CTL \
                         cleared by hand. Sign with a token the file lists, or confirm that every \
                         phone will be cleared by hand"
                    ),
                ));
            }
        }
    }
    let mut records = Vec::new();
    for t in &request.tokens {
        records.push(Record {
            role: Role::Sast,
            dns_name: t.clone(),
            ip_address: String::new(),
            certificate: cert(CertRole::Sast, t)?,
        });
    }
    if request.mode == ClusterSecurityMode::Mixed {
        for s in &servers {
            records.push(Record {
                role: Role::CallManager,
                dns_name: s.name.clone(),
                ip_address: s.address.clone(),
                certificate: cert(CertRole::CallManager, &s.name)?,
            });
        }
        let tftp_host = servers
            .iter()
            .find(|s| ServerRole::parse(&s.role) == Some(ServerRole::Publisher))
            .or(servers.first());
        records.push(Record {
            role: Role::Tftp,
            dns_name: "TFTP".to_owned(),
            ip_address: tftp_host.map(|s| s.address.clone()).unwrap_or_default(),
            certificate: cert(CertRole::Tftp, "TFTP")?,
        });
    }
    records.push(Record {
        role: Role::Capf,
        dns_name: "CAPF".to_owned(),
        ip_address: String::new(),
        certificate: cert(CertRole::Capf, "CAPF")?,
    });
    let body = ctl::encode(&records).map_err(internal)?;
    let dirs = state
        .files
        .as_deref()
        .ok_or_else(|| internal("the TFTP folders are not configured"))?
        .clone();
    let signer = offline_tokens::signer(
        &state.db,
        &dirs,
        &request.tokens[0],
        request.token_file.as_ref(),
    )
    .await?;
    let now = state.clock.now();
    let timestamp = u32::try_from(now.timestamp()).unwrap_or(0);
    let file = sgn::build(
        HeaderKind::Ctl,
        &body,
        CTL_FILE,
        timestamp,
        HashAlgorithm::Sha1,
        &signer.info,
        |data| signer.sign(HashAlgorithm::Sha1, data),
    )
    .map_err(internal)?;

    let txn = state.db.begin().await?;
    let row = cluster::row(&txn)
        .await?
        .ok_or_else(|| internal("the cluster row is missing"))?;
    let before = ClusterSecurityMode::from_key(&row.security_mode);
    if cluster::set_security_mode(&txn, row, request.mode, now)
        .await?
        .is_none()
    {
        return Err(AppError::Conflict(
            "Another CTL operation changed the cluster meanwhile; reload Security > CTL and run \
             it again."
                .to_owned(),
        ));
    }
    let audit_id = audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Update,
            object_type: object::CTL,
            object_name: CTL_FILE,
            before: Some(json!({ "mode": before.label() })),
            after: Some(json!({
                "mode": request.mode.label(),
                "tokens": request.tokens,
                "records": records.len(),
                "signed_with": if request.token_file.is_some() { "token file" } else { "key on the server" },
                "new_signer_confirmed": new_signer,
            })),
            detail: format!(
                "CTL file built with {} records, signed by {}; cluster security mode {}",
                records.len(),
                request.tokens[0],
                request.mode.label()
            ),
        },
    )
    .await?;
    let needed = vec![
        RequiredAction::RestartService {
            server: None,
            service: Service::CallManager,
        },
        RequiredAction::RestartService {
            server: None,
            service: Service::Tftp,
        },
        RequiredAction::ResetAllDevices,
    ];
    // This operation is the "update the CTL file" that added servers asked for (R17).
    actions::complete(&txn, now, &RequiredAction::UpdateCtl).await?;
    let required_actions = actions::record(
        &txn,
        now,
        &needed,
        &format!(
            "CTL file updated; cluster security mode {}",
            request.mode.label()
        ),
        audit_id,
    )
    .await?;
    txn.commit().await?;
    // The file follows the store: should writing it fail, the error is reported and the
    // operation can simply be run again.
    dirs.create().map_err(internal)?;
    atomic_write(&dirs.files, CTL_FILE, &file).map_err(internal)?;
    state.reference.invalidate();
    state.changed.notify_one();
    Ok(CtlResult {
        status: status_now(state).await?,
        required_actions,
    })
}
