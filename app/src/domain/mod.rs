//! Pure rules: no I/O, compiled into the server and into the browser, so that the page explains a
//! refusal as the administrator types and the server enforces the very same code on save.

pub mod access;
pub mod account;
pub mod actions;
pub mod audit;
pub mod backups;
pub mod bat;
pub mod builds;
pub mod capf;
pub mod csv;
pub mod dashboard;
pub mod device;
pub mod hex;
pub mod jobs;
pub mod net;
pub mod numbers;
pub mod parameters;
pub mod pools;
pub mod security;
pub mod servers;
pub mod services;
pub mod session_policy;
pub mod sip;
pub mod sip_register;
pub mod srst;
pub mod stored;
pub mod tftp_share;
pub mod throttle;
