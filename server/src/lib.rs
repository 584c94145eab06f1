//! The ccmadmin server: command line, HTTPS, router and middleware, the JSON API, the TFTP server
//! and the `verify` command.

pub mod cli;
pub mod commands;
pub mod middleware;
pub mod rest;
pub mod router;
pub mod serve;
pub mod tftp;
pub mod tls;
pub mod verify;
