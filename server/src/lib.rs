//! The ccmadmin server: command line, HTTPS, router and middleware, and the JSON API.

pub mod cli;
pub mod commands;
pub mod middleware;
pub mod rest;
pub mod router;
pub mod serve;
pub mod tls;
