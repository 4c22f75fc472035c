//! The aadsync desktop UI, a Leptos client-side app running in the Tauri webview.
//!
//! Views live in a folder per feature (`users/`, `user_properties/`, `wizard/`, `about/`), shared widgets in
//! `components/`, and every backend call goes through [`ipc::call`]. Decisions (which wizard
//! step comes next, what a menu does) are plain Rust that the views only render.

mod about;
mod app;
mod audit;
mod components;
mod contrast;
mod ipc;
mod schedule_text;
mod time;
mod timer;
mod user_properties;
mod users;
mod wizard;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
