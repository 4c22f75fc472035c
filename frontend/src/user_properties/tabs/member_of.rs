//! The Member of tab: the groups the user belongs to and where each membership comes from.

use super::ctx;
use crate::user_properties::FormContext;
use leptos::prelude::*;

/// The Member of tab.
#[component]
pub fn MemberOf() -> impl IntoView {
    let FormContext { form, .. } = ctx();
    let groups = form.with_untracked(|f| f.member_of.clone());
    view! {
        <div id="member-of-tab">
            {if groups.is_empty() {
                view! { <p class="muted">"Not a member of any group"</p> }.into_any()
            } else {
                view! {
                    <ul class="group-list">
                        {groups.into_iter().map(|g| view! {
                            <li>
                                <span class="group-name">{g.name}</span>
                                <span class="muted">{if g.from_azure_ad { " · from Azure AD" } else { " · local" }}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </div>
    }
}
