//! Sign-in over HTTPS with the emulator's CA in the OS trust store and nowhere else: no
//! variable, file or setting hands it to the app, which must find it where an enterprise puts
//! its TLS-inspection root. Before the CA is installed, the app refuses the certificate and
//! says what to do.

use crate::signin::{BrowserPlay, fill_new_form, launch_with};
use aadsync_e2e::support::trust::InstalledCa;
use aadsync_e2e::support::{Result, actions, checks};
use aadsync_emulator::{Emulator, EmulatorConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_over_https_trusts_the_os_trust_store() -> Result {
    let mut config = EmulatorConfig::new(aadsync_emulator::demo_tenant()?);
    config.tls = true;
    let emulator = Emulator::start(config).await?;
    assert!(emulator.base_url().starts_with("https://"));
    let ca = emulator
        .ca_pem()
        .ok_or("the emulator has no CA")?
        .to_owned();
    let play = BrowserPlay::new()?;
    play.admin()?;
    let mut app = launch_with("signin_https_os_trust", &play).await?;
    checks::shell_is_rendered(&app).await?;
    actions::choose_menu(&app, "tools", "menu-azure-sync").await?;

    // Not yet in the trust store: refused before any browser opens, with what to do.
    fill_new_form(&app, "contoso.com", emulator.base_url()).await?;
    actions::click(&app, "new-sign-in").await?;
    checks::text_becomes(&app, "new-error", "the untrusted certificate", |t| {
        t.contains("the server's certificate is not trusted by this computer")
            && t.contains("install its root certificate in the OS trust store")
    })
    .await?;
    app.screenshot("https-certificate-not-trusted").await?;
    assert_eq!(play.opened(), 0);

    // Installed as an administrator would: the same app, without a restart, now signs in.
    let _installed = InstalledCa::install(&ca)?;
    actions::click(&app, "new-sign-in").await?;
    checks::text_becomes(&app, "signin-done", "the signed-in administrator", |t| {
        t.contains("as admin@contoso.com (Global Administrator)")
    })
    .await?;
    app.screenshot("https-signed-in").await?;
    assert_eq!(play.opened(), 1);
    app.finish().await
}
