//! Pure rules: no I/O, compiled into the server and into the browser, so that the page explains a
//! refusal as the administrator types and the server enforces the very same code on save.

pub mod access;
pub mod account;
pub mod audit;
pub mod device;
pub mod security;
pub mod session_policy;
pub mod throttle;
