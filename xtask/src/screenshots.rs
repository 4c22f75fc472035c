//! `cargo xtask screenshots`: the README's pictures, taken by the end-to-end tests that walk
//! the wizard and copied to `docs/screenshots/` under stable names.

use crate::steps::{Ctx, build_frontend};
use std::path::{Path, PathBuf};

/// Screenshots for the README: the E2E tests that walk the wizard, then the chosen pictures
/// copied to `docs/screenshots/` under stable names.
pub fn screenshots(ctx: &mut Ctx) -> Result<(), String> {
    build_frontend(ctx, false)?;
    let mut build = ctx.cargo();
    build.args(["build", "--locked", "-p", "aadsync-desktop"]);
    ctx.step("build the app", &mut build)?;
    let app = ctx.target_dir().join("debug").join("aadsync-desktop");
    let mut e2e = ctx.cargo();
    e2e.args([
        "test",
        "--locked",
        "-p",
        "aadsync-e2e",
        "--test",
        "e2e",
        "--",
    ])
    .args(SCREENSHOT_TESTS)
    .env("AADSYNC_APP_BIN", &app);
    ctx.test_step(
        "end-to-end tests that take the README's screenshots",
        &mut e2e,
    )?;
    let shots = ctx.target_dir().join("e2e").join("screenshots");
    let docs = ctx.root.join("docs").join("screenshots");
    std::fs::create_dir_all(&docs).map_err(|e| format!("{}: {e}", docs.display()))?;
    for (test, shot, to) in SCREENSHOTS {
        let source = find_shot(&shots.join(test), shot)?;
        std::fs::copy(&source, docs.join(to))
            .map_err(|e| format!("copying {}: {e}", source.display()))?;
        println!("docs/screenshots/{to}");
    }
    Ok(())
}

/// `dir/NN-shot.png`: a test numbers its screenshots in the order it takes them, so the
/// number changes when a test takes one more; the name does not.
fn find_shot(dir: &Path, shot: &str) -> Result<PathBuf, String> {
    let suffix = format!("-{shot}.png");
    std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(&suffix))
                .is_some_and(|number| {
                    !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())
                })
        })
        .ok_or_else(|| format!("no screenshot {shot:?} in {}", dir.display()))
}

/// The end-to-end tests (filters) that take the README's screenshots.
const SCREENSHOT_TESTS: &[&str] = &[
    "signin::",
    "sync::",
    "undo::",
    "scope::",
    "conflicts::",
    "schedule::",
    "registration::",
    "consent::admin_consent_then_sign_in",
    "register::preview_then_create",
    "a11y::every_screen_passes_axe_in_dark_mode",
];

/// (test's screenshot folder, screenshot name, README file name).
const SCREENSHOTS: &[(&str, &str, &str)] = &[
    ("signin_demo", "empty-users-area", "1-users-area-empty.png"),
    (
        "signin_new_organization",
        "new-organization-invalid-tenant",
        "2-organization-new.png",
    ),
    (
        "signin_new_organization",
        "device-code",
        "3-sign-in-device-code.png",
    ),
    (
        "signin_new_organization",
        "non-admin-refused",
        "4-sign-in-refused.png",
    ),
    ("sync_wizard", "select-objects", "5-select-objects.png"),
    ("sync_wizard", "preview", "6-preview.png"),
    ("sync_wizard", "results", "7-results.png"),
    ("sync_wizard", "azure-ad-tab", "8-azure-ad-tab.png"),
    (
        "sync_wizard",
        "organization-last-synchronized",
        "9-organization-last-synchronized.png",
    ),
    (
        "sync_deleted_objects",
        "deletion-safeguard",
        "10-deletion-safeguard.png",
    ),
    (
        "sync_deleted_objects",
        "deleted-objects-threshold",
        "11-deleted-objects.png",
    ),
    ("sync_deleted_objects", "audit-log", "12-audit-log.png"),
    (
        "undo_older_run",
        "undo-preview-conflict",
        "13-undo-conflict.png",
    ),
    (
        "saved_scope",
        "saved-scope-preview",
        "14-saved-scope-preview.png",
    ),
    ("conflicts", "conflicts-resolved", "15-conflicts.png"),
    (
        "a11y_dark",
        "wizard-preview",
        "16-dark-preview-conflict.png",
    ),
    ("a11y_dark", "wizard-objects", "17-dark-select-objects.png"),
    (
        "a11y_dark",
        "user-properties-azure-ad",
        "18-dark-azure-ad-tab.png",
    ),
    (
        "schedule",
        "schedule-step-1",
        "19-organization-schedule.png",
    ),
    ("schedule", "schedule-notice", "20-schedule-notice.png"),
    (
        "registration_check",
        "registration-check",
        "21-registration-check.png",
    ),
    ("consent", "consent-choice", "22-consent-choice.png"),
    ("register", "register-preview", "23-register-preview.png"),
];
