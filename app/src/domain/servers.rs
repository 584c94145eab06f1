//! System > Cisco CallManager: a server's fields, their validation, and R2 (Mixed mode and
//! auto-registration are never on together).

use serde::{Deserialize, Serialize};

use super::net::{ipv4, port, record_name};
use super::security::ClusterSecurityMode;
use super::services::ServerRole;
use crate::error::AppError;

/// The fields an administrator sets on a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerFields {
    /// Name (host name).
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// IPv4 address.
    pub address: String,
    /// Publisher or subscriber.
    pub role: ServerRole,
    /// Ethernet Phone Port.
    #[serde(default = "default_phone_port")]
    pub ethernet_phone_port: i64,
    /// MGCP Listen Port.
    #[serde(default = "default_mgcp_listen")]
    pub mgcp_listen_port: i64,
    /// MGCP Keep-alive Port.
    #[serde(default = "default_mgcp_keep_alive")]
    pub mgcp_keep_alive_port: i64,
    /// Auto-registration.
    #[serde(default)]
    pub auto_registration: bool,
}

fn default_phone_port() -> i64 {
    2000
}

fn default_mgcp_listen() -> i64 {
    2427
}

fn default_mgcp_keep_alive() -> i64 {
    2428
}

impl ServerFields {
    /// A new subscriber with the page's defaults.
    pub fn new(name: &str, address: &str) -> Self {
        Self {
            name: name.to_owned(),
            description: String::new(),
            address: address.to_owned(),
            role: ServerRole::Subscriber,
            ethernet_phone_port: default_phone_port(),
            mgcp_listen_port: default_mgcp_listen(),
            mgcp_keep_alive_port: default_mgcp_keep_alive(),
            auto_registration: false,
        }
    }
}

/// Checks every field; the first refusal names its field.
pub fn validate_server(f: &ServerFields) -> Result<(), AppError> {
    record_name("Cisco CallManager Name", &f.name, 64)?;
    if f.description.chars().count() > 128 {
        return Err(AppError::invalid(
            "Description",
            "must be at most 128 characters",
        ));
    }
    ipv4("IP Address", &f.address)?;
    port("Ethernet Phone Port", f.ethernet_phone_port)?;
    port("MGCP Listen Port", f.mgcp_listen_port)?;
    port("MGCP Keep-alive Port", f.mgcp_keep_alive_port)?;
    if f.mgcp_listen_port == f.mgcp_keep_alive_port {
        return Err(AppError::invalid(
            "MGCP Keep-alive Port",
            "must differ from the MGCP Listen Port",
        ));
    }
    Ok(())
}

/// R2: auto-registration does not work in Mixed mode, so it cannot be switched on then.
pub fn r2_refusal(cluster: ClusterSecurityMode, auto_registration: bool) -> Option<&'static str> {
    (cluster == ClusterSecurityMode::Mixed && auto_registration).then_some(
        "cannot be on while the cluster security mode is Mixed: auto-registration does not work \
         in Mixed mode (R2)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r2_mixed_mode_refuses_auto_registration() {
        assert!(r2_refusal(ClusterSecurityMode::Mixed, true).is_some());
        assert!(r2_refusal(ClusterSecurityMode::Mixed, false).is_none());
        assert!(r2_refusal(ClusterSecurityMode::NonSecure, true).is_none());
    }

    #[test]
    fn server_fields_are_validated_by_field() {
        let ok = ServerFields::new("CM3", "10.0.0.3");
        assert!(validate_server(&ok).is_ok());
        let bad = ServerFields {
            ethernet_phone_port: 0,
            ..ok.clone()
        };
        assert_eq!(
            validate_server(&bad).unwrap_err().field(),
            Some("Ethernet Phone Port")
        );
        let bad = ServerFields {
            address: "10.0.0".into(),
            ..ok
        };
        assert_eq!(
            validate_server(&bad).unwrap_err().field(),
            Some("IP Address")
        );
    }
}
