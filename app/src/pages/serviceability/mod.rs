//! Serviceability: service activation.

pub mod activation;
