//! The registration check, pure: from what Microsoft Graph shows of an organization's app
//! registration (its application object, its service principal, its delegated grants), what is
//! missing or wrong for each of aadsync's features, each with the exact fix in the Entra admin
//! center. The Graph reads that fill `Registration` are not part of this module
//! (`registration_check` does them), so the findings are the same for the CLI, the wizard and
//! the automatic run after a failed sign-in. A saved sign-in Entra ID refuses for a reason of
//! the registration is a finding too (`refused_sign_in`).

use aadsync_directory::auth::permissions::Feature;

/// The redirect URI aadsync's loopback sign-in needs, under *Mobile and desktop applications*
/// (Graph: `publicClient.redirectUris`). Entra ID ignores a loopback URI's port, which is why
/// the registered one has none; `127.0.0.1` is a different host to Entra ID.
pub const REDIRECT_URI: &str = "http://localhost";

/// What Graph shows of the application object (`GET /applications(appId='…')`, which needs
/// `Application.Read.All` or a directory role that can read applications).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationSettings {
    /// `publicClient.redirectUris` (*Mobile and desktop applications*).
    pub public_client_redirect_uris: Vec<String>,
    /// `web.redirectUris` and `spa.redirectUris`: a `http://localhost` there is on the wrong
    /// platform, and the admin must hear that rather than "missing".
    pub other_redirect_uris: Vec<String>,
    /// `isFallbackPublicClient` (*Allow public client flows*); `null` in Graph means off.
    pub public_client_flows: bool,
    /// Delegated Microsoft Graph permissions in `requiredResourceAccess`, by name (the IDs
    /// resolved through the Microsoft Graph service principal's `oauth2PermissionScopes`).
    pub requested: Vec<String>,
}

/// What was read of one organization's registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The application object, or why it could not be read (e.g. the token lacks
    /// `Application.Read.All`): then the redirect URI and public client flows are unchecked.
    pub application: Result<ApplicationSettings, String>,
    /// Whether the application has a service principal (an enterprise application) in the
    /// tenant; without one, nobody in the tenant can sign in to it.
    pub service_principal: bool,
    /// Scopes of the `AllPrincipals` (admin consent) `oauth2PermissionGrant` of the service
    /// principal on Microsoft Graph, by name.
    pub consented: Vec<String>,
}

/// What part of the registration a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    RedirectUri,
    PublicClientFlows,
    ServicePrincipal,
    /// A feature's permission is not on the registration (nor consented).
    Permission(Feature),
    /// A feature's permission is on the registration but admin consent was not granted.
    Consent(Feature),
    /// Entra ID refused the organization's saved sign-in for a reason of the registration
    /// (AADSTS65001, 700016, 7000218), so Graph could not be read at all.
    SignIn,
}

impl Area {
    /// What a finding is about, for people (the CLI's lines, the wizard's list).
    pub fn label(self) -> &'static str {
        match self {
            Area::RedirectUri => "Redirect URI",
            Area::PublicClientFlows => "Public client flows",
            Area::ServicePrincipal => "Enterprise application",
            Area::Permission(f) | Area::Consent(f) => f.name(),
            Area::SignIn => "Sign-in",
        }
    }
}

/// One thing missing or wrong, with the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationFinding {
    pub area: Area,
    /// Whether aadsync cannot sign in or synchronize without the fix (optional features: not).
    pub needed: bool,
    pub problem: String,
    pub fix: String,
}

/// The check's result: the findings, and what could not be checked (with why).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistrationReport {
    pub findings: Vec<RegistrationFinding>,
    pub unchecked: Vec<String>,
}

impl RegistrationReport {
    /// Whether something aadsync needs is missing (the CLI's nonzero exit).
    pub fn blocks(&self) -> bool {
        self.findings.iter().any(|f| f.needed)
    }

    /// The findings as lines to append to the message of a failure the check was run for
    /// (the CLI's error, the wizard's): each with its fix, then what was not checked.
    pub fn explain(&self) -> String {
        let mut text = String::from("The registration check found:");
        for f in &self.findings {
            let needed = if f.needed { "needed" } else { "optional" };
            text.push_str(&format!(
                "\n- {} ({needed}): {}\n  Fix: {}",
                f.area.label(),
                f.problem,
                f.fix
            ));
        }
        for note in &self.unchecked {
            text.push_str(&format!("\nNot checked: {note}"));
        }
        text
    }
}

const APP_REGISTRATION: &str =
    "Entra admin center → Identity → Applications → App registrations → this application";

/// Sign-in, importing users and importing groups: aadsync cannot work without them.
fn is_needed(feature: Feature) -> bool {
    matches!(
        feature,
        Feature::SignIn | Feature::ImportUsers | Feature::ImportGroups
    )
}

fn has_any(names: &[String], wanted: &[&str]) -> bool {
    names
        .iter()
        .any(|n| wanted.iter().any(|w| n.eq_ignore_ascii_case(w)))
}

/// What is missing or wrong in `registration`, per feature, each with its fix.
pub fn check_registration(registration: &Registration) -> RegistrationReport {
    let mut report = RegistrationReport::default();
    match &registration.application {
        Ok(app) => report.findings.extend(application_findings(app)),
        Err(why) => report.unchecked.push(format!(
            "The redirect URI ({REDIRECT_URI} under Mobile and desktop applications) and Allow public client flows were not checked: {why}. Sign in with an account that can read app registrations (e.g. Application Administrator), or check them in {APP_REGISTRATION} → Authentication"
        )),
    }
    if !registration.service_principal {
        report.findings.push(RegistrationFinding {
            area: Area::ServicePrincipal,
            needed: true,
            problem: "The application has no enterprise application (service principal) in this tenant, so nobody here can sign in to it".into(),
            fix: format!("In {APP_REGISTRATION} → API permissions, select Grant admin consent: it creates the enterprise application and consents in one step"),
        });
    }
    for feature in Feature::ALL {
        report
            .findings
            .extend(permission_finding(registration, feature));
    }
    report
}

/// The report for a saved sign-in Entra ID refused with `error` (its `AADSTSnnnn: …` line),
/// when the refusal is about the registration: nothing could be read from Graph, and the
/// error says what to fix. `None` for other refusals (revoked or expired sign-in: sign in again).
pub fn refused_sign_in(client_id: &str, error: &str) -> Option<RegistrationReport> {
    let code = |n: &str| {
        error
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| word.eq_ignore_ascii_case(&format!("AADSTS{n}")))
    };
    let (area, problem, fix) = if code("65001") {
        (
            Area::SignIn,
            format!(
                "Entra ID refuses the saved sign-in with AADSTS65001 (consent required): this tenant has not granted admin consent to the application {client_id}, or has no enterprise application (service principal) for it"
            ),
            format!(
                "In {APP_REGISTRATION} → API permissions, select Grant admin consent for the organization (it also creates the enterprise application), then run the check again"
            ),
        )
    } else if code("700016") {
        (
            Area::SignIn,
            format!("Entra ID does not find the application {client_id} in this tenant (AADSTS700016): it was deleted, or it is another tenant's single-tenant application"),
            "In Entra admin center → Identity → Applications → App registrations → Deleted applications, restore it, or register a new one as the README's \"Connecting your own tenant\" describes and add the organization again with its client ID".to_owned(),
        )
    } else if code("7000218") {
        (
            Area::PublicClientFlows,
            "Entra ID refuses the saved sign-in with AADSTS7000218: it takes aadsync for a confidential client because Allow public client flows is off".to_owned(),
            format!("In {APP_REGISTRATION} → Authentication → Advanced settings, set Allow public client flows to Yes and save"),
        )
    } else {
        return None;
    };
    Some(RegistrationReport {
        findings: vec![RegistrationFinding {
            area,
            needed: true,
            problem,
            fix,
        }],
        unchecked: vec![format!(
            "Nothing else was checked: the check reads the registration from Microsoft Graph with the organization's saved sign-in, which Entra ID refused ({error})"
        )],
    })
}

fn application_findings(app: &ApplicationSettings) -> Vec<RegistrationFinding> {
    let mut found = Vec::new();
    let registered = |uris: &[String]| uris.iter().any(|u| u.eq_ignore_ascii_case(REDIRECT_URI));
    if !registered(&app.public_client_redirect_uris) {
        let elsewhere = registered(&app.other_redirect_uris);
        found.push(RegistrationFinding {
            area: Area::RedirectUri,
            needed: true,
            problem: if elsewhere {
                format!("The redirect URI {REDIRECT_URI} is registered under the Web or Single-page application platform, where a desktop app's sign-in fails (AADSTS50011 or AADSTS9002327)")
            } else {
                format!("The redirect URI {REDIRECT_URI} is not registered, so sign-in in the browser fails with AADSTS50011")
            },
            fix: format!("In {APP_REGISTRATION} → Authentication → Add a platform → Mobile and desktop applications, add the custom redirect URI {REDIRECT_URI} exactly (no port, not 127.0.0.1)"),
        });
    }
    if !app.public_client_flows {
        found.push(RegistrationFinding {
            area: Area::PublicClientFlows,
            needed: true,
            problem: "Allow public client flows is off, so device code sign-in fails with AADSTS7000218 after you signed in".into(),
            fix: format!("In {APP_REGISTRATION} → Authentication → Advanced settings, set Allow public client flows to Yes and save"),
        });
    }
    found
}

/// The finding for one feature's permission: not requested by the registration, or requested
/// but not consented. Without the application object, only the consent is known, and the fix
/// names both steps.
fn permission_finding(
    registration: &Registration,
    feature: Feature,
) -> Option<RegistrationFinding> {
    let needs = feature.needs();
    if has_any(&registration.consented, needs) {
        return None;
    }
    let permission = needs.first().copied().unwrap_or_default();
    let requested = registration
        .application
        .as_ref()
        .is_ok_and(|app| has_any(&app.requested, needs));
    let consequence = if is_needed(feature) {
        "aadsync cannot work without it".to_owned()
    } else {
        format!("until then {}", feature.without())
    };
    let (area, problem, fix) = if requested {
        (
            Area::Consent(feature),
            format!(
                "{}: the Microsoft Graph permission {permission} is on the registration but admin consent was not granted; {consequence}",
                feature.name()
            ),
            format!(
                "In {APP_REGISTRATION} → API permissions, select Grant admin consent for the organization"
            ),
        )
    } else {
        (
            Area::Permission(feature),
            format!(
                "{}: the delegated Microsoft Graph permission {permission} is not granted; {consequence}",
                feature.name()
            ),
            format!(
                "In {APP_REGISTRATION} → API permissions → Add a permission → Microsoft Graph → Delegated permissions, add {permission}, then select Grant admin consent for the organization"
            ),
        )
    };
    Some(RegistrationFinding {
        area,
        needed: is_needed(feature),
        problem,
        fix,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_NEEDED: &[&str] = &[
        "User.Read",
        "User.Read.All",
        "GroupMember.Read.All",
        "Group.Read.All",
        "Member.Read.Hidden",
    ];

    fn s(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    /// The README's registration, complete and consented.
    fn complete() -> Registration {
        Registration {
            application: Ok(ApplicationSettings {
                public_client_redirect_uris: s(&[REDIRECT_URI]),
                other_redirect_uris: Vec::new(),
                public_client_flows: true,
                requested: s(ALL_NEEDED),
            }),
            service_principal: true,
            consented: s(ALL_NEEDED),
        }
    }

    fn with_app(change: impl FnOnce(&mut ApplicationSettings)) -> Registration {
        let mut registration = complete();
        if let Ok(app) = registration.application.as_mut() {
            change(app);
        }
        registration
    }

    fn without_consent(names: &[&str]) -> Vec<String> {
        s(ALL_NEEDED)
            .into_iter()
            .filter(|n| !names.contains(&n.as_str()))
            .collect()
    }

    /// A case: its name, the registration, the expected (area, needed) findings, the number of
    /// unchecked notes.
    type Case = (&'static str, Registration, Vec<(Area, bool)>, usize);

    /// Runs the check and returns (area, needed) per finding, and the number of unchecked notes.
    fn check(registration: Registration) -> (Vec<(Area, bool)>, usize) {
        let report = check_registration(&registration);
        assert_eq!(report.blocks(), report.findings.iter().any(|f| f.needed));
        for f in &report.findings {
            assert!(f.fix.starts_with("In Entra admin center"), "{}", f.fix);
        }
        let areas = report.findings.iter().map(|f| (f.area, f.needed)).collect();
        (areas, report.unchecked.len())
    }

    #[test]
    fn each_broken_registration_is_found_with_its_fix() {
        let cases: Vec<Case> = vec![
            ("complete", complete(), vec![], 0),
            (
                "redirect URI removed",
                with_app(|a| a.public_client_redirect_uris.clear()),
                vec![(Area::RedirectUri, true)],
                0,
            ),
            (
                "redirect URI on the Web platform",
                with_app(|a| {
                    a.public_client_redirect_uris.clear();
                    a.other_redirect_uris = s(&[REDIRECT_URI]);
                }),
                vec![(Area::RedirectUri, true)],
                0,
            ),
            (
                "127.0.0.1 is a different host",
                with_app(|a| a.public_client_redirect_uris = s(&["http://127.0.0.1"])),
                vec![(Area::RedirectUri, true)],
                0,
            ),
            (
                "public client flows off",
                with_app(|a| a.public_client_flows = false),
                vec![(Area::PublicClientFlows, true)],
                0,
            ),
            (
                "User.Read.All not on the registration",
                Registration {
                    consented: without_consent(&["User.Read.All"]),
                    ..with_app(|a| a.requested = without_consent(&["User.Read.All"]))
                },
                vec![
                    (Area::Permission(Feature::ImportUsers), true),
                    (Area::Permission(Feature::CheckDeletedUsers), false),
                ],
                0,
            ),
            (
                "Member.Read.Hidden requested, not consented",
                Registration {
                    consented: without_consent(&["Member.Read.Hidden"]),
                    ..complete()
                },
                vec![(Area::Consent(Feature::HiddenMembershipGroups), false)],
                0,
            ),
            (
                "Group.Read.All instead of GroupMember.Read.All is enough",
                Registration {
                    consented: without_consent(&["GroupMember.Read.All"]),
                    ..with_app(|a| a.requested = without_consent(&["GroupMember.Read.All"]))
                },
                vec![],
                0,
            ),
            (
                "no admin consent at all",
                Registration {
                    consented: Vec::new(),
                    ..complete()
                },
                Feature::ALL
                    .iter()
                    .map(|&f| (Area::Consent(f), is_needed(f)))
                    .collect(),
                0,
            ),
            (
                "no service principal",
                Registration {
                    service_principal: false,
                    consented: Vec::new(),
                    ..complete()
                },
                std::iter::once((Area::ServicePrincipal, true))
                    .chain(
                        Feature::ALL
                            .iter()
                            .map(|&f| (Area::Consent(f), is_needed(f))),
                    )
                    .collect(),
                0,
            ),
            (
                "application unreadable, consent complete: redirect and flows unchecked",
                Registration {
                    application: Err("the token lacks Application.Read.All".into()),
                    ..complete()
                },
                vec![],
                1,
            ),
            (
                "application unreadable, consent missing: a permission finding naming both steps",
                Registration {
                    application: Err("the token lacks Application.Read.All".into()),
                    consented: without_consent(&["Member.Read.Hidden"]),
                    ..complete()
                },
                vec![(Area::Permission(Feature::HiddenMembershipGroups), false)],
                1,
            ),
        ];
        for (name, registration, expected, unchecked) in cases {
            assert_eq!(check(registration), (expected, unchecked), "case: {name}");
        }
    }

    #[test]
    fn a_sign_in_refused_for_the_registration_is_a_finding() {
        let cases = [
            (
                "AADSTS65001: The user or administrator has not consented",
                Some(Area::SignIn),
            ),
            (
                "AADSTS700016: Application with identifier 'x' was not found",
                Some(Area::SignIn),
            ),
            (
                "AADSTS7000218: The request body must contain client_assertion",
                Some(Area::PublicClientFlows),
            ),
            (
                "AADSTS50173: The provided grant has expired due to it being revoked",
                None,
            ),
            (
                "AADSTS700082: The refresh token has expired due to inactivity",
                None,
            ),
            ("AADSTS650011: not 65001", None),
        ];
        for (error, expected) in cases {
            let report = refused_sign_in("c", error);
            let areas = report
                .as_ref()
                .map(|r| r.findings.iter().map(|f| f.area).collect::<Vec<_>>());
            assert_eq!(areas, expected.map(|a| vec![a]), "{error}");
            if let Some(report) = report {
                assert!(report.blocks());
                assert!(report.unchecked[0].contains(error), "{report:?}");
            }
        }
    }

    #[test]
    fn only_needed_findings_block() {
        let optional = check_registration(&Registration {
            consented: without_consent(&["Member.Read.Hidden"]),
            ..complete()
        });
        assert!(!optional.blocks());
        let needed = check_registration(&with_app(|a| a.public_client_flows = false));
        assert!(needed.blocks());
        assert!(needed.findings[0].problem.contains("AADSTS7000218"));
    }
}
