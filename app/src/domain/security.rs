//! Device security (the user's document, `RULES.md`): security modes, what a phone model can do,
//! the effective mode that reaches the phone (R7, R8), the barge warning (R5), encryption's
//! prerequisites (R20), and what a change requires (R10).

use serde::{Deserialize, Serialize};

use super::actions::RequiredAction;

/// The cluster's security mode, set by the CTL operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ClusterSecurityMode {
    /// No CTL: no device authentication (R1).
    NonSecure,
    /// Authenticated and non-authenticated devices both connect.
    Mixed,
}

impl ClusterSecurityMode {
    /// The stored name.
    pub fn key(self) -> &'static str {
        match self {
            ClusterSecurityMode::NonSecure => "non_secure",
            ClusterSecurityMode::Mixed => "mixed",
        }
    }

    /// The mode stored as `key` (anything else is Non-Secure, the safe reading).
    pub fn from_key(key: &str) -> Self {
        if key == "mixed" {
            ClusterSecurityMode::Mixed
        } else {
            ClusterSecurityMode::NonSecure
        }
    }

    /// The label the pages show.
    pub fn label(self) -> &'static str {
        match self {
            ClusterSecurityMode::NonSecure => "Non Secure",
            ClusterSecurityMode::Mixed => "Mixed",
        }
    }
}

/// A security mode a device runs with (the `deviceSecurityMode` of its config file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SecurityMode {
    /// No signalling integrity, no encryption (file value 1).
    NonSecure,
    /// TLS signalling integrity (file value 2).
    Authenticated,
    /// TLS signalling plus SRTP media (file value 3).
    Encrypted,
}

impl SecurityMode {
    /// Every mode, lowest first.
    pub const ALL: [SecurityMode; 3] = [
        SecurityMode::NonSecure,
        SecurityMode::Authenticated,
        SecurityMode::Encrypted,
    ];

    /// The label the pages show.
    pub fn label(self) -> &'static str {
        match self {
            SecurityMode::NonSecure => "Non Secure",
            SecurityMode::Authenticated => "Authenticated",
            SecurityMode::Encrypted => "Encrypted",
        }
    }

    /// The stored name.
    pub fn key(self) -> &'static str {
        match self {
            SecurityMode::NonSecure => "non_secure",
            SecurityMode::Authenticated => "authenticated",
            SecurityMode::Encrypted => "encrypted",
        }
    }

    /// The mode with that stored name or label.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.key() == text || m.label() == text)
    }

    /// The number in the config file (`FORMATS.md`).
    pub fn file_value(self) -> u8 {
        match self {
            SecurityMode::NonSecure => 1,
            SecurityMode::Authenticated => 2,
            SecurityMode::Encrypted => 3,
        }
    }
}

/// The Device Security Mode an administrator sets on a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConfiguredMode {
    /// Whatever the enterprise parameter Device Security Mode says.
    UseSystemDefault,
    /// This mode.
    Explicit(SecurityMode),
}

impl ConfiguredMode {
    /// Every choice, in the order the page lists them.
    pub const ALL: [ConfiguredMode; 4] = [
        ConfiguredMode::UseSystemDefault,
        ConfiguredMode::Explicit(SecurityMode::NonSecure),
        ConfiguredMode::Explicit(SecurityMode::Authenticated),
        ConfiguredMode::Explicit(SecurityMode::Encrypted),
    ];

    /// The mode asked for: the explicit one, or the enterprise parameter's for Use System Default.
    pub fn resolve(self, system_default: SecurityMode) -> SecurityMode {
        match self {
            ConfiguredMode::UseSystemDefault => system_default,
            ConfiguredMode::Explicit(mode) => mode,
        }
    }

    /// The stored name.
    pub fn key(self) -> &'static str {
        match self {
            ConfiguredMode::UseSystemDefault => "use_system_default",
            ConfiguredMode::Explicit(mode) => mode.key(),
        }
    }

    /// The label the pages show.
    pub fn label(self) -> &'static str {
        match self {
            ConfiguredMode::UseSystemDefault => "Use System Default",
            ConfiguredMode::Explicit(mode) => mode.label(),
        }
    }

    /// The choice with that stored name or label.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.key() == text || m.label() == text)
    }
}

/// What kind of device a model is (R7: most kinds support no security at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DeviceClass {
    /// An IP phone.
    Phone,
    /// A CTI port.
    CtiPort,
    /// An H.323 gateway.
    H323Gateway,
    /// A SIP trunk.
    SipTrunk,
    /// A transcoder.
    Transcoder,
    /// A media termination point.
    Mtp,
    /// A music-on-hold server.
    Moh,
}

impl DeviceClass {
    /// Every class.
    pub const ALL: [DeviceClass; 7] = [
        DeviceClass::Phone,
        DeviceClass::CtiPort,
        DeviceClass::H323Gateway,
        DeviceClass::SipTrunk,
        DeviceClass::Transcoder,
        DeviceClass::Mtp,
        DeviceClass::Moh,
    ];

    /// The stored name.
    pub fn key(self) -> &'static str {
        match self {
            DeviceClass::Phone => "phone",
            DeviceClass::CtiPort => "cti_port",
            DeviceClass::H323Gateway => "h323_gateway",
            DeviceClass::SipTrunk => "sip_trunk",
            DeviceClass::Transcoder => "transcoder",
            DeviceClass::Mtp => "mtp",
            DeviceClass::Moh => "moh",
        }
    }

    /// The class stored as `key`.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.key() == key)
    }

    /// The label the pages show.
    pub fn label(self) -> &'static str {
        match self {
            DeviceClass::Phone => "Phone",
            DeviceClass::CtiPort => "CTI Port",
            DeviceClass::H323Gateway => "H.323 Gateway",
            DeviceClass::SipTrunk => "SIP Trunk",
            DeviceClass::Transcoder => "Transcoder",
            DeviceClass::Mtp => "Media Termination Point",
            DeviceClass::Moh => "Music On Hold",
        }
    }
}

/// What a phone model can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Capabilities {
    /// The kind of device.
    pub class: DeviceClass,
    /// Supports authentication (TLS signalling integrity).
    pub authentication: bool,
    /// Supports encryption (SRTP media).
    pub encryption: bool,
    /// Has a manufacture-installed certificate.
    pub mic: bool,
    /// Has a built-in conference bridge (barge).
    pub built_in_bridge: bool,
}

impl Capabilities {
    /// The highest mode the model can run (R7, R20: encryption needs authentication).
    pub fn highest_mode(&self) -> SecurityMode {
        if self.class != DeviceClass::Phone || !self.authentication {
            SecurityMode::NonSecure
        } else if self.encryption {
            SecurityMode::Encrypted
        } else {
            SecurityMode::Authenticated
        }
    }
}

/// A standard phone model (`PAGES.md`; capability flags partly assumed there).
#[derive(Debug, Clone, Copy)]
pub struct StandardModel {
    /// The model name.
    pub name: &'static str,
    /// Its capabilities.
    pub caps: Capabilities,
    /// Speaks SCCP.
    pub sccp: bool,
    /// Speaks SIP.
    pub sip: bool,
}

const fn phone(
    name: &'static str,
    auth: bool,
    enc: bool,
    mic: bool,
    bridge: bool,
) -> StandardModel {
    StandardModel {
        name,
        caps: Capabilities {
            class: DeviceClass::Phone,
            authentication: auth,
            encryption: enc,
            mic,
            built_in_bridge: bridge,
        },
        sccp: true,
        sip: true,
    }
}

const fn other(name: &'static str, class: DeviceClass, sccp: bool, sip: bool) -> StandardModel {
    StandardModel {
        name,
        caps: Capabilities {
            class,
            authentication: false,
            encryption: false,
            mic: false,
            built_in_bridge: false,
        },
        sccp,
        sip,
    }
}

/// The models seeded into every store.
pub const STANDARD_MODELS: &[StandardModel] = &[
    phone("Cisco 7940", true, true, false, true),
    phone("Cisco 7960", true, true, false, true),
    phone("Cisco 7970", true, true, true, true),
    phone("Cisco 7971", true, true, true, true),
    phone("Cisco 7905", false, false, false, false),
    phone("Cisco 7912", false, false, false, false),
    phone("Cisco IP Communicator", false, false, false, false),
    other("CTI Port", DeviceClass::CtiPort, true, false),
    other("H.323 Gateway", DeviceClass::H323Gateway, false, false),
    other("SIP Trunk", DeviceClass::SipTrunk, false, true),
    other("Transcoder", DeviceClass::Transcoder, true, false),
    other("Media Termination Point", DeviceClass::Mtp, true, false),
    other("Music On Hold", DeviceClass::Moh, true, false),
];

/// The mode a device runs with, and why, as the page shows it beside the configured one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectiveMode {
    /// The mode in the device's config file.
    pub mode: SecurityMode,
    /// Why it differs from the configured mode, or what it resolved from.
    pub reason: String,
}

/// The effective mode of a device configured `configured` on a model with `caps`, given the
/// enterprise parameter Device Security Mode (`system_default`) and the cluster's mode.
/// R8: a Non-Secure cluster runs every device Non-Secure, whatever it is configured to.
/// R7: a model runs no higher than it supports.
pub fn effective_mode(
    configured: ConfiguredMode,
    system_default: SecurityMode,
    cluster: ClusterSecurityMode,
    caps: &Capabilities,
) -> EffectiveMode {
    let (wanted, from) = match configured {
        ConfiguredMode::UseSystemDefault => (
            system_default,
            format!(
                "Use System Default: the enterprise parameter says {}.",
                system_default.label()
            ),
        ),
        ConfiguredMode::Explicit(mode) => (mode, format!("Configured {}.", mode.label())),
    };
    if cluster == ClusterSecurityMode::NonSecure && wanted != SecurityMode::NonSecure {
        return EffectiveMode {
            mode: SecurityMode::NonSecure,
            reason: format!(
                "{from} The cluster is Non-Secure (no CTL file), so every config file carries \
                 Non Secure; the setting is kept and applies once the cluster is Mixed (R8)."
            ),
        };
    }
    let highest = caps.highest_mode();
    if wanted > highest {
        return EffectiveMode {
            mode: highest,
            reason: format!(
                "{from} This model supports at most {}, so it runs {} (R7).",
                highest.label(),
                highest.label()
            ),
        };
    }
    EffectiveMode {
        mode: wanted,
        reason: from,
    }
}

/// Built In Bridge on a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BuiltInBridge {
    /// On.
    On,
    /// Off.
    Off,
    /// Follows the service parameter Built In Bridge Enable.
    Default,
}

impl BuiltInBridge {
    /// Every choice.
    pub const ALL: [BuiltInBridge; 3] = [
        BuiltInBridge::On,
        BuiltInBridge::Off,
        BuiltInBridge::Default,
    ];

    /// The label (also the stored name).
    pub fn label(self) -> &'static str {
        match self {
            BuiltInBridge::On => "On",
            BuiltInBridge::Off => "Off",
            BuiltInBridge::Default => "Default",
        }
    }

    /// The choice with that label.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.label() == text)
    }
}

/// The service parameter Built In Bridge Enable's default (Off, `PAGES.md`), which a device's
/// Built In Bridge "Default" follows.
pub const BUILT_IN_BRIDGE_ENABLE_DEFAULT: bool = false;

/// The R5 message: barge and encryption.
pub const R5_MESSAGE: &str =
    "Barge into an encrypted call fails on Cisco 7960 and 7940 phones (and \
from a 7970 whose mode is not Encrypted), and a barged call is classified non-secure (R5).";

/// R5 (a): the warning for Device Security Mode Encrypted with Built In Bridge On (or Default when
/// the service parameter Built In Bridge Enable is on).
pub fn r5_warning(
    configured: ConfiguredMode,
    system_default: SecurityMode,
    bridge: BuiltInBridge,
    bridge_service_default_on: bool,
) -> Option<&'static str> {
    let encrypted = match configured {
        ConfiguredMode::Explicit(mode) => mode == SecurityMode::Encrypted,
        ConfiguredMode::UseSystemDefault => system_default == SecurityMode::Encrypted,
    };
    let bridge_on = match bridge {
        BuiltInBridge::On => true,
        BuiltInBridge::Off => false,
        BuiltInBridge::Default => bridge_service_default_on,
    };
    (encrypted && bridge_on).then_some(R5_MESSAGE)
}

/// Why a configured mode is refused for a model: R7 (the model cannot do it) and R20 (media
/// encryption needs authentication and signalling encryption on the device).
pub fn refuse_mode(configured: ConfiguredMode, caps: &Capabilities) -> Option<String> {
    let ConfiguredMode::Explicit(mode) = configured else {
        return None;
    };
    if mode == SecurityMode::NonSecure {
        return None;
    }
    if caps.class != DeviceClass::Phone {
        return Some(format!(
            "a {} supports no authentication or encryption (R7)",
            caps.class.label()
        ));
    }
    if !caps.authentication {
        return Some(format!(
            "this model supports no authentication, so it cannot be {} (R7)",
            mode.label()
        ));
    }
    if mode == SecurityMode::Encrypted && !caps.encryption {
        return Some(
            "this model supports authentication but not encryption; Encrypted needs both \
             (R7, R20)"
                .to_owned(),
        );
    }
    None
}

/// The phone hardening settings of a device (`true` = Enabled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Hardening {
    /// Gratuitous ARP.
    pub gratuitous_arp: bool,
    /// Web Access.
    pub web_access: bool,
    /// PC Voice VLAN Access.
    pub pc_voice_vlan_access: bool,
    /// Settings Access.
    pub settings_access: bool,
    /// PC Port.
    pub pc_port: bool,
}

impl Default for Hardening {
    fn default() -> Self {
        Self {
            gratuitous_arp: true,
            web_access: true,
            pc_voice_vlan_access: true,
            settings_access: true,
            pc_port: true,
        }
    }
}

/// R10, device part: a changed security mode or hardening setting requires a reset of the device.
pub fn device_change_requires(
    name: &str,
    mode_before: ConfiguredMode,
    mode_after: ConfiguredMode,
    hardening_before: &Hardening,
    hardening_after: &Hardening,
) -> Vec<RequiredAction> {
    if mode_before != mode_after || hardening_before != hardening_after {
        vec![RequiredAction::ResetDevice(name.to_owned())]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps_of(name: &str) -> Capabilities {
        STANDARD_MODELS
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.caps)
            .unwrap()
    }

    const ENC: ConfiguredMode = ConfiguredMode::Explicit(SecurityMode::Encrypted);
    const AUTH: ConfiguredMode = ConfiguredMode::Explicit(SecurityMode::Authenticated);

    #[test]
    fn r1_r8_non_secure_cluster_forces_non_secure_and_says_why() {
        let eff = effective_mode(
            ENC,
            SecurityMode::NonSecure,
            ClusterSecurityMode::NonSecure,
            &caps_of("Cisco 7970"),
        );
        assert_eq!(eff.mode, SecurityMode::NonSecure);
        assert!(eff.reason.contains("R8"), "{}", eff.reason);
        let eff = effective_mode(
            ENC,
            SecurityMode::NonSecure,
            ClusterSecurityMode::Mixed,
            &caps_of("Cisco 7970"),
        );
        assert_eq!(eff.mode, SecurityMode::Encrypted);
    }

    #[test]
    fn use_system_default_follows_the_enterprise_parameter() {
        let eff = effective_mode(
            ConfiguredMode::UseSystemDefault,
            SecurityMode::Authenticated,
            ClusterSecurityMode::Mixed,
            &caps_of("Cisco 7960"),
        );
        assert_eq!(eff.mode, SecurityMode::Authenticated);
        assert!(eff.reason.contains("Use System Default"));
    }

    #[test]
    fn r7_a_model_runs_no_higher_than_it_supports() {
        let eff = effective_mode(
            ConfiguredMode::UseSystemDefault,
            SecurityMode::Encrypted,
            ClusterSecurityMode::Mixed,
            &caps_of("Cisco 7912"),
        );
        assert_eq!(eff.mode, SecurityMode::NonSecure);
        assert!(eff.reason.contains("R7"));
        assert!(refuse_mode(ENC, &caps_of("Cisco 7912")).is_some());
        assert!(refuse_mode(AUTH, &caps_of("CTI Port"))
            .unwrap()
            .contains("R7"));
        assert!(refuse_mode(ConfiguredMode::UseSystemDefault, &caps_of("CTI Port")).is_none());
        assert!(refuse_mode(ENC, &caps_of("Cisco 7940")).is_none());
    }

    #[test]
    fn r7_devices_of_other_classes_support_no_security() {
        for class in DeviceClass::ALL
            .into_iter()
            .filter(|c| *c != DeviceClass::Phone)
        {
            let model = STANDARD_MODELS
                .iter()
                .find(|m| m.caps.class == class)
                .unwrap();
            assert_eq!(
                model.caps.highest_mode(),
                SecurityMode::NonSecure,
                "{class:?}"
            );
        }
    }

    #[test]
    fn r20_encryption_needs_authentication() {
        let odd = Capabilities {
            class: DeviceClass::Phone,
            authentication: false,
            encryption: true,
            mic: false,
            built_in_bridge: false,
        };
        assert_eq!(odd.highest_mode(), SecurityMode::NonSecure);
        assert!(refuse_mode(ENC, &odd).is_some());
        let auth_only = Capabilities {
            encryption: false,
            authentication: true,
            ..odd
        };
        assert!(refuse_mode(ENC, &auth_only).unwrap().contains("R20"));
        assert!(refuse_mode(AUTH, &auth_only).is_none());
    }

    #[test]
    fn r5_encrypted_with_built_in_bridge_on_warns() {
        assert!(r5_warning(ENC, SecurityMode::NonSecure, BuiltInBridge::On, false).is_some());
        assert!(r5_warning(ENC, SecurityMode::NonSecure, BuiltInBridge::Off, true).is_none());
        assert!(r5_warning(ENC, SecurityMode::NonSecure, BuiltInBridge::Default, true).is_some());
        assert!(r5_warning(ENC, SecurityMode::NonSecure, BuiltInBridge::Default, false).is_none());
        assert!(r5_warning(AUTH, SecurityMode::NonSecure, BuiltInBridge::On, true).is_none());
        assert!(r5_warning(
            ConfiguredMode::UseSystemDefault,
            SecurityMode::Encrypted,
            BuiltInBridge::On,
            false
        )
        .is_some());
    }

    #[test]
    fn r10_mode_or_hardening_change_requires_a_device_reset() {
        let h = Hardening::default();
        let off = Hardening {
            web_access: false,
            ..h
        };
        assert_eq!(
            device_change_requires("SEP001122334455", AUTH, ENC, &h, &h),
            vec![RequiredAction::ResetDevice("SEP001122334455".into())]
        );
        assert_eq!(
            device_change_requires("SEP001122334455", ENC, ENC, &h, &off).len(),
            1
        );
        assert!(device_change_requires("SEP001122334455", ENC, ENC, &h, &h).is_empty());
    }

    #[test]
    fn modes_round_trip_and_map_to_file_values() {
        for m in ConfiguredMode::ALL {
            assert_eq!(ConfiguredMode::parse(m.key()), Some(m));
            assert_eq!(ConfiguredMode::parse(m.label()), Some(m));
        }
        assert_eq!(SecurityMode::Encrypted.file_value(), 3);
        assert_eq!(
            ClusterSecurityMode::from_key("mixed"),
            ClusterSecurityMode::Mixed
        );
        assert_eq!(
            ClusterSecurityMode::from_key("garbage"),
            ClusterSecurityMode::NonSecure
        );
    }
}
