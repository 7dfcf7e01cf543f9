//! The visitor panel: who the visitor is and where the chat stands.

use super::*;

/// The visitor panel on the right.
#[component]
pub fn VisitorPanel(open: Signal<bool>) -> Element {
    let ctx = use_context::<Ctx>();
    let lang = *ctx.lang.read();
    let now = *ctx.now.read();
    let selected = ctx.selected.read().clone();
    let inbox = ctx.inbox.read();
    let Some((chat, assignee)) = inbox.as_ref().and_then(|i| {
        let c = i.chat(selected.as_deref()?)?.clone();
        let a = c.assignee_id.as_deref().map(|a| {
            i.agent_name(a)
                .unwrap_or(lang.pick("Another agent", "Otro agente"))
                .to_owned()
        });
        Some((c, a))
    }) else {
        return rsx! { aside { class: "visitor-panel", id: "visitor-panel", DrawerClose { open } } };
    };
    drop(inbox);
    let offset = ipc::utc_offset_minutes();
    let at = |s: &str| {
        switchboard_protocol::time::parse_millis(s)
            .map(|ms| {
                let day = lang.day(CivilDay::of(ms, offset), CivilDay::of(now, offset));
                format!("{day} {}", clock(ms, offset))
            })
            .unwrap_or_default()
    };
    rsx! {
        aside { class: "visitor-panel", id: "visitor-panel",
            DrawerClose { open }
            h3 { {lang.pick("Visitor", "Visitante")} }
            dl {
                dt { {lang.pick("Name", "Nombre")} }
                dd { "{chat.visitor.name}" }
                dt { {lang.pick("E-mail", "Correo")} }
                dd { {chat.visitor.email.clone().unwrap_or_else(|| "—".to_owned())} }
                dt { {lang.pick("Status", "Estado")} }
                dd { {lang.status(chat.status)} }
                dt { {lang.pick("Assigned to", "Asignado a")} }
                dd { {assignee.unwrap_or_else(|| lang.pick("Nobody yet", "Nadie todavía").to_owned())} }
                dt { {lang.pick("Opened", "Abierto")} }
                dd { {at(&chat.created_at)} }
                dt { {lang.pick("Last activity", "Última actividad")} }
                dd { {at(&chat.updated_at)} }
            }
        }
    }
}

/// Closes the panel when it is a drawer (hidden by the stylesheet when the
/// panel is a column).
#[component]
fn DrawerClose(open: Signal<bool>) -> Element {
    let ctx = use_context::<Ctx>();
    let lang = *ctx.lang.read();
    rsx! {
        button {
            id: "close-drawer",
            class: "link drawer-close",
            title: lang.pick("Close the visitor panel", "Cerrar el panel del visitante"),
            onclick: move |_| open.set(false),
            "✕"
        }
    }
}
