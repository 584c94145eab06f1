//! One module per page. The menu lists the pages that exist, by area.

pub mod change_password;
pub mod device;
pub mod home;
pub mod login;
pub mod menu;
pub mod not_found;
pub mod security;
pub mod service;
pub mod serviceability;
pub mod system;
pub mod user;
