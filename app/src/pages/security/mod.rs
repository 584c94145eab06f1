//! The Security menu: the cluster's certificates, the CTL operation, the TFTP files.

pub mod certificates;
pub mod ctl;
pub mod tftp_files;
