//! The main window: menu bar by keyboard, and the wizard frame it opens.

use aadsync_e2e::support::{App, AppOptions, Result, actions, checks, finders};
use fantoccini::key::Key;

#[tokio::test]
async fn tools_menu_opens_the_wizard_by_keyboard() -> Result {
    let mut app = App::launch("tools_menu_keyboard", AppOptions::default()).await?;
    checks::shell_is_rendered(&app).await?;

    // Keyboard only: open Tools with ArrowDown, the first item gets focus, Enter activates it.
    actions::press(&app, "menu-tools", Key::Down).await?;
    checks::focus_is(
        &app,
        "the first Tools item to take focus",
        "menu-azure-sync",
    )
    .await?;
    app.screenshot("tools-menu-open").await?;
    actions::press_on_focused(&app, Key::Enter).await?;

    checks::text_becomes(&app, "wizard-step-title", "step 1", |t| t == "Organization").await?;
    let steps = finders::by_css(&app, "#wizard .wizard-steps")
        .await?
        .text()
        .await?;
    for step in [
        "Organization",
        "Sign-in",
        "Select objects",
        "Preview",
        "Synchronize",
        "Results",
    ] {
        assert!(steps.contains(step), "step list {steps:?} lacks {step}");
    }
    // Nothing to go back to, and no organization chosen yet to go forward with.
    checks::enabled_is(&app, "wizard-back", false).await?;
    checks::enabled_is(&app, "wizard-next", false).await?;
    app.screenshot("wizard-organization").await?;

    actions::click(&app, "wizard-cancel").await?;
    checks::gone(&app, "wizard").await?;

    // Escape closes an open menu and gives focus back to its button.
    actions::press(&app, "menu-help", Key::Down).await?;
    checks::focus_is(&app, "the About item to take focus", "menu-about").await?;
    actions::press_on_focused(&app, Key::Escape).await?;
    checks::gone(&app, "menu-about").await?;
    checks::focus_is(&app, "focus back on the Help button", "menu-help").await?;

    // The toolbar button opens the same wizard.
    actions::click(&app, "toolbar-azure-sync").await?;
    checks::text_becomes(&app, "wizard-step-title", "step 1", |t| t == "Organization").await?;
    actions::press(&app, "wizard", Key::Escape).await?;
    checks::gone(&app, "wizard").await?;
    app.finish().await
}
