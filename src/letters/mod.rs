//! The standard letters: what each needs ([`catalogue`]), rendering them from `templates/`
//! ([`render`]), and the print-ready PDF of a postal letter ([`pdf`]).

pub mod catalogue;
pub mod dispatch;
pub mod pdf;
pub mod render;
