//! The desktop around the app: the OS save dialog (GTK's, driven with `xdotool` the way a
//! user types into it) and a file manager on the session bus that records what "Show in
//! folder" asked it to show.

use super::{App, Result};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Waits for the save dialog titled `title`, types `path` over its file name and presses
/// Enter, with real key events (XTEST) on the app's virtual display.
pub fn save_as(app: &App, title: &str, path: &std::path::Path) -> Result {
    let window = wait_for_window(app, title)?;
    xdotool(app, &["windowfocus", "--sync", &window])?;
    xdotool(app, &["key", "--clearmodifiers", "ctrl+a"])?;
    let path = path.to_str().ok_or("a path xdotool can type")?;
    xdotool(app, &["type", "--delay", "20", path])?;
    xdotool(app, &["key", "Return"])?;
    Ok(())
}

/// Presses Escape in the save dialog titled `title`: the admin cancels.
pub fn cancel_dialog(app: &App, title: &str) -> Result {
    let window = wait_for_window(app, title)?;
    xdotool(app, &["windowfocus", "--sync", &window])?;
    xdotool(app, &["key", "Escape"])?;
    Ok(())
}

fn wait_for_window(app: &App, title: &str) -> Result<String> {
    let pattern = format!("^{title}$");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = run(app, &["search", "--onlyvisible", "--name", &pattern]);
        if let Ok(ids) = found
            && let Some(id) = ids.lines().next()
        {
            return Ok(id.trim().to_owned());
        }
        if Instant::now() > deadline {
            return Err(format!("no window titled {title:?} appeared on the app's display").into());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn xdotool(app: &App, args: &[&str]) -> Result {
    run(app, args).map(|_| ())
}

fn run(app: &App, args: &[&str]) -> Result<String> {
    let mut command = Command::new("xdotool");
    command.args(args);
    app.desktop.apply(&mut command);
    let out = command
        .output()
        .map_err(|e| format!("cannot run xdotool (Debian package xdotool): {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "xdotool {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into())
    }
}

/// A file manager on the session's D-Bus (`org.freedesktop.FileManager1`, the interface
/// desktop file managers implement): it records the URIs it was asked to show.
pub struct FileManager {
    shown: Arc<Mutex<Vec<String>>>,
    _connection: zbus::blocking::Connection,
}

struct Recorder(Arc<Mutex<Vec<String>>>);

#[zbus::interface(name = "org.freedesktop.FileManager1")]
impl Recorder {
    fn show_items(&self, uris: Vec<String>, _startup_id: String) {
        if let Ok(mut shown) = self.0.lock() {
            shown.extend(uris);
        }
    }
}

impl FileManager {
    pub fn start(app: &App) -> Result<Self> {
        let address = app
            .desktop
            .env()
            .into_iter()
            .find(|(k, _)| k == "DBUS_SESSION_BUS_ADDRESS")
            .map(|(_, v)| v)
            .ok_or("the session has no D-Bus")?;
        let shown = Arc::new(Mutex::new(Vec::new()));
        let connection = zbus::blocking::connection::Builder::address(address.as_str())?
            .name("org.freedesktop.FileManager1")?
            .serve_at(
                "/org/freedesktop/FileManager1",
                Recorder(Arc::clone(&shown)),
            )?
            .build()?;
        Ok(Self {
            shown,
            _connection: connection,
        })
    }

    /// The URIs shown so far.
    pub fn shown(&self) -> Vec<String> {
        self.shown.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl std::fmt::Debug for FileManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileManager")
            .field("shown", &self.shown())
            .finish()
    }
}
