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
    fn services_round_trip() {
        for s in Service::ALL {
            assert_eq!(Service::parse(s.key()), Some(s));
            assert_eq!(Service::parse(s.label()), Some(s));
        }
        assert!(!Service::CtlProvider.activated_by_default());
    }
}
