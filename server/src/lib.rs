//! The ccmadmin server: command line, HTTPS, router and middleware, the JSON API, the TFTP server
//! and its client, the service supervisor, the reset-job worker, the phone simulator and the
//! `verify` command.

pub mod accept;
pub mod backup;
pub mod backup_schedule;
pub mod capf;
pub mod capf_client;
pub mod cli;
pub mod commands;
pub mod jobs;
pub mod limits;
pub mod middleware;
pub mod pipeline;
pub mod process;
pub mod registrar;
pub mod rest;
pub mod router;
pub mod rsa_handshake;
pub mod serve;
pub mod services;
pub mod sip_client;
pub mod tftp;
pub mod tftp_client;
pub mod tls;
pub mod verify;
