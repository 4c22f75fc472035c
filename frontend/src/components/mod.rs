//! Widgets shared by several views.

pub mod dialog;
pub mod menubar;
