//! sea-orm entities, one module per table.

pub mod api_tokens;
pub mod audit_log;
pub mod callmanager_group_members;
pub mod callmanager_groups;
pub mod certificates;
pub mod cluster;
pub mod device_pools;
pub mod devices;
pub mod enterprise_parameters;
pub mod jobs;
pub mod login_throttle;
pub mod phone_models;
pub mod required_actions;
pub mod servers;
pub mod service_activations;
pub mod service_parameters;
pub mod sessions;
pub mod srst_certificates;
pub mod srst_references;
pub mod tftp_clusters;
pub mod tftp_state;
pub mod user_group_members;
pub mod user_group_privileges;
pub mod user_groups;
pub mod users;
