//! System > SRST > SRST Reference Configuration (`PAGES.md`): its fields, their validation, and
//! when a phone may use its SRST gateway securely (R9).

use serde::{Deserialize, Serialize};

use super::net::{ipv4, port, record_name};
use super::security::{ClusterSecurityMode, SecurityMode};
use crate::error::AppError;

/// Default SCCP port of an SRST gateway.
pub const DEFAULT_PORT: i64 = 2000;
/// Default SIP port of an SRST gateway.
pub const DEFAULT_SIP_PORT: i64 = 5060;
/// Default SRST certificate provider port (assumed in `PAGES.md`).
pub const DEFAULT_CERTIFICATE_PROVIDER_PORT: i64 = 2445;
/// Longest SRST reference name.
pub const NAME_MAX: usize = 50;

/// The fields an administrator sets on an SRST reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SrstFields {
    /// SRST Reference Name: required, unique.
    pub name: String,
    /// IP Address (IPv4).
    pub ip_address: String,
    /// Port.
    #[serde(default = "default_port")]
    pub port: i64,
    /// SIP Network/IP Address; empty for none.
    #[serde(default)]
    pub sip_address: String,
    /// SIP Port.
    #[serde(default = "default_sip_port")]
    pub sip_port: i64,
    /// Is SRST Secure?
    #[serde(default)]
    pub is_secure: bool,
    /// SRST Certificate Provider Port.
    #[serde(default = "default_certificate_provider_port")]
    pub certificate_provider_port: i64,
}

fn default_port() -> i64 {
    DEFAULT_PORT
}

fn default_sip_port() -> i64 {
    DEFAULT_SIP_PORT
}

fn default_certificate_provider_port() -> i64 {
    DEFAULT_CERTIFICATE_PROVIDER_PORT
}

impl SrstFields {
    /// A new reference with the page's defaults.
    pub fn new(name: &str, ip_address: &str) -> Self {
        Self {
            name: name.to_owned(),
            ip_address: ip_address.to_owned(),
            port: DEFAULT_PORT,
            sip_address: String::new(),
            sip_port: DEFAULT_SIP_PORT,
            is_secure: false,
            certificate_provider_port: DEFAULT_CERTIFICATE_PROVIDER_PORT,
        }
    }
}

/// Checks every field; the first refusal names its field.
pub fn validate_srst(f: &SrstFields) -> Result<(), AppError> {
    record_name("SRST Reference Name", &f.name, NAME_MAX)?;
    ipv4("IP Address", &f.ip_address)?;
    port("Port", f.port)?;
    if !f.sip_address.trim().is_empty() {
        ipv4("SIP Network/IP Address", &f.sip_address)?;
    }
    port("SIP Port", f.sip_port)?;
    port(
        "SRST Certificate Provider Port",
        f.certificate_provider_port,
    )?;
    Ok(())
}

/// What R9 needs to know of the SRST reference a device's pool uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SrstStatus {
    /// The reference's name.
    pub name: String,
    /// Is SRST Secure? is checked.
    pub is_secure: bool,
    /// A certificate is stored and valid now.
    pub certificate_valid: bool,
}

/// Whether a certificate valid from `not_before` until `not_after` is valid at `now` — R9's
/// "a valid SRST certificate": both bounds known, and `now` within them. The pages, the phone
/// files and the dashboard all judge it here.
pub fn certificate_valid_at(
    not_before: Option<chrono::DateTime<chrono::Utc>>,
    not_after: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    not_before.is_some_and(|t| t <= now) && not_after.is_some_and(|t| now <= t)
}

/// Whether a device uses its SRST gateway securely, and why (or why not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecureSrst {
    /// All four conditions of R9 hold.
    pub secure: bool,
    /// The reason, in words.
    pub reason: String,
}

/// R9: a phone tries a secure connection to its SRST gateway only when the cluster is Mixed, the
/// device security mode in its file is Authenticated or Encrypted, "Is SRST Secure?" is checked on
/// the reference and a valid SRST certificate is in its file.
pub fn secure_srst(
    cluster: ClusterSecurityMode,
    effective: SecurityMode,
    reference: Option<&SrstStatus>,
) -> SecureSrst {
    let no = |reason: String| SecureSrst {
        secure: false,
        reason: format!("{reason} (R9)"),
    };
    let Some(r) = reference else {
        return no("its device pool uses no SRST reference".to_owned());
    };
    if cluster != ClusterSecurityMode::Mixed {
        return no("the cluster is Non Secure".to_owned());
    }
    if effective == SecurityMode::NonSecure {
        return no("the device's effective security mode is Non Secure".to_owned());
    }
    if !r.is_secure {
        return no(format!("SRST reference {} is not marked secure", r.name));
    }
    if !r.certificate_valid {
        return no(format!(
            "SRST reference {} has no valid certificate",
            r.name
        ));
    }
    SecureSrst {
        secure: true,
        reason: format!(
            "cluster Mixed, device {}, {} secure with a valid certificate (R9)",
            effective.label(),
            r.name
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(secure: bool, valid: bool) -> SrstStatus {
        SrstStatus {
            name: "Branch-1".into(),
            is_secure: secure,
            certificate_valid: valid,
        }
    }

    #[test]
    fn r9_secure_only_when_all_four_conditions_hold() {
        use ClusterSecurityMode::{Mixed, NonSecure};
        use SecurityMode::{Authenticated, Encrypted, NonSecure as Plain};
        let ok = status(true, true);
        assert!(secure_srst(Mixed, Authenticated, Some(&ok)).secure);
        assert!(secure_srst(Mixed, Encrypted, Some(&ok)).secure);
        assert!(!secure_srst(NonSecure, Encrypted, Some(&ok)).secure);
        assert!(!secure_srst(Mixed, Plain, Some(&ok)).secure);
        assert!(!secure_srst(Mixed, Encrypted, Some(&status(false, true))).secure);
        assert!(!secure_srst(Mixed, Encrypted, Some(&status(true, false))).secure);
        assert!(!secure_srst(Mixed, Encrypted, None).secure);
        let why = secure_srst(NonSecure, Encrypted, Some(&ok)).reason;
        assert!(why.contains("Non Secure") && why.contains("R9"));
    }

    #[test]
    fn srst_fields_are_validated_by_field() {
        let good = SrstFields::new("Branch-1", "10.1.1.1");
        assert!(validate_srst(&good).is_ok());
        let bad_ip = SrstFields {
            ip_address: "10.1.1".into(),
            ..good.clone()
        };
        assert_eq!(
            validate_srst(&bad_ip).unwrap_err().field(),
            Some("IP Address")
        );
        let bad_port = SrstFields {
            certificate_provider_port: 70_000,
            ..good.clone()
        };
        assert_eq!(
            validate_srst(&bad_port).unwrap_err().field(),
            Some("SRST Certificate Provider Port")
        );
        let bad_sip = SrstFields {
            sip_address: "gateway".into(),
            ..good.clone()
        };
        assert_eq!(
            validate_srst(&bad_sip).unwrap_err().field(),
            Some("SIP Network/IP Address")
        );
        let no_name = SrstFields {
            name: " ".into(),
            ..good
        };
        assert_eq!(
            validate_srst(&no_name).unwrap_err().field(),
            Some("SRST Reference Name")
        );
    }
}
