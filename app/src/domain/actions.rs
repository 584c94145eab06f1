//! Required actions (R10, R17): what a change requires before it takes effect. The pages show
//! them after a save; the store keeps them until they are done.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::services::Service;

/// How many device names a merged device reset lists.
pub const SAMPLE: usize = 20;
/// How many distinct reasons a merged action lists.
pub const REASONS: usize = 10;

/// An action a change requires before it takes effect.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RequiredAction {
    /// Reset one device (it fetches its config and CTL again).
    ResetDevice(String),
    /// Reset every device whose device pool uses this SRST reference.
    ResetSrstDependents(String),
    /// Reset every device set to "Use System Default".
    ResetSystemDefaultDevices,
    /// Reset every device of the cluster.
    ResetAllDevices,
    /// Restart a service on one server, or on every server that runs it (`None`).
    RestartService {
        /// The server, or every server.
        server: Option<String>,
        /// The service.
        service: Service,
    },
    /// Update the CTL file (R17).
    UpdateCtl,
}

impl RequiredAction {
    /// The stored kind.
    pub fn kind(&self) -> &'static str {
        match self {
            RequiredAction::ResetDevice(_) => "reset_device",
            RequiredAction::ResetSrstDependents(_) => "reset_srst_dependents",
            RequiredAction::ResetSystemDefaultDevices => "reset_system_default_devices",
            RequiredAction::ResetAllDevices => "reset_all_devices",
            RequiredAction::RestartService { .. } => "restart_service",
            RequiredAction::UpdateCtl => "update_ctl",
        }
    }

    /// The stored target: the device, the reference or the service it concerns.
    pub fn target(&self) -> String {
        match self {
            RequiredAction::ResetDevice(name) | RequiredAction::ResetSrstDependents(name) => {
                name.clone()
            }
            RequiredAction::RestartService { service, .. } => service.key().to_owned(),
            _ => String::new(),
        }
    }

    /// The server it concerns, when it concerns one.
    pub fn server(&self) -> Option<&str> {
        match self {
            RequiredAction::RestartService { server, .. } => server.as_deref(),
            _ => None,
        }
    }

    /// The rule that requires it.
    pub fn rule(&self) -> &'static str {
        match self {
            RequiredAction::UpdateCtl => "R17",
            _ => "R10",
        }
    }

    /// The action in words, with its rule.
    pub fn describe(&self) -> String {
        let what = match self {
            RequiredAction::ResetDevice(name) => format!("Reset {name}"),
            RequiredAction::ResetSrstDependents(name) => {
                format!("Reset the devices whose device pool uses SRST reference {name}")
            }
            RequiredAction::ResetSystemDefaultDevices => {
                "Reset the devices set to Use System Default".to_owned()
            }
            RequiredAction::ResetAllDevices => "Reset all devices".to_owned(),
            RequiredAction::RestartService {
                server: Some(server),
                service,
            } => format!("Restart {} on {server}", service.label()),
            RequiredAction::RestartService {
                server: None,
                service,
            } => format!("Restart {} on every server that runs it", service.label()),
            RequiredAction::UpdateCtl => "Update the CTL file".to_owned(),
        };
        format!("{what} ({})", self.rule())
    }

    /// The action stored as (kind, server, target), if the kind is known.
    pub fn from_stored(kind: &str, server: Option<&str>, target: &str) -> Option<Self> {
        Some(match kind {
            "reset_device" => RequiredAction::ResetDevice(target.to_owned()),
            "reset_srst_dependents" => RequiredAction::ResetSrstDependents(target.to_owned()),
            "reset_system_default_devices" => RequiredAction::ResetSystemDefaultDevices,
            "reset_all_devices" => RequiredAction::ResetAllDevices,
            "restart_service" => RequiredAction::RestartService {
                server: server.map(str::to_owned),
                service: Service::parse(target)?,
            },
            "update_ctl" => RequiredAction::UpdateCtl,
            _ => return None,
        })
    }
}

/// Why an action is required: the change, its rule and its audit row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// The change in words.
    pub reason: String,
    /// The rule (R10, R17).
    pub rule: String,
    /// The audit row of the change.
    pub audit_id: Option<i64>,
    /// When it was required.
    pub at: DateTime<Utc>,
}

/// What a line of the Pending Actions page asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pending {
    /// A stored action other than single-device resets.
    Action(RequiredAction),
    /// Single-device resets, merged into one: how many devices, and the first names.
    ResetDevices {
        /// How many devices.
        count: u64,
        /// The first names, by name.
        sample: Vec<String>,
    },
}

impl Pending {
    /// The line's text, with its rule.
    pub fn describe(&self) -> String {
        match self {
            Pending::Action(a) => a.describe(),
            Pending::ResetDevices { count: 1, sample } if sample.len() == 1 => {
                format!("Reset {} (R10)", sample[0])
            }
            Pending::ResetDevices { count, .. } => format!("Reset {count} devices (R10)"),
        }
    }

    fn is_device_reset(&self) -> bool {
        matches!(
            self,
            Pending::ResetDevices { .. }
                | Pending::Action(
                    RequiredAction::ResetDevice(_)
                        | RequiredAction::ResetSrstDependents(_)
                        | RequiredAction::ResetSystemDefaultDevices
                )
        )
    }
}

/// One line of the Pending Actions page: what, why, since when, and how many stored actions it
/// stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingGroup {
    /// What to do.
    pub what: Pending,
    /// Why (at most [`REASONS`], the oldest first).
    pub reasons: Vec<Reason>,
    /// How many stored actions it stands for.
    pub stored: u64,
    /// Since when it is required.
    pub since: DateTime<Utc>,
}

impl PendingGroup {
    fn absorb(&mut self, other: PendingGroup) {
        self.stored += other.stored;
        self.since = self.since.min(other.since);
        for r in other.reasons {
            if self.reasons.len() < REASONS && !self.reasons.iter().any(|x| x.reason == r.reason) {
                self.reasons.push(r);
            }
        }
        self.reasons.sort_by_key(|r| r.at);
    }
}

/// Merges equivalent pending actions (R10): the same action twice is one line; single-device
/// resets are one line "reset N devices"; a cluster-wide reset subsumes every device reset; a
/// restart of a service on every server subsumes its restart on one server. Oldest first.
pub fn merge(groups: Vec<PendingGroup>) -> Vec<PendingGroup> {
    let mut out: Vec<PendingGroup> = Vec::new();
    for g in groups {
        let g = match g.what {
            Pending::Action(RequiredAction::ResetDevice(name)) => PendingGroup {
                what: Pending::ResetDevices {
                    count: 1,
                    sample: vec![name],
                },
                ..g
            },
            _ => g,
        };
        match out.iter_mut().find(|o| same(&o.what, &g.what)) {
            Some(existing) => {
                if let (
                    Pending::ResetDevices { count, sample },
                    Pending::ResetDevices {
                        count: more,
                        sample: names,
                    },
                ) = (&mut existing.what, &g.what)
                {
                    for name in names {
                        if !sample.contains(name) {
                            *count += 1;
                            sample.push(name.clone());
                        }
                    }
                    *count = (*count).max(*more);
                    sample.sort();
                    sample.truncate(SAMPLE);
                }
                existing.absorb(g);
            }
            None => out.push(g),
        }
    }
    let all = out
        .iter()
        .position(|g| g.what == Pending::Action(RequiredAction::ResetAllDevices));
    if let Some(i) = all {
        let mut keep = Vec::new();
        let mut all_group = out.remove(i);
        for g in out {
            if g.what.is_device_reset() {
                all_group.absorb(g);
            } else {
                keep.push(g);
            }
        }
        keep.push(all_group);
        out = keep;
    }
    let everywhere: Vec<Service> = out
        .iter()
        .filter_map(|g| match g.what {
            Pending::Action(RequiredAction::RestartService {
                server: None,
                service,
            }) => Some(service),
            _ => None,
        })
        .collect();
    let (subsumed, mut out): (Vec<_>, Vec<_>) = out.into_iter().partition(|g| {
        matches!(&g.what, Pending::Action(RequiredAction::RestartService { server: Some(_), service }) if everywhere.contains(service))
    });
    for g in subsumed {
        if let Pending::Action(RequiredAction::RestartService { service, .. }) = &g.what {
            let wanted = Pending::Action(RequiredAction::RestartService {
                server: None,
                service: *service,
            });
            if let Some(target) = out.iter_mut().find(|o| o.what == wanted) {
                target.absorb(g);
            }
        }
    }
    out.sort_by_key(|g| g.since);
    out
}

fn same(a: &Pending, b: &Pending) -> bool {
    match (a, b) {
        (Pending::ResetDevices { .. }, Pending::ResetDevices { .. }) => true,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r10_actions_round_trip_through_the_store() {
        let all = [
            RequiredAction::ResetDevice("SEP001122334455".into()),
            RequiredAction::ResetSrstDependents("Branch-1".into()),
            RequiredAction::ResetSystemDefaultDevices,
            RequiredAction::ResetAllDevices,
            RequiredAction::RestartService {
                server: Some("CM1".into()),
                service: Service::CtlProvider,
            },
            RequiredAction::RestartService {
                server: None,
                service: Service::Capf,
            },
            RequiredAction::UpdateCtl,
        ];
        for a in all {
            assert_eq!(
                RequiredAction::from_stored(a.kind(), a.server(), &a.target()),
                Some(a.clone())
            );
            assert!(a.describe().ends_with(&format!("({})", a.rule())));
        }
    }

    fn group(action: RequiredAction, reason: &str, minute: u32) -> PendingGroup {
        let at = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 26, 10, minute, 0)
            .single()
            .unwrap();
        PendingGroup {
            what: Pending::Action(action),
            reasons: vec![Reason {
                reason: reason.to_owned(),
                rule: "R10".to_owned(),
                audit_id: Some(i64::from(minute)),
                at,
            }],
            stored: 1,
            since: at,
        }
    }

    #[test]
    fn r10_ten_device_changes_merge_into_one_reset() {
        let groups: Vec<_> = (0..10)
            .map(|i| {
                group(
                    RequiredAction::ResetDevice(format!("SEP00000000000{i}")),
                    "Device Security Mode changed",
                    i,
                )
            })
            .chain([group(
                RequiredAction::ResetDevice("SEP000000000003".into()),
                "Phone hardening changed",
                20,
            )])
            .collect();
        let merged = merge(groups);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].stored, 11);
        assert_eq!(merged[0].what.describe(), "Reset 10 devices (R10)");
        assert_eq!(merged[0].reasons.len(), 2, "distinct reasons");
        assert_eq!(
            merged[0].since,
            group(RequiredAction::UpdateCtl, "", 0).since
        );
    }

    #[test]
    fn r10_a_cluster_wide_reset_subsumes_device_resets() {
        let merged = merge(vec![
            group(
                RequiredAction::ResetDevice("SEP000000000001".into()),
                "a",
                1,
            ),
            group(RequiredAction::ResetSrstDependents("Branch".into()), "b", 2),
            group(RequiredAction::ResetSystemDefaultDevices, "c", 3),
            group(RequiredAction::ResetAllDevices, "d", 4),
            group(RequiredAction::ResetAllDevices, "e", 5),
            group(RequiredAction::UpdateCtl, "f", 6),
        ]);
        assert_eq!(merged.len(), 2);
        assert_eq!(
            merged[0].what,
            Pending::Action(RequiredAction::ResetAllDevices)
        );
        assert_eq!(merged[0].stored, 5);
        assert_eq!(merged[1].what, Pending::Action(RequiredAction::UpdateCtl));
    }

    #[test]
    fn r10_a_restart_everywhere_subsumes_a_restart_on_one_server() {
        let on = |server: Option<&str>, service| RequiredAction::RestartService {
            server: server.map(str::to_owned),
            service,
        };
        let merged = merge(vec![
            group(on(Some("CM1"), Service::CallManager), "a", 1),
            group(on(None, Service::CallManager), "b", 2),
            group(on(Some("CM2"), Service::Tftp), "c", 3),
        ]);
        assert_eq!(merged.len(), 2);
        assert_eq!(
            merged[0].what,
            Pending::Action(on(None, Service::CallManager))
        );
        assert_eq!(merged[0].stored, 2);
        assert_eq!(
            merged[1].what,
            Pending::Action(on(Some("CM2"), Service::Tftp))
        );
    }
}
