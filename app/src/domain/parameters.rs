//! Enterprise parameters (System) and service parameters (Service) of `PAGES.md`: what each one
//! is, what values it takes, its default, and what updating it brings — the R5 message and the
//! actions R10 requires. The page validates with these definitions as the admin types; the server
//! validates with the same ones on save.

use serde::{Deserialize, Serialize};

use super::access::OVERLAP_POLICY_PARAMETER;
use super::actions::RequiredAction;
use super::security::R5_MESSAGE;
use super::services::Service;

/// What values a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// One of these (stored value, label) pairs.
    Choice(&'static [(&'static str, &'static str)]),
    /// A whole number in `min..=max`, shown with `unit`.
    Integer {
        /// Lowest value.
        min: i64,
        /// Highest value.
        max: i64,
        /// Unit after the input, e.g. "days".
        unit: &'static str,
    },
    /// A folder path (may be empty).
    Path,
}

/// One parameter: its stored name, its label and section on the page, its values and default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParameterDef {
    /// Stored name, also used in the JSON API.
    pub name: &'static str,
    /// The label the page shows.
    pub label: &'static str,
    /// The page section it is listed under.
    pub section: &'static str,
    /// Its values.
    pub kind: ValueKind,
    /// Its default (a stored value).
    pub default: &'static str,
    /// One line of help.
    pub help: &'static str,
}

impl ParameterDef {
    /// `value` checked and normalised, or the reason it is refused.
    pub fn check(&self, value: &str) -> Result<String, String> {
        let value = value.trim();
        match self.kind {
            ValueKind::Choice(options) => options
                .iter()
                .find(|(stored, label)| *stored == value || *label == value)
                .map(|(stored, _)| (*stored).to_owned())
                .ok_or_else(|| {
                    let labels: Vec<&str> = options.iter().map(|(_, l)| *l).collect();
                    format!("must be one of {}", labels.join(", "))
                }),
            ValueKind::Integer { min, max, unit } => {
                let n: i64 = value
                    .parse()
                    .map_err(|_| format!("{value:?} is not a whole number"))?;
                if (min..=max).contains(&n) {
                    Ok(n.to_string())
                } else {
                    Err(format!("must be from {min} to {max} {unit}")
                        .trim_end()
                        .to_owned())
                }
            }
            ValueKind::Path => {
                if value.len() > 255 {
                    Err("must be at most 255 characters".to_owned())
                } else if value.chars().any(char::is_control) {
                    Err("must not contain control characters".to_owned())
                } else {
                    Ok(value.to_owned())
                }
            }
        }
    }

    /// The label of a stored value (the value itself when it is not a choice).
    pub fn label_of(&self, value: &str) -> String {
        match self.kind {
            ValueKind::Choice(options) => options
                .iter()
                .find(|(stored, _)| *stored == value)
                .map_or(value, |(_, label)| label)
                .to_owned(),
            _ => value.to_owned(),
        }
    }
}

/// Enterprise parameter: what "Use System Default" means.
pub const DEVICE_SECURITY_MODE: &str = "DeviceSecurityMode";
/// Enterprise parameter: the CAPF phone port.
pub const CAPF_PHONE_PORT: &str = "CapfPhonePort";
/// CAPF service parameter: the key size new operations ask for.
pub const CAPF_KEY_SIZE: &str = "KeySize";
/// CAPF service parameter: minutes a phone has to generate its key.
pub const CAPF_KEY_GENERATION_MINUTES: &str = "MaxKeyGenerationMinutes";
/// CAPF service parameter: years an issued LSC is valid.
pub const CAPF_VALIDITY_YEARS: &str = "CertificateValidityYears";
/// CAPF service parameter: sessions served at once (R19).
pub const CAPF_MAX_SESSIONS: &str = "MaxConcurrentSessions";
/// CAPF service parameter: the hour the operations window opens ("" = any time).
pub const CAPF_WINDOW_START: &str = "OperationWindowStart";
/// CAPF service parameter: the hour the operations window closes.
pub const CAPF_WINDOW_END: &str = "OperationWindowEnd";
/// Enterprise parameter: days a CAPF operation has to complete.
pub const CAPF_OPERATION_EXPIRES_DAYS: &str = "CapfOperationExpiresDays";
/// Enterprise parameter: the hash of the TFTP file signatures.
pub const TFTP_SIGNATURE_ALGORITHM: &str = "TftpFileSignatureAlgorithm";
/// Enterprise parameter: this cluster's TFTP path (R3).
pub const TFTP_PATH: &str = "TftpPath";
/// Enterprise parameter: this cluster's alternate TFTP path (R3).
pub const ALTERNATE_TFTP_PATH: &str = "AlternateTftpPath";

const SECURITY_MODES: &[(&str, &str)] = &[
    ("non_secure", "Non Secure"),
    ("authenticated", "Authenticated"),
    ("encrypted", "Encrypted"),
];
const PORT: ValueKind = ValueKind::Integer {
    min: 1,
    max: 65_535,
    unit: "",
};

/// The enterprise parameters the console keeps (the security part of `PAGES.md`, the signature
/// algorithm of the signing issue, the TFTP paths of R3, and the MLA policy).
pub const ENTERPRISE: &[ParameterDef] = &[
    ParameterDef {
        name: DEVICE_SECURITY_MODE,
        label: "Device Security Mode",
        section: "Security Parameters",
        kind: ValueKind::Choice(SECURITY_MODES),
        default: "non_secure",
        help: "What \"Use System Default\" means on a phone.",
    },
    ParameterDef {
        name: CAPF_PHONE_PORT,
        label: "CAPF Phone Port",
        section: "Security Parameters",
        kind: PORT,
        default: "3804",
        help: "The port phones use to reach CAPF.",
    },
    ParameterDef {
        name: CAPF_OPERATION_EXPIRES_DAYS,
        label: "CAPF Operation Expires in (days)",
        section: "Security Parameters",
        kind: ValueKind::Integer {
            min: 1,
            max: 365,
            unit: "days",
        },
        default: "10",
        help: "Default for a phone's \"Operation Completes By\".",
    },
    ParameterDef {
        name: TFTP_SIGNATURE_ALGORITHM,
        label: "TFTP File Signature Algorithm",
        section: "Security Parameters",
        kind: ValueKind::Choice(&[("SHA-1", "SHA-1"), ("SHA-512", "SHA-512")]),
        default: "SHA-1",
        help: "SHA-1 is what 4.x phone firmware verifies.",
    },
    ParameterDef {
        name: TFTP_PATH,
        label: "TFTP Path",
        section: "TFTP",
        kind: ValueKind::Path,
        default: "/usr/local/cm/tftp",
        help: "Must differ from every path of the clusters that share the TFTP servers (R3).",
    },
    ParameterDef {
        name: ALTERNATE_TFTP_PATH,
        label: "Alternate TFTP Path",
        section: "TFTP",
        kind: ValueKind::Path,
        default: "",
        help: "Optional; must also be unique among the clusters sharing TFTP (R3).",
    },
    ParameterDef {
        name: OVERLAP_POLICY_PARAMETER,
        label: "Effective Access Privileges For Overlapping User Groups and Functional Groups",
        section: "Multi-level Administration",
        kind: ValueKind::Choice(&[("Maximum", "Maximum"), ("Minimum", "Minimum")]),
        default: "Maximum",
        help: "A user in several groups gets the highest or the lowest of their levels (R22).",
    },
];

/// The enterprise parameter named `name`.
pub fn enterprise(name: &str) -> Option<&'static ParameterDef> {
    ENTERPRISE.iter().find(|d| d.name == name)
}

/// Service parameter of Cisco CallManager: Built In Bridge Enable.
pub const BUILT_IN_BRIDGE_ENABLE: &str = "BuiltInBridgeEnable";
/// Service parameter of Cisco CTL Provider: its TLS port.
pub const CTL_PROVIDER_PORT: &str = "Port";

/// A service parameter: the service it belongs to, and whether it is cluster-wide (one value for
/// every server) or per server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceParameterDef {
    /// Its service.
    pub service: Service,
    /// One value for every server.
    pub cluster_wide: bool,
    /// The parameter.
    pub def: ParameterDef,
}

const fn sp(service: Service, cluster_wide: bool, def: ParameterDef) -> ServiceParameterDef {
    ServiceParameterDef {
        service,
        cluster_wide,
        def,
    }
}

const fn port_param(
    name: &'static str,
    label: &'static str,
    default: &'static str,
) -> ParameterDef {
    ParameterDef {
        name,
        label,
        section: "Ports",
        kind: PORT,
        default,
        help: "",
    }
}

/// The service parameters of `PAGES.md`.
pub const SERVICE: &[ServiceParameterDef] = &[
    sp(
        Service::CallManager,
        true,
        ParameterDef {
            name: BUILT_IN_BRIDGE_ENABLE,
            label: "Built In Bridge Enable",
            section: "Clusterwide Parameters (Device - Phone)",
            kind: ValueKind::Choice(&[("Off", "Off"), ("On", "On")]),
            default: "Off",
            help: "What a phone's Built In Bridge \"Default\" means.",
        },
    ),
    sp(
        Service::CallManager,
        false,
        port_param("EthernetPhonePort", "Ethernet Phone Port", "2000"),
    ),
    sp(
        Service::CallManager,
        false,
        port_param("SccpTlsPort", "SCCP over TLS Port", "2443"),
    ),
    sp(
        Service::CallManager,
        false,
        port_param("SipPort", "SIP Port", "5060"),
    ),
    sp(
        Service::CallManager,
        false,
        port_param("SipTlsPort", "SIP TLS Port", "5061"),
    ),
    sp(
        Service::CtlProvider,
        false,
        port_param(CTL_PROVIDER_PORT, "Port Number", "2444"),
    ),
    sp(
        Service::Capf,
        false,
        ParameterDef {
            name: CAPF_KEY_SIZE,
            label: "Key Size",
            section: "CAPF",
            kind: ValueKind::Choice(&[("512", "512"), ("1024", "1024"), ("2048", "2048")]),
            default: "1024",
            help: "",
        },
    ),
    sp(
        Service::Capf,
        false,
        ParameterDef {
            name: CAPF_KEY_GENERATION_MINUTES,
            label: "Maximum Allowable Time For Key Generation",
            section: "CAPF",
            kind: ValueKind::Integer {
                min: 1,
                max: 120,
                unit: "minutes",
            },
            default: "30",
            help: "",
        },
    ),
    sp(
        Service::Capf,
        false,
        ParameterDef {
            name: "MaxKeyGenerationAttempts",
            label: "Maximum Allowable Attempts for Key Generation",
            section: "CAPF",
            kind: ValueKind::Integer {
                min: 1,
                max: 10,
                unit: "",
            },
            default: "3",
            help: "",
        },
    ),
    sp(
        Service::Capf,
        false,
        ParameterDef {
            name: CAPF_VALIDITY_YEARS,
            label: "Duration Of Certificate Validity",
            section: "CAPF",
            kind: ValueKind::Integer {
                min: 1,
                max: 20,
                unit: "years",
            },
            default: "5",
            help: "",
        },
    ),
    sp(
        Service::Capf,
        false,
        ParameterDef {
            name: CAPF_MAX_SESSIONS,
            label: "Maximum Concurrent CAPF Sessions",
            section: "CAPF",
            kind: ValueKind::Integer {
                min: 1,
                max: 100,
                unit: "sessions",
            },
            default: "4",
            help: "Key generation and issuing are CPU-heavy (R19): phones beyond this wait, then are told to retry later.",
        },
    ),
    sp(
        Service::Capf,
        false,
        ParameterDef {
            name: CAPF_WINDOW_START,
            label: "Operations Window Start",
            section: "CAPF",
            kind: ValueKind::Choice(&crate::domain::capf::WINDOW_HOURS),
            default: "",
            help: "With an end, scheduled operations run only in these hours (UTC; R19).",
        },
    ),
    sp(
        Service::Capf,
        false,
        ParameterDef {
            name: CAPF_WINDOW_END,
            label: "Operations Window End",
            section: "CAPF",
            kind: ValueKind::Choice(&crate::domain::capf::WINDOW_HOURS),
            default: "",
            help: "",
        },
    ),
];

/// The parameters of `service`.
pub fn of_service(service: Service) -> impl Iterator<Item = &'static ServiceParameterDef> {
    SERVICE.iter().filter(move |p| p.service == service)
}

/// The parameter `name` of `service`.
pub fn service_parameter(service: Service, name: &str) -> Option<&'static ServiceParameterDef> {
    of_service(service).find(|p| p.def.name == name)
}

/// R5 (b): updating the enterprise parameter Device Security Mode shows the barge message.
pub fn r5_on_enterprise_update(name: &str) -> Option<&'static str> {
    (name == DEVICE_SECURITY_MODE).then_some(R5_MESSAGE)
}

/// R5 (c): updating the service parameter Built In Bridge Enable shows the barge message.
pub fn r5_on_service_update(service: Service, name: &str) -> Option<&'static str> {
    (service == Service::CallManager && name == BUILT_IN_BRIDGE_ENABLE).then_some(R5_MESSAGE)
}

/// R10 for enterprise parameters: the device security default → reset the devices that use it;
/// a CAPF parameter → restart CAPF.
pub fn enterprise_change_requires(name: &str) -> Vec<RequiredAction> {
    match name {
        DEVICE_SECURITY_MODE => vec![RequiredAction::ResetSystemDefaultDevices],
        CAPF_PHONE_PORT | CAPF_OPERATION_EXPIRES_DAYS => vec![RequiredAction::RestartService {
            server: None,
            service: Service::Capf,
        }],
        _ => Vec::new(),
    }
}

/// R10 for service parameters on `server`: a TLS connection port → restart Cisco CTL Provider;
/// a CAPF parameter → restart CAPF.
pub fn service_change_requires(server: &str, service: Service, name: &str) -> Vec<RequiredAction> {
    let restart = |service| {
        vec![RequiredAction::RestartService {
            server: Some(server.to_owned()),
            service,
        }]
    };
    match (service, name) {
        (Service::CtlProvider, CTL_PROVIDER_PORT)
        | (Service::CallManager, "SccpTlsPort" | "SipTlsPort") => restart(Service::CtlProvider),
        (Service::Capf, _) => restart(Service::Capf),
        _ => Vec::new(),
    }
}

/// A parameter as the pages and the JSON API show it: its definition's facts and its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParameterValue {
    /// Stored name.
    pub name: String,
    /// Label.
    pub label: String,
    /// Page section.
    pub section: String,
    /// Current stored value.
    pub value: String,
    /// Default stored value.
    pub default: String,
    /// Optimistic-concurrency version (0: never set, the default applies).
    pub version: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_by_kind() {
        let days = enterprise(CAPF_OPERATION_EXPIRES_DAYS).unwrap();
        assert_eq!(days.check("30"), Ok("30".into()));
        assert!(days.check("-1").unwrap_err().contains("from 1 to 365"));
        assert!(days.check("ten").is_err());
        let mode = enterprise(DEVICE_SECURITY_MODE).unwrap();
        assert_eq!(mode.check("Encrypted"), Ok("encrypted".into()));
        assert!(mode.check("Secret").is_err());
        assert_eq!(mode.label_of("authenticated"), "Authenticated");
        for d in ENTERPRISE {
            assert!(d.check(d.default).is_ok(), "{} default", d.name);
        }
        for p in SERVICE {
            assert!(p.def.check(p.def.default).is_ok(), "{} default", p.def.name);
        }
    }

    #[test]
    fn r5_parameter_paths_show_the_barge_message() {
        assert_eq!(
            r5_on_enterprise_update(DEVICE_SECURITY_MODE),
            Some(R5_MESSAGE)
        );
        assert_eq!(r5_on_enterprise_update(CAPF_PHONE_PORT), None);
        assert_eq!(
            r5_on_service_update(Service::CallManager, BUILT_IN_BRIDGE_ENABLE),
            Some(R5_MESSAGE)
        );
        assert_eq!(r5_on_service_update(Service::CallManager, "SipPort"), None);
        assert_eq!(
            r5_on_service_update(Service::Capf, BUILT_IN_BRIDGE_ENABLE),
            None
        );
    }

    #[test]
    fn r10_parameter_rows() {
        assert_eq!(
            enterprise_change_requires(DEVICE_SECURITY_MODE),
            vec![RequiredAction::ResetSystemDefaultDevices]
        );
        assert_eq!(
            enterprise_change_requires(CAPF_OPERATION_EXPIRES_DAYS),
            vec![RequiredAction::RestartService {
                server: None,
                service: Service::Capf
            }]
        );
        assert!(enterprise_change_requires(TFTP_PATH).is_empty());
        assert_eq!(
            service_change_requires("CM1", Service::CtlProvider, CTL_PROVIDER_PORT),
            vec![RequiredAction::RestartService {
                server: Some("CM1".into()),
                service: Service::CtlProvider
            }]
        );
        assert_eq!(
            service_change_requires("CM1", Service::Capf, "KeySize"),
            vec![RequiredAction::RestartService {
                server: Some("CM1".into()),
                service: Service::Capf
            }]
        );
        assert!(
            service_change_requires("CM1", Service::CallManager, BUILT_IN_BRIDGE_ENABLE).is_empty()
        );
    }
}
