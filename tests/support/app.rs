//! The app under test: an isolated desktop, tauri-driver, and a WebDriver session.

use super::Result;
use aadsync_testenv::{ChildGuard, Desktop, DesktopOptions, KeyringMode, free_ports, wait_until};
use fantoccini::{Client, ClientBuilder};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// One app at a time per test binary. Two WebKitWebDriver sessions running side by side on
/// this stack fail at random with an empty `UnknownError` (measured: 1 run in 2 with two
/// parallel tests, 0 in 5 serially), so tests queue here instead of relying on a
/// `--test-threads=1` that a plain `cargo test` would not pass.
static ONE_APP_AT_A_TIME: LazyLock<Arc<tokio::sync::Mutex<()>>> =
    LazyLock::new(|| Arc::new(tokio::sync::Mutex::new(())));

/// How to start the app.
#[derive(Debug, Clone)]
pub struct AppOptions {
    pub keyring: KeyringMode,
    /// Pass `AADSYNC_DB` pointing into the session's temporary directory.
    pub explicit_database: bool,
    /// Runs before the app starts, with the database path (e.g. to insert users).
    pub prepare: Option<fn(&Path) -> Result>,
    /// Extra environment for the app (e.g. `BROWSER`), passed through tauri-driver.
    pub env: Vec<(String, String)>,
    /// The virtual screen's size, when a test needs a bigger (or smaller) one than usual.
    pub screen: Option<(u32, u32)>,
    /// The user's data folder (`XDG_DATA_HOME`) when it must outlive the session: the install
    /// test removes the package afterwards and checks that the data is still there.
    pub data_home: Option<PathBuf>,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            keyring: KeyringMode::Unlocked,
            explicit_database: true,
            prepare: None,
            env: Vec::new(),
            screen: None,
            data_home: None,
        }
    }
}

/// A running app. Call [`App::finish`] at the end of a test; dropping it without (on panic)
/// still stops tauri-driver, WebKitWebDriver, the app and the session daemons.
pub struct App {
    pub client: Client,
    /// The database path the app was told to use, or where it should default to.
    pub expected_database: PathBuf,
    shots: Screenshots,
    port: u16,
    caps: serde_json::Map<String, serde_json::Value>,
    // Drop order: the driver (and the app under it) before the desktop it runs in.
    _driver: ChildGuard,
    pub desktop: Desktop,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("shots", &self.shots.dir)
            .finish_non_exhaustive()
    }
}

impl App {
    pub async fn launch(test: &str, options: AppOptions) -> Result<Self> {
        // Fails harmlessly when another test installed it first.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let turn = Arc::clone(&ONE_APP_AT_A_TIME).lock_owned().await;
        let app_binary = app_binary()?;
        let driver_binary = tauri_driver()?;
        let defaults = DesktopOptions::default();
        let desktop = Desktop::start(&DesktopOptions {
            keyring: options.keyring,
            screen: options.screen.unwrap_or(defaults.screen),
            ..defaults
        })?;

        let expected_database = if options.explicit_database {
            desktop.root().join("server").join("users.sqlite3")
        } else {
            options
                .data_home
                .as_deref()
                .unwrap_or(desktop.data_home())
                .join("com.aadsync.desktop")
                .join("aadsync.sqlite3")
        };

        if let Some(prepare) = options.prepare {
            if let Some(parent) = expected_database.parent() {
                std::fs::create_dir_all(parent)?;
            }
            prepare(&expected_database)?;
        }

        let logs = target_dir().join("e2e").join("logs");
        std::fs::create_dir_all(&logs)?;
        let log_path = logs.join(format!("{test}.log"));
        std::fs::File::create(&log_path)?;
        // Another process may take a port between free_ports() and tauri-driver's bind: then
        // tauri-driver exits at once, and the next attempt gets new ports.
        let mut attempt = 0;
        let (port, driver) = loop {
            attempt += 1;
            let [port, native_port] = free_ports()?;
            let log = std::fs::OpenOptions::new().append(true).open(&log_path)?;
            let mut command = Command::new(&driver_binary);
            command
                .args(["--port", &port.to_string()])
                .args(["--native-port", &native_port.to_string()])
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log);
            desktop.apply(&mut command);
            // The app inherits this environment through tauri-driver and WebKitWebDriver.
            command.env_remove("AADSYNC_DB");
            if options.explicit_database {
                command.env("AADSYNC_DB", &expected_database);
            }
            command.env("AADSYNC_LOG", "aadsync=debug,info");
            if let Some(data_home) = &options.data_home {
                command.env("XDG_DATA_HOME", data_home);
            }
            for (key, value) in &options.env {
                command.env(key, value);
            }
            let child = command
                .spawn()
                .map_err(|e| format!("starting {}: {e}", driver_binary.display()))?;
            let mut driver = ChildGuard::new("tauri-driver", child);
            let up = wait_until("tauri-driver to listen", Duration::from_secs(20), || {
                if !driver.is_running() {
                    return Some(false);
                }
                std::net::TcpStream::connect(("127.0.0.1", port))
                    .is_ok()
                    .then_some(true)
            })
            .map_err(|e| e.to_string())?;
            if up {
                break (port, driver);
            }
            if attempt == 3 {
                return Err(format!(
                    "tauri-driver exited at start {attempt} times; see target/e2e/logs/{test}.log"
                )
                .into());
            }
        };

        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": app_binary }),
        );
        let client = connect(port, &caps).await?;

        Ok(Self {
            client,
            expected_database,
            shots: Screenshots::new(test)?,
            port,
            caps,
            _driver: driver,
            desktop,
            _turn: turn,
        })
    }

    /// Saves a PNG of the window as `NN-name.png` in this test's screenshot folder.
    pub async fn screenshot(&mut self, name: &str) -> Result {
        let png = self
            .client
            .screenshot()
            .await
            .map_err(|e| format!("screenshot {name}: {e:?}"))?;
        self.shots.save(name, &png)
    }

    /// Closes the app and starts it again in the same session (same database, same keyring),
    /// as an admin restarting aadsync would.
    pub async fn restart(&mut self) -> Result {
        self.client.clone().close().await?;
        self.client = connect(self.port, &self.caps).await?;
        Ok(())
    }

    /// Ends the WebDriver session (which closes the app), then stops everything else.
    pub async fn finish(self) -> Result {
        self.client.clone().close().await?;
        Ok(())
    }
}

struct Screenshots {
    dir: PathBuf,
    count: u32,
}

impl Screenshots {
    fn new(test: &str) -> Result<Self> {
        let dir = target_dir().join("e2e").join("screenshots").join(test);
        // Stale pictures from an earlier run would be mistaken for this run's.
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir, count: 0 })
    }

    fn save(&mut self, name: &str, png: &[u8]) -> Result {
        if !png.starts_with(b"\x89PNG") {
            return Err(format!("screenshot {name} is not a PNG").into());
        }
        self.count += 1;
        std::fs::write(self.dir.join(format!("{:02}-{name}.png", self.count)), png)?;
        Ok(())
    }
}

/// Opens a WebDriver session, which starts the app. tauri-driver listens before the
/// WebKitWebDriver behind it does; a connection-level failure right after start is retried,
/// a WebDriver error is not.
async fn connect(port: u16, caps: &serde_json::Map<String, serde_json::Value>) -> Result<Client> {
    let started = std::time::Instant::now();
    loop {
        let http = hyper_util::client::legacy::connect::HttpConnector::new();
        let attempt = ClientBuilder::new(http)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await;
        match attempt {
            Ok(client) => return Ok(client),
            Err(
                fantoccini::error::NewSessionError::Lost(_)
                | fantoccini::error::NewSessionError::Failed(_)
                | fantoccini::error::NewSessionError::FailedC(_)
                | fantoccini::error::NewSessionError::NotW3C(_),
            ) if started.elapsed() < Duration::from_secs(20) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => {
                return Err(format!("opening a WebDriver session on the app: {e}").into());
            }
        }
    }
}

/// The workspace's target directory (`CARGO_TARGET_DIR` if set, else `<workspace>/target`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("target")
        })
}

fn app_binary() -> Result<PathBuf> {
    let path = match std::env::var_os("AADSYNC_APP_BIN") {
        Some(path) => PathBuf::from(path),
        None => target_dir()
            .join("debug")
            .join(format!("aadsync-desktop{}", std::env::consts::EXE_SUFFIX)),
    };
    if !path.is_file() {
        return Err(format!(
            "the app binary {} does not exist: build it with `cargo build -p aadsync-desktop` (after building the frontend), or run `cargo xtask test`",
            path.display()
        )
        .into());
    }
    Ok(std::path::absolute(path)?)
}

fn tauri_driver() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("TAURI_DRIVER") {
        return Ok(PathBuf::from(path));
    }
    let name = format!("tauri-driver{}", std::env::consts::EXE_SUFFIX);
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(&name))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            "tauri-driver is not on PATH: run `cargo xtask test`, which installs it, or set TAURI_DRIVER"
                .into()
        })
}
