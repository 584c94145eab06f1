//! Pieces that pages share: the page shell and form helpers.

pub mod form;
pub mod layout;
