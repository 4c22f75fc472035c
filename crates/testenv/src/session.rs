//! One isolated desktop session: XDG dirs, an Xvfb display, a D-Bus bus and a keyring.

use crate::{ChildGuard, EnvError, wait_until};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Whether the session offers a Secret Service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyringMode {
    /// gnome-keyring with a fresh login collection, unlocked.
    Unlocked,
    /// A session bus on which nobody owns `org.freedesktop.secrets`.
    Absent,
}

#[derive(Debug, Clone)]
pub struct DesktopOptions {
    pub display: bool,
    pub keyring: KeyringMode,
    /// Screen size of the virtual display.
    pub screen: (u32, u32),
}

impl Default for DesktopOptions {
    fn default() -> Self {
        Self {
            display: true,
            keyring: KeyringMode::Unlocked,
            screen: (1280, 800),
        }
    }
}

/// A running isolated session. Dropping it stops every process it started.
#[derive(Debug)]
pub struct Desktop {
    // Field order is drop order: the keyring and bus go before their directories.
    keyring: Option<ChildGuard>,
    bus: ChildGuard,
    bus_address: String,
    display: Option<(ChildGuard, String)>,
    dirs: XdgDirs,
}

impl Desktop {
    pub fn start(options: &DesktopOptions) -> Result<Self, EnvError> {
        let dirs = XdgDirs::create()?;
        let display = if options.display {
            Some(start_xvfb(options.screen)?)
        } else {
            None
        };
        let (bus, bus_address) = start_bus(&dirs)?;
        let keyring = match options.keyring {
            KeyringMode::Unlocked => Some(start_keyring(&dirs, &bus_address)?),
            KeyringMode::Absent => None,
        };
        Ok(Self {
            keyring,
            bus,
            bus_address,
            display,
            dirs,
        })
    }

    /// Environment variables that place a child process inside this session.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = self.dirs.env();
        env.push(("DBUS_SESSION_BUS_ADDRESS".into(), self.bus_address.clone()));
        if let Some((_, display)) = &self.display {
            env.push(("DISPLAY".into(), display.clone()));
        }
        // Force X11 in WebKitGTK even if the developer's shell has a Wayland session.
        env.push(("WAYLAND_DISPLAY".into(), String::new()));
        env.push(("GDK_BACKEND".into(), "x11".into()));
        env
    }

    /// Applies [`Desktop::env`] to a command.
    pub fn apply(&self, command: &mut Command) {
        for (key, value) in self.env() {
            if value.is_empty() {
                command.env_remove(&key);
            } else {
                command.env(key, value);
            }
        }
    }

    pub fn data_home(&self) -> &Path {
        &self.dirs.data
    }

    pub fn root(&self) -> &Path {
        self.dirs.root.path()
    }

    pub fn display(&self) -> Option<&str> {
        self.display.as_ref().map(|(_, d)| d.as_str())
    }

    pub fn keyring_running(&mut self) -> bool {
        self.keyring.as_mut().is_some_and(ChildGuard::is_running)
    }

    pub fn bus_running(&mut self) -> bool {
        self.bus.is_running()
    }
}

#[derive(Debug)]
struct XdgDirs {
    root: tempfile::TempDir,
    data: PathBuf,
    config: PathBuf,
    cache: PathBuf,
    runtime: PathBuf,
    /// `HOME` too: with no XDG user dirs the app saves exports in the home folder, which must
    /// be the session's, not the developer's.
    home: PathBuf,
}

impl XdgDirs {
    fn create() -> Result<Self, EnvError> {
        let io = |what: &str| {
            let what = what.to_owned();
            move |source| EnvError::Io { what, source }
        };
        let root = tempfile::Builder::new()
            .prefix("aadsync-desktop-")
            .tempdir()
            .map_err(io("creating the session's temporary directory"))?;
        let make = |name: &str| -> Result<PathBuf, EnvError> {
            let dir = root.path().join(name);
            std::fs::create_dir_all(&dir).map_err(io(&format!("creating {}", dir.display())))?;
            Ok(dir)
        };
        let dirs = Self {
            data: make("data")?,
            config: make("config")?,
            cache: make("cache")?,
            runtime: make("runtime")?,
            home: make("home")?,
            root,
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dirs.runtime, std::fs::Permissions::from_mode(0o700))
                .map_err(io("restricting XDG_RUNTIME_DIR to mode 700"))?;
        }
        Ok(dirs)
    }

    fn env(&self) -> Vec<(String, String)> {
        let s = |p: &Path| p.to_string_lossy().into_owned();
        vec![
            ("XDG_DATA_HOME".into(), s(&self.data)),
            ("XDG_CONFIG_HOME".into(), s(&self.config)),
            ("XDG_CACHE_HOME".into(), s(&self.cache)),
            ("XDG_RUNTIME_DIR".into(), s(&self.runtime)),
            ("HOME".into(), s(&self.home)),
        ]
    }
}

fn spawn(tool: &'static str, command: &mut Command) -> Result<std::process::Child, EnvError> {
    command
        .spawn()
        .map_err(|source| EnvError::MissingTool { tool, source })
}

fn start_xvfb((width, height): (u32, u32)) -> Result<(ChildGuard, String), EnvError> {
    // Start where parallel test binaries are unlikely to collide, and skip taken displays.
    let first = 100 + (std::process::id() % 400);
    for number in (first..first + 200).chain(100..first) {
        if Path::new(&format!("/tmp/.X{number}-lock")).exists() {
            continue;
        }
        let child = spawn(
            "Xvfb",
            Command::new("Xvfb")
                .arg(format!(":{number}"))
                .args(["-screen", "0", &format!("{width}x{height}x24")])
                .args(["-nolisten", "tcp", "-noreset"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )?;
        let mut guard = ChildGuard::new(format!("Xvfb :{number}"), child);
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
        let ready = wait_until(
            &format!("Xvfb on display :{number}"),
            Duration::from_secs(10),
            || {
                if socket.exists() {
                    Some(true)
                } else if !guard.is_running() {
                    Some(false)
                } else {
                    None
                }
            },
        );
        match ready {
            Ok(true) => return Ok((guard, format!(":{number}"))),
            // Lost a race for this display number: try the next one.
            Ok(false) => continue,
            Err(err) => {
                return Err(EnvError::NotReady {
                    what: "Xvfb".into(),
                    detail: err.to_string(),
                });
            }
        }
    }
    Err(EnvError::NotReady {
        what: "Xvfb".into(),
        detail: "no free display number between :100 and :700".into(),
    })
}

fn start_bus(dirs: &XdgDirs) -> Result<(ChildGuard, String), EnvError> {
    // No <servicedir>: a bus without activation, so a missing keyring stays missing instead of
    // being auto-started (locked) by the distribution's service file.
    let config = dirs.root.path().join("session-bus.conf");
    let xml = format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
        dirs.runtime.display()
    );
    std::fs::write(&config, xml).map_err(|source| EnvError::Io {
        what: format!("writing {}", config.display()),
        source,
    })?;
    let mut child = spawn(
        "dbus-daemon",
        Command::new("dbus-daemon")
            .args(["--nofork", "--print-address=1"])
            .arg(format!("--config-file={}", config.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    )?;
    let mut address = String::new();
    if let Some(stdout) = child.stdout.take() {
        // dbus-daemon prints its address as soon as it listens, or exits (EOF) on error.
        let _ = BufReader::new(stdout).read_line(&mut address);
    }
    let guard = ChildGuard::new("dbus-daemon", child);
    let address = address.trim().to_owned();
    if address.is_empty() {
        return Err(EnvError::NotReady {
            what: "dbus-daemon".into(),
            detail: "it exited without printing its address".into(),
        });
    }
    Ok((guard, address))
}

fn start_keyring(dirs: &XdgDirs, bus_address: &str) -> Result<ChildGuard, EnvError> {
    let mut command = Command::new("gnome-keyring-daemon");
    command
        .args(["--foreground", "--unlock", "--components=secrets"])
        .env("DBUS_SESSION_BUS_ADDRESS", bus_address)
        .envs(dirs.env())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = spawn("gnome-keyring-daemon", &mut command)?;
    if let Some(mut stdin) = child.stdin.take() {
        // The password of the fresh login collection; it never leaves this session.
        let _ = stdin.write_all(b"aadsync-test-keyring");
    }
    let mut guard = ChildGuard::new("gnome-keyring-daemon", child);
    wait_until(
        "gnome-keyring to own org.freedesktop.secrets",
        Duration::from_secs(15),
        || {
            if !guard.is_running() {
                return Some(Err(()));
            }
            name_has_owner(bus_address, "org.freedesktop.secrets").then_some(Ok(()))
        },
    )
    .map_err(|err| EnvError::NotReady {
        what: "gnome-keyring-daemon".into(),
        detail: err.to_string(),
    })?
    .map_err(|()| EnvError::NotReady {
        what: "gnome-keyring-daemon".into(),
        detail: "it exited during start-up".into(),
    })?;
    Ok(guard)
}

fn name_has_owner(bus_address: &str, name: &str) -> bool {
    Command::new("dbus-send")
        .env("DBUS_SESSION_BUS_ADDRESS", bus_address)
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
        ])
        .arg(format!("string:{name}"))
        .stderr(Stdio::null())
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).contains("boolean true"))
        .unwrap_or(false)
}
