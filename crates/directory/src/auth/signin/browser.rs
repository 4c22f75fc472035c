//! Opening the sign-in page in the system browser. `BROWSER` wins when set, as on Unix
//! desktops (and as the end-to-end tests rely on to play the person at the browser).

use super::error::SignInError;

/// Opens `url` in the system browser. `BROWSER` wins when set (a `:`-separated list of
/// commands, `%s` standing for the URL, else the URL is appended), as on Unix desktops.
pub fn open_browser(url: &str) -> Result<(), SignInError> {
    let mut failures = Vec::new();
    for words in commands(url, std::env::var("BROWSER").ok().as_deref()) {
        let Some((program, args)) = words.split_first() else {
            continue;
        };
        match std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .spawn()
        {
            Ok(mut child) => {
                // Reap it whenever it ends, so no zombie is left behind.
                std::thread::spawn(move || child.wait());
                return Ok(());
            }
            Err(err) => failures.push(format!("{program}: {err}")),
        }
    }
    Err(SignInError::Browser(failures.join("; ")))
}

/// The commands to try in order: each of `browser` (the `BROWSER` variable), then the
/// platform's own opener.
fn commands(url: &str, browser: Option<&str>) -> Vec<Vec<String>> {
    let mut candidates: Vec<Vec<String>> = Vec::new();
    for command in browser
        .into_iter()
        .flat_map(|list| list.split(':'))
        .filter(|c| !c.trim().is_empty())
    {
        let mut words: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
        if words.iter().any(|w| w.contains("%s")) {
            for w in &mut words {
                *w = w.replace("%s", url);
            }
        } else {
            words.push(url.to_owned());
        }
        candidates.push(words);
    }
    let default: &[&str] = if cfg!(target_os = "macos") {
        &["open"]
    } else if cfg!(windows) {
        // `start` would treat `&` in the URL as a command separator.
        &["rundll32", "url.dll,FileProtocolHandler"]
    } else {
        &["xdg-open"]
    };
    let mut words: Vec<String> = default.iter().map(|s| (*s).to_owned()).collect();
    words.push(url.to_owned());
    candidates.push(words);
    candidates
}

/// How long a browser sign-in waits before it lists the likely reasons nothing came back.
pub const NO_REDIRECT_AFTER: std::time::Duration = std::time::Duration::from_secs(30);

/// What to check when no redirect has arrived: Entra shows these errors in the browser and never
/// sends them to the redirect URI, so the app cannot know which one it is. One cause a line,
/// each with the fix in the Microsoft Entra admin center.
pub fn no_redirect_hint(client_id: &str, tenant: &str) -> String {
    format!(
        "No answer from the browser yet. If Microsoft's sign-in page shows an error, fix it in the \
Microsoft Entra admin center (App registrations → the app {client_id}), then sign in again:
AADSTS50011 (redirect URI mismatch): under Authentication, add the platform \"Mobile and desktop applications\" with the redirect URI http://localhost exactly (not 127.0.0.1, no port, no path)
AADSTS700016 (application not found in the directory): the application (client) ID given to aadsync must be the one on the app registration's Overview page, registered in tenant {tenant}
AADSTS90002 (tenant not found): the tenant must be the directory (tenant) ID or a verified domain of the organization, in the cloud chosen in aadsync (Global, GCC, GCC High, DoD or China)
AADSTS7000218 (public client flows): under Authentication → Advanced settings, set \"Allow public client flows\" to Yes
aadsync keeps waiting for the sign-in; Cancel stops it."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_commands_come_before_the_platform_opener() {
        let url = "https://login.example/authorize?a=1&b=2";
        let found = commands(url, Some("firefox --new-window:: helper '%s' --x"));
        assert_eq!(
            found[..2],
            [
                vec!["firefox".to_owned(), "--new-window".into(), url.into()],
                vec!["helper".to_owned(), format!("'{url}'"), "--x".into()],
            ]
        );
        assert_eq!(found.len(), 3, "then the platform's opener");
        assert_eq!(found[2].last().map(String::as_str), Some(url));
        assert_eq!(commands(url, None).len(), 1);
    }
}
