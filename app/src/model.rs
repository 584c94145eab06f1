//! Data the pages receive from the server (serialised into the page and over server functions).

use serde::{Deserialize, Serialize};

/// The logged-in administrator as the page shell shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    /// The user ID.
    pub name: String,
    /// The user groups the user belongs to, by name.
    pub groups: Vec<String>,
    /// True while the user must change a generated or reset password.
    pub must_change_password: bool,
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
}
