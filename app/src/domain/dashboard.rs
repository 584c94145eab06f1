//! The security dashboard: what the cluster's security is right now — devices by configured and
//! effective mode, secure-SRST coverage (R9) and the findings of the rules (R3, R5, R7, R8, R9) —
//! computed from counts of devices grouped by the facts the rules read.

use serde::{Deserialize, Serialize};

use super::security::{
    effective_mode, r5_warning, BuiltInBridge, Capabilities, ClusterSecurityMode, ConfiguredMode,
    SecurityMode,
};
use super::srst::{secure_srst, SrstStatus};

/// The facts the rules read, shared by every device of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceGroup {
    /// Configured Device Security Mode.
    pub configured: ConfiguredMode,
    /// What the model can do.
    pub caps: Capabilities,
    /// Built In Bridge.
    pub bridge: BuiltInBridge,
    /// The SRST reference of the device pool, if it names one.
    pub srst: Option<SrstStatus>,
    /// How many devices.
    pub count: u64,
}

/// The cluster-wide facts the rules read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterFacts {
    /// The cluster's security mode.
    pub cluster: ClusterSecurityMode,
    /// The enterprise parameter Device Security Mode.
    pub system_default: SecurityMode,
    /// The service parameter Built In Bridge Enable.
    pub bridge_default_on: bool,
}

/// A finding of the dashboard that concerns devices: each has a filter of Find and List Phones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DeviceFinding {
    /// Encrypted with the built-in bridge on: barge fails (R5).
    BargeConflict,
    /// Set above what the model can do (R7).
    AboveCapability,
    /// Secure settings ignored because the cluster is Non-Secure (R8).
    IgnoredNonSecure,
}

impl DeviceFinding {
    /// Every device finding.
    pub const ALL: [DeviceFinding; 3] = [
        DeviceFinding::BargeConflict,
        DeviceFinding::AboveCapability,
        DeviceFinding::IgnoredNonSecure,
    ];

    /// The name used in Find and List's `finding=` filter.
    pub fn key(self) -> &'static str {
        match self {
            DeviceFinding::BargeConflict => "r5",
            DeviceFinding::AboveCapability => "r7",
            DeviceFinding::IgnoredNonSecure => "r8",
        }
    }

    /// The finding with that key.
    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.key() == key)
    }

    /// Its rule.
    pub fn rule(self) -> &'static str {
        match self {
            DeviceFinding::BargeConflict => "R5",
            DeviceFinding::AboveCapability => "R7",
            DeviceFinding::IgnoredNonSecure => "R8",
        }
    }

    /// The finding in words.
    pub fn title(self) -> &'static str {
        match self {
            DeviceFinding::BargeConflict => {
                "Encrypted with the built-in bridge on: barge into their calls fails"
            }
            DeviceFinding::AboveCapability => "Set above what their model supports",
            DeviceFinding::IgnoredNonSecure => {
                "Secure settings ignored because the cluster is Non Secure"
            }
        }
    }

    /// Whether a device with these facts has the finding.
    pub fn matches(
        self,
        facts: &ClusterFacts,
        configured: ConfiguredMode,
        caps: &Capabilities,
        bridge: BuiltInBridge,
    ) -> bool {
        let wanted = configured.resolve(facts.system_default);
        match self {
            DeviceFinding::BargeConflict => r5_warning(
                configured,
                facts.system_default,
                bridge,
                facts.bridge_default_on,
            )
            .is_some(),
            DeviceFinding::AboveCapability => wanted > caps.highest_mode(),
            DeviceFinding::IgnoredNonSecure => {
                facts.cluster == ClusterSecurityMode::NonSecure
                    && wanted.min(caps.highest_mode()) != SecurityMode::NonSecure
            }
        }
    }
}

/// Devices per security mode: as configured (Use System Default resolved) and as effective.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeCount {
    /// The mode.
    pub mode: SecurityMode,
    /// Devices configured for it.
    pub configured: u64,
    /// Devices running it.
    pub effective: u64,
}

/// One line of the findings list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule it comes from.
    pub rule: String,
    /// What it is.
    pub title: String,
    /// How many devices (or references, or paths).
    pub count: u64,
    /// Where to see them.
    pub link: String,
}

/// The dashboard's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    /// The cluster's security mode.
    pub cluster_mode: ClusterSecurityMode,
    /// Every device.
    pub devices: u64,
    /// Devices per mode.
    pub by_mode: Vec<ModeCount>,
    /// Devices running Authenticated or Encrypted.
    pub secure_devices: u64,
    /// Of those, the devices whose SRST fallback is secure (R9).
    pub secure_srst_devices: u64,
    /// SRST references marked secure.
    pub secure_references: u64,
    /// SRST references in all.
    pub references: u64,
    /// The findings, each with a count (zero counts included, so the list is always complete).
    pub findings: Vec<Finding>,
    /// Required actions not done yet.
    pub pending_actions: u64,
    /// Why the last scheduled backup failed, while it is the last one.
    #[serde(default)]
    pub backup_failure: Option<String>,
    /// Devices per LSC status (R13, R14), every status listed.
    #[serde(default)]
    pub lsc: Vec<(super::capf::LscFilter, u64)>,
}

/// The figures of `groups` under `facts`; `references` are every SRST reference, `r3_warnings`
/// the TFTP sharing warnings, `pending_actions` the open required actions.
pub fn summarize(
    facts: &ClusterFacts,
    groups: &[DeviceGroup],
    references: &[SrstStatus],
    r3_warnings: usize,
    pending_actions: u64,
) -> Dashboard {
    let mut by_mode: Vec<ModeCount> = SecurityMode::ALL
        .into_iter()
        .map(|mode| ModeCount {
            mode,
            configured: 0,
            effective: 0,
        })
        .collect();
    let mut devices = 0;
    let mut secure_devices = 0;
    let mut secure_srst_devices = 0;
    let mut finding_counts = [0u64; DeviceFinding::ALL.len()];
    for g in groups {
        devices += g.count;
        let wanted = g.configured.resolve(facts.system_default);
        let effective =
            effective_mode(g.configured, facts.system_default, facts.cluster, &g.caps).mode;
        for m in &mut by_mode {
            if m.mode == wanted {
                m.configured += g.count;
            }
            if m.mode == effective {
                m.effective += g.count;
            }
        }
        if effective != SecurityMode::NonSecure {
            secure_devices += g.count;
        }
        if secure_srst(facts.cluster, effective, g.srst.as_ref()).secure {
            secure_srst_devices += g.count;
        }
        for (i, f) in DeviceFinding::ALL.into_iter().enumerate() {
            if f.matches(facts, g.configured, &g.caps, g.bridge) {
                finding_counts[i] += g.count;
            }
        }
    }
    let mut findings: Vec<Finding> = DeviceFinding::ALL
        .into_iter()
        .zip(finding_counts)
        .map(|(f, count)| Finding {
            rule: f.rule().to_owned(),
            title: f.title().to_owned(),
            count,
            link: format!("/phones?finding={}", f.key()),
        })
        .collect();
    findings.push(Finding {
        rule: "R9".to_owned(),
        title: "SRST references marked secure without a valid certificate".to_owned(),
        count: references
            .iter()
            .filter(|r| r.is_secure && !r.certificate_valid)
            .count() as u64,
        link: "/srst?certificate=missing".to_owned(),
    });
    findings.push(Finding {
        rule: "R3".to_owned(),
        title: "Clusters sharing TFTP with colliding paths or another security mode".to_owned(),
        count: r3_warnings as u64,
        link: "/enterprise-parameters#tftp-sharing".to_owned(),
    });
    Dashboard {
        cluster_mode: facts.cluster,
        devices,
        by_mode,
        secure_devices,
        secure_srst_devices,
        secure_references: references.iter().filter(|r| r.is_secure).count() as u64,
        references: references.len() as u64,
        findings,
        pending_actions,
        backup_failure: None,
        lsc: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::security::STANDARD_MODELS;

    fn caps(name: &str) -> Capabilities {
        STANDARD_MODELS
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.caps)
            .unwrap()
    }

    fn group(
        configured: ConfiguredMode,
        model: &str,
        bridge: BuiltInBridge,
        srst: Option<SrstStatus>,
        count: u64,
    ) -> DeviceGroup {
        DeviceGroup {
            configured,
            caps: caps(model),
            bridge,
            srst,
            count,
        }
    }

    #[test]
    fn findings_and_coverage_follow_the_rules() {
        let secure_ref = SrstStatus {
            name: "Branch".into(),
            is_secure: true,
            certificate_valid: true,
        };
        let enc = ConfiguredMode::Explicit(SecurityMode::Encrypted);
        let groups = vec![
            group(
                enc,
                "Cisco 7970",
                BuiltInBridge::On,
                Some(secure_ref.clone()),
                10,
            ),
            group(enc, "Cisco 7912", BuiltInBridge::Off, None, 4),
            group(
                ConfiguredMode::UseSystemDefault,
                "Cisco 7960",
                BuiltInBridge::Default,
                None,
                6,
            ),
        ];
        let mixed = ClusterFacts {
            cluster: ClusterSecurityMode::Mixed,
            system_default: SecurityMode::NonSecure,
            bridge_default_on: false,
        };
        let d = summarize(&mixed, &groups, std::slice::from_ref(&secure_ref), 0, 2);
        assert_eq!(d.devices, 20);
        let enc_row = d
            .by_mode
            .iter()
            .find(|m| m.mode == SecurityMode::Encrypted)
            .unwrap();
        assert_eq!((enc_row.configured, enc_row.effective), (14, 10));
        assert_eq!((d.secure_devices, d.secure_srst_devices), (10, 10));
        let count = |rule: &str| d.findings.iter().find(|f| f.rule == rule).unwrap().count;
        assert_eq!(count("R5"), 10);
        assert_eq!(count("R7"), 4);
        assert_eq!(count("R8"), 0);
        let non_secure = ClusterFacts {
            cluster: ClusterSecurityMode::NonSecure,
            ..mixed
        };
        let d = summarize(&non_secure, &groups, &[], 1, 0);
        let count = |rule: &str| d.findings.iter().find(|f| f.rule == rule).unwrap().count;
        assert_eq!(count("R8"), 10);
        assert_eq!(count("R3"), 1);
        assert_eq!(d.secure_srst_devices, 0);
    }
}
