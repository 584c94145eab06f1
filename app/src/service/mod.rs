//! The operations administrators perform. Each one starts from a checked principal (so that no
//! caller reaches it without a valid session), validates with `domain`, and writes in one
//! transaction.

pub mod auth;
pub mod clock;
pub mod home;
pub mod password;
pub mod state;

pub use clock::{Clock, ManualClock, SystemClock};
pub use state::AppState;
