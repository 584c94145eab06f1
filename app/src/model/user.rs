//! User Management: accounts, user groups and their privileges, the audit log, API tokens.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::access::{AccessLevel, Effective, FunctionalGroup, OverlapPolicy};

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
