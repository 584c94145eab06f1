//! Who a request acts for: the checked [`Principal`] behind a session or API token, and the
//! [`Actor`] the audit log names. Both are plain data, so that the permission check and the audit
//! log need nothing else of the login code.

use crate::error::AppError;

/// The user a request acts for, after its session (or API token) was checked; operations take
/// the typed grants of [`super::authz::Privileges`] made from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user's primary key.
    pub user_id: i32,
    /// The user ID.
    pub name: String,
    /// True while the user must change their password.
    pub must_change_password: bool,
}

impl Principal {
    /// The principal, refused while a password change is pending.
    pub fn active(self) -> Result<Self, AppError> {
        if self.must_change_password {
            Err(AppError::PasswordChangeRequired)
        } else {
            Ok(self)
        }
    }
}

/// Who did something, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user's id, when logged in.
    pub user_id: Option<i32>,
    /// The user ID (for a failed login, the one typed).
    pub name: Option<String>,
    /// The client's address.
    pub address: Option<String>,
}
