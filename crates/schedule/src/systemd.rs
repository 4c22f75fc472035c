//! The systemd user timer and service of a scheduled synchronization: generated from a
//! [`Job`], installed into `~/.config/systemd/user/` and enabled with `systemctl --user`.

use super::{Job, Result, ScheduleError};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The first line of both files: what `schedule list` reads back.
const MARKER: &str = "# aadsync-schedule:";

/// The `.service` and `.timer` of `job`; `log` is the file its output is appended to.
pub fn units(job: &Job, org_name: &str, log: &Path) -> (String, String) {
    let marker = marker(job);
    let exec = job
        .scheduled_command(log)
        .iter()
        .map(|a| quote(a))
        .collect::<Vec<_>>()
        .join(" ");
    let about = escape_specifiers(org_name);
    let service = format!(
        "{marker}\n\
         [Unit]\n\
         Description=aadsync: synchronize {about} from Microsoft Entra ID\n\
         Documentation=man:aadsync(1)\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         # In the user's session: the stored sign-in is in the user's keyring.\n\
         # The run appends to the log itself (--log), as on every platform; what escapes it\n\
         # (a crash) goes there too.\n\
         ExecStart={exec}\n\
         StandardOutput=append:{log}\n\
         StandardError=append:{log}\n",
        log = escape_specifiers(&log.display().to_string()),
    );
    let timer = format!(
        "{marker}\n\
         [Unit]\n\
         Description=aadsync: synchronize {about} every {every}\n\
         \n\
         [Timer]\n\
         # The first run 5 minutes after the session starts, then every {every} after the last.\n\
         OnStartupSec=5min\n\
         OnUnitActiveSec={minutes}min\n\
         AccuracySec=1min\n\
         \n\
         [Install]\n\
         WantedBy=timers.target\n",
        every = job.every,
        minutes = job.every.minutes(),
    );
    (service, timer)
}

fn marker(job: &Job) -> String {
    format!("# {}", super::marker::line(job))
}

/// What `schedule list` shows of an installed timer: (tenant, every, deleted action).
pub fn read_marker(text: &str) -> Option<(String, String, String)> {
    let line = text.lines().next()?.strip_prefix(MARKER)?;
    let mut tenant = None;
    let mut every = None;
    let mut deleted = None;
    for pair in line.split_whitespace() {
        match pair.split_once('=')? {
            ("tenant", v) => tenant = Some(v.to_owned()),
            ("every", v) => every = Some(v.to_owned()),
            ("deleted", v) => deleted = Some(v.to_owned()),
            _ => {}
        }
    }
    Some((tenant?, every?, deleted?))
}

/// One `ExecStart=` argument: quoted, with `\` and `"` escaped, `%` (a specifier) and `$`
/// (a variable) doubled, so every argument reaches `aadsync` as written.
pub fn quote(arg: &str) -> String {
    let mut out = String::from("\"");
    for c in arg.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '%' => out.push_str("%%"),
            '$' => out.push_str("$$"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `%` doubled: systemd expands specifiers in most settings.
fn escape_specifiers(text: &str) -> String {
    text.replace('%', "%%").replace(['\n', '\r'], " ")
}

/// `~/.config/systemd/user`, where user units live.
pub fn unit_dir() -> Result<PathBuf> {
    dirs::config_dir()
        .map(|d| d.join("systemd").join("user"))
        .ok_or(ScheduleError::NoFolder("configuration (~/.config)"))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ScheduleError + '_ {
    move |source| ScheduleError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes the units and enables the timer; on any failure the files are as they were (an
/// earlier schedule of the same name stays, a new one is not left behind).
pub fn install(dir: &Path, name: &str, service: &str, timer: &str) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let (service_path, timer_path) = paths(dir, name);
    let earlier = [&service_path, &timer_path].map(|p| std::fs::read_to_string(p).ok());
    let written = std::fs::write(&service_path, service)
        .and_then(|()| std::fs::write(&timer_path, timer))
        .map_err(io(dir));
    let enabled = written.and_then(|()| {
        systemctl(&["daemon-reload"])?;
        systemctl(&["enable", "--now", &format!("{name}.timer")])
    });
    if let Err(err) = enabled {
        for (path, before) in [&service_path, &timer_path].into_iter().zip(earlier) {
            let _ = match before {
                Some(text) => std::fs::write(path, text),
                None => std::fs::remove_file(path),
            };
        }
        let _ = systemctl(&["daemon-reload"]);
        return Err(err);
    }
    Ok(())
}

/// Disables the timer and deletes both units. `Ok(false)`: there was no such schedule.
pub fn uninstall(dir: &Path, name: &str) -> Result<bool> {
    let (service_path, timer_path) = paths(dir, name);
    if !timer_path.exists() && !service_path.exists() {
        return Ok(false);
    }
    // A timer the user manager never loaded cannot be disabled; the files still go.
    let _ = systemctl(&["disable", "--now", &format!("{name}.timer")]);
    for path in [&timer_path, &service_path] {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(path)(e)),
            _ => {}
        }
    }
    let _ = systemctl(&["daemon-reload"]);
    Ok(true)
}

/// The installed schedules' timers: (name, contents).
pub fn installed(dir: &Path) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(String, String)> = entries
        .flatten()
        .filter_map(|e| {
            let file = e.file_name().to_string_lossy().into_owned();
            let name = file.strip_suffix(".timer")?.to_owned();
            name.starts_with("aadsync-sync-").then_some(())?;
            Some((name, std::fs::read_to_string(e.path()).ok()?))
        })
        .collect();
    found.sort();
    found
}

fn paths(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("{name}.service")),
        dir.join(format!("{name}.timer")),
    )
}

fn systemctl(args: &[&str]) -> Result<()> {
    let out = Command::new("systemctl")
        .arg("--user")
        .args(args)
        .output()
        .map_err(|source| ScheduleError::Spawn {
            program: "systemctl",
            source,
        })?;
    if out.status.success() {
        return Ok(());
    }
    Err(ScheduleError::Systemctl {
        args: args.join(" "),
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aadsync_ipc::DeletedAction;

    fn job() -> Job {
        Job {
            tenant_id: "C1B4BB72-8DD9-4DC3-BC94-D6CBA1D4622C".into(),
            every: "6h".parse().unwrap_or_else(|e: String| panic!("{e}")),
            deleted: Some(DeletedAction::Disable),
            program: "/usr/bin/aadsync".into(),
            database: "/home/ann/My Data/100% users.sqlite3".into(),
        }
    }

    #[test]
    fn arguments_reach_aadsync_as_written() {
        for (arg, quoted) in [
            ("plain", "\"plain\""),
            ("My Data", "\"My Data\""),
            ("100%", "\"100%%\""),
            ("$HOME", "\"$$HOME\""),
            ("a\"b\\c", "\"a\\\"b\\\\c\""),
        ] {
            assert_eq!(quote(arg), quoted, "{arg}");
        }
    }

    #[test]
    fn the_units_run_the_organizations_sync_every_interval() {
        let (service, timer) = units(&job(), "Contoso 100%", Path::new("/l/scheduled.log"));
        let exec = service
            .lines()
            .find_map(|l| l.strip_prefix("ExecStart="))
            .unwrap_or_default();
        assert_eq!(
            exec,
            "\"/usr/bin/aadsync\" \"--db\" \"/home/ann/My Data/100%% users.sqlite3\" \
             \"--log\" \"/l/scheduled.log\" \"sync\" \
             \"--org\" \"C1B4BB72-8DD9-4DC3-BC94-D6CBA1D4622C\" \"--scheduled\" \
             \"--check-deleted\" \"--deleted-action\" \"disable\""
        );
        assert!(service.contains("Description=aadsync: synchronize Contoso 100%% from"));
        assert!(service.contains("StandardError=append:/l/scheduled.log\n"));
        assert!(timer.contains("\nOnUnitActiveSec=360min\n"), "{timer}");
        assert!(timer.contains("\nWantedBy=timers.target\n"));
        assert!(
            !exec.contains("allow-mass-delete"),
            "the safeguard always applies"
        );
        assert_eq!(
            read_marker(&timer),
            Some((
                "C1B4BB72-8DD9-4DC3-BC94-D6CBA1D4622C".into(),
                "6h".into(),
                "disable".into()
            ))
        );
        // The database's hash in the name: FNV-1a of its path, the same in every build.
        assert_eq!(
            job().name(),
            "aadsync-sync-c1b4bb72-8dd9-4dc3-bc94-d6cba1d4622c-2fc3f710"
        );
        let staging = Job {
            database: "/srv/staging.sqlite3".into(),
            ..job()
        };
        assert_ne!(
            staging.name(),
            job().name(),
            "another database, another schedule"
        );
    }

    #[test]
    fn only_our_own_marker_is_read_back() {
        for text in ["", "[Unit]\n", "# aadsync-schedule: tenant=x every=6h\n"] {
            assert_eq!(read_marker(text), None, "{text:?}");
        }
    }
}
