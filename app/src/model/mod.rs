//! Data the pages receive from the server (serialised into the page and over server functions),
//! and the request bodies of forms, grouped by menu area: `system`, `device` (phones, bulk
//! changes) with `imports` and `jobs`, `security`, `user` (accounts, groups, the audit log, API
//! tokens). The shell's types (the current user, the home page, a page of a list) are here; the
//! `device` and `user` types are re-exported here, where the pages have always found them.

pub mod device;
pub mod imports;
pub mod jobs;
pub mod recovery;
pub mod security;
pub mod system;
pub mod user;

pub use device::*;
pub use user::*;

use serde::{Deserialize, Serialize};

use crate::domain::access::{Access, AccessLevel, FunctionalGroup};

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

    /// True when the user holds the cluster's keys: Full Access to every group of
    /// [`crate::domain::access::CLUSTER_KEYS`].
    pub fn holds_cluster_keys(&self) -> bool {
        crate::domain::access::holds_cluster_keys(|g| self.level(g))
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
