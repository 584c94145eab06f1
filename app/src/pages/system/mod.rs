//! The System menu: SRST references, enterprise parameters, servers (Cisco CallManager), and the
//! security dashboard shown on the home page.

pub mod dashboard;
pub mod parameters;
pub mod servers;
pub mod srst;
