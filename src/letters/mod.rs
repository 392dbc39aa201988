//! The standard letters: what each needs ([`catalogue`]), rendering them from `templates/`
//! ([`render`]), how each goes out ([`dispatch`]), and the print-ready PDF of a postal letter
//! ([`pdf`]) that the post room writes for the print vendor ([`post`]).

pub mod catalogue;
pub mod dispatch;
pub mod pdf;
pub mod post;
pub mod render;
