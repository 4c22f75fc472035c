//! Shared by the CLI tests: running the binary, signing in with a device code, the database's
//! rows (`db`) and the tenant's view over HTTP (`tenant`).

pub mod db;
pub mod tenant;

use aadsync_emulator::browser::{Browser, Person};
use aadsync_emulator::{Emulator, demo};
use std::path::Path;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_aadsync");

pub fn cli(db: &Path) -> Command {
    let mut command = Command::new(BIN);
    command.arg("--db").arg(db).kill_on_drop(true);
    command
}

/// `aadsync --db <db> <args>`.
pub fn aadsync(db: &Path, args: &[&str]) -> Command {
    let mut command = cli(db);
    command.args(args);
    command
}

/// What a finished run printed and its exit code.
#[derive(Debug)]
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// stdout parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }
}

impl std::fmt::Display for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

pub async fn run(mut command: Command) -> Ran {
    let out = command.output().await.expect("run aadsync");
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Success, and stdout and stderr together.
pub async fn output(command: Command) -> (bool, String) {
    let ran = run(command).await;
    (ran.code == Some(0), format!("{}{}", ran.stdout, ran.stderr))
}

/// Runs a device-code sign-in command, approving the code as `person` when it is shown.
pub async fn with_device_code(mut command: Command, person: Person<'_>) -> (bool, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = String::new();
    while let Some(line) = lines.next_line().await.expect("read") {
        seen.push_str(&line);
        seen.push('\n');
        if let Some(rest) = line.strip_prefix("To sign in, open ") {
            let (uri, rest) = rest.split_once(" and enter the code ").expect("uri");
            let code = rest.split_whitespace().next().expect("code");
            Browser::new()
                .expect("browser")
                .device_login(uri, code, &person, true)
                .await
                .expect("approve");
            break;
        }
    }
    while let Some(line) = lines.next_line().await.expect("read") {
        seen.push_str(&line);
        seen.push('\n');
    }
    let status = child.wait().await.expect("wait");
    let mut err = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        use tokio::io::AsyncReadExt;
        let _ = stderr.read_to_string(&mut err).await;
    }
    (status.success(), seen + &err)
}

/// The arguments of `aadsync org add` for the emulator's tenant, with a device code.
pub fn org_add_args(emulator: &Emulator) -> [&str; 11] {
    [
        "org",
        "add",
        "--tenant",
        "contoso.com",
        "--client-id",
        demo::CLIENT_ID,
        "--cloud",
        "custom",
        "--authority",
        emulator.base_url(),
        "--device-code",
    ]
}

/// `aadsync org add` for the emulator's tenant, signed in as its administrator: organization #1.
pub async fn add_organization(emulator: &Emulator, db: &Path) {
    let add = aadsync(db, &org_add_args(emulator));
    let (ok, text) = with_device_code(add, Person::demo_admin(emulator.clock().now())).await;
    assert!(ok, "{text}");
}

/// `aadsync sync` of Alex Wilber in organization #1, which must import exactly the user Graph
/// shows: how the consent and registration tests prove the stored sign-in works.
pub async fn sync_imports_alex(emulator: &Emulator, db_path: &Path) {
    let sync = run(aadsync(
        db_path,
        &[
            "sync",
            "--org",
            "1",
            "--user",
            "alex.wilber@contoso.com",
            "--json",
        ],
    ))
    .await;
    assert_eq!(sync.code, Some(0), "{sync}");
    let expected = tenant::Tenant::new(emulator)
        .users([&crate::ALEX.to_owned()])
        .await;
    assert_eq!(db::imported_users(db_path), expected);
}
