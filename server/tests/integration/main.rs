//! The server's integration tests, in one binary: the store on SQLite and PostgreSQL, sessions
//! through the real router with an injected clock, and the real `ccmadmin` binary over HTTPS.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod access;
mod backup;
mod binary;
mod capf;
mod capf_phones;
mod connection_limits;
mod first_steps;
mod offline_tokens;
mod permissions;
mod phones;
mod recovery_phones;
mod registrar;
mod resets;
mod restarts;
mod restore_from_page;
mod rule_book;
mod seams;
mod sessions;
mod store;
mod support;
mod system;
mod tftp;
mod tokens;
mod trust;
mod udp_limits;
