//! Wizard steps 1–2 in the real app: the offline demo one click from the empty Users area,
//! silent sign-in after a restart, New… validation, a non-administrator refused (with the PIM
//! advice), the likely causes after 30 s without a redirect, Cancel, the device code, and
//! removing an organization. The offline demo's app registration is the README's. The system browser is `browser-helper`.

use aadsync_e2e::support::{App, AppOptions, Result, actions, checks};
use aadsync_emulator::browser::{Browser, Person};
use aadsync_emulator::{Emulator, demo};
use std::path::{Path, PathBuf};

const HELPER: &str = env!("CARGO_BIN_EXE_browser-helper");

/// Who the "browser" signs in as, switchable between attempts.
pub struct BrowserPlay {
    _dir: tempfile::TempDir,
    person: PathBuf,
    log: PathBuf,
}

impl BrowserPlay {
    pub fn new() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let person = dir.path().join("person");
        let log = dir.path().join("browser.log");
        Ok(Self {
            person,
            log,
            _dir: dir,
        })
    }

    pub fn sign_in_as(&self, upn: &str, password: &str, totp: &str) -> Result {
        std::fs::write(&self.person, format!("{upn}\n{password}\n{totp}\n"))?;
        Ok(())
    }

    pub fn admin(&self) -> Result {
        self.sign_in_as(
            "admin@contoso.com",
            demo::ADMIN_PASSWORD,
            demo::ADMIN_TOTP_SECRET,
        )
    }

    fn hold(&self) -> Result {
        std::fs::write(&self.person, "hold\n")?;
        Ok(())
    }

    pub fn opened(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .map(|l| l.lines().filter(|l| l.starts_with("open ")).count())
            .unwrap_or(0)
    }

    pub fn env(&self) -> Vec<(String, String)> {
        let path = |p: &Path| p.display().to_string();
        vec![
            ("BROWSER".into(), HELPER.into()),
            ("AADSYNC_TEST_PERSON_FILE".into(), path(&self.person)),
            ("AADSYNC_TEST_BROWSER_LOG".into(), path(&self.log)),
        ]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_offline_demo_is_one_click_away_and_resumes_after_a_restart() -> Result {
    let play = BrowserPlay::new()?;
    play.admin()?;
    let mut app = launch_with("signin_demo", &play).await?;
    checks::shell_is_rendered(&app).await?;
    app.screenshot("empty-users-area").await?;

    // One click: the demo tenant starts in the app, the browser signs in.
    actions::click(&app, "users-try-demo").await?;
    checks::text_becomes(&app, "signin-done", "the signed-in administrator", |t| {
        t.contains("Signed in to Contoso (contoso.com) as admin@contoso.com (Global Administrator)")
    })
    .await?;
    app.screenshot("demo-signed-in").await?;
    actions::click(&app, "wizard-next").await?;
    checks::text_becomes(&app, "wizard-step-title", "step 3", |t| {
        t == "Select objects"
    })
    .await?;
    checks::text_becomes(&app, "wizard-connected", "the connection", |t| {
        t.contains("admin@contoso.com")
    })
    .await?;
    actions::click(&app, "wizard-cancel").await?;
    checks::gone(&app, "wizard").await?;
    assert_eq!(play.opened(), 1);
    no_tokens_in_files(&app)?;

    // After a restart the stored organization signs in silently: no browser, straight to 3.
    app.restart().await?;
    checks::shell_is_rendered(&app).await?;
    actions::choose_menu(&app, "tools", "menu-azure-sync").await?;
    checks::content_becomes(&app, "org-select", "the stored demo organization", |t| {
        t.contains("Contoso (contoso.com) — admin@contoso.com") && t.contains("[offline demo]")
    })
    .await?;
    app.screenshot("stored-organization").await?;
    checks::enabled_is(&app, "wizard-next", true).await?;
    actions::click(&app, "wizard-next").await?;
    checks::text_becomes(&app, "wizard-step-title", "step 3", |t| {
        t == "Select objects"
    })
    .await?;
    checks::text_becomes(&app, "wizard-connected", "the silent sign-in", |t| {
        t.contains("admin@contoso.com (Global Administrator)")
    })
    .await?;
    app.screenshot("silent-sign-in").await?;
    assert_eq!(play.opened(), 1, "a silent sign-in opens no browser");

    // Back skips the sign-in step that never showed; then the organization is removed.
    actions::click(&app, "wizard-back").await?;
    checks::text_becomes(&app, "wizard-step-title", "step 1", |t| t == "Organization").await?;
    checks::enabled_is(&app, "org-remove", true).await?;
    actions::click(&app, "org-remove").await?;
    checks::text_becomes(&app, "org-remove-confirm", "the consequences", |t| {
        t.contains("Users already imported from it stay")
    })
    .await?;
    app.screenshot("remove-organization").await?;
    actions::click(&app, "org-remove-yes").await?;
    checks::content_becomes(&app, "org-select", "no organizations", |t| {
        t.contains("No organizations yet")
    })
    .await?;
    app.finish().await
}

/// The app with `play` as its system browser.
pub async fn launch_with(test: &str, play: &BrowserPlay) -> Result<App> {
    App::launch(
        test,
        AppOptions {
            env: play.env(),
            ..AppOptions::default()
        },
    )
    .await
}

/// Tokens live only in the keyring and in memory. Neither the database (with its WAL), nor its
/// backups, nor the logs may hold any of the secrets the keyring holds (the refresh token is
/// opaque on Entra ID, so looking for JWTs alone proves nothing), nor anything JWT-like (`eyJ`
/// starts every base64url JSON header: ID and access tokens).
/// Returns how many backups it read.
pub fn no_tokens_in_files(app: &App) -> Result<usize> {
    let secrets = keyring_secrets(app)?;
    if secrets.is_empty() {
        return Err("the keyring holds no aadsync secret to look for".into());
    }
    let database = &app.expected_database;
    let mut files = vec![database.clone(), database.with_extension("sqlite3-wal")];
    let logs = app
        .desktop
        .data_home()
        .join("com.aadsync.desktop")
        .join("logs");
    // Backups are kept in a folder of the database's own, next to it, wherever it is.
    let name = database
        .file_name()
        .ok_or("the database has no file name")?
        .to_string_lossy()
        .into_owned();
    let backups = database.with_file_name(format!("{name}.backups"));
    let mut backup_count = 0;
    for dir in [&logs, &backups] {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let hidden = entry.file_name().to_string_lossy().starts_with('.');
                backup_count += usize::from(dir == &backups && !hidden);
                files.push(entry.path());
            }
        }
    }
    let mut checked = 0;
    for file in files {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        checked += 1;
        if bytes.windows(3).any(|w| w == b"eyJ") {
            return Err(format!("{} contains a JWT", file.display()).into());
        }
        // Any 24 characters of a secret: a token logged in part is as bad as whole. (Shorter
        // secrets are a token's last few characters, too short to mean anything alone.)
        for secret in secrets.iter().filter(|s| s.len() >= 24) {
            let needle = secret.as_bytes();
            for start in (0..=needle.len() - 24).step_by(12) {
                let piece = &needle[start..(start + 24).min(needle.len())];
                if bytes.windows(piece.len()).any(|w| w == piece) {
                    return Err(format!("{} contains a keyring secret", file.display()).into());
                }
            }
        }
    }
    if checked < 2 {
        return Err("found neither the database nor a log to check".into());
    }
    Ok(backup_count)
}

/// Every secret aadsync keeps in this test session's keyring (`secret-tool`, as an admin would
/// look), manifests included.
fn keyring_secrets(app: &App) -> Result<Vec<String>> {
    let mut command = std::process::Command::new("secret-tool");
    command.args(["search", "--all", "--unlock", "service", "aadsync"]);
    app.desktop.apply(&mut command);
    let output = command.output()?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    // secret-tool exits 1 without a word when nothing matches; anything else is a failure to
    // look, which must not pass for an empty keyring.
    if !output.status.success() && !text.trim().is_empty() {
        return Err(format!("secret-tool search failed ({}): {text}", output.status).into());
    }
    Ok(text
        .lines()
        .filter_map(|l| l.strip_prefix("secret = "))
        .map(str::to_owned)
        .collect())
}

pub async fn fill_new_form(app: &App, tenant: &str, authority: &str) -> Result {
    actions::type_into(app, "new-tenant", tenant).await?;
    actions::type_into(app, "new-client-id", demo::CLIENT_ID).await?;
    actions::click_css(app, "#new-cloud option[value='custom']").await?;
    actions::type_into(app, "new-authority", authority).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_organization_refusal_cancel_and_device_code() -> Result {
    let emulator = Emulator::start_demo().await?;
    let play = BrowserPlay::new()?;
    play.sign_in_as(
        "alex.wilber@contoso.com",
        demo::USER_PASSWORD,
        demo::USER_TOTP_SECRET,
    )?;
    let mut app = launch_with("signin_new_organization", &play).await?;
    checks::shell_is_rendered(&app).await?;
    actions::choose_menu(&app, "tools", "menu-azure-sync").await?;

    // Validation before any network call, next to the field.
    fill_new_form(&app, "contoso", emulator.base_url()).await?;
    actions::click(&app, "new-sign-in").await?;
    checks::text_becomes(&app, "new-tenant-error", "the tenant format", |t| {
        t.contains("domain name such as contoso.com")
    })
    .await?;
    app.screenshot("new-organization-invalid-tenant").await?;
    assert_eq!(play.opened(), 0);

    // A non-administrator is refused by name; nothing is stored.
    actions::type_into(&app, "new-tenant", "contoso.com").await?;
    actions::click(&app, "new-sign-in").await?;
    checks::text_becomes(&app, "signin-error", "the refusal", |t| {
        t.contains("alex.wilber@contoso.com is not an administrator")
            && t.contains("Global Administrator, Privileged Role Administrator, User Administrator")
            && t.contains("Privileged Identity Management")
    })
    .await?;
    app.screenshot("non-admin-refused").await?;
    actions::click(&app, "wizard-back").await?;
    checks::content_becomes(&app, "org-select", "no organization stored", |t| {
        t.contains("No organizations yet")
    })
    .await?;
    assert_eq!(
        keyring_secrets(&app)?,
        Vec::<String>::new(),
        "nothing of the refused account in the keyring"
    );

    // The admin walks away from the browser: Cancel stops the sign-in.
    play.hold()?;
    fill_new_form(&app, "contoso.com", emulator.base_url()).await?;
    actions::click(&app, "new-sign-in").await?;
    checks::text_becomes(&app, "signin-status", "the browser hint", |t| {
        t.contains("Your browser has opened")
    })
    .await?;
    app.screenshot("waiting-for-browser").await?;
    // 30 s without a redirect: the errors Entra shows only in the browser, each with its fix;
    // the sign-in still waits (Cancel is still there).
    checks::text_becomes(&app, "signin-no-redirect", "the likely causes", |t| {
        t.contains("AADSTS50011")
            && t.contains("Mobile and desktop applications")
            && t.contains("AADSTS700016")
            && t.contains("AADSTS90002")
            && t.contains("Allow public client flows")
            && t.contains("keeps waiting")
    })
    .await?;
    app.screenshot("no-redirect-hint").await?;
    actions::click(&app, "signin-cancel").await?;
    checks::text_becomes(&app, "signin-error", "cancelled", |t| {
        t.contains("cancelled")
    })
    .await?;

    // The device code instead: shown in the wizard, entered "on another device" (here).
    actions::click(&app, "signin-device-code").await?;
    let code = checks::text_becomes(&app, "device-user-code", "a code", |t| t.len() >= 8).await?;
    let uri = checks::text_becomes(&app, "device-uri", "the verification URL", |t| {
        t.ends_with("/devicelogin")
    })
    .await?;
    app.screenshot("device-code").await?;
    Browser::new()?
        .device_login(
            &uri,
            code.trim(),
            &Person::demo_admin(emulator.clock().now()),
            true,
        )
        .await?;
    checks::text_becomes(&app, "signin-done", "the signed-in administrator", |t| {
        t.contains("as admin@contoso.com (Global Administrator)")
    })
    .await?;
    app.screenshot("device-code-signed-in").await?;
    actions::click(&app, "wizard-back").await?;
    checks::content_becomes(&app, "org-select", "the new organization", |t| {
        t.contains("Contoso (contoso.com) — admin@contoso.com, never synchronized")
    })
    .await?;
    no_tokens_in_files(&app)?;
    app.finish().await
}
