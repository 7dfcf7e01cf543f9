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
                if !chat.tags.is_empty() {
                    dt { {lang.pick("Tags", "Etiquetas")} }
                    dd { id: "visitor-tags",
                        for t in chat.tags.iter() {
                            span { class: "tag", "{t}" }
                        }
                    }
                }
            }
            // v2.1: where the visitor writes from (text only, never a live link).
            if let Some(c) = chat.visitor.context.as_ref() {
                h3 { {lang.pick("Where from", "Desde dónde")} }
                dl { id: "visitor-context",
                    if let Some(p) = c.page.as_ref() {
                        dt { {lang.pick("Page", "Página")} }
                        dd { class: "break", title: "{p}", "{p}" }
                    }
                    if let Some(r) = c.referrer.as_ref() {
                        dt { {lang.pick("Came from", "Llegó desde")} }
                        dd { class: "break", title: "{r}", "{r}" }
                    }
                    if let Some(l) = c.locale.as_ref() {
                        dt { {lang.pick("Language", "Idioma")} }
                        dd { "{l}" }
                    }
                    if let Some(z) = c.timezone.as_ref() {
                        dt { {lang.pick("Time zone", "Zona horaria")} }
                        dd { "{z}" }
                    }
                    if let Some(ua) = c.user_agent.as_ref() {
                        dt { {lang.pick("Device", "Dispositivo")} }
                        dd { title: "{ua}", {device(ua)} }
                    }
                }
            }
        }
    }
}

/// A browser and system, read from a user agent ("Firefox on Linux"); the
/// whole string when neither is known.
pub fn device(ua: &str) -> String {
    let browser = if ua.contains("Edg/") {
        Some("Edge")
    } else if ua.contains("Firefox/") {
        Some("Firefox")
    } else if ua.contains("Chrome/") {
        Some("Chrome")
    } else if ua.contains("Safari/") {
        Some("Safari")
    } else {
        None
    };
    let system = if ua.contains("iPhone") || ua.contains("iPad") {
        Some("iOS")
    } else if ua.contains("Android") {
        Some("Android")
    } else if ua.contains("Windows") {
        Some("Windows")
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        Some("macOS")
    } else if ua.contains("Linux") || ua.contains("X11") {
        Some("Linux")
    } else {
        None
    };
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} · {s}"),
        (Some(x), None) | (None, Some(x)) => x.to_owned(),
        (None, None) => ua.chars().take(60).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::device;

    #[test]
    fn a_user_agent_reads_as_a_browser_and_a_system() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(device(firefox), "Firefox · Linux");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
        assert_eq!(device(iphone), "Safari · iOS");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0";
        assert_eq!(device(edge), "Edge · Windows");
        assert_eq!(device("curl/8.5"), "curl/8.5");
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
