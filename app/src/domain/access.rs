//! Multi-level administration (R22): functional groups, access levels, and how the levels of a
//! user's several groups combine.

use serde::{Deserialize, Serialize};

/// A functional group: a set of pages and operations that access is granted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FunctionalGroup {
    /// System pages: Cisco CallManager, SRST, Enterprise Parameters, device pools, the dashboard.
    System,
    /// Route plan pages.
    RoutePlan,
    /// Service Parameters.
    Service,
    /// Features.
    Feature,
    /// Device > Phone and device resets.
    Phone,
    /// Gateways.
    Gateway,
    /// User accounts.
    UserManagement,
    /// User groups, privileges and the audit log.
    UserPrivilegeManagement,
    /// Serviceability: service activation and status.
    Serviceability,
    /// Plugins.
    Plugin,
    /// Starting, stopping and restarting services.
    ServiceManagement,
}

impl FunctionalGroup {
    /// Every functional group, in the order CallManager lists them.
    pub const ALL: [FunctionalGroup; 11] = [
        FunctionalGroup::System,
        FunctionalGroup::RoutePlan,
        FunctionalGroup::Service,
        FunctionalGroup::Feature,
        FunctionalGroup::Phone,
        FunctionalGroup::Gateway,
        FunctionalGroup::UserManagement,
        FunctionalGroup::UserPrivilegeManagement,
        FunctionalGroup::Serviceability,
        FunctionalGroup::Plugin,
        FunctionalGroup::ServiceManagement,
    ];

    /// The name as stored and shown.
    pub fn name(self) -> &'static str {
        match self {
            FunctionalGroup::System => "System",
            FunctionalGroup::RoutePlan => "RoutePlan",
            FunctionalGroup::Service => "Service",
            FunctionalGroup::Feature => "Feature",
            FunctionalGroup::Phone => "Phone",
            FunctionalGroup::Gateway => "Gateway",
            FunctionalGroup::UserManagement => "UserManagement",
            FunctionalGroup::UserPrivilegeManagement => "UserPrivilegeManagement",
            FunctionalGroup::Serviceability => "Serviceability",
            FunctionalGroup::Plugin => "Plugin",
            FunctionalGroup::ServiceManagement => "ServiceManagement",
        }
    }

    /// The group of that name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.name() == name)
    }

    /// What the group covers, as the Functional Groups page explains it.
    pub fn covers(self) -> &'static str {
        match self {
            FunctionalGroup::System => {
                "System menu: Cisco CallManager, SRST, Enterprise Parameters, device pools, the security dashboard"
            }
            FunctionalGroup::RoutePlan => "Route Plan menu",
            FunctionalGroup::Service => "Service menu: Service Parameters",
            FunctionalGroup::Feature => "Feature menu",
            FunctionalGroup::Phone => "Device > Phone: find, configure, bulk edit, reset",
            FunctionalGroup::Gateway => "Device > Gateway",
            FunctionalGroup::UserManagement => "User > Users: accounts, passwords, sessions",
            FunctionalGroup::UserPrivilegeManagement => {
                "User > Access Rights: user groups, privileges, privilege report; the audit log"
            }
            FunctionalGroup::Serviceability => "Serviceability: service activation and status",
            FunctionalGroup::Plugin => "Application > Plugins",
            FunctionalGroup::ServiceManagement => {
                "Serviceability > Control Center: start, stop, restart services"
            }
        }
    }
}

/// An access level a user group holds on a functional group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AccessLevel {
    /// Pages hidden, requests refused.
    NoAccess,
    /// Pages shown with every modifying control disabled; writes refused.
    ReadOnly,
    /// Everything.
    FullAccess,
}

impl AccessLevel {
    /// Every level, lowest first.
    pub const ALL: [AccessLevel; 3] = [
        AccessLevel::NoAccess,
        AccessLevel::ReadOnly,
        AccessLevel::FullAccess,
    ];

    /// The label as CallManager shows it.
    pub fn label(self) -> &'static str {
        match self {
            AccessLevel::NoAccess => "No Access",
            AccessLevel::ReadOnly => "Read Only",
            AccessLevel::FullAccess => "Full Access",
        }
    }

    /// The level with that label (or its stored name).
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|l| l.label() == label || l.key() == label)
    }

    /// The stored name.
    pub fn key(self) -> &'static str {
        match self {
            AccessLevel::NoAccess => "no_access",
            AccessLevel::ReadOnly => "read_only",
            AccessLevel::FullAccess => "full_access",
        }
    }

    /// True when this level allows `access`.
    pub fn allows(self, access: Access) -> bool {
        match access {
            Access::Read => self >= AccessLevel::ReadOnly,
            Access::Write => self == AccessLevel::FullAccess,
        }
    }
}

/// What a request does to a functional group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Access {
    /// Reads.
    Read,
    /// Changes something.
    Write,
}

/// The enterprise parameter that holds the [`OverlapPolicy`].
pub const OVERLAP_POLICY_PARAMETER: &str = "EffectiveAccessPrivilegesForOverlappingUserGroups";

/// The enterprise parameter "Effective Access Privileges For Overlapping User Groups".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OverlapPolicy {
    /// The highest level of the user's groups wins.
    Maximum,
    /// The lowest level of the user's groups wins.
    Minimum,
}

impl OverlapPolicy {
    /// The value as stored and shown.
    pub fn name(self) -> &'static str {
        match self {
            OverlapPolicy::Maximum => "Maximum",
            OverlapPolicy::Minimum => "Minimum",
        }
    }

    /// The policy of that name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "Maximum" => Some(OverlapPolicy::Maximum),
            "Minimum" => Some(OverlapPolicy::Minimum),
            _ => None,
        }
    }

    /// The other policy.
    pub fn other(self) -> Self {
        match self {
            OverlapPolicy::Maximum => OverlapPolicy::Minimum,
            OverlapPolicy::Minimum => OverlapPolicy::Maximum,
        }
    }
}

/// One group's level on a functional group, as an input to [`effective_level`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupLevel {
    /// The user group.
    pub group: String,
    /// Its level on the functional group (No Access when it grants nothing).
    pub level: AccessLevel,
}

/// A user's effective level on one functional group, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effective {
    /// The level that applies.
    pub level: AccessLevel,
    /// The group that decided it, when the user is in any group.
    pub decided_by: Option<String>,
    /// The explanation shown in the Privilege Report.
    pub reason: String,
}

/// The level a user in `groups` has on a functional group under `policy` (R22): the maximum or
/// the minimum of the groups' levels; No Access for a user in no group.
pub fn effective_level(groups: &[GroupLevel], policy: OverlapPolicy) -> Effective {
    let chosen = match policy {
        OverlapPolicy::Maximum => groups.iter().max_by_key(|g| g.level),
        OverlapPolicy::Minimum => groups.iter().min_by_key(|g| g.level),
    };
    let Some(chosen) = chosen else {
        return Effective {
            level: AccessLevel::NoAccess,
            decided_by: None,
            reason: "The user is in no user group.".to_owned(),
        };
    };
    let reason = if groups.len() == 1 {
        format!("{} grants {}.", chosen.group, chosen.level.label())
    } else {
        let all = groups
            .iter()
            .map(|g| format!("{} grants {}", g.group, g.level.label()))
            .collect::<Vec<_>>()
            .join("; ");
        let word = match policy {
            OverlapPolicy::Maximum => "highest",
            OverlapPolicy::Minimum => "lowest",
        };
        format!(
            "{all}. Overlapping groups take the {word} level ({}), so {} applies.",
            policy.name(),
            chosen.level.label()
        )
    };
    Effective {
        level: chosen.level,
        decided_by: Some(chosen.group.clone()),
        reason,
    }
}

/// The group whose members only an administrator with Full Access to UserPrivilegeManagement
/// may change (password, disabled flag, forced change, sessions).
pub const SUPER_USER_GROUP: &str = "SuperUserGroup";

/// The privilege ceiling on account changes: the first functional group on which the `target`'s
/// effective level is above the `actor`'s, if any. An administrator may change another user's
/// password, disabled flag, forced change or sessions only when this is `None`, so nobody can
/// take over an account that holds more than they do.
pub fn outranked_on(
    actor: &[(FunctionalGroup, AccessLevel)],
    target: &[(FunctionalGroup, AccessLevel)],
) -> Option<(FunctionalGroup, AccessLevel)> {
    let level_in = |levels: &[(FunctionalGroup, AccessLevel)], group| {
        levels
            .iter()
            .find(|(g, _)| *g == group)
            .map_or(AccessLevel::NoAccess, |(_, l)| *l)
    };
    FunctionalGroup::ALL.into_iter().find_map(|group| {
        let theirs = level_in(target, group);
        (theirs > level_in(actor, group)).then_some((group, theirs))
    })
}

/// A standard user group seeded at installation.
#[derive(Debug, Clone, Copy)]
pub struct StandardGroup {
    /// Its name.
    pub name: &'static str,
    /// What it is for.
    pub description: &'static str,
    /// Its levels; functional groups not listed are No Access.
    pub levels: &'static [(FunctionalGroup, AccessLevel)],
}

use AccessLevel::{FullAccess, ReadOnly};
use FunctionalGroup as Fg;

/// The standard user groups of CallManager's MLA, with the privileges their names say.
pub const STANDARD_GROUPS: &[StandardGroup] = &[
    StandardGroup {
        name: "SuperUserGroup",
        description: "Full access to every functional group",
        levels: &[
            (Fg::System, FullAccess),
            (Fg::RoutePlan, FullAccess),
            (Fg::Service, FullAccess),
            (Fg::Feature, FullAccess),
            (Fg::Phone, FullAccess),
            (Fg::Gateway, FullAccess),
            (Fg::UserManagement, FullAccess),
            (Fg::UserPrivilegeManagement, FullAccess),
            (Fg::Serviceability, FullAccess),
            (Fg::Plugin, FullAccess),
            (Fg::ServiceManagement, FullAccess),
        ],
    },
    StandardGroup {
        name: "ReadOnly",
        description: "Read-only access to every functional group",
        levels: &[
            (Fg::System, ReadOnly),
            (Fg::RoutePlan, ReadOnly),
            (Fg::Service, ReadOnly),
            (Fg::Feature, ReadOnly),
            (Fg::Phone, ReadOnly),
            (Fg::Gateway, ReadOnly),
            (Fg::UserManagement, ReadOnly),
            (Fg::UserPrivilegeManagement, ReadOnly),
            (Fg::Serviceability, ReadOnly),
            (Fg::Plugin, ReadOnly),
            (Fg::ServiceManagement, ReadOnly),
        ],
    },
    StandardGroup {
        name: "PhoneAdministration",
        description: "Administers phones; reads the system pages they depend on",
        levels: &[(Fg::Phone, FullAccess), (Fg::System, ReadOnly)],
    },
    StandardGroup {
        name: "GatewayAdministration",
        description: "Administers gateways; reads the system pages they depend on",
        levels: &[(Fg::Gateway, FullAccess), (Fg::System, ReadOnly)],
    },
    StandardGroup {
        name: "ServerMonitoring",
        description: "Watches servers and services without changing them",
        levels: &[
            (Fg::System, ReadOnly),
            (Fg::Service, ReadOnly),
            (Fg::Serviceability, ReadOnly),
            (Fg::ServiceManagement, ReadOnly),
        ],
    },
    StandardGroup {
        name: "ServerMaintenance",
        description: "Maintains servers: service parameters, activation and control",
        levels: &[
            (Fg::System, ReadOnly),
            (Fg::Service, FullAccess),
            (Fg::Serviceability, FullAccess),
            (Fg::ServiceManagement, FullAccess),
        ],
    },
];

/// The functional groups that hold the cluster's private keys (backups, restores, security
/// token files) need Full Access to, together.
pub const CLUSTER_KEYS: [FunctionalGroup; 3] = [
    FunctionalGroup::System,
    FunctionalGroup::Serviceability,
    FunctionalGroup::UserPrivilegeManagement,
];

/// True when `level` gives Full Access to every group of [`CLUSTER_KEYS`].
pub fn holds_cluster_keys(level: impl Fn(FunctionalGroup) -> AccessLevel) -> bool {
    CLUSTER_KEYS
        .iter()
        .all(|g| level(*g) == AccessLevel::FullAccess)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv(group: &str, level: AccessLevel) -> GroupLevel {
        GroupLevel {
            group: group.to_owned(),
            level,
        }
    }

    #[test]
    fn r22_an_admin_cannot_change_an_account_that_holds_more() {
        let helpdesk = [(Fg::UserManagement, FullAccess), (Fg::Phone, ReadOnly)];
        let superuser: Vec<_> = FunctionalGroup::ALL.map(|g| (g, FullAccess)).to_vec();
        assert_eq!(
            outranked_on(&helpdesk, &superuser),
            Some((Fg::System, FullAccess))
        );
        let phone_reader = [(Fg::Phone, ReadOnly)];
        assert_eq!(outranked_on(&helpdesk, &phone_reader), None);
        assert_eq!(outranked_on(&superuser, &helpdesk), None);
        let phone_admin = [(Fg::Phone, FullAccess)];
        assert_eq!(
            outranked_on(&helpdesk, &phone_admin),
            Some((Fg::Phone, FullAccess))
        );
    }

    #[test]
    fn r22_overlapping_groups_take_the_maximum_or_the_minimum() {
        let groups = [
            lv("ReadOnly", ReadOnly),
            lv("PhoneAdministration", FullAccess),
        ];
        let max = effective_level(&groups, OverlapPolicy::Maximum);
        assert_eq!(max.level, FullAccess);
        assert_eq!(max.decided_by.as_deref(), Some("PhoneAdministration"));
        assert!(max.reason.contains("highest"), "{}", max.reason);
        let min = effective_level(&groups, OverlapPolicy::Minimum);
        assert_eq!(min.level, ReadOnly);
        assert_eq!(min.decided_by.as_deref(), Some("ReadOnly"));
        assert!(min.reason.contains("lowest"), "{}", min.reason);
    }

    #[test]
    fn r22_no_group_means_no_access() {
        let none = effective_level(&[], OverlapPolicy::Maximum);
        assert_eq!(none.level, AccessLevel::NoAccess);
    }

    #[test]
    fn r22_read_only_reads_but_never_writes() {
        assert!(ReadOnly.allows(Access::Read));
        assert!(!ReadOnly.allows(Access::Write));
        assert!(!AccessLevel::NoAccess.allows(Access::Read));
        assert!(FullAccess.allows(Access::Write));
    }

    #[test]
    fn names_round_trip() {
        for g in FunctionalGroup::ALL {
            assert_eq!(FunctionalGroup::from_name(g.name()), Some(g));
        }
        for l in AccessLevel::ALL {
            assert_eq!(AccessLevel::from_label(l.label()), Some(l));
            assert_eq!(AccessLevel::from_label(l.key()), Some(l));
        }
    }

    #[test]
    fn standard_groups_have_the_privileges_their_names_say() {
        let find = |n: &str| STANDARD_GROUPS.iter().find(|g| g.name == n).unwrap();
        assert_eq!(
            find("SuperUserGroup").levels.len(),
            FunctionalGroup::ALL.len()
        );
        assert!(find("SuperUserGroup")
            .levels
            .iter()
            .all(|(_, l)| *l == FullAccess));
        assert!(find("ReadOnly").levels.iter().all(|(_, l)| *l == ReadOnly));
        assert!(find("PhoneAdministration")
            .levels
            .contains(&(Fg::Phone, FullAccess)));
        assert!(!find("PhoneAdministration")
            .levels
            .iter()
            .any(|(g, _)| *g == Fg::UserManagement));
    }
}
