//! The main window: menu bar, toolbar, Users area, and the dialogs they open.

use crate::about::AboutDialog;
use crate::audit::AuditDialog;
use crate::components::menubar::{Menu, MenuBar, MenuItem};
use crate::users::UsersArea;
use crate::wizard::{WizardFrame, WizardStart};
use leptos::prelude::*;

/// Which modal is open; at most one at a time, like a native app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Modal {
    None,
    About,
    Audit,
    Wizard(WizardStart),
}

/// The main window; `data_changed` tells the Users area that a synchronization or an undo
/// wrote to the database.
#[component]
pub fn App() -> impl IntoView {
    let (modal, set_modal) = signal(Modal::None);
    // Bumped when a synchronization wrote to the database; the Users area reloads.
    let data_changed = RwSignal::new(0u32);
    // A synchronization the wizard was closed on, finishing in the background.
    let background = RwSignal::new(None::<u64>);
    let open = move |which: Modal| Callback::new(move |()| set_modal.set(which));
    let close = Callback::new(move |()| set_modal.set(Modal::None));

    let menus = vec![
        Menu {
            id: "tools",
            label: "Tools",
            items: vec![
                MenuItem {
                    id: "menu-azure-sync",
                    label: "Azure AD Synchronization…",
                    action: open(Modal::Wizard(WizardStart::Organization)),
                },
                MenuItem {
                    id: "menu-audit-log",
                    label: "Audit log…",
                    action: open(Modal::Audit),
                },
            ],
        },
        Menu {
            id: "help",
            label: "Help",
            items: vec![MenuItem {
                id: "menu-about",
                label: "About aadsync",
                action: open(Modal::About),
            }],
        },
    ];

    view! {
        <div class="shell">
            <header class="chrome">
                <MenuBar menus=menus />
                <div class="toolbar" role="toolbar" aria-label="Users">
                    <button
                        id="toolbar-azure-sync"
                        class="tool"
                        on:click=move |_| open(Modal::Wizard(WizardStart::Organization)).run(())
                    >
                        "Azure AD Synchronization…"
                    </button>
                </div>
            </header>
            <main class="workspace">
                <UsersArea
                    on_start_sync=open(Modal::Wizard(WizardStart::Organization))
                    on_try_demo=open(Modal::Wizard(WizardStart::Demo))
                    data_changed=data_changed
                    background=background
                />
            </main>
            <Show when=move || modal.get() == Modal::About>
                <AboutDialog on_close=close />
            </Show>
            {move || match modal.get() {
                Modal::Wizard(start) => Some(view! { <WizardFrame on_close=close start=start data_changed=data_changed background=background /> }.into_any()),
                Modal::Audit => Some(view! { <AuditDialog on_close=close data_changed=data_changed /> }.into_any()),
                _ => None,
            }}
        </div>
    }
}
