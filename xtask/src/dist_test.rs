//! `cargo xtask dist-test`: the `.deb` on a clean Debian 12. A minbase debootstrap root gets
//! the package with `apt-get install ./aadsync_….deb` (only runtime dependencies may come
//! with it), `aadsync --version` runs there, the installed desktop app passes the end-to-end
//! smoke test (`tests/e2e/installed.rs`, run inside the root with the test tools added after
//! the dependency check), and `apt-get remove` takes the binaries but leaves the user's data.
//!
//! Linux, as root. The root's mounts (/proc, /sys, /dev, the apt cache, the test binaries)
//! exist only in a private mount namespace (`unshare --mount`): this program runs itself
//! again inside one (`dist-test --inside`), so they vanish when it exits, whatever happens,
//! and a root is deleted only when no mount is left under it.

use crate::steps::Ctx;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const MIRROR: &str = "http://deb.debian.org/debian";
/// Where the smoke test keeps the app's data inside the root (root's `XDG_DATA_HOME`).
const DATA_HOME: &str = "/root/.local/share";
/// What the end-to-end harness needs beside the app: added only after the dependency check.
const TEST_TOOLS: &[&str] = &[
    "xvfb",
    "xauth",
    "dbus",
    "dbus-x11",
    "gnome-keyring",
    "webkit2gtk-driver",
];
const SMOKE_TEST: &str = "installed::the_demo_signs_in_and_one_sync_writes_the_default_database";

/// What the inside run needs, passed as arguments.
struct Plan {
    root: PathBuf,
    deb: PathBuf,
    e2e: PathBuf,
    bin_dir: PathBuf,
    tauri_driver: PathBuf,
    apt_cache: PathBuf,
}

impl Plan {
    fn to_args(&self) -> Vec<&Path> {
        vec![
            &self.root,
            &self.deb,
            &self.e2e,
            &self.bin_dir,
            &self.tauri_driver,
            &self.apt_cache,
        ]
    }

    fn from_args(args: &[String]) -> Result<Self, String> {
        let [root, deb, e2e, bin_dir, tauri_driver, apt_cache] = args else {
            return Err("dist-test --inside: wrong arguments".into());
        };
        Ok(Self {
            root: root.into(),
            deb: deb.into(),
            e2e: e2e.into(),
            bin_dir: bin_dir.into(),
            tauri_driver: tauri_driver.into(),
            apt_cache: apt_cache.into(),
        })
    }
}

/// Whether this machine can run the install test: Linux, as root.
pub fn possible() -> bool {
    cfg!(target_os = "linux") && is_root()
}

/// Starts what the install test downloads (the clean root) in the background, unless a
/// complete one is kept from an earlier run; `cargo xtask test` calls this before its builds.
pub fn start(ctx: &Ctx) -> Result<Option<Debootstrap>, String> {
    if !possible() {
        return Err("dist-test needs Linux and root (debootstrap, chroot, mounts)".into());
    }
    let work = ctx.target_dir().join("dist-test");
    if work.join("base").join(".complete").is_file() {
        return Ok(None);
    }
    start_debootstrap(&work).map(Some)
}

/// The whole test: packages (debug binaries), a fresh root, then the checks inside.
pub fn run(ctx: &mut Ctx, debootstrap: Option<Debootstrap>) -> Result<(), String> {
    let work = ctx.target_dir().join("dist-test");
    let base = work.join("base");
    let packages = crate::dist::run(ctx, true, &["deb"])?;
    let deb = packages
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .ok_or("the bundler made no .deb")?;
    let e2e = build_e2e(ctx)?;
    if let Some(debootstrap) = debootstrap {
        finish_debootstrap(ctx, debootstrap, &work)?;
    }
    let root = work.join("root");
    remove_tree(&root)?;
    let mut copy = Command::new("cp");
    copy.arg("-a").arg(&base).arg(&root);
    ctx.step("a fresh copy of the clean Debian 12 root", &mut copy)?;
    let plan = Plan {
        root,
        deb,
        e2e,
        bin_dir: ctx.target_dir().join("debug"),
        tauri_driver: find_tool(ctx, "tauri-driver")?,
        apt_cache: work.join("apt-archives"),
    };
    std::fs::create_dir_all(plan.apt_cache.join("partial")).map_err(|e| e.to_string())?;
    let this = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut inside = ctx.command("unshare");
    inside
        .args(["--mount", "--propagation", "private", "--"])
        .arg(this)
        .args(["dist-test", "--inside"])
        .args(plan.to_args())
        .env("CARGO_TARGET_DIR", ctx.target_dir());
    ctx.step(
        "inside the clean root (private mount namespace)",
        &mut inside,
    )
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The background debootstrap: its exit status and how long it took.
pub type Debootstrap =
    std::thread::JoinHandle<(std::io::Result<std::process::ExitStatus>, Duration)>;

fn start_debootstrap(work: &Path) -> Result<Debootstrap, String> {
    if crate::prereqs::find_on_path("debootstrap").is_none()
        && !Path::new("/usr/sbin/debootstrap").is_file()
    {
        crate::prereqs::apt_install(&["debootstrap".to_owned()])?;
    }
    let partial = work.join("base.partial");
    remove_tree(&partial)?;
    std::fs::create_dir_all(work).map_err(|e| e.to_string())?;
    let log = std::fs::File::create(work.join("debootstrap.log")).map_err(|e| e.to_string())?;
    println!("\n── debootstrap bookworm (minbase) in the background ──");
    let child = Command::new("debootstrap")
        .args(["--variant=minbase", "bookworm"])
        .arg(&partial)
        .arg(MIRROR)
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start debootstrap: {e}"))?;
    let started = Instant::now();
    let mut child = child;
    Ok(std::thread::spawn(move || {
        (child.wait(), started.elapsed())
    }))
}

fn finish_debootstrap(ctx: &mut Ctx, debootstrap: Debootstrap, work: &Path) -> Result<(), String> {
    let (status, took) = debootstrap
        .join()
        .map_err(|_| "waiting for debootstrap failed".to_owned())?;
    let status = status.map_err(|e| e.to_string())?;
    ctx.record("debootstrap (in the background, during the builds)", took);
    if !status.success() {
        return Err(format!(
            "debootstrap failed ({status}); see {}",
            work.join("debootstrap.log").display()
        ));
    }
    let partial = work.join("base.partial");
    let base = work.join("base");
    remove_tree(&base)?;
    std::fs::rename(&partial, &base).map_err(|e| e.to_string())?;
    std::fs::write(base.join(".complete"), "").map_err(|e| e.to_string())
}

/// The end-to-end test binary (its path is in cargo's "Executable" line).
fn build_e2e(ctx: &mut Ctx) -> Result<PathBuf, String> {
    let start = Instant::now();
    let output = ctx
        .cargo()
        .args(["test", "--locked"])
        .args(crate::steps::E2E_PACKAGES)
        .args(["--test", "e2e", "--no-run"])
        .output()
        .map_err(|e| e.to_string())?;
    ctx.record("build the end-to-end tests", start.elapsed());
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("building the end-to-end tests failed:\n{stderr}"));
    }
    stderr
        .lines()
        .find_map(|l| {
            let (source, exe) = l.trim().strip_prefix("Executable ")?.split_once(" (")?;
            source.ends_with("e2e/main.rs").then_some(exe)
        })
        .and_then(|rest| rest.strip_suffix(')'))
        // Relative to the workspace when the target dir is its own `target/` (a clean clone):
        // the chroot runs it by its absolute path.
        .map(|exe| ctx.root.join(exe))
        .ok_or_else(|| format!("no test executable in cargo's output:\n{stderr}"))
}

fn find_tool(ctx: &Ctx, bin: &str) -> Result<PathBuf, String> {
    ctx.path_front
        .iter()
        .map(|dir| dir.join(bin))
        .find(|p| p.is_file())
        .ok_or_else(|| format!("{bin} is not installed (cargo xtask setup --test)"))
}

/// Deletes a root, refusing while anything is mounted under it: a bind-mounted /dev there
/// would take the host's device nodes with it.
pub fn remove_tree(path: &Path) -> Result<(), String> {
    if !path.exists() {
        return Ok(());
    }
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").map_err(|e| e.to_string())?;
    let prefix = path.to_string_lossy();
    if let Some(line) = mounts.lines().find(|l| {
        l.split(' ')
            .nth(4)
            .is_some_and(|point| point.starts_with(prefix.as_ref()))
    }) {
        return Err(format!(
            "refusing to delete {prefix}: something is mounted under it ({line})"
        ));
    }
    std::fs::remove_dir_all(path).map_err(|e| format!("deleting {prefix}: {e}"))
}

/// `dist-test --inside …`, in the private mount namespace.
pub fn inside(ctx: &mut Ctx, args: &[String]) -> Result<(), String> {
    let plan = Plan::from_args(args)?;
    mount_all(&plan)?;
    let before = packages(&plan.root)?;
    install_package(ctx, &plan)?;
    let closure: Vec<String> = packages(&plan.root)?
        .into_iter()
        .filter(|p| !before.contains(p))
        .collect();
    let dev: Vec<&String> = closure.iter().filter(|p| is_dev(p)).collect();
    println!(
        "\napt installed {} packages with aadsync (its runtime closure): {}",
        closure.len(),
        closure.join(" ")
    );
    if !dev.is_empty() {
        return Err(format!("the package pulled development packages: {dev:?}"));
    }
    check_version(&plan)?;
    libraries_resolve(&plan)?;
    add_test_tools(ctx, &plan)?;
    let outcome = smoke_test(ctx, &plan).and_then(|()| remove_keeps_data(ctx, &plan));
    ctx.print_timings();
    outcome
}

/// Every library the installed binaries load is there before the test tools (which bring
/// WebKitGTK themselves) are added: the package's Depends cover them.
fn libraries_resolve(plan: &Plan) -> Result<(), String> {
    for bin in ["/usr/bin/aadsync-desktop", "/usr/bin/aadsync"] {
        let output = chroot(plan)
            .args(["ldd", bin])
            .output()
            .map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&output.stdout);
        let missing: Vec<&str> = text.lines().filter(|l| l.contains("not found")).collect();
        if !output.status.success() || !missing.is_empty() {
            return Err(format!(
                "{bin} needs libraries the package's dependencies did not install: {missing:?}"
            ));
        }
    }
    Ok(())
}

fn is_dev(package: &str) -> bool {
    package
        .split(':')
        .next()
        .is_some_and(|name| name.ends_with("-dev"))
}

fn run_checked(what: &str, command: &mut Command) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

/// /proc, /sys, /dev (with its own /dev/shm), the apt cache kept between runs, and the
/// debug binaries read-only at their own path (the test binary names `browser-helper` there).
fn mount_all(plan: &Plan) -> Result<(), String> {
    let root = &plan.root;
    let inner = |path: &Path| root.join(path.strip_prefix("/").unwrap_or(path));
    let mount = |args: &[&str], source: &Path, target: &Path| -> Result<(), String> {
        std::fs::create_dir_all(target).map_err(|e| format!("{}: {e}", target.display()))?;
        run_checked(
            &format!("mount {}", target.display()),
            Command::new("mount").args(args).arg(source).arg(target),
        )
    };
    mount(
        &["-t", "proc"],
        Path::new("proc"),
        &inner(Path::new("/proc")),
    )?;
    mount(
        &["-t", "sysfs"],
        Path::new("sysfs"),
        &inner(Path::new("/sys")),
    )?;
    mount(&["--bind"], Path::new("/dev"), &inner(Path::new("/dev")))?;
    mount(
        &["--bind"],
        Path::new("/dev/pts"),
        &inner(Path::new("/dev/pts")),
    )?;
    mount(
        &["-t", "tmpfs"],
        Path::new("shm"),
        &inner(Path::new("/dev/shm")),
    )?;
    let archives = inner(Path::new("/var/cache/apt/archives"));
    mount(&["--bind"], &plan.apt_cache, &archives)?;
    let bins = inner(&plan.bin_dir);
    mount(&["--bind"], &plan.bin_dir, &bins)?;
    run_checked(
        "remount the binaries read-only",
        Command::new("mount")
            .args(["-o", "remount,bind,ro"])
            .arg(&bins),
    )?;
    std::fs::copy("/etc/resolv.conf", root.join("etc/resolv.conf"))
        .map(drop)
        .map_err(|e| format!("resolv.conf: {e}"))
}

fn chroot(plan: &Plan) -> Command {
    let mut command = Command::new("chroot");
    command
        .arg(&plan.root)
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("HOME", "/root")
        .env("LANG", "C.UTF-8")
        .env("DEBIAN_FRONTEND", "noninteractive");
    command
}

/// Installed packages (`name:arch`).
fn packages(root: &Path) -> Result<Vec<String>, String> {
    let output = Command::new("chroot")
        .arg(root)
        .args([
            "dpkg-query",
            "-W",
            "-f",
            "${db:Status-Abbrev} ${binary:Package}\n",
        ])
        .output()
        .map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("ii "))
        .map(|p| p.trim().to_owned())
        .collect())
}

fn install_package(ctx: &mut Ctx, plan: &Plan) -> Result<(), String> {
    let name = plan.deb.file_name().ok_or("the .deb has no file name")?;
    std::fs::copy(&plan.deb, plan.root.join("tmp").join(name)).map_err(|e| e.to_string())?;
    ctx.step(
        "apt-get update (clean root)",
        chroot(plan).args(["apt-get", "update", "-q"]),
    )?;
    let local = Path::new("/tmp").join(name);
    ctx.step(
        "apt-get install ./aadsync_….deb (clean root)",
        chroot(plan)
            .args(["apt-get", "install", "-y", "-q"])
            .arg(local),
    )
}

/// The installed CLI prints what the built one prints: the workspace's version and the build.
fn check_version(plan: &Plan) -> Result<(), String> {
    let installed = chroot(plan)
        .args(["aadsync", "--version"])
        .output()
        .map_err(|e| e.to_string())?;
    let built = Command::new(plan.bin_dir.join("aadsync"))
        .arg("--version")
        .output()
        .map_err(|e| e.to_string())?;
    let installed = String::from_utf8_lossy(&installed.stdout).trim().to_owned();
    let built = String::from_utf8_lossy(&built.stdout).trim().to_owned();
    let expected = format!("aadsync {} (build ", env!("CARGO_PKG_VERSION"));
    println!("\ninstalled `aadsync --version`: {installed}");
    if installed.starts_with(&expected) && installed == built {
        Ok(())
    } else {
        Err(format!(
            "the installed `aadsync --version` printed {installed:?}; the build prints {built:?}"
        ))
    }
}

fn add_test_tools(ctx: &mut Ctx, plan: &Plan) -> Result<(), String> {
    ctx.step(
        "the test tools (Xvfb, D-Bus, gnome-keyring, WebKitWebDriver)",
        chroot(plan)
            .args(["apt-get", "install", "-y", "-q", "--no-install-recommends"])
            .args(TEST_TOOLS),
    )?;
    let to = plan.root.join("usr/local/bin/tauri-driver");
    std::fs::copy(&plan.tauri_driver, &to)
        .map(drop)
        .map_err(|e| format!("{}: {e}", to.display()))
}

/// The end-to-end harness inside the root: its desktop session, tauri-driver and the app
/// installed at /usr/bin all run on the clean system.
fn smoke_test(ctx: &mut Ctx, plan: &Plan) -> Result<(), String> {
    let target = ctx.target_dir();
    std::fs::create_dir_all(plan.root.join(target.strip_prefix("/").unwrap_or(&target)))
        .map_err(|e| e.to_string())?;
    let mut test = chroot(plan);
    test.arg(&plan.e2e)
        .args(["--exact", SMOKE_TEST, "--test-threads=1"])
        .env("CARGO_TARGET_DIR", &target)
        .env("AADSYNC_APP_BIN", "/usr/bin/aadsync-desktop")
        .env("AADSYNC_E2E_DATA_HOME", DATA_HOME);
    ctx.test_step(
        "smoke test of the installed app (demo sign-in, one sync)",
        &mut test,
    )
}

/// `apt-get remove` (not purge): the binaries go, the database and logs stay and the
/// database still opens and lists the smoke test's synchronization.
fn remove_keeps_data(ctx: &mut Ctx, plan: &Plan) -> Result<(), String> {
    ctx.step(
        "apt-get remove aadsync",
        chroot(plan).args(["apt-get", "remove", "-y", "-q", "aadsync"]),
    )?;
    for bin in ["usr/bin/aadsync", "usr/bin/aadsync-desktop"] {
        if plan.root.join(bin).exists() {
            return Err(format!("/{bin} is still there after apt-get remove"));
        }
    }
    let data = plan
        .root
        .join(DATA_HOME.trim_start_matches('/'))
        .join("com.aadsync.desktop");
    let logs = std::fs::read_dir(data.join("logs"))
        .map(|d| d.count())
        .unwrap_or(0);
    if logs == 0 {
        return Err(format!("no logs left in {}", data.join("logs").display()));
    }
    let database = data.join("aadsync.sqlite3");
    let runs = Command::new(plan.bin_dir.join("aadsync"))
        .arg("--db")
        .arg(&database)
        .args(["runs", "--json"])
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&runs.stdout);
    println!("\nafter apt-get remove, `aadsync runs` on the kept database: {text}");
    if runs.status.success() && text.contains("admin@contoso.com") {
        Ok(())
    } else {
        Err(format!(
            "the database {} is gone or unreadable after apt-get remove: {}",
            database.display(),
            String::from_utf8_lossy(&runs.stderr)
        ))
    }
}
