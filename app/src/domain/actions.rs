//! Required actions (R10, R17): what a change requires before it takes effect. The pages show
//! them after a save; the store keeps them until they are done.

use serde::{Deserialize, Serialize};

use super::services::Service;

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
}
