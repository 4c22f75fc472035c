//! What reaches the admin's terminal. Display names, organization names and details come from
//! the directory, where anyone who may create a group chooses them: an escape sequence, BEL or
//! CR in one must not drive the terminal (retitle it, clear it, overwrite a line). Every line
//! the commands print goes through [`printable`] (the `say!`/`tell!` macros); JSON output is
//! unchanged by it, as serde_json already escapes control characters.
//!
//! With `--log FILE` (what a schedule runs) the same lines, and the diagnostics, are appended
//! to FILE instead, each with its UTC time: Task Scheduler redirects nothing, so the run
//! writes its log itself, the same way on every platform.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Mutex, OnceLock};

static LOG: OnceLock<Mutex<File>> = OnceLock::new();

/// From now on, output goes to the end of `path` (created owner-only, with its folder).
pub fn log_to(path: &Path) -> io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        aadsync_store::private::create_dir_all(parent)?;
    }
    let mut options = File::options();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    aadsync_store::private::restrict(path)?;
    let _ = LOG.set(Mutex::new(file));
    Ok(())
}

/// One message of the commands: to the log when there is one, else stdout or stderr.
pub fn emit(to_stderr: bool, text: &str) {
    let Some(log) = LOG.get() else {
        if to_stderr {
            eprintln!("{text}");
        } else {
            println!("{text}");
        }
        return;
    };
    let stamp = aadsync_schedule::utc::rfc3339(std::time::SystemTime::now());
    let mut block = String::new();
    for line in text.split('\n') {
        block.push_str(&format!("{stamp} {line}\n"));
    }
    // One write per message: appends from two runs at once do not interleave mid-message.
    if let Ok(mut file) = log.lock() {
        let _ = file.write_all(block.as_bytes());
    }
}

/// Where tracing's diagnostics go: the log when there is one, else stderr.
pub fn diagnostics() -> Box<dyn Write> {
    match LOG.get() {
        Some(_) => Box::new(LogWriter),
        None => Box::new(io::stderr()),
    }
}

struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match LOG.get().map(Mutex::lock) {
            Some(Ok(mut file)) => file.write(buf),
            _ => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `text` with every control character (C0, DEL, C1) except the line feed escaped as
/// `\u{1b}`, so it shows instead of acting.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control() && c != '\n'
}

/// `println!` for the commands' output, through [`printable`].
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::term::emit(false, &$crate::term::printable(&format!($($arg)*)))
    };
}

/// `eprintln!` for messages, through [`printable`].
macro_rules! tell {
    ($($arg:tt)*) => {
        $crate::term::emit(true, &$crate::term::printable(&format!($($arg)*)))
    };
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_characters_are_escaped_and_the_rest_is_kept() {
        let cases = [
            ("Ann Lee", "Ann Lee"),
            ("two\nlines", "two\nlines"),
            ("\u{1b}]0;pwned\u{7}", "\\u{1b}]0;pwned\\u{7}"),
            ("over\rwrite", "over\\u{d}write"),
            ("tab\there", "tab\\u{9}here"),
            ("csi\u{9b}2J del\u{7f}", "csi\\u{9b}2J del\\u{7f}"),
            ("Zoë “quoted” 日本", "Zoë “quoted” 日本"),
        ];
        for (text, expected) in cases {
            assert_eq!(printable(text), expected, "{text:?}");
        }
    }
}
