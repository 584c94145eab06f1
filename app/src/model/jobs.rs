//! What the reset, job, pending-action and Control Center pages exchange with the server.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::PhoneFilter;
use crate::domain::actions::PendingGroup;
use crate::domain::jobs::{DeviceStatus, JobStatus};
use crate::domain::services::{Service, ServiceState};
use crate::domain::sip::DeviceAction;

/// Where a device can be reached, and what it last reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceContact {
    /// IP address.
    pub address: String,
    /// UDP port.
    pub port: u16,
    /// Transport of the last registration (`udp`, `tls`).
    pub transport: String,
    /// `device` (it registered) or the administrator who entered it.
    pub source: String,
    /// Last registration or entry.
    pub last_seen: DateTime<Utc>,
    /// The security mode it reports running with.
    pub running_mode: Option<String>,
    /// The config file it last fetched.
    pub config_file: Option<String>,
    /// `valid`, `invalid` or `unsigned`.
    pub signature: Option<String>,
    /// When it last reported.
    pub reported_at: Option<DateTime<Utc>>,
    /// How it last registered through the SIP registrar ("TLS with LSC serial …", "UDP"); empty
    /// when it did not.
    #[serde(default)]
    pub registration: String,
    /// Why its last registration was refused (empty: none was).
    #[serde(default)]
    pub refusal: String,
    /// When it was refused.
    #[serde(default)]
    pub refused_at: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

/// A request to reset or restart devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetRequest {
    /// Every phone matching this filter (an empty filter: every device)…
    #[serde(default)]
    pub filter: Option<PhoneFilter>,
    /// …or exactly these phones.
    #[serde(default)]
    pub names: Option<Vec<String>>,
    /// Reset or restart.
    #[serde(rename = "type")]
    pub action: DeviceAction,
    /// Devices per second (`None`: the default, 50; 0: unthrottled).
    #[serde(default)]
    pub rate: Option<u32>,
}

/// How many devices of a job are in each status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCounts {
    /// Not reached yet.
    pub pending: i64,
    /// NOTIFY sent, no answer yet.
    pub sent: i64,
    /// Answered 200.
    pub acknowledged: i64,
    /// Answered with an error.
    pub rejected: i64,
    /// No answer before the timeout.
    pub timed_out: i64,
    /// No contact known.
    pub not_registered: i64,
    /// Given up by a cancel.
    pub cancelled: i64,
}

impl DeviceCounts {
    /// The count of `status`.
    pub fn of(&self, status: DeviceStatus) -> i64 {
        match status {
            DeviceStatus::Pending => self.pending,
            DeviceStatus::Sent => self.sent,
            DeviceStatus::Acknowledged => self.acknowledged,
            DeviceStatus::Rejected => self.rejected,
            DeviceStatus::TimedOut => self.timed_out,
            DeviceStatus::NotRegistered => self.not_registered,
            DeviceStatus::Cancelled => self.cancelled,
        }
    }

    /// Adds `n` to the count of `status`.
    pub fn add(&mut self, status: DeviceStatus, n: i64) {
        let slot = match status {
            DeviceStatus::Pending => &mut self.pending,
            DeviceStatus::Sent => &mut self.sent,
            DeviceStatus::Acknowledged => &mut self.acknowledged,
            DeviceStatus::Rejected => &mut self.rejected,
            DeviceStatus::TimedOut => &mut self.timed_out,
            DeviceStatus::NotRegistered => &mut self.not_registered,
            DeviceStatus::Cancelled => &mut self.cancelled,
        };
        *slot += n;
    }

    /// Devices with a final status.
    pub fn finished(&self) -> i64 {
        DeviceStatus::ALL
            .into_iter()
            .filter(|s| s.is_final())
            .map(|s| self.of(s))
            .sum()
    }
}

/// One device of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobDevice {
    /// The device name.
    pub name: String,
    /// Its status.
    pub status: DeviceStatus,
    /// The contact the NOTIFY went to.
    pub contact: Option<String>,
    /// NOTIFYs sent.
    pub attempts: i32,
    /// What happened.
    pub detail: String,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A reset or restart job with its progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetJob {
    /// Its id.
    pub id: i32,
    /// Reset or restart.
    pub action: DeviceAction,
    /// Which devices, in words.
    pub scope: String,
    /// Where it stands.
    pub status: JobStatus,
    /// Devices in it.
    pub total: i64,
    /// Devices per status.
    pub counts: DeviceCounts,
    /// Devices per second (`None`: unthrottled).
    pub rate: Option<u32>,
    /// Why it waits or failed, if it does.
    pub message: String,
    /// Who started it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Last progress.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version (pause, resume, cancel, rate).
    pub version: i32,
    /// The first devices (by order reached), or those of the status asked for.
    pub devices: Vec<JobDevice>,
}

/// The Pending Actions page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingActions {
    /// The merged lines, oldest first.
    pub groups: Vec<PendingGroup>,
    /// Whether the user may reset devices (Phone, Full Access).
    pub can_reset: bool,
    /// Whether the user may restart services (ServiceManagement, Full Access).
    pub can_restart: bool,
}

/// One service of one server in Control Center.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceStatus {
    /// The server.
    pub server: String,
    /// Whether this node runs the server's services.
    pub this_node: bool,
    /// The service.
    pub service: Service,
    /// Its state.
    pub state: ServiceState,
    /// Why the last start failed, if it did.
    pub detail: String,
    /// When it last started.
    pub restarted_at: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version (0: never set).
    pub version: i32,
}

/// The Control Center page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlCenter {
    /// Every service of every server.
    pub services: Vec<ServiceStatus>,
    /// Whether the user may start, stop and restart (ServiceManagement, Full Access).
    pub can_control: bool,
}
