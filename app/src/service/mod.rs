//! The operations administrators perform. Each one starts from a checked principal (so that no
//! caller reaches it without a valid session), validates with `domain`, and writes in one
//! transaction.

pub mod actions;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod backups;
pub mod bulk;
pub mod callmanager_groups;
pub mod capf;
pub mod certificate_fetch;
pub mod certificates;
pub mod clock;
pub mod control;
pub mod ctl;
pub mod dashboard;
pub mod demo;
pub mod device_pools;
pub mod errors;
pub mod first_start;
pub mod groups;
pub mod guard;
pub mod home;
pub mod imports;
pub mod interrupted;
pub mod job_claims;
pub mod offline_tokens;
pub mod parameters;
pub mod password;
pub mod phones;
pub mod principal;
pub mod reference;
pub mod regions;
pub mod registrar;
pub mod registrations;
pub mod resets;
pub mod restores;
pub mod servers;
pub mod service_settings;
pub mod srst;
pub mod state;
pub mod templates;
pub mod tftp_files;
pub mod tokens;
pub mod users;

pub use clock::{Clock, ManualClock, SystemClock};
pub use state::{AppState, Maintenance};
