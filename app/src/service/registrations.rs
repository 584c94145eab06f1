//! Device registrations: where a device can be reached (its contact), entered by the device
//! itself through `POST /api/v1/registrations` with its device credential, or by an
//! administrator. A device credential is `<device name>.<HMAC-SHA256 of the name>` under the
//! node's registration key (a 0600 file in the keys folder), so the console checks it without
//! storing a secret per device.

use std::net::{IpAddr, Ipv4Addr};

use sea_orm::TransactionTrait;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::audit::{self, Event};
use super::authz::{area, Grant, Reads, Writes};
use super::control;
use super::errors::internal;
use super::AppState;
use crate::domain::audit::{object, AuditAction};
use crate::domain::hex::lower as hex;
use crate::domain::net;
use crate::domain::security::SecurityMode;
use crate::domain::services::Service;
use crate::error::AppError;
use crate::model::jobs::DeviceContact;
use crate::store::contacts::{self, Reported};
use crate::store::entities::device_contacts;
use crate::store::phones;
use crate::tftp::TftpDirs;

/// The key file in the keys folder.
pub const KEY_FILE: &str = "registration.key";
const HMAC_BLOCK: usize = 64;

/// The node's registration key, created (32 random bytes, mode 0600) when missing.
pub fn ensure_key(dirs: &TftpDirs) -> Result<Vec<u8>, AppError> {
    let path = dirs.keys.join(KEY_FILE);
    if !path.exists() {
        dirs.create().map_err(internal)?;
        let mut key = vec![0u8; 32];
        openssl::rand::rand_bytes(&mut key).map_err(internal)?;
        crate::tftp::keys::write_new_private(&path, &key).map_err(internal)?;
    }
    load_key(dirs)
}

/// The node's registration key.
pub fn load_key(dirs: &TftpDirs) -> Result<Vec<u8>, AppError> {
    let key = std::fs::read(dirs.keys.join(KEY_FILE)).map_err(internal)?;
    if key.len() < 16 {
        return Err(internal("the registration key is too short"));
    }
    Ok(key)
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; HMAC_BLOCK];
    if key.len() > HMAC_BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// The registration credential of `device` under `key`.
pub fn credential(key: &[u8], device: &str) -> String {
    format!("{device}.{}", hex(&hmac_sha256(key, device.as_bytes())))
}

/// The device a presented credential belongs to, or `BadCredentials`.
pub fn authenticate(key: &[u8], presented: &str) -> Result<String, AppError> {
    let (device, _) = presented.split_once('.').ok_or(AppError::BadCredentials)?;
    let expected = credential(key, device);
    if expected.len() == presented.len()
        && openssl::memcmp::eq(expected.as_bytes(), presented.as_bytes())
    {
        Ok(device.to_owned())
    } else {
        Err(AppError::BadCredentials)
    }
}

/// A registration, checked field by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The device name.
    pub device: String,
    /// Contact address.
    pub address: String,
    /// Contact port.
    pub port: u16,
    /// What the device reports after fetching its files, if it reports.
    pub report: Option<Report>,
}

/// What a device reports after a reset or restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The security mode it runs with.
    pub running_mode: SecurityMode,
    /// The file it fetched.
    pub config_file: String,
    /// `valid`, `invalid` or `unsigned`.
    pub signature: String,
}

fn text_field<'a>(body: &'a Value, name: &str) -> Result<Option<&'a str>, AppError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(AppError::invalid(name, "must be a string")),
    }
}

fn required<'a>(body: &'a Value, name: &str) -> Result<&'a str, AppError> {
    text_field(body, name)?.ok_or_else(|| AppError::invalid(name, "is required"))
}

/// Checks a registration body (JSON bytes) for the authenticated `device`: every refusal names
/// the field and the reason.
pub fn parse(device: &str, body: &[u8]) -> Result<Registration, AppError> {
    let body: Value = serde_json::from_slice(body)
        .map_err(|e| AppError::invalid("body", format!("is not JSON: {e}")))?;
    if !body.is_object() {
        return Err(AppError::invalid("body", "must be a JSON object"));
    }
    let named = required(&body, "device")?;
    if named != device {
        return Err(AppError::invalid(
            "device",
            "is not the device the credential belongs to",
        ));
    }
    let address = net::ipv4("address", required(&body, "address")?)?.to_string();
    let port = match body.get("port") {
        Some(Value::Number(n)) => net::port("port", n.as_i64().unwrap_or(-1))?,
        None | Some(Value::Null) => return Err(AppError::invalid("port", "is required")),
        Some(_) => return Err(AppError::invalid("port", "must be a number")),
    };
    match text_field(&body, "transport")? {
        None => {}
        Some(t) if t.eq_ignore_ascii_case("udp") => {}
        Some(t) => {
            return Err(AppError::invalid(
                "transport",
                format!("{t:?} is not supported; devices register a UDP contact"),
            ))
        }
    }
    let report = match text_field(&body, "running_mode")? {
        None => None,
        Some(mode) => {
            let running_mode = SecurityMode::parse(mode).ok_or_else(|| {
                AppError::invalid(
                    "running_mode",
                    format!("{mode:?} is not Non Secure, Authenticated or Encrypted"),
                )
            })?;
            let config_file = required(&body, "config_file")?;
            if !crate::tftp::is_served_name(config_file) || config_file.len() > 64 {
                return Err(AppError::invalid("config_file", "is not a file name"));
            }
            let signature = required(&body, "signature")?;
            if !matches!(signature, "valid" | "invalid" | "unsigned") {
                return Err(AppError::invalid(
                    "signature",
                    "must be valid, invalid or unsigned",
                ));
            }
            Some(Report {
                running_mode,
                config_file: config_file.to_owned(),
                signature: signature.to_owned(),
            })
        }
    };
    Ok(Registration {
        device: device.to_owned(),
        address,
        port,
        report,
    })
}

async fn device_id<C: sea_orm::ConnectionTrait>(db: &C, name: &str) -> Result<i32, AppError> {
    phones::find(db, name)
        .await?
        .map(|d| d.id)
        .ok_or_else(|| AppError::NotFound(format!("Device {name}")))
}

/// Refuses (422 naming `address`) a registration that came from `sender` (None: not known) and
/// names a contact the node's [`ContactPolicy`](crate::domain::sip::ContactPolicy) refuses: not
/// the sender's own address (unless the sender is a trusted proxy), or one no NOTIFY may go to.
pub fn check_sender(
    state: &AppState,
    registration: &Registration,
    sender: Option<IpAddr>,
) -> Result<(), AppError> {
    let contact: Ipv4Addr = registration
        .address
        .parse()
        .map_err(|_| AppError::invalid("address", "is not an IPv4 address"))?;
    match state.contact_policy.registration_refusal(contact, sender) {
        Some(reason) => Err(AppError::invalid("address", reason)),
        None => Ok(()),
    }
}

/// Records a device's own registration, sent from `sender` (the client address of the request;
/// see [`check_sender`]). Refused with 503 while Cisco CallManager is not started on this node
/// (it is the service that answers registrations).
pub async fn register(
    state: &AppState,
    registration: &Registration,
    sender: Option<IpAddr>,
) -> Result<(), AppError> {
    check_sender(state, registration, sender)?;
    if !control::started_here(state, Service::CallManager).await? {
        return Err(AppError::Unavailable(
            "Cisco CallManager is not started on this node".to_owned(),
        ));
    }
    let id = device_id(&state.db, &registration.device)
        .await
        .map_err(|_| AppError::BadCredentials)?;
    let report = registration.report.as_ref().map(|r| Reported {
        running_mode: r.running_mode,
        config_file: &r.config_file,
        signature: &r.signature,
    });
    contacts::register(
        &state.db,
        id,
        &registration.address,
        registration.port,
        "device",
        state.clock.now(),
        report,
    )
    .await?;
    Ok(())
}

fn contact_of(row: device_contacts::Model) -> DeviceContact {
    DeviceContact {
        address: row.address,
        port: u16::try_from(row.port).unwrap_or(0),
        transport: row.transport,
        source: row.source,
        last_seen: row.last_seen,
        running_mode: row.running_mode,
        config_file: row.config_file,
        signature: row.signature,
        reported_at: row.reported_at,
        registration: row.registration,
        refusal: row.refusal,
        refused_at: row.refused_at,
        version: row.version,
    }
}

/// The contact of phone `name`, if it has one.
pub async fn contact(
    state: &AppState,
    _grant: &Grant<area::Phone, Reads>,
    name: &str,
) -> Result<Option<DeviceContact>, AppError> {
    let id = device_id(&state.db, name).await?;
    Ok(contacts::get(&state.db, id).await?.map(contact_of))
}

/// An administrator enters (or, with `address` empty, removes) the contact of phone `name`;
/// `version` is the contact's version read (0: none was).
pub async fn set_contact(
    state: &AppState,
    grant: &Grant<area::Phone, Writes>,
    name: &str,
    address: &str,
    port: i64,
    version: i32,
) -> Result<Option<DeviceContact>, AppError> {
    let clear = address.trim().is_empty();
    let checked = if clear {
        None
    } else {
        let ip = net::ipv4("Contact Address", address)?;
        if let Some(reason) = state.contact_policy.refusal(ip) {
            return Err(AppError::invalid("Contact Address", reason));
        }
        Some((ip.to_string(), net::port("Contact Port", port)?))
    };
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let id = device_id(&txn, name).await?;
    let before = contacts::get(&txn, id).await?;
    if before.as_ref().map_or(0, |b| b.version) != version {
        return Err(audit::conflict(&txn, object::PHONE, name).await);
    }
    let who = grant.actor.name.clone().unwrap_or_default();
    // One conditional statement on the version read: a concurrent change is a conflict.
    let saved = match (&checked, before.clone()) {
        (Some((address, port)), Some(row)) => {
            contacts::update(&txn, row, address, *port, &who, now)
                .await?
                .is_some()
        }
        (Some((address, port)), None) => {
            contacts::insert_new(&txn, id, address, *port, &who, now).await?
        }
        (None, Some(row)) => contacts::delete(&txn, id, row.version).await?,
        (None, None) => true,
    };
    if !saved {
        return Err(audit::conflict(&txn, object::PHONE, name).await);
    }
    let show = |c: &Option<device_contacts::Model>| {
        c.as_ref()
            .map(|c| json!({ "address": c.address, "port": c.port }))
    };
    audit::record(
        &txn,
        now,
        &grant.actor,
        Event {
            action: AuditAction::Update,
            object_type: object::PHONE,
            object_name: name,
            before: show(&before),
            after: checked
                .as_ref()
                .map(|(a, p)| json!({ "address": a, "port": p })),
            detail: match &checked {
                Some((a, p)) => format!("Contact of {name} set to {a}:{p}"),
                None => format!("Contact of {name} removed"),
            },
        },
    )
    .await?;
    let after = contacts::get(&txn, id).await?.map(contact_of);
    txn.commit().await?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_authenticates_its_device_only() {
        let key = [7u8; 32];
        let c = credential(&key, "SEP001122334455");
        assert_eq!(authenticate(&key, &c), Ok("SEP001122334455".to_owned()));
        let other = credential(&[8u8; 32], "SEP001122334455");
        assert_eq!(authenticate(&key, &other), Err(AppError::BadCredentials));
        let swapped = c.replace("SEP001122334455", "SEP001122334456");
        assert_eq!(authenticate(&key, &swapped), Err(AppError::BadCredentials));
        assert_eq!(authenticate(&key, "garbage"), Err(AppError::BadCredentials));
    }

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn malformed_registrations_name_the_field() {
        let bad = [
            (&b"not json"[..], "body"),
            (br#"[1]"#, "body"),
            (br#"{"address":"127.0.0.1","port":5060}"#, "device"),
            (br#"{"device":"SEP0","address":"127.0.0.1","port":5060}"#, "device"),
            (br#"{"device":"SEP1","address":"300.0.0.1","port":5060}"#, "address"),
            (br#"{"device":"SEP1","address":"127.0.0.1","port":0}"#, "port"),
            (br#"{"device":"SEP1","address":"127.0.0.1","port":"x"}"#, "port"),
            (br#"{"device":"SEP1","address":"127.0.0.1"}"#, "port"),
            (br#"{"device":"SEP1","address":"127.0.0.1","port":5060,"transport":"tcp"}"#, "transport"),
            (br#"{"device":"SEP1","address":"127.0.0.1","port":5060,"running_mode":"Secure"}"#, "running_mode"),
            (br#"{"device":"SEP1","address":"127.0.0.1","port":5060,"running_mode":"Encrypted","config_file":"../x","signature":"valid"}"#, "config_file"),
            (br#"{"device":"SEP1","address":"127.0.0.1","port":5060,"running_mode":"Encrypted","config_file":"a","signature":"maybe"}"#, "signature"),
        ];
        for (body, field) in bad {
            let err = parse("SEP1", body).unwrap_err();
            assert_eq!(
                err.field(),
                Some(field),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let ok = parse(
            "SEP1",
            br#"{"device":"SEP1","address":"127.0.0.1","port":5060,"transport":"udp","running_mode":"Encrypted","config_file":"SEP1.cnf.xml.sgn","signature":"valid"}"#,
        )
        .unwrap();
        assert_eq!(ok.port, 5060);
        assert_eq!(ok.report.unwrap().running_mode, SecurityMode::Encrypted);
    }
}
