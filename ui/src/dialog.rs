//! A confirmation dialog: the safe answer is one key away (Esc cancels,
//! Enter confirms the focused button), and nothing happens behind it.

use dioxus::prelude::*;

use crate::ipc;

/// Asks before an action that cannot be taken back (closing a chat,
/// discarding a message).
#[component]
pub fn Confirm(
    /// The dialog's id (its confirm button is `{id}-confirm`).
    id: &'static str,
    title: String,
    body: String,
    confirm: String,
    cancel: String,
    on_confirm: EventHandler<()>,
    on_cancel: EventHandler<()>,
) -> Element {
    let confirm_id = format!("{id}-confirm");
    let focus_id = confirm_id.clone();
    // Enter on the focused confirm button confirms; Tab reaches Cancel.
    use_effect(move || ipc::scroll::focus(&focus_id));
    rsx! {
        div {
            class: "overlay",
            onclick: move |_| on_cancel.call(()),
            div {
                id,
                class: "dialog",
                role: "alertdialog",
                "aria-modal": "true",
                onclick: move |e| e.stop_propagation(),
                onkeydown: move |e: KeyboardEvent| {
                    // The console's own keys stay out of a question.
                    e.stop_propagation();
                    if e.key() == Key::Escape {
                        e.prevent_default();
                        on_cancel.call(());
                    }
                },
                h3 { "{title}" }
                p { "{body}" }
                div { class: "dialog-actions",
                    button { id: "{id}-cancel", class: "secondary", onclick: move |_| on_cancel.call(()), "{cancel}" }
                    button { id: "{confirm_id}", class: "primary danger", onclick: move |_| on_confirm.call(()), "{confirm}" }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[component]
    fn Asked() -> Element {
        rsx! {
            Confirm {
                id: "confirm-close",
                title: "Close the chat with <b>Eve</b>?".to_owned(),
                body: "She can no longer write.".to_owned(),
                confirm: "Close chat".to_owned(),
                cancel: "Cancel".to_owned(),
                on_confirm: |_| {},
                on_cancel: |_| {},
            }
        }
    }

    #[test]
    fn a_question_shows_both_answers_as_text() {
        let html = dioxus_ssr::render_element(rsx! { Asked {} });
        assert!(html.contains(r#"id="confirm-close-confirm""#), "{html}");
        assert!(html.contains(r#"id="confirm-close-cancel""#), "{html}");
        assert!(html.contains("&#60;b&#62;Eve"), "{html}");
        assert!(html.contains(r#"role="alertdialog""#), "{html}");
    }
}
