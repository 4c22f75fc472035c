//! Step 1, Organization: the stored organizations, New…, Remove, and the offline demo.

use super::Wizard;
use super::connect::{CLOUDS, FormErrors, NewOrgForm, cloud_from_value, cloud_value, place};
use crate::ipc;
use aadsync_ipc::{
    CloudName, ConnectOrganization, DeletionThreshold, ErrorCode, ListOrganizations, NoArgs,
    OrganizationRef, OrganizationSummary, RemoveOrganization, SetDeletionThreshold, SignInMethod,
    SignInTarget,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn OrganizationStep() -> impl IntoView {
    let wizard = expect_context::<Wizard>();
    let next_handler = expect_context::<RwSignal<Option<Callback<()>>>>();
    let version = RwSignal::new(0u32);
    let orgs = LocalResource::new(move || {
        version.track();
        async move { ipc::call::<ListOrganizations>(&NoArgs {}).await }
    });
    let selected = RwSignal::new(None::<i64>);
    let show_new = RwSignal::new(false);
    let busy = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let confirm_remove = RwSignal::new(false);
    // Owned here: saving re-lists the organizations, which renders the safeguard anew.
    let safeguard_message = RwSignal::new(None::<(bool, String)>);
    let safeguard_open = RwSignal::new(false);

    // Select the first organization once the list is in; open New… when there is none.
    Effect::new(move |_| {
        if let Some(Ok(list)) = orgs.get() {
            let keep = selected
                .get_untracked()
                .filter(|id| list.iter().any(|o| o.id == *id));
            let choice = keep.or_else(|| list.first().map(|o| o.id));
            selected.set(choice);
            if list.is_empty() {
                show_new.set(true);
            }
        }
    });
    Effect::new(move |_| {
        wizard
            .ready
            .set(selected.get().is_some() && !show_new.get() && busy.get().is_none());
    });

    let connect = Callback::new(move |()| {
        let Some(id) = selected.get_untracked() else {
            return;
        };
        error.set(None);
        busy.set(Some("Signing in with the saved sign-in…".into()));
        wizard.ready.set(false);
        spawn_local(async move {
            let answer = ipc::call::<ConnectOrganization>(&OrganizationRef { id }).await;
            let _ = busy.try_set(None);
            match answer {
                Ok(connected) => {
                    wizard.connected.set(Some(connected));
                    wizard.flow.update(|f| f.skip_sign_in());
                }
                Err(err) if err.code == ErrorCode::SignInRequired => {
                    wizard.notice.set(Some(err.message));
                    wizard.target.set(Some(SignInTarget::Existing { id }));
                    wizard.started.set(None);
                    wizard.flow.update(|f| f.show_sign_in());
                }
                Err(err) => {
                    let _ = error.try_set(Some(err.message));
                }
            }
        });
    });
    next_handler.set(Some(connect));
    on_cleanup(move || {
        let _ = next_handler.try_set(None);
    });

    let remove = move |_| {
        let Some(id) = selected.get_untracked() else {
            return;
        };
        confirm_remove.set(false);
        spawn_local(async move {
            match ipc::call::<RemoveOrganization>(&OrganizationRef { id }).await {
                Ok(()) => {
                    let _ = selected.try_set(None);
                    let _ = version.try_update(|v| *v += 1);
                }
                Err(err) => {
                    let _ = error.try_set(Some(err.message));
                }
            }
        });
    };
    let selected_name = move || {
        let id = selected.get()?;
        orgs.get()
            .and_then(Result::ok)
            .and_then(|list| list.into_iter().find(|o| o.id == id))
            .map(|o: OrganizationSummary| {
                if o.display_name.is_empty() {
                    o.tenant_id
                } else {
                    o.display_name
                }
            })
    };

    view! {
        <div class="step-organization">
            <div class="field-row">
                <label for="org-select">"Organization"</label>
                <select
                    id="org-select"
                    prop:value=move || selected.get().map(|id| id.to_string()).unwrap_or_default()
                    on:change=move |ev| {
                        selected.set(event_target_value(&ev).parse().ok());
                        safeguard_message.set(None);
                        show_new.set(false);
                        error.set(None);
                    }
                >
                    {move || match orgs.get() {
                        None => view! { <option value="">"Loading…"</option> }.into_any(),
                        Some(Err(err)) => view! { <option value="">{err.message}</option> }.into_any(),
                        Some(Ok(list)) if list.is_empty() => {
                            view! { <option value="">"No organizations yet"</option> }.into_any()
                        }
                        Some(Ok(list)) => list
                            .into_iter()
                            .map(|o| {
                                let value = o.id.to_string();
                                let demo = o.cloud == CloudName::Demo;
                                let label = if demo { format!("[offline demo] {}", o.label()) } else { o.label() };
                                view! { <option value=value>{label}</option> }
                            })
                            .collect_view()
                            .into_any(),
                    }}
                </select>
                <button id="org-new" on:click=move |_| show_new.update(|s| *s = !*s)>"New…"</button>
                <button
                    id="org-remove"
                    disabled=move || selected.get().is_none()
                    on:click=move |_| confirm_remove.set(true)
                >
                    "Remove"
                </button>
            </div>
            {move || {
                let id = selected.get()?;
                let org = orgs.get()?.ok()?.into_iter().find(|o| o.id == id)?;
                let note = org.sync_note.clone().map(|note| view! {
                    <p id="org-sync-note" class:notice=org.sync_warning class:muted=!org.sync_warning>
                        {note}
                    </p>
                });
                let saved = Callback::new(move |()| version.update(|v| *v += 1));
                Some(view! {
                    {note}
                    <Safeguard org=org on_saved=saved message=safeguard_message open=safeguard_open />
                })
            }}
            <Show when=move || confirm_remove.get()>
                <div class="confirm" role="alertdialog" id="org-remove-confirm">
                    <p>
                        "Remove " <strong>{selected_name}</strong>
                        "? Its saved sign-in is deleted from the keyring. Users already imported from it stay."
                    </p>
                    <button id="org-remove-yes" class="danger" on:click=remove>"Remove"</button>
                    <button id="org-remove-no" on:click=move |_| confirm_remove.set(false)>"Keep"</button>
                </div>
            </Show>
            <Show when=move || busy.with(Option::is_some)>
                <p class="progress" id="org-busy" role="status">{move || busy.get()}</p>
            </Show>
            <Show when=move || error.with(Option::is_some)>
                <p class="error" role="alert" id="org-error">{move || error.get()}</p>
            </Show>
            <Show
                when=move || show_new.get()
                fallback=|| view! {
                    <p class="muted">"Next signs in with the saved sign-in of the selected organization. If it has expired, you are asked to sign in again."</p>
                }
            >
                <NewOrganizationForm />
            </Show>
        </div>
    }
}

#[component]
fn NewOrganizationForm() -> impl IntoView {
    let wizard = expect_context::<Wizard>();
    let form = RwSignal::new(NewOrgForm::default());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);

    let start = move |target: SignInTarget| {
        errors.set(FormErrors::default());
        busy.set(true);
        spawn_local(async move {
            let result = wizard.start_sign_in(target, SignInMethod::Browser).await;
            let _ = busy.try_set(false);
            if let Err(err) = result {
                let _ = errors.try_set(place(&err));
            }
        });
    };
    let field_error = move |id: &'static str, pick: fn(&FormErrors) -> Option<String>| {
        view! {
            <Show when=move || errors.with(|e| pick(e).is_some())>
                <p class="field-error" id=id role="alert">{move || errors.with(pick)}</p>
            </Show>
        }
    };

    view! {
        <fieldset class="new-organization" id="new-organization">
            <legend>"New organization"</legend>
            <div class="demo-offer">
                <button
                    id="new-demo"
                    disabled=move || busy.get()
                    on:click=move |_| start(SignInTarget::New(NewOrgForm::demo()))
                >
                    "Contoso (offline demo)"
                </button>
                <span class="muted">
                    "Try everything on a built-in demo tenant: its sign-in page shows the demo administrator's password and second-factor code."
                </span>
            </div>
            <label for="new-tenant">"Tenant (domain or tenant ID)"</label>
            <input
                id="new-tenant"
                placeholder="contoso.com or 72f988bf-86f1-41af-91ab-2d7cd011db47"
                autocomplete="off"
                spellcheck="false"
                prop:value=move || form.with(|f| f.tenant.clone())
                on:input=move |ev| form.update(|f| f.tenant = event_target_value(&ev))
            />
            {field_error("new-tenant-error", |e| e.tenant.clone())}
            <label for="new-client-id">"Application (client) ID"</label>
            <input
                id="new-client-id"
                placeholder="00000000-0000-0000-0000-000000000000"
                autocomplete="off"
                spellcheck="false"
                prop:value=move || form.with(|f| f.client_id.clone())
                on:input=move |ev| form.update(|f| f.client_id = event_target_value(&ev))
            />
            {field_error("new-client-id-error", |e| e.client_id.clone())}
            <label for="new-cloud">"Cloud"</label>
            <select
                id="new-cloud"
                prop:value=move || cloud_value(form.with(|f| f.cloud))
                on:change=move |ev| form.update(|f| f.cloud = cloud_from_value(&event_target_value(&ev)))
            >
                {CLOUDS
                    .iter()
                    .map(|c| view! { <option value=cloud_value(*c)>{c.label()}</option> })
                    .collect_view()}
            </select>
            <Show when=move || form.with(|f| f.cloud == CloudName::Custom)>
                <label for="new-authority">"Authority host"</label>
                <input
                    id="new-authority"
                    placeholder="https://login.example.com (http only on this computer)"
                    autocomplete="off"
                    spellcheck="false"
                    prop:value=move || form.with(|f| f.authority_host.clone())
                    on:input=move |ev| form.update(|f| f.authority_host = event_target_value(&ev))
                />
            </Show>
            {field_error("new-authority-error", |e| e.authority.clone())}
            <details class="registration-help">
                <summary>"What the app registration needs"</summary>
                <ul class="requirements">
                    <li>"Platform "<strong>"Mobile and desktop applications"</strong>" with the redirect URI "<code>"http://localhost"</code>", and "<strong>"Allow public client flows"</strong>" turned on (for device code sign-in)."</li>
                    <li>"Delegated Microsoft Graph permissions "<code>"User.Read.All"</code>" and "<code>"GroupMember.Read.All"</code>" (or "<code>"Group.Read.All"</code>"), with "<strong>"admin consent"</strong>" granted."</li>
                    <li>"No client secret: aadsync signs in with PKCE in your browser, like the Azure CLI. Only Global, Privileged Role and User Administrators are accepted."</li>
                </ul>
            </details>
            {field_error("new-error", |e| e.general.clone())}
            <div class="form-buttons">
                <button
                    id="new-sign-in"
                    class="primary"
                    disabled=move || busy.get()
                    on:click=move |_| start(SignInTarget::New(form.get_untracked().to_request()))
                >
                    {move || if busy.get() { "Starting sign-in…" } else { "Sign in…" }}
                </button>
            </div>
        </fieldset>
    }
}

/// The organization's deletion safeguard: when a sync must ask before disabling or deleting.
#[component]
fn Safeguard(
    org: OrganizationSummary,
    on_saved: Callback<()>,
    message: RwSignal<Option<(bool, String)>>,
    open: RwSignal<bool>,
) -> impl IntoView {
    let count = RwSignal::new(org.threshold_count.to_string());
    let percent = RwSignal::new(org.threshold_percent.to_string());
    let id = org.id;
    let save = move |_| {
        let parsed = (
            count.get_untracked().trim().parse::<u32>(),
            percent.get_untracked().trim().parse::<u32>(),
        );
        let (Ok(count), Ok(percent)) = parsed else {
            message.set(Some((
                true,
                "Enter whole numbers: a count of objects and a percentage from 0 to 100.".into(),
            )));
            return;
        };
        spawn_local(async move {
            let request = DeletionThreshold {
                organization: id,
                count,
                percent,
            };
            match ipc::call::<SetDeletionThreshold>(&request).await {
                Ok(org) => {
                    let _ = message.try_set(Some((
                        false,
                        format!(
                            "Saved. A synchronization of this organization asks for confirmation before disabling or deleting more than {} objects and more than {} % of its imported objects.",
                            org.threshold_count, org.threshold_percent
                        ),
                    )));
                    on_saved.run(());
                }
                Err(err) => {
                    let _ = message.try_set(Some((true, err.message)));
                }
            }
        });
    };
    view! {
        <details id="org-safeguard" class="safeguard" prop:open=move || open.get()
            on:toggle=move |ev| {
                use wasm_bindgen::JsCast;
                if let Some(d) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlDetailsElement>().ok()) {
                    open.set(d.open());
                }
            }>
            <summary id="org-safeguard-summary">
                {format!(
                    "Deletion safeguard: ask before disabling or deleting more than {} objects and more than {} %",
                    org.threshold_count, org.threshold_percent
                )}
            </summary>
            <div class="field-row">
                <label for="org-threshold-count">"More than"</label>
                <input id="org-threshold-count" type="number" min="0" max="1000000"
                    prop:value=move || count.get()
                    on:input=move |ev| count.set(event_target_value(&ev)) />
                <label for="org-threshold-percent">"objects and more than"</label>
                <input id="org-threshold-percent" type="number" min="0" max="100"
                    prop:value=move || percent.get()
                    on:input=move |ev| percent.set(event_target_value(&ev)) />
                <span>"% of the imported objects"</span>
                <button id="org-threshold-save" on:click=save>"Save"</button>
            </div>
            {move || message.get().map(|(failed, text)| view! {
                <p id="org-threshold-message" class:error=failed class:muted=!failed role="status">{text}</p>
            })}
        </details>
    }
}
