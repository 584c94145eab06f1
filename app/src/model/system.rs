//! Data of the System, Service and Serviceability pages: SRST references, parameters, servers,
//! service activation, the other clusters sharing TFTP, and the dashboard.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::parameters::ParameterValue;
use crate::domain::pools::{GroupFields, PoolFields, RegionFields};
use crate::domain::security::ClusterSecurityMode;
use crate::domain::servers::ServerFields;
use crate::domain::services::Service;
use crate::domain::srst::SrstFields;
use crate::domain::tftp_share::TftpCluster;

/// A certificate fetched from an SRST gateway (a cluster certificate is
/// [`crate::model::security::CertificateInfo`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SrstCertificate {
    /// Subject.
    pub subject: String,
    /// Issuer.
    pub issuer: String,
    /// Valid from.
    pub not_before: DateTime<Utc>,
    /// Valid until.
    pub not_after: DateTime<Utc>,
    /// SHA-256 fingerprint.
    pub sha256: String,
    /// Valid now.
    pub valid: bool,
}

/// An SRST reference with its certificate and the pools that use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SrstInfo {
    /// Its fields.
    pub fields: SrstFields,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// "Not secure", "Secure", "Secure, no certificate" or "Secure, certificate not valid".
    pub status: String,
    /// The stored certificate.
    pub certificate: Option<SrstCertificate>,
    /// Why the last fetch failed, if it did.
    pub certificate_error: Option<String>,
    /// When the certificate was last fetched (or tried).
    pub fetched_at: Option<DateTime<Utc>>,
    /// Device pools that use it.
    pub pools: Vec<String>,
}

/// The answer to a save: the reference and what the change requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SrstSaved {
    /// The reference as stored.
    pub reference: SrstInfo,
    /// Required actions (R10).
    pub required_actions: Vec<String>,
}

/// The answer to a parameter update: the parameter, the rule messages, what it requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParameterSaved {
    /// The parameters as stored.
    pub parameters: Vec<ParameterValue>,
    /// Warnings (R5).
    pub warnings: Vec<String>,
    /// Required actions (R10).
    pub required_actions: Vec<String>,
}

/// Everything System > Enterprise Parameters shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnterpriseParameters {
    /// The cluster's security mode (read-only here).
    pub cluster_mode: ClusterSecurityMode,
    /// This cluster's name.
    pub cluster_name: String,
    /// Servers with auto-registration on (R2).
    pub auto_registration_on: Vec<String>,
    /// Every parameter.
    pub parameters: Vec<ParameterValue>,
    /// Other clusters sharing the TFTP servers.
    pub tftp_clusters: Vec<TftpClusterInfo>,
    /// R3 warnings.
    pub r3_warnings: Vec<String>,
}

/// Another cluster sharing the TFTP servers, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TftpClusterInfo {
    /// Its fields.
    pub cluster: TftpCluster,
    /// Optimistic-concurrency version.
    pub version: i32,
}

/// The parameters of one service on one server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceParameters {
    /// The server.
    pub server: String,
    /// The service.
    pub service: Service,
    /// Its parameters.
    pub parameters: Vec<ServiceParameterValue>,
}

/// A service parameter with whether it is cluster-wide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceParameterValue {
    /// The parameter and its value.
    pub parameter: ParameterValue,
    /// One value for every server.
    pub cluster_wide: bool,
}

/// A server with its registered devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerDetail {
    /// Its fields.
    pub fields: ServerFields,
    /// Its GUID (read-only).
    pub guid: String,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Devices registered to it (the first server of their device pool's CallManager group).
    pub devices: u64,
}

/// The answer to a server save.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerSaved {
    /// The server as stored.
    pub server: ServerDetail,
    /// Required actions (R17).
    pub required_actions: Vec<String>,
}

/// A service on a server: activated or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceActivation {
    /// The server.
    pub server: String,
    /// The service.
    pub service: Service,
    /// Activated.
    pub activated: bool,
    /// Why it cannot be activated here, if it cannot.
    pub unavailable: Option<String>,
    /// Optimistic-concurrency version (0: never set).
    pub version: i32,
}

/// A CallManager group with the device pools that use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDetail {
    /// Its fields.
    pub fields: GroupFields,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// The device pools that use it, by name.
    pub pools: Vec<String>,
}

/// The answer to a CallManager group save.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSaved {
    /// The group as stored.
    pub group: GroupDetail,
    /// Required actions (R10: the devices of its pools reset).
    pub required_actions: Vec<String>,
}

/// A device pool with the count of its devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolDetail {
    /// Its fields.
    pub fields: PoolFields,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Devices in the pool.
    pub devices: u64,
}

/// The answer to a device pool save.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolSaved {
    /// The pool as stored.
    pub pool: PoolDetail,
    /// Required actions (R10: its devices reset).
    pub required_actions: Vec<String>,
}

/// A region with the device pools in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionDetail {
    /// Its fields.
    pub fields: RegionFields,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// The device pools in it, by name.
    pub pools: Vec<String>,
}

/// What the group and pool forms offer to choose from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolChoices {
    /// Every server, by name.
    pub servers: Vec<String>,
    /// Every CallManager group, by name.
    pub groups: Vec<String>,
    /// Every region, by name.
    pub regions: Vec<String>,
    /// Every SRST reference, by name.
    pub srst_references: Vec<String>,
}
