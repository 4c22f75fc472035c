//! A second process for the kill and race tests: this same test binary run again for one test
//! with environment variables saying what to do. It says "ready", waits for "go" on stdin, and
//! reports on stdout in lines that start with a marker; the parent reads them, or kills it.

use std::io::{BufRead, BufReader, Lines, Write};
use std::process::{Child, ChildStdout, Stdio};

/// The child, killed when dropped.
pub struct Helper {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    says: &'static str,
}

impl Helper {
    /// Runs `test` alone in a new process with `env`, and waits until it says "ready".
    pub fn ready(test: &str, says: &'static str, env: &[(&str, &std::ffi::OsStr)]) -> Self {
        let mut command = crate::support::alone(test);
        command.stdin(Stdio::piped()).stdout(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("child");
        let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut helper = Helper { child, lines, says };
        assert_eq!(helper.said(), "ready");
        helper
    }

    /// The child's next line of its own.
    pub fn said(&mut self) -> String {
        for line in self.lines.by_ref() {
            if let Some((_, said)) = line.expect("line").split_once(self.says) {
                return said.to_owned();
            }
        }
        panic!("the child ended without saying more");
    }

    pub fn go(&mut self) {
        let stdin = self.child.stdin.as_mut().expect("stdin");
        stdin.write_all(b"go\n").expect("go");
        stdin.flush().expect("flush");
    }

    /// SIGKILL: no destructor, no rollback by the process itself.
    pub fn kill(&mut self) {
        self.child.kill().expect("kill");
        let _ = self.child.wait();
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
