//! Failures below the service layer turned into [`AppError`]: the cause and the place it was met
//! go to the server log, the caller gets the opaque [`AppError::Internal`]. Store errors convert
//! with `?` (see the `From<DbErr>` in [`crate::error`]); this is for every other failure.

use std::panic::Location;

use crate::error::AppError;

/// Logs `err` with the caller's place in the code and returns [`AppError::Internal`].
#[track_caller]
pub fn internal(err: impl std::fmt::Display) -> AppError {
    let at = Location::caller();
    tracing::error!(%at, "internal error: {err}");
    AppError::Internal
}
