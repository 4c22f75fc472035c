//! Widgets shared by several views.

pub mod dialog;
pub mod error;
pub mod exported;
pub mod focus;
pub mod menubar;
