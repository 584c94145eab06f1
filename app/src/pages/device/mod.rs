//! The Device menu.

pub mod phone;
pub mod phones;
