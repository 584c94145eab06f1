//! sea-orm entities, one module per table.

pub mod cluster;
pub mod sessions;
pub mod user_group_members;
pub mod user_groups;
pub mod users;
