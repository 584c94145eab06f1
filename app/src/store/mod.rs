//! The config store: sea-orm entities and the queries the services use. One code path serves
//! SQLite (the default, a file in the data dir) and PostgreSQL (by `DATABASE_URL`).

pub mod actions;
pub mod audit;
pub mod backup_schedule;
pub mod certificates;
pub mod cluster;
pub mod connect;
pub mod contacts;
pub mod dump;
pub mod entities;
pub mod files;
pub mod groups;
pub mod jobs;
pub mod locks;
pub mod manufacturer_cas;
pub mod parameters;
pub mod phones;
pub mod seed;
pub mod servers;
pub mod service_settings;
pub mod session_store;
pub mod srst;
pub mod templates;
pub mod throttle;
pub mod tokens;
pub mod topology;
pub mod users;
pub mod versioned;

pub use connect::{connect, connect_reader, StoreError};
