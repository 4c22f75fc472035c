//! Plays the system browser for the end-to-end tests: set as `BROWSER`, it is started by the
//! app with the authorize URL, walks the emulator's sign-in pages (account, password, second
//! factor) and delivers the redirect to the app's loopback listener, as a browser would.
//!
//! Who signs in is read from the file named by `AADSYNC_TEST_PERSON_FILE` when the URL arrives
//! (three lines: account, password, TOTP secret), so a test can switch accounts between
//! attempts; a file saying `hold` makes the "browser" do nothing (the admin walked away).
//! Each URL and outcome is appended to `AADSYNC_TEST_BROWSER_LOG` when set.

use aadsync_emulator::browser::{Browser, Person};
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

fn log(line: &str) {
    if let Some(path) = std::env::var_os("AADSYNC_TEST_BROWSER_LOG")
        && let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
    {
        let _ = writeln!(file, "{line}");
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("usage: browser-helper <authorize URL>");
        return std::process::ExitCode::from(2);
    };
    log(&format!("open {url}"));
    let person = std::env::var_os("AADSYNC_TEST_PERSON_FILE")
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
    let lines: Vec<&str> = person.lines().map(str::trim).collect();
    let result = match lines.as_slice() {
        ["hold", ..] => {
            log("hold");
            return std::process::ExitCode::SUCCESS;
        }
        [upn, password, totp, ..] => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or_default();
            sign_in(
                &url,
                Person {
                    upn,
                    password,
                    totp_secret: totp,
                    now,
                },
            )
            .await
        }
        _ => Err("AADSYNC_TEST_PERSON_FILE does not name an account".to_owned()),
    };
    match result {
        Ok(status) => {
            log(&format!("delivered {status}"));
            std::process::ExitCode::SUCCESS
        }
        Err(err) => {
            log(&format!("failed {err}"));
            eprintln!("browser-helper: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn sign_in(url: &str, person: Person<'_>) -> Result<u16, String> {
    let browser = Browser::new()?;
    let redirect = browser.sign_in(url, &person).await?;
    let response = browser.deliver(&redirect).await?;
    Ok(response.status().as_u16())
}
