//! The one error type that crosses from server to browser: every server function returns it, and
//! the REST layer maps it to a status code.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What went wrong, in words an administrator can act on. Internal details stay in the server log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// No valid session: the caller must log in (HTTP 401).
    #[error("You are not logged in, or your session has ended.")]
    Unauthenticated,
    /// Login refused. One message whatever the reason, so it never tells whether a user exists.
    #[error("Invalid user ID or password.")]
    BadCredentials,
    /// Too many failed logins for this account or address (HTTP 429).
    #[error("Too many failed logins. Try again in {retry_after_secs} seconds.")]
    TooManyAttempts {
        /// Seconds until the next attempt is checked.
        retry_after_secs: i64,
    },
    /// The caller must change their password before doing anything else (HTTP 403).
    #[error("You must change your password before continuing.")]
    PasswordChangeRequired,
    /// The caller may not do this (HTTP 403).
    #[error("Access denied.")]
    Forbidden,
    /// The caller's access level allows the route, but not this change: the message says why
    /// (HTTP 403).
    #[error("{0}")]
    Denied(String),
    /// A submitted value was refused; `field` names the form field (HTTP 422).
    #[error("{field}: {reason}")]
    Invalid {
        /// The field's label as the page shows it.
        field: String,
        /// Why the value was refused.
        reason: String,
    },
    /// The named record does not exist (HTTP 404).
    #[error("{0} was not found.")]
    NotFound(String),
    /// The record is still used by others and cannot be removed (HTTP 409).
    #[error("{0}")]
    InUse(String),
    /// The record changed since it was read (HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// A failure on the server; details are in the server log (HTTP 500).
    #[error("The server could not complete the request; see the server log.")]
    Internal,
    /// The request could not be transported or decoded.
    #[error("{0}")]
    Transport(String),
    /// The service that answers this is not running on this node (HTTP 503).
    #[error("{0}")]
    Unavailable(String),
}

impl AppError {
    /// A refused value of the named field.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The HTTP status this error maps to.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::Unauthenticated | Self::BadCredentials => 401,
            Self::PasswordChangeRequired | Self::Forbidden | Self::Denied(_) => 403,
            Self::NotFound(_) => 404,
            Self::Conflict(_) | Self::InUse(_) => 409,
            Self::TooManyAttempts { .. } => 429,
            Self::Invalid { .. } => 422,
            Self::Transport(_) => 400,
            Self::Unavailable(_) => 503,
            Self::Internal => 500,
        }
    }

    /// The field the error is about, when it is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value.to_string())
    }
}

/// A store error becomes the opaque [`AppError::Internal`]; the error, its sources and the place
/// of the `?` that met it go to the server log.
#[cfg(feature = "ssr")]
impl From<sea_orm::DbErr> for AppError {
    #[track_caller]
    fn from(err: sea_orm::DbErr) -> Self {
        let at = std::panic::Location::caller();
        let mut chain = String::new();
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            chain.push_str(": ");
            chain.push_str(&cause.to_string());
            source = cause.source();
        }
        tracing::error!(%at, "store error: {err}{chain}");
        Self::Internal
    }
}
