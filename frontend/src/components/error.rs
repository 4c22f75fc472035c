//! The one way an error reaches the user: [`ErrorMessage`], an element with a stable id that
//! shows a message while there is one, and [`failure`], which reads that message from an
//! [`Action`]'s last answer.
//!
//! Not an `ErrorBoundary`: a boundary replaces its children with the fallback, but here the
//! view must stay (the form whose save failed, the wizard step that can be retried) and each
//! error appears at its own place in it, where the admin and the end-to-end tests look for it.

use aadsync_ipc::IpcError;
use leptos::prelude::*;

/// How an error is laid out at the place it appears.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Look {
    /// A paragraph in the flow of a view (`p.error`).
    #[default]
    Paragraph,
    /// Under a form field (`p.field-error`).
    Field,
    /// In a row of buttons (`span.error`), so the row keeps its layout.
    Inline,
    /// Something the admin did themselves, such as cancelling a sign-in: said, not flagged
    /// (`p.notice`).
    Notice,
    /// Across an area, with its retry button as children (`div.banner.error`).
    Banner,
}

/// An error message shown to the user.
///
/// - `id`: DOM id (tests and `aria-describedby` find the message by it).
/// - `message`: the text; nothing is rendered while it is `None`, unless `keep`.
/// - `look`: how it is laid out where it appears.
/// - `keep`: keep the empty element in the document (a field's `aria-describedby` names it).
/// - `children`: what follows the message in a banner (its Try again button).
#[component]
pub fn ErrorMessage(
    id: &'static str,
    #[prop(into)] message: Signal<Option<String>>,
    #[prop(optional)] look: Look,
    #[prop(optional)] keep: bool,
    #[prop(optional)] children: Option<ChildrenFn>,
) -> impl IntoView {
    let text = move || message.get().unwrap_or_default();
    let shown = move || keep || message.with(Option::is_some);
    let element = move || match look {
        Look::Paragraph => view! { <p class="error" role="alert" id=id>{text}</p> }.into_any(),
        Look::Field => view! { <p class="field-error" role="alert" id=id>{text}</p> }.into_any(),
        Look::Inline => view! { <span class="error" role="alert" id=id>{text}</span> }.into_any(),
        Look::Notice => view! { <p class="notice" role="alert" id=id>{text}</p> }.into_any(),
        Look::Banner => {
            let after = children.clone().map(|c| c());
            view! {
                <div class="banner error" role="alert" id=id>
                    <p>{text}</p>
                    {after}
                </div>
            }
            .into_any()
        }
    };
    view! { <Show when=shown>{element.clone()}</Show> }
}

/// The message of the last failed run of an action (`None` before it ran and after a success).
pub fn failure<I, T>(action: Action<I, Result<T, IpcError>>) -> Signal<Option<String>>
where
    I: Send + Sync + 'static,
    T: Send + Sync + 'static,
{
    // `value()` makes a new signal on each call: take it once, not on every read.
    let value = action.value();
    Signal::derive(move || {
        value.with(|answer| match answer {
            Some(Err(err)) => Some(err.message.clone()),
            _ => None,
        })
    })
}
