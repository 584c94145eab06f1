//! The Device menu.

pub mod bulk;
pub mod bulk_admin;
pub mod contact;
pub mod jobs;
pub mod pending;
pub mod phone;
pub mod phones;
