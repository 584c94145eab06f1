//! The server's integration tests, in one binary: the store on SQLite and PostgreSQL, sessions
//! through the real router with an injected clock, and the real `ccmadmin` binary over HTTPS.

mod binary;
mod sessions;
mod store;
mod support;
