//! Data the pages receive from the server (serialised into the page and over server functions),
//! and the request bodies of forms.

pub mod imports;
pub mod jobs;
pub mod security;
pub mod system;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::access::{Access, AccessLevel, Effective, FunctionalGroup, OverlapPolicy};

/// The logged-in administrator as the page shell shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    /// The user ID.
    pub name: String,
    /// The user groups the user belongs to, by name.
    pub groups: Vec<String>,
    /// True while the user must change a generated or reset password.
    pub must_change_password: bool,
    /// The user's effective level on every functional group.
    pub privileges: Vec<(FunctionalGroup, AccessLevel)>,
}

impl CurrentUser {
    /// The user's level on `group`.
    pub fn level(&self, group: FunctionalGroup) -> AccessLevel {
        self.privileges
            .iter()
            .find(|(g, _)| *g == group)
            .map_or(AccessLevel::NoAccess, |(_, l)| *l)
    }

    /// True when the user may do `access` on `group`.
    pub fn may(&self, group: FunctionalGroup, access: Access) -> bool {
        self.level(group).allows(access)
    }
}

/// What the home page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeInfo {
    /// The logged-in user.
    pub user: CurrentUser,
    /// The console's version.
    pub version: String,
    /// The cluster's name.
    pub cluster_name: String,
    /// The cluster's security mode as the page shows it.
    pub cluster_security_mode: String,
    /// Devices in the cluster (0: an empty cluster, whose home page says what to do next).
    #[serde(default)]
    pub devices: u64,
}

/// One page of a server-side paginated list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// How many rows match in all.
    pub total: u64,
    /// This page's number, from 1.
    pub page: u64,
    /// Rows per page.
    pub per_page: u64,
}

impl<T> Page<T> {
    /// How many pages the matching rows fill (at least 1).
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.per_page.max(1)).max(1)
    }
}

/// An administrator account as the Users pages and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// The user ID.
    pub name: String,
    /// Its user groups.
    pub groups: Vec<String>,
    /// A disabled user cannot log in.
    pub disabled: bool,
    /// True while a password change is due.
    pub must_change_password: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Optimistic-concurrency version; send it back with a change.
    pub version: i32,
}

/// A new account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    /// The user ID.
    pub name: String,
    /// Its first password.
    pub password: String,
    /// Its user groups.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Must the user change the password at first login?
    #[serde(default)]
    pub must_change_password: bool,
}

/// A change to an account; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    /// A new password.
    #[serde(default)]
    pub password: Option<String>,
    /// The complete new list of groups.
    #[serde(default)]
    pub groups: Option<Vec<String>>,
    /// Disable or enable.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// Must the user change the (new) password at next login?
    #[serde(default)]
    pub must_change_password: Option<bool>,
    /// The version read; a stale one is refused.
    #[serde(default)]
    pub version: Option<i32>,
}

/// A user group with its members and privileges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserGroupInfo {
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Standard groups cannot be deleted or renamed.
    pub built_in: bool,
    /// Its members' user IDs.
    pub members: Vec<String>,
    /// Its level on every functional group.
    pub privileges: Vec<(FunctionalGroup, AccessLevel)>,
    /// Optimistic-concurrency version.
    pub version: i32,
}

/// A new user group, or a change to one; absent fields stay as they are on a change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserGroupChange {
    /// The name (required when creating; renames otherwise).
    #[serde(default)]
    pub name: Option<String>,
    /// What it is for.
    #[serde(default)]
    pub description: Option<String>,
    /// The complete new list of members.
    #[serde(default)]
    pub members: Option<Vec<String>>,
    /// Levels to set, by functional group name and level label.
    #[serde(default)]
    pub privileges: Option<Vec<(String, String)>>,
    /// The version read; a stale one is refused.
    #[serde(default)]
    pub version: Option<i32>,
}

/// A functional group as the Functional Groups page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionalGroupInfo {
    /// The group.
    pub group: FunctionalGroup,
    /// Its name.
    pub name: String,
    /// What it covers.
    pub covers: String,
}

/// One row of the Privilege Report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivilegeRow {
    /// The functional group.
    pub group: FunctionalGroup,
    /// The level under the enterprise parameter's current value, and why.
    pub effective: Effective,
    /// The level the other value of the parameter would give, and why.
    pub under_other_policy: Effective,
}

/// A user's effective access on every functional group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivilegeReport {
    /// The user.
    pub user: String,
    /// The user's groups.
    pub groups: Vec<String>,
    /// The enterprise parameter in force.
    pub policy: OverlapPolicy,
    /// One row per functional group.
    pub rows: Vec<PrivilegeRow>,
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Order of writing.
    pub id: i64,
    /// When (UTC).
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: Option<String>,
    /// From which address.
    pub address: Option<String>,
    /// The action's stored name.
    pub action: String,
    /// The kind of object.
    pub object_type: String,
    /// The object.
    pub object_name: String,
    /// Before the change (JSON).
    pub before: Option<String>,
    /// After the change (JSON).
    pub after: Option<String>,
    /// A sentence about it.
    pub detail: String,
}

/// The Audit Log page's filters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Only this actor.
    #[serde(default)]
    pub user: Option<String>,
    /// Only this object type.
    #[serde(default)]
    pub object_type: Option<String>,
    /// Only this action (stored name).
    #[serde(default)]
    pub action: Option<String>,
    /// From this instant (RFC 3339 or `YYYY-MM-DDTHH:MM`, UTC).
    #[serde(default)]
    pub from: Option<String>,
    /// Until this instant.
    #[serde(default)]
    pub to: Option<String>,
    /// Page number from 1.
    #[serde(default)]
    pub page: Option<u64>,
    /// Rows per page (1–200).
    #[serde(default)]
    pub per_page: Option<u64>,
}

/// An API token as its owner sees it (never the secret, except once at creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Its id.
    pub id: i32,
    /// The name its owner gave it.
    pub name: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last authenticated a request (noted at most once a minute); `None`: never.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it stops authenticating requests.
    pub expires_at: DateTime<Utc>,
    /// True once `expires_at` has passed (by the server's clock when the list was read).
    pub expired: bool,
}

impl TokenInfo {
    /// The lifetime of a token, in days, when its maker chooses none.
    pub const DEFAULT_EXPIRY_DAYS: i64 = 90;
    /// The longest lifetime of a token, in days (a year).
    pub const MAX_EXPIRY_DAYS: i64 = 365;
    /// The label of the lifetime's field, which refusals name.
    pub const EXPIRY_FIELD: &'static str = "Expires in (days)";
}

/// A token just made: the secret is shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    /// The token.
    pub info: TokenInfo,
    /// The bearer secret.
    pub secret: String,
}

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
    pub lsc_status: String,
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
    /// Certificate Operation Status (read-only).
    pub certificate_operation_status: String,
    /// LSC status (read-only).
    pub lsc_status: String,
    /// Operation Completes By.
    pub operation_completes_by: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version; send it back with a change.
    pub version: i32,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Who made the last change.
    pub updated_by: String,
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
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
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
