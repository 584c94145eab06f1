//! The CTL file (`CTLFile.tlv`, `FORMATS.md`): a CTL header (version 1.2) signed by a security
//! token listed in the file, then one record per trusted certificate.

use super::keys::{self, KeyError};
use super::tlv::{c_string, elements, put, text_of, FormatError};

/// A record's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// A security token (SAST): signs the CTL file.
    Sast,
    /// A CallManager server.
    CallManager,
    /// A server running both.
    CallManagerTftp,
    /// The TFTP signing identity.
    Tftp,
    /// The certificate authority proxy function.
    Capf,
}

impl Role {
    /// The 2-byte role code.
    pub fn code(self) -> u16 {
        match self {
            Role::Sast => 0,
            Role::CallManager => 1,
            Role::CallManagerTftp => 2,
            Role::Tftp => 3,
            Role::Capf => 4,
        }
    }

    /// The role of a code.
    pub fn from_code(code: u16) -> Option<Self> {
        [
            Role::Sast,
            Role::CallManager,
            Role::CallManagerTftp,
            Role::Tftp,
            Role::Capf,
        ]
        .into_iter()
        .find(|r| r.code() == code)
    }

    /// The role's name.
    pub fn label(self) -> &'static str {
        match self {
            Role::Sast => "SAST",
            Role::CallManager => "CallManager",
            Role::CallManagerTftp => "CallManager+TFTP",
            Role::Tftp => "TFTP",
            Role::Capf => "CAPF",
        }
    }
}

/// One trusted certificate of the CTL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its role.
    pub role: Role,
    /// DNS name (or server name).
    pub dns_name: String,
    /// IP address, if it has one.
    pub ip_address: String,
    /// The certificate (DER).
    pub certificate: Vec<u8>,
}

mod tag {
    pub const RECORD_LENGTH: u8 = 1;
    pub const DNS_NAME: u8 = 2;
    pub const SUBJECT: u8 = 3;
    pub const ROLE: u8 = 4;
    pub const ISSUER: u8 = 5;
    pub const SERIAL: u8 = 6;
    pub const PUBLIC_KEY: u8 = 7;
    pub const SIGNATURE: u8 = 8;
    pub const CERTIFICATE: u8 = 9;
    pub const IP_ADDRESS: u8 = 10;
    pub const CERTIFICATE_HASH: u8 = 11;
    pub const HASH_ALGORITHM: u8 = 12;
}

/// The records' bytes, in order.
pub fn encode(records: &[Record]) -> Result<Vec<u8>, CtlError> {
    let mut out = Vec::new();
    for r in records {
        let facts = keys::certificate_facts(&r.certificate)?;
        let mut body = Vec::new();
        put(&mut body, tag::DNS_NAME, &c_string(&r.dns_name))?;
        put(&mut body, tag::SUBJECT, &c_string(&facts.subject))?;
        put(&mut body, tag::ROLE, &r.role.code().to_be_bytes())?;
        put(&mut body, tag::ISSUER, &c_string(&facts.issuer))?;
        put(&mut body, tag::SERIAL, &facts.serial)?;
        put(
            &mut body,
            tag::PUBLIC_KEY,
            &keys::rsa_public_pkcs1(&r.certificate)?,
        )?;
        put(
            &mut body,
            tag::SIGNATURE,
            &keys::certificate_signature(&r.certificate)?,
        )?;
        put(&mut body, tag::CERTIFICATE, &r.certificate)?;
        put(&mut body, tag::IP_ADDRESS, &c_string(&r.ip_address))?;
        put(
            &mut body,
            tag::CERTIFICATE_HASH,
            &openssl::sha::sha1(&r.certificate),
        )?;
        put(&mut body, tag::HASH_ALGORITHM, &[1])?;
        let total = body.len() + 5;
        let total =
            u16::try_from(total).map_err(|_| FormatError::TooLong(tag::RECORD_LENGTH, total))?;
        put(&mut out, tag::RECORD_LENGTH, &total.to_be_bytes())?;
        out.extend_from_slice(&body);
    }
    Ok(out)
}

/// A record read back, with the facts `verify` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedRecord {
    /// Its role.
    pub role: Role,
    /// DNS name.
    pub dns_name: String,
    /// Subject.
    pub subject: String,
    /// Issuer.
    pub issuer: String,
    /// Serial number bytes.
    pub serial: Vec<u8>,
    /// IP address.
    pub ip_address: String,
    /// The certificate (DER).
    pub certificate: Vec<u8>,
}

/// Reads the records after a CTL header.
pub fn decode(bytes: &[u8]) -> Result<Vec<DecodedRecord>, FormatError> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let head = elements(bytes, at, (at + 5).min(bytes.len()))?;
        let first = head
            .first()
            .filter(|e| e.tag == tag::RECORD_LENGTH && e.end - e.value_start == 2)
            .ok_or_else(|| FormatError::Malformed(format!("no record starts at byte {at}")))?;
        let len = usize::from(u16::from_be_bytes([
            bytes[first.value_start],
            bytes[first.value_start + 1],
        ]));
        let end = at + len;
        if len < 5 || end > bytes.len() {
            return Err(FormatError::Truncated(at));
        }
        let fields = elements(bytes, at + 5, end)?;
        let get = |t: u8| {
            fields
                .iter()
                .find(|e| e.tag == t)
                .map(|e| &bytes[e.value_start..e.end])
        };
        let role_bytes = get(tag::ROLE).ok_or(FormatError::Missing("role"))?;
        let role = match role_bytes {
            [a, b] => Role::from_code(u16::from_be_bytes([*a, *b])),
            _ => None,
        }
        .ok_or_else(|| FormatError::Malformed("a record's role is unknown".to_owned()))?;
        out.push(DecodedRecord {
            role,
            dns_name: get(tag::DNS_NAME).map(text_of).unwrap_or_default(),
            subject: get(tag::SUBJECT).map(text_of).unwrap_or_default(),
            issuer: get(tag::ISSUER).map(text_of).unwrap_or_default(),
            serial: get(tag::SERIAL).unwrap_or_default().to_vec(),
            ip_address: get(tag::IP_ADDRESS).map(text_of).unwrap_or_default(),
            certificate: get(tag::CERTIFICATE)
                .ok_or(FormatError::Missing("certificate"))?
                .to_vec(),
        });
        at = end;
    }
    Ok(out)
}

/// Why a CTL file could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CtlError {
    /// The records do not fit the format.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// A certificate could not be read.
    #[error(transparent)]
    Key(#[from] KeyError),
}
