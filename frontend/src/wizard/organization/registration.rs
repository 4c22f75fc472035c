//! The selected organization's registration check: *Check registration* reads its app
//! registration with the saved sign-in (the same check as `aadsync org check`) and lists each
//! finding with its fix, or says that the registration is complete.

use crate::components::error::ErrorMessage;
use crate::ipc;
use aadsync_ipc::{CheckRegistration, IpcError, OrganizationRef, RegistrationCheckView};
use leptos::prelude::*;

/// The check's headline for `view`.
fn headline(view: &RegistrationCheckView) -> String {
    match (view.findings.len(), view.blocking) {
        (0, _) => "The registration is complete: nothing aadsync uses is missing or wrong.".into(),
        (n, true) => format!(
            "{n} finding{}: aadsync cannot work until the needed ones are fixed.",
            if n == 1 { "" } else { "s" }
        ),
        (n, false) => format!(
            "{n} finding{}, all optional: aadsync works, without the features named.",
            if n == 1 { "" } else { "s" }
        ),
    }
}

/// *Check registration* and its findings for the organization `id`.
#[component]
pub fn RegistrationCheck(id: i64) -> impl IntoView {
    let result: RwSignal<Option<Result<RegistrationCheckView, IpcError>>> = RwSignal::new(None);
    let check = Action::new_unsync(move |id: &i64| {
        let id = *id;
        async move {
            result.set(Some(
                ipc::call::<CheckRegistration>(&OrganizationRef { id }).await,
            ));
        }
    });
    let pending = check.pending();
    view! {
        <div id="org-registration" class="registration-check">
            <button id="org-registration-check" disabled=move || pending.get()
                on:click=move |_| { result.set(None); check.dispatch(id); }>
                "Check registration"
            </button>
            <Show when=move || pending.get()>
                <p class="muted" role="status">"Reading the app registration from Microsoft Graph…"</p>
            </Show>
            {move || result.get().map(|answer| match answer {
                Err(err) => view! {
                    <ErrorMessage id="org-registration-error" message=Some(err.message) />
                }.into_any(),
                Ok(found) => findings(found).into_any(),
            })}
        </div>
    }
}

fn findings(found: RegistrationCheckView) -> impl IntoView {
    let headline = headline(&found);
    let items = found
        .findings
        .into_iter()
        .map(|f| {
            view! {
                <li class:needed=f.needed>
                    <strong>{f.about}</strong>
                    {if f.needed { " (needed): " } else { " (optional): " }}
                    {f.problem}
                    <br />
                    "Fix: " {f.fix}
                </li>
            }
        })
        .collect_view();
    let unchecked = found
        .unchecked
        .into_iter()
        .map(|note| view! { <li>"Not checked: " {note}</li> })
        .collect_view();
    view! {
        <p id="org-registration-headline" role="status">{headline}</p>
        <ul id="org-registration-findings">{items}</ul>
        <ul id="org-registration-unchecked" class="muted">{unchecked}</ul>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aadsync_ipc::RegistrationFindingView;

    fn finding(needed: bool) -> RegistrationFindingView {
        RegistrationFindingView {
            about: "Redirect URI".into(),
            needed,
            problem: "p".into(),
            fix: "f".into(),
        }
    }

    #[test]
    fn the_headline_says_whether_aadsync_can_work() {
        let mut view = RegistrationCheckView::default();
        assert!(headline(&view).starts_with("The registration is complete"));
        view.findings = vec![finding(false)];
        assert!(headline(&view).contains("all optional"));
        view.findings.push(finding(true));
        view.blocking = true;
        assert!(headline(&view).starts_with("2 findings: aadsync cannot work"));
    }
}
