//! System > SRST: SRST references, and their certificates fetched over TLS when "Is SRST Secure?"
//! is saved or "Update Certificate" is clicked. A failed fetch never loses the saved record: the
//! reference is stored first, then the fetch's outcome (certificate or error) beside it.

use std::net::Ipv4Addr;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;

use super::audit::{self, Event};
use super::authz::{area, Grant, Reads, Writes};
use super::certificate_fetch::fetch;
use super::principal::Actor;
use super::AppState;
use crate::domain::actions::RequiredAction;
use crate::domain::audit::{object, AuditAction};
use crate::domain::srst::{validate_srst, SrstFields};
use crate::error::AppError;
use crate::model::system::{SrstCertificate, SrstInfo, SrstSaved};
use crate::store::actions;
use crate::store::entities::{srst_certificates, srst_references};
use crate::store::srst as store;

fn fields_of(row: &srst_references::Model) -> SrstFields {
    SrstFields {
        name: row.name.clone(),
        ip_address: row.ip_address.clone(),
        port: row.port.into(),
        sip_address: row.sip_address.clone().unwrap_or_default(),
        sip_port: row.sip_port.into(),
        is_secure: row.is_secure,
        certificate_provider_port: row.certificate_provider_port.into(),
    }
}

fn info(
    row: &srst_references::Model,
    cert: Option<&srst_certificates::Model>,
    pools: Vec<String>,
    now: DateTime<Utc>,
) -> SrstInfo {
    let certificate = cert.and_then(|c| {
        c.der.as_ref()?;
        let (not_before, not_after) = (c.not_before?, c.not_after?);
        Some(SrstCertificate {
            subject: c.subject.clone().unwrap_or_default(),
            issuer: c.issuer.clone().unwrap_or_default(),
            not_before,
            not_after,
            sha256: c.sha256.clone().unwrap_or_default(),
            valid: store::certificate_valid(c, now),
        })
    });
    let status = match (&certificate, row.is_secure) {
        (_, false) => "Not secure",
        (None, true) => "Secure, no certificate",
        (Some(c), true) if !c.valid => "Secure, certificate not valid",
        (Some(_), true) => "Secure",
    };
    SrstInfo {
        fields: fields_of(row),
        version: row.version,
        status: status.to_owned(),
        certificate,
        certificate_error: cert.and_then(|c| c.error.clone()),
        fetched_at: cert.map(|c| c.fetched_at),
        pools,
    }
}

/// Every SRST reference, by name; `missing_certificate` keeps those marked secure without a valid
/// certificate.
pub async fn list(
    state: &AppState,
    _grant: &Grant<area::System, Reads>,
    missing_certificate: bool,
) -> Result<Vec<SrstInfo>, AppError> {
    let now = state.clock.now();
    let mut out = Vec::new();
    let mut pools_of = store::pools_by_reference(&state.db).await?;
    for (row, cert) in store::all(&state.db).await? {
        let pools = pools_of.remove(&row.id).unwrap_or_default();
        let item = info(&row, cert.as_ref(), pools, now);
        if !missing_certificate
            || (row.is_secure && !item.certificate.as_ref().is_some_and(|c| c.valid))
        {
            out.push(item);
        }
    }
    Ok(out)
}

async fn load<C: ConnectionTrait>(
    db: &C,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(srst_references::Model, SrstInfo), AppError> {
    let row = store::find(db, name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("SRST reference {name}")))?;
    let cert = store::certificate(db, row.id).await?;
    let pools = store::pools_using(db, row.id).await?;
    let shown = info(&row, cert.as_ref(), pools, now);
    Ok((row, shown))
}

/// One SRST reference.
pub async fn get(
    state: &AppState,
    _grant: &Grant<area::System, Reads>,
    name: &str,
) -> Result<SrstInfo, AppError> {
    Ok(load(&state.db, name, state.clock.now()).await?.1)
}

async fn refuse_duplicate<C: ConnectionTrait>(
    db: &C,
    name: &str,
    own_id: Option<i32>,
) -> Result<(), AppError> {
    match store::find(db, name).await? {
        Some(other) if Some(other.id) != own_id => Err(AppError::invalid(
            "SRST Reference Name",
            format!("{name} already exists"),
        )),
        _ => Ok(()),
    }
}

/// Inserts a reference; when it is marked secure, fetches its gateway's certificate.
pub async fn create(
    state: &AppState,
    grant: &Grant<area::System, Writes>,
    fields: SrstFields,
) -> Result<SrstSaved, AppError> {
    validate_srst(&fields)?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    refuse_duplicate(&txn, &fields.name, None).await?;
    store::insert(&txn, &fields).await?;
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Create,
            object_type: object::SRST_REFERENCE,
            object_name: &fields.name,
            before: None,
            after: Some(json!(fields)),
            detail: format!("SRST reference {} inserted", fields.name),
        },
    )
    .await?;
    txn.commit().await?;
    let mut required = Vec::new();
    if fields.is_secure {
        required = fetch_and_store(state, &grant.actor, &fields.name).await?;
    }
    finish(state, &fields.name, required).await
}

/// Updates a reference read at `version`. Changing its security requires resetting the devices
/// that depend on it (R10); a secure reference whose gateway changed, or that has no certificate
/// yet, fetches the certificate again.
pub async fn update(
    state: &AppState,
    grant: &Grant<area::System, Writes>,
    name: &str,
    fields: SrstFields,
    version: i32,
) -> Result<SrstSaved, AppError> {
    validate_srst(&fields)?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let (row, before) = load(&txn, name, now).await?;
    if row.version != version {
        return Err(audit::conflict(&txn, object::SRST_REFERENCE, name).await);
    }
    refuse_duplicate(&txn, &fields.name, Some(row.id)).await?;
    let gateway_changed = before.fields.ip_address != fields.ip_address.trim()
        || before.fields.certificate_provider_port != fields.certificate_provider_port;
    if gateway_changed {
        store::forget_certificate(&txn, row.id).await?;
    }
    if !store::update(&txn, row, &fields, version).await? {
        return Err(audit::conflict(&txn, object::SRST_REFERENCE, name).await);
    }
    let audit_id = audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Update,
            object_type: object::SRST_REFERENCE,
            object_name: name,
            before: Some(json!(before.fields)),
            after: Some(json!(fields)),
            detail: format!("SRST reference {name} updated"),
        },
    )
    .await?;
    let security_changed =
        before.fields.is_secure != fields.is_secure || (fields.is_secure && gateway_changed);
    let mut required = Vec::new();
    if security_changed && !before.pools.is_empty() {
        required = actions::record(
            &txn,
            now,
            &[RequiredAction::ResetSrstDependents(fields.name.clone())],
            &format!("Security of SRST reference {} changed", fields.name),
            audit_id,
        )
        .await?;
    }
    txn.commit().await?;
    state.reference.invalidate();
    let needs_certificate = before.certificate.is_none() || gateway_changed;
    if fields.is_secure && (security_changed || needs_certificate) {
        required.extend(fetch_and_store(state, &grant.actor, &fields.name).await?);
    }
    finish(state, &fields.name, required).await
}

/// Fetches the certificate of a reference again ("Update Certificate").
pub async fn update_certificate(
    state: &AppState,
    grant: &Grant<area::System, Writes>,
    name: &str,
) -> Result<SrstSaved, AppError> {
    let required = fetch_and_store(state, &grant.actor, name).await?;
    finish(state, name, required).await
}

async fn finish(
    state: &AppState,
    name: &str,
    required_actions: Vec<String>,
) -> Result<SrstSaved, AppError> {
    state.reference.invalidate();
    let (_, reference) = load(&state.db, name, state.clock.now()).await?;
    Ok(SrstSaved {
        reference,
        required_actions,
    })
}

/// Fetches the gateway's certificate (no transaction is open meanwhile) and stores the outcome.
/// A certificate that differs from the stored one requires resetting the dependent devices, whose
/// config files carry it (R9, R10).
async fn fetch_and_store(
    state: &AppState,
    actor: &Actor,
    name: &str,
) -> Result<Vec<String>, AppError> {
    let (row, before) = load(&state.db, name, state.clock.now()).await?;
    let address: Ipv4Addr = row
        .ip_address
        .parse()
        .map_err(|_| AppError::invalid("IP Address", "is not an IPv4 address"))?;
    let port = u16::try_from(row.certificate_provider_port).unwrap_or_default();
    let outcome = fetch(address, port).await;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let (record, detail) = match &outcome {
        Ok(cert) => (
            Ok(store::Fetched {
                der: cert.der.clone(),
                subject: cert.subject.clone(),
                issuer: cert.issuer.clone(),
                not_before: cert.not_before,
                not_after: cert.not_after,
                sha256: cert.sha256.clone(),
            }),
            format!(
                "Certificate of SRST reference {name} fetched: {} (SHA-256 {})",
                cert.subject, cert.sha256
            ),
        ),
        Err(e) => (
            Err(e.to_string()),
            format!("Certificate of SRST reference {name} not fetched: {e}"),
        ),
    };
    store::put_certificate(&txn, row.id, record, now).await?;
    let audit_id = audit::record(
        &txn,
        now,
        actor,
        Event {
            action: AuditAction::Update,
            object_type: object::SRST_REFERENCE,
            object_name: name,
            before: before
                .certificate
                .as_ref()
                .map(|c| json!({ "sha256": c.sha256 })),
            after: outcome.as_ref().ok().map(|c| json!({ "sha256": c.sha256 })),
            detail,
        },
    )
    .await?;
    let changed = match (&outcome, &before.certificate) {
        (Ok(new), Some(old)) => new.sha256 != old.sha256,
        (Ok(_), None) => true,
        (Err(_), _) => false,
    };
    let mut required = Vec::new();
    if changed && row.is_secure && !before.pools.is_empty() {
        required = actions::record(
            &txn,
            now,
            &[RequiredAction::ResetSrstDependents(name.to_owned())],
            &format!("Certificate of SRST reference {name} changed"),
            audit_id,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(required)
}

/// Deletes a reference read at `version`; refused while device pools use it.
pub async fn delete(
    state: &AppState,
    grant: &Grant<area::System, Writes>,
    name: &str,
    version: Option<i32>,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let (row, before) = load(&txn, name, now).await?;
    if version.is_some_and(|v| v != row.version) {
        return Err(audit::conflict(&txn, object::SRST_REFERENCE, name).await);
    }
    if !before.pools.is_empty() {
        return Err(AppError::InUse(format!(
            "SRST reference {name} is used by device pool{} {}. Choose another SRST reference for \
             {} first.",
            if before.pools.len() == 1 { "" } else { "s" },
            before.pools.join(", "),
            if before.pools.len() == 1 {
                "it"
            } else {
                "them"
            },
        )));
    }
    if !store::delete(&txn, row.id, version).await? {
        return Err(audit::conflict(&txn, object::SRST_REFERENCE, name).await);
    }
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Delete,
            object_type: object::SRST_REFERENCE,
            object_name: name,
            before: Some(json!(before.fields)),
            after: None,
            detail: format!("SRST reference {name} deleted"),
        },
    )
    .await?;
    txn.commit().await?;
    state.reference.invalidate();
    Ok(())
}
