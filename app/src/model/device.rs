//! Device > Phone: phone models and pools as the phone pages list them, Find and List Phones,
//! Phone Configuration, and bulk changes with their jobs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A phone model with what it can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// The model's name.
    pub name: String,
    /// Its capabilities.
    pub caps: crate::domain::security::Capabilities,
    /// Speaks SCCP.
    pub sccp: bool,
    /// Speaks SIP.
    pub sip: bool,
}

/// A device pool as the phone pages and the API list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolInfo {
    /// Its name.
    pub name: String,
    /// Its CallManager group.
    pub callmanager_group: String,
    /// Its SRST choice: Disable, Use Default Gateway, or a reference's name.
    pub srst: String,
}

/// What the phone page needs to apply the rules as the administrator edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneContext {
    /// The cluster's security mode.
    pub cluster_mode: crate::domain::security::ClusterSecurityMode,
    /// The enterprise parameter Device Security Mode.
    pub system_default: crate::domain::security::SecurityMode,
    /// The service parameter Built In Bridge Enable.
    pub bridge_service_default_on: bool,
    /// Every model.
    pub models: Vec<ModelInfo>,
    /// Every device pool's name.
    pub pools: Vec<String>,
    /// Each device pool's SRST reference as R9 reads it (`None`: no reference).
    pub pool_srst: Vec<(String, Option<crate::domain::srst::SrstStatus>)>,
}

impl PhoneContext {
    /// The model named `name`.
    pub fn model(&self, name: &str) -> Option<&ModelInfo> {
        self.models.iter().find(|m| m.name == name)
    }

    /// The SRST reference the device pool `pool` uses, as R9 reads it.
    pub fn srst_of_pool(&self, pool: &str) -> Option<&crate::domain::srst::SrstStatus> {
        self.pool_srst
            .iter()
            .find(|(name, _)| name == pool)
            .and_then(|(_, status)| status.as_ref())
    }
}

/// One row of Find and List Phones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneRow {
    /// Device name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Model name.
    pub model: String,
    /// SCCP or SIP.
    pub protocol: String,
    /// Device pool name.
    pub device_pool: String,
    /// Configured Device Security Mode.
    pub configured: crate::domain::security::ConfiguredMode,
    /// The mode the device runs with.
    pub effective: crate::domain::security::SecurityMode,
    /// True when a rule (R7, R8) makes the device run another mode than the one it is set to.
    pub overridden: bool,
    /// Its SRST fallback is secure (R9).
    pub secure_srst: bool,
    /// LSC status.
    pub lsc_status: crate::domain::capf::LscFilter,
}

/// A phone as the configuration page and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneDetail {
    /// The editable fields.
    pub fields: crate::domain::device::PhoneFields,
    /// The mode it runs with, and why.
    pub effective: crate::domain::security::EffectiveMode,
    /// Whether its SRST fallback is secure, and why (R9).
    pub secure_srst: crate::domain::srst::SecureSrst,
    /// Certificate Operation Status (read-only): "<operation> pending / in progress / success /
    /// failed: <reason>".
    pub certificate_operation_status: String,
    /// When that status last changed.
    pub certificate_operation_status_at: Option<DateTime<Utc>>,
    /// LSC status (read-only).
    pub lsc_status: crate::domain::capf::LscFilter,
    /// The LSC CAPF issued it, if it holds one.
    pub lsc: Option<KeptCertificate>,
    /// The last manufacturer certificate it presented.
    pub mic: Option<KeptCertificate>,
    /// When a scheduled operation will run (R19), if one is scheduled.
    pub operation_runs: Option<String>,
    /// Operation Completes By.
    pub operation_completes_by: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version; send it back with a change.
    pub version: i32,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Who made the last change.
    pub updated_by: String,
}

/// A certificate a device holds, as its record keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptCertificate {
    /// Serial, upper-case hex.
    pub serial: String,
    /// Issuer (common name).
    pub issuer: String,
    /// SHA-256 fingerprint.
    pub sha256: String,
    /// Valid from (the MIC's is not kept).
    pub not_before: Option<DateTime<Utc>>,
    /// Valid until.
    pub not_after: Option<DateTime<Utc>>,
}

/// The answer to a saved phone: the phone, the warnings of the rules, and what it requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneSaved {
    /// The phone as saved.
    pub phone: PhoneDetail,
    /// Rule warnings (R5).
    pub warnings: Vec<String>,
    /// Actions the change requires before it takes effect (R10).
    pub required_actions: Vec<String>,
}

/// The filters, sort and page of Find and List Phones (all in the address).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneFilter {
    /// Device name contains.
    #[serde(default)]
    pub name: Option<String>,
    /// Description contains.
    #[serde(default)]
    pub description: Option<String>,
    /// Model name.
    #[serde(default)]
    pub model: Option<String>,
    /// Device pool name.
    #[serde(default)]
    pub device_pool: Option<String>,
    /// Configured Device Security Mode (stored name).
    #[serde(default)]
    pub configured: Option<String>,
    /// Effective mode (stored name).
    #[serde(default)]
    pub effective: Option<String>,
    /// LSC status.
    #[serde(default)]
    pub lsc_status: Option<String>,
    /// Secure SRST (R9): `yes` or `no`.
    #[serde(default)]
    pub secure_srst: Option<String>,
    /// Registered to this server (the first of its device pool's CallManager group).
    #[serde(default)]
    pub server: Option<String>,
    /// A dashboard finding: `r5`, `r7` or `r8`.
    #[serde(default)]
    pub finding: Option<String>,
    /// Sort column: name, description, model, device_pool, configured.
    #[serde(default)]
    pub sort: Option<String>,
    /// Sort descending.
    #[serde(default)]
    pub desc: Option<bool>,
    /// Page number from 1.
    #[serde(default)]
    pub page: Option<u64>,
    /// Rows per page (1–200).
    #[serde(default)]
    pub per_page: Option<u64>,
}

/// A bulk change of phones: which phones (the selected names, or all that match a filter), which
/// field, which value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkRequest {
    /// All phones matching this filter (its sort and page are ignored)…
    #[serde(default)]
    pub filter: Option<PhoneFilter>,
    /// …or exactly these phones.
    #[serde(default)]
    pub names: Option<Vec<String>>,
    /// `security_mode`, `gratuitous_arp`, `web_access`, `pc_voice_vlan_access`,
    /// `settings_access` or `pc_port`.
    pub field: String,
    /// The new value: a Device Security Mode label or stored name; `Enabled` or `Disabled`.
    pub value: String,
}

/// What a bulk change would do, before it is confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkPreview {
    /// Phones the request names or matches.
    pub matched: u64,
    /// Phones whose value would change.
    pub will_change: u64,
    /// Phones that already have the value.
    pub unchanged: u64,
    /// Phones refused, grouped by reason.
    pub refused: Vec<(String, u64)>,
}

/// A job as the pages and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobInfo {
    /// Its id.
    pub id: i32,
    /// What it does.
    pub kind: String,
    /// Where it stands (`running`, `done` or `failed` in JSON).
    #[serde(with = "crate::domain::jobs::stored_key")]
    pub status: crate::domain::jobs::JobStatus,
    /// Items to process.
    pub total: i64,
    /// Items processed.
    pub processed: i64,
    /// Items changed.
    pub changed: i64,
    /// Items refused.
    pub refused: i64,
    /// The outcome in words.
    pub message: String,
    /// When it was started.
    pub created_at: DateTime<Utc>,
    /// Its last progress (its end, once done).
    pub updated_at: DateTime<Utc>,
}
