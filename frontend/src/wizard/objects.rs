//! Step 3, Select objects: search and Search now, the virtualized list with checkboxes,
//! Shift-click ranges, the right-click menu (Select all / Select none / Invert), options.

use super::Wizard;
use super::select::plural;
use crate::ipc;
use crate::timer::sleep;
use crate::users::window::{self, ROW_HEIGHT};
use aadsync_ipc::{EntryKind, ListingPageCmd, ListingRequest, PageRequest, StartListing};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Height of the list viewport in CSS pixels (the stylesheet uses the same value).
const LIST_HEIGHT: f64 = 252.0;

/// Reads a listing job page by page into the wizard's model until it is done.
pub fn load(wizard: Wizard, search: String) {
    let Some(organization) = wizard.organization() else {
        return;
    };
    wizard.select.update(|m| m.clear_rows());
    wizard.listing_error.set(None);
    wizard.loading.set(true);
    spawn_local(async move {
        let job = match ipc::call::<StartListing>(&ListingRequest {
            organization,
            search,
        })
        .await
        {
            Ok(job) => job.job,
            Err(err) => {
                let _ = wizard.listing_error.try_set(Some(err.message));
                let _ = wizard.loading.try_set(false);
                return;
            }
        };
        let _ = wizard.listing_job.try_set(Some(job));
        let mut offset = 0u32;
        loop {
            // A newer listing (Search now again) took over.
            if wizard.listing_job.try_get_untracked().flatten() != Some(job) {
                return;
            }
            match ipc::call::<ListingPageCmd>(&PageRequest { job, offset }).await {
                Ok(page) => {
                    offset += page.rows.len() as u32;
                    let got_rows = !page.rows.is_empty();
                    if got_rows {
                        let _ = wizard.select.try_update(|m| m.push(page.rows));
                    }
                    if page.done {
                        if let Some(err) = page.error {
                            let _ = wizard.listing_error.try_set(Some(err.message));
                        }
                        let _ = wizard.loading.try_set(false);
                        return;
                    }
                    if !got_rows {
                        sleep(120).await;
                    }
                }
                Err(err) => {
                    let _ = wizard.listing_error.try_set(Some(err.message));
                    let _ = wizard.loading.try_set(false);
                    return;
                }
            }
        }
    });
}

#[component]
pub fn SelectObjectsStep() -> impl IntoView {
    let wizard = expect_context::<Wizard>();
    let list = NodeRef::<html::Div>::new();
    let scroll_top = RwSignal::new(0.0_f64);
    let search = RwSignal::new(String::new());
    let menu = RwSignal::new(None::<(i32, i32)>);

    if wizard.select.with_untracked(|m| m.loaded() == 0) && !wizard.loading.get_untracked() {
        load(wizard, String::new());
    }
    wizard.ready.set(true);

    let total = move || wizard.select.with(|m| m.visible_len());
    let rows = move || {
        let (first, end) = window::visible(scroll_top.get(), LIST_HEIGHT, total() as u32);
        wizard.select.with(|m| {
            (first..end)
                .filter_map(|i| {
                    m.row(i as usize)
                        .map(|r| (i, r.clone(), m.is_checked(&r.id)))
                })
                .collect::<Vec<_>>()
        })
    };
    let counts = move || {
        let (u, g) = wizard.select.with(|m| m.counts());
        let (lu, lg) = wizard.select.with(|m| m.loaded_counts());
        let loading = if wizard.loading.get() {
            " (loading…)"
        } else {
            ""
        };
        format!(
            "{} selected · {} listed{loading}",
            plural(u, g),
            plural(lu, lg)
        )
    };

    view! {
        <div class="step-objects">
            <p class="muted" id="wizard-connected">
                {move || wizard.connected.get().map(|c| format!(
                    "{} ({}) — signed in as {} ({})",
                    c.organization.display_name,
                    c.organization.primary_domain,
                    c.account,
                    c.roles.join(", ")
                ))}
            </p>
            <div class="field-row">
                <input
                    id="dir-search"
                    type="search"
                    placeholder="Filter the list, or search Entra ID with Search now"
                    autocomplete="off"
                    spellcheck="false"
                    prop:value=move || search.get()
                    on:input=move |ev| {
                        let text = event_target_value(&ev);
                        wizard.select.update(|m| m.set_filter(&text));
                        search.set(text);
                        scroll_top.set(0.0);
                        if let Some(el) = list.get_untracked() {
                            el.set_scroll_top(0);
                        }
                    }
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" {
                            let text = search.get_untracked();
                            wizard.select.update(|m| m.set_filter(""));
                            load(wizard, text);
                        }
                    }
                />
                <button
                    id="dir-search-now"
                    on:click=move |_| {
                        let text = search.get_untracked();
                        // The server did the searching: show all it returned.
                        wizard.select.update(|m| m.set_filter(""));
                        load(wizard, text);
                    }
                >
                    "Search now"
                </button>
            </div>
            <Show when=move || wizard.listing_error.with(Option::is_some)>
                <p class="error" role="alert" id="dir-error">{move || wizard.listing_error.get()}</p>
            </Show>
            <div
                class="dir-list"
                id="dir-list"
                role="listbox"
                aria-multiselectable="true"
                aria-label="Users and groups"
                tabindex="0"
                node_ref=list
                on:scroll=move |_| {
                    if let Some(el) = list.get_untracked() {
                        scroll_top.set(f64::from(el.scroll_top()));
                    }
                }
                on:contextmenu=move |ev| {
                    ev.prevent_default();
                    menu.set(Some((ev.client_x(), ev.client_y())));
                }
            >
                <div class="table-spacer" style:height=move || format!("{}px", total() as f64 * ROW_HEIGHT)>
                    <For each=rows key=|(i, r, c)| (*i, r.id.clone(), *c) let:item>
                        {
                            let (i, row, checked) = item;
                            let icon = match (row.kind, row.guest, row.disabled) {
                                (EntryKind::Group, _, _) => ("icon-group", "Group"),
                                (_, _, true) => ("icon-disabled", "Disabled user"),
                                (_, true, _) => ("icon-guest", "Guest"),
                                _ => ("icon-user", "User"),
                            };
                            view! {
                                <div
                                    class="dir-row"
                                    class:checked=checked
                                    role="option"
                                    aria-selected=checked.to_string()
                                    data-index=i.to_string()
                                    data-id=row.id.clone()
                                    style:transform=format!("translateY({}px)", f64::from(i) * ROW_HEIGHT)
                                    on:click=move |ev| {
                                        wizard.select.update(|m| m.click(i as usize, ev.shift_key()));
                                    }
                                >
                                    <input type="checkbox" tabindex="-1" prop:checked=checked aria-hidden="true" />
                                    <span class=format!("type-icon {}", icon.0) title=icon.1 aria-label=icon.1></span>
                                    <span class="dir-name">{row.display_name.clone()}</span>
                                    <span class="dir-principal">{row.principal.clone()}</span>
                                    <span class="dir-department">{row.department.clone()}</span>
                                    <span class="dir-imported">{if row.imported { "imported" } else { "" }}</span>
                                </div>
                            }
                        }
                    </For>
                </div>
            </div>
            <p class="muted" id="dir-counts" role="status">{counts}</p>
            <div class="options">
                <label class="check">
                    <input
                        type="checkbox"
                        id="opt-members"
                        prop:checked=move || wizard.members.get()
                        on:change=move |ev| wizard.members.set(event_target_checked(&ev))
                    />
                    "Import members of selected groups"
                </label>
                <label class="check indent">
                    <input
                        type="checkbox"
                        id="opt-nested"
                        disabled=move || !wizard.members.get()
                        prop:checked=move || wizard.nested.get()
                        on:change=move |ev| wizard.nested.set(event_target_checked(&ev))
                    />
                    "Include nested groups"
                </label>
                <label class="check">
                    <input
                        type="checkbox"
                        id="opt-check-deleted"
                        prop:checked=move || wizard.flow.with(|f| f.check_deleted())
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            wizard.flow.update(|f| f.set_check_deleted(on));
                        }
                    />
                    "Check deleted objects"
                </label>
            </div>
            {move || menu.get().map(|(x, y)| {
                let act = move |f: fn(&mut super::select::SelectModel)| {
                    wizard.select.update(f);
                    menu.set(None);
                };
                view! {
                    <div class="menu-dismiss" on:click=move |_| menu.set(None) on:contextmenu=move |ev| { ev.prevent_default(); menu.set(None) }></div>
                    <div class="menu-list context-menu" role="menu" id="dir-menu" style:left=format!("{x}px") style:top=format!("{y}px")>
                        <button class="menu-item" role="menuitem" id="dir-select-all" on:click=move |_| act(|m| m.select_all())>"Select all"</button>
                        <button class="menu-item" role="menuitem" id="dir-select-none" on:click=move |_| act(|m| m.select_none())>"Select none"</button>
                        <button class="menu-item" role="menuitem" id="dir-invert" on:click=move |_| act(|m| m.invert())>"Invert selection"</button>
                    </div>
                }
            })}
        </div>
    }
}
