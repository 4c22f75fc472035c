//! The Windows Task Scheduler task of a scheduled synchronization: task XML (schema 1.2)
//! generated from a [`Job`], registered with `schtasks /Create /XML`, read back with
//! `schtasks /Query /XML` and deleted with `schtasks /Delete`. The generator and the
//! argument quoting are pure and tested on every platform; only [`super::Scheduler`] on
//! Windows calls `schtasks`.

use super::launchd::escape;
use super::{Job, Result, ScheduleError, marker};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

/// The task XML of `job`, its trigger starting at `start` (UTC). The text declares UTF-16:
/// [`encode`] writes it so, as the file `schtasks /Create /XML` reads.
///
/// The principal is `user` (`DOMAIN\name`, the one who adds it; left out, Task Scheduler
/// takes whoever registers it) with `InteractiveToken`: "the task will be run only in an
/// existing interactive session", which is what it needs, because the stored sign-in is in
/// that user's Credential Manager, only there while the user is logged on.
pub fn task_xml(
    job: &Job,
    org_name: &str,
    log: &Path,
    start: SystemTime,
    user: Option<&str>,
) -> String {
    let command = job.scheduled_command(log);
    let (program, args) = command.split_first().map_or(("", &[][..]), |(p, a)| (p, a));
    let arguments = args
        .iter()
        .map(|a| quote_argument(a))
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n\
         <Task version=\"1.2\" xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">\r\n\
         \x20 <RegistrationInfo>\r\n\
         \x20   <Source>aadsync</Source>\r\n\
         \x20   <Description>aadsync: synchronize {about} from Microsoft Entra ID every {every}</Description>\r\n\
         \x20   <Documentation>{marker}</Documentation>\r\n\
         \x20 </RegistrationInfo>\r\n\
         \x20 <Triggers>\r\n\
         \x20   <TimeTrigger>\r\n\
         \x20     <StartBoundary>{start}</StartBoundary>\r\n\
         \x20     <Repetition>\r\n\
         \x20       <Interval>{interval}</Interval>\r\n\
         \x20     </Repetition>\r\n\
         \x20   </TimeTrigger>\r\n\
         \x20 </Triggers>\r\n\
         \x20 <Principals>\r\n\
         \x20   <Principal id=\"Author\">\r\n\
         {user}\
         \x20     <LogonType>InteractiveToken</LogonType>\r\n\
         \x20     <RunLevel>LeastPrivilege</RunLevel>\r\n\
         \x20   </Principal>\r\n\
         \x20 </Principals>\r\n\
         \x20 <Settings>\r\n\
         \x20   <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>\r\n\
         \x20   <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>\r\n\
         \x20   <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>\r\n\
         \x20   <StartWhenAvailable>true</StartWhenAvailable>\r\n\
         \x20   <Enabled>true</Enabled>\r\n\
         \x20 </Settings>\r\n\
         \x20 <Actions Context=\"Author\">\r\n\
         \x20   <Exec>\r\n\
         \x20     <Command>{program}</Command>\r\n\
         \x20     <Arguments>{arguments}</Arguments>\r\n\
         \x20   </Exec>\r\n\
         \x20 </Actions>\r\n\
         </Task>\r\n",
        // XML 1.0 has no way to write most control characters, escaped or not; a directory
        // name may hold them.
        about = escape(&org_name.replace(char::is_control, " ")),
        every = job.every,
        marker = marker::line(job),
        start = super::utc::rfc3339(start),
        interval = duration(job.every.minutes()),
        program = escape(&command_path(program)),
        arguments = escape(&arguments),
        user = user.map_or_else(String::new, |u| {
            format!("      <UserId>{}</UserId>\r\n", escape(u))
        }),
    )
}

/// The first run: five minutes after the schedule is added (as systemd's first run is five
/// minutes after the session starts), then every interval.
pub fn first_start(now: SystemTime) -> SystemTime {
    now + Duration::from_secs(5 * 60)
}

/// `Command` is a path, not a command line; a path with a space is quoted, as Task
/// Scheduler's own editor writes it.
fn command_path(program: &str) -> String {
    if program.contains([' ', '\t']) {
        format!("\"{program}\"")
    } else {
        program.to_owned()
    }
}

/// An ISO 8601 duration in the schema's `P<days>DT<hours>H<minutes>M` form: `PT6H`, `P1D`.
pub fn duration(minutes: u32) -> String {
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let mut text = String::from("P");
    if days > 0 {
        text.push_str(&format!("{days}D"));
    }
    if hours > 0 || mins > 0 || days == 0 {
        text.push('T');
        if hours > 0 {
            text.push_str(&format!("{hours}H"));
        }
        if mins > 0 || hours == 0 {
            text.push_str(&format!("{mins}M"));
        }
    }
    text
}

/// One argument of `Exec/Arguments`, quoted so that the Microsoft C runtime (and
/// `CommandLineToArgvW`) gives it back exactly: inside double quotes, `2n` backslashes before
/// a quote are `n` backslashes, `2n+1` are `n` and a literal quote; backslashes elsewhere are
/// literal. So a run of backslashes is doubled before a quote and before the closing quote.
pub fn quote_argument(arg: &str) -> String {
    let mut out = String::from("\"");
    let mut backslashes = 0;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.extend(std::iter::repeat_n('\\', backslashes * 2 + 1));
                out.push('"');
                backslashes = 0;
            }
            c => {
                out.extend(std::iter::repeat_n('\\', backslashes));
                out.push(c);
                backslashes = 0;
            }
        }
    }
    out.extend(std::iter::repeat_n('\\', backslashes * 2));
    out.push('"');
    out
}

/// The task XML as the file `schtasks /Create /XML` reads: UTF-16 little-endian with a byte
/// order mark, as its declaration says.
pub fn encode(xml: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(xml.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

/// What `schtasks` printed: UTF-16 when it starts with a byte order mark or looks like it
/// (every other byte zero), otherwise the console's code page, of which the marker's ASCII is
/// the same in all.
pub fn decode(bytes: &[u8]) -> String {
    let utf16 =
        bytes.starts_with(&[0xFF, 0xFE]) || (bytes.len() >= 4 && bytes[1] == 0 && bytes[3] == 0);
    if utf16 {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]))
            .collect();
        String::from_utf16_lossy(&units)
            .trim_start_matches('\u{feff}')
            .to_owned()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// Registers the task (replacing one of the same name: `/F`). schtasks registers a task
/// whole or not at all, so a failure leaves an earlier schedule as it was.
pub fn install(name: &str, xml: &str) -> Result<()> {
    let file = std::env::temp_dir().join(format!("{name}-{}.xml", std::process::id()));
    std::fs::write(&file, encode(xml)).map_err(|source| ScheduleError::Io {
        path: file.clone(),
        source,
    })?;
    let file_arg = file.display().to_string();
    let created = schtasks(&["/Create", "/TN", name, "/XML", &file_arg, "/F"]);
    let _ = std::fs::remove_file(&file);
    created.map(|_| ())
}

/// Deletes the task. `Ok(false)`: there was no such schedule.
pub fn uninstall(name: &str) -> Result<bool> {
    if schtasks(&["/Query", "/TN", name]).is_err() {
        return Ok(false);
    }
    schtasks(&["/Delete", "/TN", name, "/F"]).map(|_| true)
}

/// The installed schedules' task XML, as the scheduler has them: (name, XML).
pub fn installed() -> Vec<(String, String)> {
    let Ok(listing) = schtasks(&["/Query", "/FO", "CSV", "/NH"]) else {
        return Vec::new();
    };
    let mut names: Vec<String> = decode(&listing)
        .lines()
        .filter_map(|line| {
            let first = line.split(',').next()?.trim().trim_matches('"');
            let name = first.strip_prefix('\\').unwrap_or(first);
            name.starts_with("aadsync-sync-").then(|| name.to_owned())
        })
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let xml = schtasks(&["/Query", "/XML", "/TN", &name]).ok()?;
            Some((name, decode(&xml)))
        })
        .collect()
}

fn schtasks(args: &[&str]) -> Result<Vec<u8>> {
    let out = Command::new("schtasks")
        .args(args)
        .output()
        .map_err(|source| ScheduleError::Spawn {
            program: "schtasks",
            source,
        })?;
    if out.status.success() {
        return Ok(out.stdout);
    }
    let said = if out.stderr.is_empty() {
        &out.stdout
    } else {
        &out.stderr
    };
    Err(ScheduleError::Schtasks {
        args: args.join(" "),
        stderr: decode(said).trim().to_owned(),
    })
}
