//! sea-orm entities, one module per table.

pub mod api_tokens;
pub mod audit_log;
pub mod cluster;
pub mod enterprise_parameters;
pub mod login_throttle;
pub mod sessions;
pub mod user_group_members;
pub mod user_group_privileges;
pub mod user_groups;
pub mod users;
