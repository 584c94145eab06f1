//! The System menu: servers (Cisco CallManager), CallManager groups, device pools, regions, SRST
//! references, enterprise parameters, and the security dashboard shown on the home page.

pub mod callmanager_groups;
pub mod dashboard;
pub mod device_pools;
pub mod parameters;
pub mod regions;
pub mod servers;
pub mod srst;
