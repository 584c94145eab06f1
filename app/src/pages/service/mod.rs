//! The Service menu: service parameters.

pub mod parameters;
