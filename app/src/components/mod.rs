//! Pieces that pages share: the page shell and form helpers.

pub mod chart;
pub mod field;
pub mod file;
pub mod form;
pub mod layout;
pub mod parameter;
pub mod reset;
