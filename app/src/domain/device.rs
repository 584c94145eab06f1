//! The fields of Device > Phone > Phone Configuration (`PAGES.md`) and their validation, the same
//! in the browser and on the server.

use serde::{Deserialize, Serialize};

use super::security::{BuiltInBridge, Capabilities, ConfiguredMode, Hardening};
use crate::error::AppError;

/// The signalling protocol of a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Protocol {
    /// Skinny.
    Sccp,
    /// SIP.
    Sip,
}

impl Protocol {
    /// The label (also the stored name).
    pub fn label(self) -> &'static str {
        match self {
            Protocol::Sccp => "SCCP",
            Protocol::Sip => "SIP",
        }
    }

    /// The protocol with that label.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "SCCP" => Some(Protocol::Sccp),
            "SIP" => Some(Protocol::Sip),
            _ => None,
        }
    }
}

/// The pending CAPF certificate operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CertificateOperation {
    /// Nothing pending.
    NoPendingOperation,
    /// Install or upgrade the LSC.
    InstallUpgrade,
    /// Delete the LSC.
    Delete,
    /// Report the certificates.
    Troubleshoot,
}

impl CertificateOperation {
    /// Every choice.
    pub const ALL: [CertificateOperation; 4] = [
        CertificateOperation::NoPendingOperation,
        CertificateOperation::InstallUpgrade,
        CertificateOperation::Delete,
        CertificateOperation::Troubleshoot,
    ];

    /// The label (also the stored name).
    pub fn label(self) -> &'static str {
        match self {
            CertificateOperation::NoPendingOperation => "No Pending Operation",
            CertificateOperation::InstallUpgrade => "Install/Upgrade",
            CertificateOperation::Delete => "Delete",
            CertificateOperation::Troubleshoot => "Troubleshoot",
        }
    }

    /// The choice with that label.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.label() == text)
    }
}

/// How the phone authenticates to CAPF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuthenticationMode {
    /// The user types the authentication string on the phone.
    ByAuthenticationString,
    /// No authentication.
    ByNullString,
    /// The existing LSC, else the MIC.
    ByExistingCertificateLsc,
    /// The existing MIC, else the LSC.
    ByExistingCertificateMic,
}

impl AuthenticationMode {
    /// Every choice.
    pub const ALL: [AuthenticationMode; 4] = [
        AuthenticationMode::ByAuthenticationString,
        AuthenticationMode::ByNullString,
        AuthenticationMode::ByExistingCertificateLsc,
        AuthenticationMode::ByExistingCertificateMic,
    ];

    /// The label (also the stored name).
    pub fn label(self) -> &'static str {
        match self {
            AuthenticationMode::ByAuthenticationString => "By Authentication String",
            AuthenticationMode::ByNullString => "By Null String",
            AuthenticationMode::ByExistingCertificateLsc => {
                "By Existing Certificate (Precedence to LSC)"
            }
            AuthenticationMode::ByExistingCertificateMic => {
                "By Existing Certificate (Precedence to MIC)"
            }
        }
    }

    /// The choice with that label.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.label() == text)
    }
}

/// The CAPF key sizes a phone can generate.
pub const KEY_SIZES: [u32; 3] = [512, 1024, 2048];
/// The longest description.
pub const DESCRIPTION_MAX_CHARS: usize = 128;

/// The editable fields of a phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneFields {
    /// `SEP` and the MAC address (12 hex digits).
    pub name: String,
    /// Free text.
    pub description: String,
    /// The phone model's name.
    pub model: String,
    /// SCCP or SIP.
    pub protocol: Protocol,
    /// The device pool's name.
    pub device_pool: String,
    /// Device Security Mode.
    pub security_mode: ConfiguredMode,
    /// Built In Bridge.
    pub built_in_bridge: BuiltInBridge,
    /// Certificate Operation (CAPF).
    pub certificate_operation: CertificateOperation,
    /// Authentication Mode (CAPF).
    pub authentication_mode: AuthenticationMode,
    /// Authentication String: 4–10 digits.
    pub authentication_string: String,
    /// Key Size (Bits).
    pub key_size: u32,
    /// Operation Completes By: the deadline of the pending operation; `None` for the default
    /// (now + "CAPF Operation Expires in (days)").
    #[serde(default)]
    pub operation_completes_by: Option<chrono::DateTime<chrono::Utc>>,
    /// Phone hardening.
    pub hardening: Hardening,
}

impl PhoneFields {
    /// A new phone's defaults (`PAGES.md`).
    pub fn new(name: &str, model: &str, device_pool: &str) -> Self {
        Self {
            name: name.to_owned(),
            description: String::new(),
            model: model.to_owned(),
            protocol: Protocol::Sccp,
            device_pool: device_pool.to_owned(),
            security_mode: ConfiguredMode::UseSystemDefault,
            built_in_bridge: BuiltInBridge::Default,
            certificate_operation: CertificateOperation::NoPendingOperation,
            authentication_mode: AuthenticationMode::ByNullString,
            authentication_string: String::new(),
            key_size: 1024,
            operation_completes_by: None,
            hardening: Hardening::default(),
        }
    }
}

/// Checks a phone's name: `SEP` and 12 hex digits.
pub fn validate_device_name(name: &str) -> Result<(), AppError> {
    let field = "Device Name";
    let Some(mac) = name.strip_prefix("SEP") else {
        return Err(AppError::invalid(
            field,
            "must be SEP followed by the 12 hex digits of the MAC address",
        ));
    };
    if mac.len() != 12 || !mac.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(AppError::invalid(
            field,
            format!("{mac:?} is not a MAC address: 12 hex digits are required after SEP"),
        ));
    }
    if mac.chars().any(|c| c.is_ascii_lowercase()) {
        return Err(AppError::invalid(
            field,
            "write the MAC address in upper case",
        ));
    }
    Ok(())
}

/// Checks an authentication string: 4 to 10 digits.
pub fn validate_authentication_string(text: &str) -> Result<(), AppError> {
    let ok = (4..=10).contains(&text.len()) && text.chars().all(|c| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            "Authentication String",
            "must be 4 to 10 digits",
        ))
    }
}

/// Checks the name of a device that is not a phone (CTI port, gateway, …): 1 to 50 letters,
/// digits and `._-`.
pub fn validate_other_device_name(name: &str) -> Result<(), AppError> {
    let ok = (1..=50).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            "Device Name",
            "must be 1 to 50 letters, digits and . _ -",
        ))
    }
}

/// Checks every field against the rules that need no store lookup; `caps` are the model's.
pub fn validate_phone(
    fields: &PhoneFields,
    caps: &Capabilities,
    sccp: bool,
    sip: bool,
) -> Result<(), AppError> {
    if caps.class == super::security::DeviceClass::Phone {
        validate_device_name(&fields.name)?;
    } else {
        validate_other_device_name(&fields.name)?;
    }
    if fields.description.chars().count() > DESCRIPTION_MAX_CHARS {
        return Err(AppError::invalid(
            "Description",
            format!("must be at most {DESCRIPTION_MAX_CHARS} characters"),
        ));
    }
    if fields.description.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "Description",
            "must not hold control characters (line breaks, tabs, NUL)",
        ));
    }
    let speaks = match fields.protocol {
        Protocol::Sccp => sccp,
        Protocol::Sip => sip,
    };
    if !speaks {
        return Err(AppError::invalid(
            "Device Protocol",
            format!(
                "the model {} does not speak {}",
                fields.model,
                fields.protocol.label()
            ),
        ));
    }
    if let Some(reason) = super::security::refuse_mode(fields.security_mode, caps) {
        return Err(AppError::invalid("Device Security Mode", reason));
    }
    if !KEY_SIZES.contains(&fields.key_size) {
        return Err(AppError::invalid(
            "Key Size (Bits)",
            "must be 512, 1024 or 2048",
        ));
    }
    let needs_string = fields.authentication_mode == AuthenticationMode::ByAuthenticationString
        && fields.certificate_operation != CertificateOperation::NoPendingOperation;
    if needs_string || !fields.authentication_string.is_empty() {
        validate_authentication_string(&fields.authentication_string)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::security::{SecurityMode, STANDARD_MODELS};

    fn caps(name: &str) -> Capabilities {
        STANDARD_MODELS
            .iter()
            .find(|m| m.name == name)
            .unwrap()
            .caps
    }

    fn fields() -> PhoneFields {
        PhoneFields::new("SEP001122AABBCC", "Cisco 7970", "Default")
    }

    #[test]
    fn a_description_holds_no_control_characters() {
        let c = caps("Cisco 7970");
        for bad in ["line\nbreak", "nul\u{0}", "tab\there"] {
            let f = PhoneFields {
                description: bad.into(),
                ..fields()
            };
            let err = validate_phone(&f, &c, true, true).unwrap_err();
            assert_eq!(err.field(), Some("Description"), "{bad:?}");
        }
    }

    #[test]
    fn device_names_are_sep_and_a_mac() {
        assert!(validate_device_name("SEP001122AABBCC").is_ok());
        for bad in [
            "001122AABBCC",
            "SEP001122AABBC",
            "SEP001122AABBCG",
            "SEP001122aabbcc",
            "SEP",
        ] {
            assert_eq!(
                validate_device_name(bad).unwrap_err().field(),
                Some("Device Name"),
                "{bad}"
            );
        }
    }

    #[test]
    fn authentication_string_is_four_to_ten_digits() {
        for ok in ["1234", "1234567890"] {
            assert!(validate_authentication_string(ok).is_ok());
        }
        for bad in ["123", "12345678901", "12a4", ""] {
            assert!(validate_authentication_string(bad).is_err(), "{bad}");
        }
        let mut f = fields();
        f.authentication_mode = AuthenticationMode::ByAuthenticationString;
        f.certificate_operation = CertificateOperation::InstallUpgrade;
        let err = validate_phone(&f, &caps("Cisco 7970"), true, true).unwrap_err();
        assert_eq!(err.field(), Some("Authentication String"));
    }

    #[test]
    fn key_size_must_be_one_of_three() {
        let mut f = fields();
        f.key_size = 4096;
        assert_eq!(
            validate_phone(&f, &caps("Cisco 7970"), true, true)
                .unwrap_err()
                .field(),
            Some("Key Size (Bits)")
        );
    }

    #[test]
    fn r7_a_model_without_encryption_cannot_be_set_to_encrypted() {
        let mut f = fields();
        f.model = "Cisco 7912".into();
        f.security_mode = ConfiguredMode::Explicit(SecurityMode::Encrypted);
        let err = validate_phone(&f, &caps("Cisco 7912"), true, true).unwrap_err();
        assert_eq!(err.field(), Some("Device Security Mode"));
    }

    #[test]
    fn protocol_must_be_one_the_model_speaks() {
        let mut f = fields();
        f.protocol = Protocol::Sip;
        assert_eq!(
            validate_phone(&f, &caps("CTI Port"), true, false)
                .unwrap_err()
                .field(),
            Some("Device Protocol")
        );
    }
}
