//! The Device menu.

pub mod bulk;
pub mod phone;
pub mod phones;
