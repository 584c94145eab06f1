//! The services of a CallManager server that the security pages deal with (Serviceability).

use serde::{Deserialize, Serialize};

/// A service of a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Service {
    /// Cisco CallManager: call processing, registrations.
    CallManager,
    /// Cisco TFTP: serves the config files and the CTL.
    Tftp,
    /// Cisco CTL Provider: needed by every CTL operation (R18).
    CtlProvider,
    /// Cisco Certificate Authority Proxy Function: issues LSCs; the publisher only.
    Capf,
}

impl Service {
    /// Every service, in the order Serviceability lists them.
    pub const ALL: [Service; 4] = [
        Service::CallManager,
        Service::Tftp,
        Service::CtlProvider,
        Service::Capf,
    ];

    /// The name Serviceability shows.
    pub fn label(self) -> &'static str {
        match self {
            Service::CallManager => "Cisco CallManager",
            Service::Tftp => "Cisco TFTP",
            Service::CtlProvider => "Cisco CTL Provider",
            Service::Capf => "Cisco Certificate Authority Proxy Function",
        }
    }

    /// The stored name, also used in URLs and the JSON API.
    pub fn key(self) -> &'static str {
        match self {
            Service::CallManager => "callmanager",
            Service::Tftp => "tftp",
            Service::CtlProvider => "ctl-provider",
            Service::Capf => "capf",
        }
    }

    /// The service with that stored name or label.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.key() == text || s.label() == text)
    }

    /// Whether only the publisher runs it (`PAGES.md`: CAPF).
    pub fn publisher_only(self) -> bool {
        self == Service::Capf
    }

    /// Whether a new server has it activated: call processing and TFTP are, the security services
    /// are activated by the administrator (R21 steps 1 and 2).
    pub fn activated_by_default(self) -> bool {
        matches!(self, Service::CallManager | Service::Tftp)
    }

    /// Why the service cannot be activated on a server of `role`, if it cannot.
    pub fn refuse_activation(self, role: ServerRole) -> Option<String> {
        (self.publisher_only() && role != ServerRole::Publisher).then(|| {
            format!(
                "{} runs on the publisher only; this server is a subscriber",
                self.label()
            )
        })
    }
}

/// A service's run state (Control Center).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "ssr",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter),
    sea_orm(rs_type = "String", db_type = "Text")
)]
pub enum ServiceState {
    /// Not activated on the server (Service Activation).
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "not_activated"))]
    NotActivated,
    /// Activated, not running.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "stopped"))]
    Stopped,
    /// Asked to start; the node that runs it has not finished starting it.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "starting"))]
    Starting,
    /// Running.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "started"))]
    Started,
}

impl ServiceState {
    /// The stored name (`NotActivated` is never stored: it follows from the activation).
    pub fn key(self) -> &'static str {
        match self {
            ServiceState::NotActivated => "not_activated",
            ServiceState::Stopped => "stopped",
            ServiceState::Starting => "starting",
            ServiceState::Started => "started",
        }
    }

    /// The label Control Center shows.
    pub fn label(self) -> &'static str {
        match self {
            ServiceState::NotActivated => "Not Activated",
            ServiceState::Stopped => "Stopped",
            ServiceState::Starting => "Starting",
            ServiceState::Started => "Started",
        }
    }

    /// The state of a service given its activation and its stored state (none stored, or
    /// `NotActivated` stored: started, the state an activation starts it in).
    pub fn of(activated: bool, stored: Option<Self>) -> Self {
        match (activated, stored) {
            (false, _) => ServiceState::NotActivated,
            (true, Some(ServiceState::Stopped)) => ServiceState::Stopped,
            (true, Some(ServiceState::Starting)) => ServiceState::Starting,
            (true, _) => ServiceState::Started,
        }
    }
}

/// What Control Center asks of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ServiceOp {
    /// Start a stopped service.
    Start,
    /// Stop a running service.
    Stop,
    /// Stop and start again.
    Restart,
}

impl ServiceOp {
    /// The name in URLs.
    pub fn key(self) -> &'static str {
        match self {
            ServiceOp::Start => "start",
            ServiceOp::Stop => "stop",
            ServiceOp::Restart => "restart",
        }
    }

    /// The operation with that name.
    pub fn parse(text: &str) -> Option<Self> {
        [ServiceOp::Start, ServiceOp::Stop, ServiceOp::Restart]
            .into_iter()
            .find(|op| op.key() == text)
    }

    /// The button's label.
    pub fn label(self) -> &'static str {
        match self {
            ServiceOp::Start => "Start",
            ServiceOp::Stop => "Stop",
            ServiceOp::Restart => "Restart",
        }
    }

    /// Why the operation cannot run in `state`, if it cannot; else the state it leads to
    /// (`Starting` for a service the node must start, `Stopped` for a stop).
    pub fn apply(self, state: ServiceState) -> Result<ServiceState, String> {
        match (self, state) {
            (_, ServiceState::NotActivated) => {
                Err("the service is not activated on this server (Service Activation)".to_owned())
            }
            (ServiceOp::Start, ServiceState::Started | ServiceState::Starting) => {
                Err("the service is already started".to_owned())
            }
            (ServiceOp::Stop, ServiceState::Stopped) => {
                Err("the service is already stopped".to_owned())
            }
            (ServiceOp::Stop, _) => Ok(ServiceState::Stopped),
            (ServiceOp::Start | ServiceOp::Restart, _) => Ok(ServiceState::Starting),
        }
    }
}

/// A server's role in the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ServerRole {
    /// The one server that holds the master copy of the database.
    Publisher,
    /// Every other server.
    Subscriber,
}

impl ServerRole {
    /// The stored name.
    pub fn key(self) -> &'static str {
        match self {
            ServerRole::Publisher => "publisher",
            ServerRole::Subscriber => "subscriber",
        }
    }

    /// The label the pages show.
    pub fn label(self) -> &'static str {
        match self {
            ServerRole::Publisher => "Publisher",
            ServerRole::Subscriber => "Subscriber",
        }
    }

    /// The role with that stored name or label.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "publisher" | "Publisher" => Some(ServerRole::Publisher),
            "subscriber" | "Subscriber" => Some(ServerRole::Subscriber),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capf_is_for_the_publisher_only() {
        assert!(Service::Capf
            .refuse_activation(ServerRole::Subscriber)
            .is_some());
        assert!(Service::Capf
            .refuse_activation(ServerRole::Publisher)
            .is_none());
        assert!(Service::CtlProvider
            .refuse_activation(ServerRole::Subscriber)
            .is_none());
    }

    #[test]
    fn control_center_transitions() {
        use ServiceOp::*;
        use ServiceState::*;
        assert_eq!(Stop.apply(Started), Ok(Stopped));
        assert_eq!(Start.apply(Stopped), Ok(Starting));
        assert_eq!(Restart.apply(Started), Ok(Starting));
        assert_eq!(Restart.apply(Stopped), Ok(Starting));
        assert!(Start.apply(Started).is_err());
        assert!(Stop.apply(Stopped).is_err());
        for op in [Start, Stop, Restart] {
            assert!(op.apply(NotActivated).is_err());
            assert_eq!(ServiceOp::parse(op.key()), Some(op));
        }
        assert_eq!(ServiceState::of(false, Some(Started)), NotActivated);
        assert_eq!(ServiceState::of(true, Some(Stopped)), Stopped);
        assert_eq!(ServiceState::of(true, None), Started);
    }

    #[test]
    fn services_round_trip() {
        for s in Service::ALL {
            assert_eq!(Service::parse(s.key()), Some(s));
            assert_eq!(Service::parse(s.label()), Some(s));
        }
        assert!(!Service::CtlProvider.activated_by_default());
    }
}
