//! The launchd user agent of a scheduled synchronization (macOS): a property list generated
//! from a [`Job`], written to `~/Library/LaunchAgents/<label>.plist` and loaded into the
//! user's GUI domain with `launchctl bootstrap gui/<uid>`. The generator is pure and tested
//! on every platform; only [`super::Scheduler`] on macOS calls `launchctl`.

use super::{APP_IDENTIFIER, Job, Result, ScheduleError, marker};
use std::path::{Path, PathBuf};
use std::process::Command;

/// launchd's label of the job named `name`, reverse-DNS under the app's identifier; also the
/// property list's file name without `.plist`.
pub fn label(name: &str) -> String {
    format!("{APP_IDENTIFIER}.{name}")
}

/// The property list of `job`. `ProgramArguments` is handed to `execvp` as it is (no shell),
/// so each argument is one `<string>`, XML-escaped and nothing else.
pub fn plist(job: &Job, log: &Path) -> String {
    let arguments: String = job
        .scheduled_command(log)
        .iter()
        .map(|arg| format!("\t\t<string>{}</string>\n", escape(arg)))
        .collect();
    let log = escape(&log.display().to_string());
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \
         \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <!-- {marker} -->\n\
         <plist version=\"1.0\">\n\
         <dict>\n\
         \t<key>Label</key>\n\
         \t<string>{label}</string>\n\
         \t<key>ProgramArguments</key>\n\
         \t<array>\n\
         {arguments}\
         \t</array>\n\
         \t<key>StartInterval</key>\n\
         \t<integer>{seconds}</integer>\n\
         \t<key>RunAtLoad</key>\n\
         \t<true/>\n\
         \t<key>ProcessType</key>\n\
         \t<string>Background</string>\n\
         \t<key>StandardOutPath</key>\n\
         \t<string>{log}</string>\n\
         \t<key>StandardErrorPath</key>\n\
         \t<string>{log}</string>\n\
         </dict>\n\
         </plist>\n",
        marker = marker::line(job),
        label = escape(&label(&job.name())),
        seconds = u64::from(job.every.minutes()) * 60,
    )
}

/// Text as XML character data.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `~/Library/LaunchAgents`, where a user's agents live.
pub fn agent_dir() -> Result<PathBuf> {
    dirs::home_dir()
        .map(|home| home.join("Library").join("LaunchAgents"))
        .ok_or(ScheduleError::NoFolder("home"))
}

fn plist_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{}.plist", label(name)))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ScheduleError + '_ {
    move |source| ScheduleError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes the agent and loads it; on any failure the file is as it was (an earlier schedule
/// of the same name is loaded again, a new one is not left behind).
pub fn install(dir: &Path, name: &str, plist: &str) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let path = plist_path(dir, name);
    let earlier = std::fs::read_to_string(&path).ok();
    let domain = gui_domain()?;
    // A loaded job of the same label refuses a second bootstrap: unload it first.
    let _ = launchctl(&["bootout", &format!("{domain}/{}", label(name))]);
    let loaded = std::fs::write(&path, plist)
        .map_err(io(&path))
        .and_then(|()| launchctl(&["bootstrap", &domain, &path.display().to_string()]));
    if let Err(err) = loaded {
        let _ = match earlier {
            Some(text) => std::fs::write(&path, text).map(|()| {
                let _ = launchctl(&["bootstrap", &domain, &path.display().to_string()]);
            }),
            None => std::fs::remove_file(&path),
        };
        return Err(err);
    }
    Ok(())
}

/// Unloads the agent and deletes its file. `Ok(false)`: there was no such schedule.
pub fn uninstall(dir: &Path, name: &str) -> Result<bool> {
    let path = plist_path(dir, name);
    if !path.exists() {
        return Ok(false);
    }
    // An agent launchd never loaded cannot be booted out; the file still goes.
    let _ = launchctl(&["bootout", &format!("{}/{}", gui_domain()?, label(name))]);
    std::fs::remove_file(&path).map_err(io(&path))?;
    Ok(true)
}

/// The installed schedules' property lists: (job name, contents).
pub fn installed(dir: &Path) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let prefix = label("aadsync-sync-");
    let mut found: Vec<(String, String)> = entries
        .flatten()
        .filter_map(|e| {
            let file = e.file_name().to_string_lossy().into_owned();
            let label = file.strip_suffix(".plist")?;
            label.starts_with(&prefix).then_some(())?;
            let name = label
                .strip_prefix(&format!("{APP_IDENTIFIER}."))?
                .to_owned();
            Some((name, std::fs::read_to_string(e.path()).ok()?))
        })
        .collect();
    found.sort();
    found
}

/// `gui/<uid>`: the user's login session, where agents that may use the user's keychain run.
fn gui_domain() -> Result<String> {
    let out = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|source| ScheduleError::Spawn {
            program: "id",
            source,
        })?;
    Ok(format!(
        "gui/{}",
        String::from_utf8_lossy(&out.stdout).trim()
    ))
}

fn launchctl(args: &[&str]) -> Result<()> {
    let out = Command::new("launchctl")
        .args(args)
        .output()
        .map_err(|source| ScheduleError::Spawn {
            program: "launchctl",
            source,
        })?;
    if out.status.success() {
        return Ok(());
    }
    Err(ScheduleError::Launchctl {
        args: args.join(" "),
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    })
}
