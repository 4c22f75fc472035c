//! The Preview's conflicts: each new user whose account name another server user holds, with
//! its resolutions as one radio group — skip (the default), link to the local user holding the
//! name, or import under another account name — and the rules those choices follow.

use super::Wizard;
use aadsync_ipc::{ConflictChoice, ConflictDecision, ConflictRow};
use leptos::prelude::*;

/// Which resolution a conflict's radio group has selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    Skip,
    Link,
    ImportAs,
}

/// The pick of conflict `id` in `decided` (none: skipped).
pub fn pick_of(decided: &[ConflictDecision], id: &str) -> Pick {
    match decided.iter().find(|d| d.id == id).map(|d| &d.choice) {
        None => Pick::Skip,
        Some(ConflictChoice::Link) => Pick::Link,
        Some(ConflictChoice::ImportAs { .. }) => Pick::ImportAs,
    }
}

/// The account name typed for conflict `id` (kept while another pick is selected).
pub fn typed_name(names: &[(String, String)], id: &str) -> String {
    names
        .iter()
        .find(|(i, _)| i == id)
        .map(|(_, n)| n.clone())
        .unwrap_or_default()
}

/// `decided` with conflict `id` set to `pick`, importing as `name`; Skip removes it.
pub fn choose(decided: &mut Vec<ConflictDecision>, id: &str, pick: Pick, name: &str) {
    decided.retain(|d| d.id != id);
    let choice = match pick {
        Pick::Skip => return,
        Pick::Link => ConflictChoice::Link,
        Pick::ImportAs => ConflictChoice::ImportAs {
            account_name: name.trim().to_owned(),
        },
    };
    decided.push(ConflictDecision {
        id: id.to_owned(),
        choice,
    });
}

/// Every "import as" has a name: Synchronize waits until it does.
pub fn complete(decided: &[ConflictDecision]) -> bool {
    decided.iter().all(|d| match &d.choice {
        ConflictChoice::ImportAs { account_name } => !account_name.trim().is_empty(),
        ConflictChoice::Link => true,
    })
}

/// Whether Next is allowed: something to synchronize, and every chosen name typed.
fn update_ready(wizard: Wizard, nothing: bool) {
    let complete = wizard.resolutions.with_untracked(|r| complete(r));
    wizard.ready.set(complete && !nothing);
}

/// The conflicts of the preview, each a labelled radio group (arrow keys move between its
/// choices, as in every radio group), with the account name field of "Import as".
///
/// Props: `conflicts`, the preview's; `nothing`, the preview has nothing to synchronize (Next
/// stays disabled whatever is chosen).
#[component]
pub fn ConflictChoices(conflicts: Vec<ConflictRow>, nothing: bool) -> impl IntoView {
    let wizard = expect_context::<Wizard>();
    // The names typed per conflict, so switching to Skip and back keeps them.
    let names = RwSignal::new(Vec::<(String, String)>::new());
    let set = move |id: &str, pick: Pick| {
        let name = names.with_untracked(|n| typed_name(n, id));
        wizard.resolutions.update(|r| choose(r, id, pick, &name));
        update_ready(wizard, nothing);
    };
    view! {
        <div class="conflicts" id="preview-conflicts">
            <p>"These users are not imported because another user of this server has their account name. Choose for each:"</p>
            {conflicts.into_iter().map(|c| {
                let id = c.id.clone();
                // Element ids by object ID, so a test (or a screen reader's list) finds the user.
                let group = format!("conflict-{}", c.id);
                let picked = {
                    let id = id.clone();
                    move |pick: Pick| wizard.resolutions.with(|r| pick_of(r, &id) == pick)
                };
                let option = {
                    let (id, group, picked) = (id.clone(), group.clone(), picked.clone());
                    move |pick: Pick, suffix: &str, label: String, disabled: bool| {
                        let (id, picked) = (id.clone(), picked.clone());
                        let input_id = format!("{group}-{suffix}");
                        let label_for = input_id.clone();
                        view! {
                            <label class="radio" for=label_for>
                                <input
                                    type="radio"
                                    name=group.clone()
                                    id=input_id
                                    disabled=disabled
                                    prop:checked=move || picked(pick)
                                    on:change=move |_| set(&id, pick)
                                />
                                {label}
                            </label>
                        }
                    }
                };
                let name_id = format!("{group}-name");
                let typed = id.clone();
                let importing = picked.clone();
                let link_label = if c.linkable {
                    format!("Link to the local user {}: it becomes this Azure AD user, keeping its ID, groups and history (its local password is removed)", c.account)
                } else {
                    format!("Link (not possible: {} is not a local user)", c.account)
                };
                view! {
                    <fieldset class="conflict" role="radiogroup" data-id=c.id.clone()>
                        <legend>{format!("{}: the account name {} is already used by another user", c.display_name, c.account)}</legend>
                        {option(Pick::Skip, "skip", "Skip (do not import this user)".to_owned(), false)}
                        {option(Pick::Link, "link", link_label, !c.linkable)}
                        {option(Pick::ImportAs, "import", "Import under another account name:".to_owned(), false)}
                        <input
                            type="text"
                            id=name_id
                            aria-label=format!("Account name for {}", c.display_name)
                            disabled=move || !importing(Pick::ImportAs)
                            prop:value=move || names.with(|n| typed_name(n, &typed))
                            on:input=move |ev| {
                                let value = event_target_value(&ev);
                                names.update(|n| {
                                    n.retain(|(i, _)| *i != id);
                                    n.push((id.clone(), value));
                                });
                                set(&id, Pick::ImportAs);
                            }
                        />
                    </fieldset>
                }
            }).collect_view()}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_replace_each_other_and_skip_removes_the_decision() {
        let mut decided = Vec::new();
        assert_eq!(pick_of(&decided, "o-1"), Pick::Skip, "skip by default");
        choose(&mut decided, "o-1", Pick::Link, "");
        choose(&mut decided, "o-2", Pick::ImportAs, " ann2@contoso.com ");
        assert_eq!(pick_of(&decided, "o-1"), Pick::Link);
        assert_eq!(
            decided[1].choice,
            ConflictChoice::ImportAs {
                account_name: "ann2@contoso.com".into()
            }
        );
        choose(&mut decided, "o-1", Pick::ImportAs, "x");
        assert_eq!(decided.len(), 2, "one decision per conflict");
        choose(&mut decided, "o-1", Pick::Skip, "x");
        assert_eq!(pick_of(&decided, "o-1"), Pick::Skip);
        assert_eq!(decided.len(), 1);
    }

    #[test]
    fn an_import_without_a_name_is_incomplete() {
        let mut decided = Vec::new();
        assert!(complete(&decided));
        choose(&mut decided, "o-1", Pick::ImportAs, "  ");
        assert!(!complete(&decided));
        choose(&mut decided, "o-1", Pick::ImportAs, "ann2");
        assert!(complete(&decided));
        choose(&mut decided, "o-2", Pick::Link, "");
        assert!(complete(&decided));
    }
}
