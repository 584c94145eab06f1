//! The User menu: accounts, access rights, the audit log, and the user's own tokens.

pub mod access;
pub mod audit;
pub mod tokens;
pub mod users;
