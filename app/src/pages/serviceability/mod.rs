//! Serviceability: service activation and Control Center.

pub mod activation;
pub mod control_center;
