//! The Security menu: the cluster's certificates, the manufacturer CAs, the CTL operation, the
//! TFTP files, the security tokens kept offline.

pub mod certificates;
pub mod ctl;
pub mod manufacturer_cas;
pub mod tftp_files;
pub mod token_files;
