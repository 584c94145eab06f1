//! Serviceability: service activation, Control Center and disaster recovery.

pub mod activation;
pub mod control_center;
pub mod disaster_recovery;
pub mod restore;
