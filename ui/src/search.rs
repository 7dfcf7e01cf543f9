//! Search (Ctrl+F, and the messages part of Ctrl+K): every message held on
//! this device, internal notes included, offline as online, through the
//! engine's full-text index. A hit shows its chat, author, time and the
//! matched words; opening it jumps to that message in its chat.

use dioxus::{core::spawn_forever, prelude::*};
use switchboard_model::{HIT_END, HIT_START, SearchHit, ipc::commands as cmd};
use switchboard_protocol::SenderType;

use crate::{
    controller::{Ctx, open_found},
    i18n::{CivilDay, Lang, clock},
    ipc,
    state::Inbox,
    toast::{self, Doing},
};

/// Hits asked for at most.
pub const HITS: u32 = 50;
/// Wait this long after the last key before searching (ms).
const DEBOUNCE_MS: u32 = 150;

/// A snippet's pieces: `(text, matched)`, in order.
pub fn snippet_parts(snippet: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut matched = false;
    for c in snippet.chars() {
        if c == HIT_START || c == HIT_END {
            if !current.is_empty() {
                out.push((std::mem::take(&mut current), matched));
            }
            matched = c == HIT_START;
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        out.push((current, matched));
    }
    out
}

/// A hit as it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HitView {
    /// Its chat.
    pub chat_id: String,
    /// The message.
    pub message_id: String,
    /// Who the chat is with.
    pub chat_name: String,
    /// Who wrote it.
    pub author: String,
    /// When ("Today 10:42").
    pub when: String,
    /// An internal note.
    pub note: bool,
    /// The snippet's pieces.
    pub parts: Vec<(String, bool)>,
}

/// How a hit shows, named from the inbox.
pub fn hit_view(inbox: &Inbox, lang: Lang, hit: &SearchHit, now: i64, offset: i64) -> HitView {
    let m = &hit.message;
    let chat = inbox.chat(&m.chat_id);
    let chat_name = chat.map_or_else(
        || lang.pick("A chat", "Un chat").to_owned(),
        |c| c.visitor.name.clone(),
    );
    let author = match m.sender_type {
        SenderType::Visitor => chat_name.clone(),
        SenderType::System => "Switchboard".to_owned(),
        SenderType::Agent if m.sender_id == inbox.me() => lang.pick("You", "Tú").to_owned(),
        SenderType::Agent => inbox
            .agent_name(&m.sender_id)
            .unwrap_or(lang.pick("An agent", "Un agente"))
            .to_owned(),
    };
    let when = m
        .sent_at
        .as_deref()
        .and_then(switchboard_protocol::time::parse_millis)
        .map(|ms| {
            let day = lang.day(CivilDay::of(ms, offset), CivilDay::of(now, offset));
            format!("{day} {}", clock(ms, offset))
        })
        .unwrap_or_default();
    HitView {
        chat_id: m.chat_id.clone(),
        message_id: m.message_id.clone().unwrap_or_default(),
        chat_name,
        author,
        when,
        note: m.is_internal,
        parts: snippet_parts(&hit.snippet),
    }
}

/// The views of some hits, named from the inbox now.
pub fn hit_views(ctx: Ctx, hits: &[SearchHit]) -> Vec<HitView> {
    let lang = *ctx.lang.read();
    let now = *ctx.now.read();
    let offset = ipc::utc_offset_minutes();
    let inbox = ctx.inbox.read();
    match inbox.as_ref() {
        Some(i) => hits.iter().map(|h| hit_view(i, lang, h, now, offset)).collect(),
        None => Vec::new(),
    }
}

/// Searches after the agent stops typing; a later query wins.
pub fn search_soon(
    ctx: Ctx,
    query: String,
    limit: u32,
    mut generation: Signal<u64>,
    mut results: Signal<Option<Vec<SearchHit>>>,
) {
    let mine = *generation.peek() + 1;
    generation.set(mine);
    if query.trim().chars().count() < 2 {
        results.set(None);
        return;
    }
    spawn(async move {
        ipc::sleep(DEBOUNCE_MS).await;
        if *generation.peek() != mine {
            return;
        }
        match ipc::invoke(&cmd::Search {
            query,
            limit: Some(limit),
        })
        .await
        {
            Ok(hits) if *generation.peek() == mine => results.set(Some(hits)),
            Ok(_) => {}
            Err(e) => toast::fail(ctx, Doing::Search, &e),
        }
    });
}

/// Where ↑ and ↓ move a list's cursor at `at` among `count` entries
/// (`None`: another key). The page does not scroll for them.
pub fn stepped(e: &KeyboardEvent, at: usize, count: usize) -> Option<usize> {
    let next = match e.key() {
        Key::ArrowDown => (at + 1).min(count.saturating_sub(1)),
        Key::ArrowUp => at.saturating_sub(1),
        _ => return None,
    };
    e.prevent_default();
    Some(next)
}

/// Opens a hit: its chat, at that message.
pub fn open_hit(ctx: Ctx, hit: &HitView) {
    spawn_forever(open_found(ctx, hit.chat_id.clone(), hit.message_id.clone()));
}

/// One hit.
#[component]
pub fn HitRow(hit: HitView, active: bool, on_open: EventHandler<()>) -> Element {
    let ctx = try_use_context::<Ctx>();
    let lang = ctx.map(|c| *c.lang.read()).unwrap_or_default();
    rsx! {
        li {
            class: if active { "search-hit active" } else { "search-hit" },
            "data-chat-id": "{hit.chat_id}",
            "data-message-id": "{hit.message_id}",
            onclick: move |_| on_open.call(()),
            div { class: "hit-head",
                strong { "{hit.chat_name}" }
                // The visitor wrote it: the chat's name says who.
                if hit.author == hit.chat_name {
                    span { class: "muted small", " · {hit.when}" }
                } else {
                    span { class: "muted small", " · {hit.author} · {hit.when}" }
                }
                if hit.note {
                    span { class: "note-label small", {lang.pick("Internal note", "Nota interna")} }
                }
            }
            div { class: "hit-text",
                for (i, (text, matched)) in hit.parts.iter().enumerate() {
                    if *matched {
                        mark { key: "{i}", "{text}" }
                    } else {
                        span { key: "{i}", "{text}" }
                    }
                }
            }
        }
    }
}

/// The search panel (Ctrl+F).
#[component]
pub fn SearchPanel(open: Signal<bool>) -> Element {
    let ctx = use_context::<Ctx>();
    let lang = *ctx.lang.read();
    let mut query = use_signal(String::new);
    let mut cursor = use_signal(|| 0usize);
    let generation = use_signal(|| 0u64);
    let results = use_signal(|| None::<Vec<SearchHit>>);
    use_effect(|| ipc::scroll::focus("search-input"));
    let hits = results.read().clone();
    let views = hits.as_deref().map(|h| hit_views(ctx, h));
    let count = views.as_ref().map_or(0, Vec::len);
    let at = (*cursor.read()).min(count.saturating_sub(1));
    let for_keys = views.clone().unwrap_or_default();
    let q = query.read().clone();
    rsx! {
        div { class: "overlay", onclick: move |_| open.set(false),
            div { class: "switcher search", id: "search", role: "dialog", onclick: move |e| e.stop_propagation(),
                input {
                    id: "search-input",
                    r#type: "search",
                    placeholder: lang.pick("Search every message on this device…", "Buscar en todos los mensajes de este equipo…"),
                    value: "{query}",
                    oninput: move |e| {
                        query.set(e.value());
                        cursor.set(0);
                        search_soon(ctx, e.value(), HITS, generation, results);
                    },
                    onkeydown: move |e: KeyboardEvent| {
                        if let Some(next) = stepped(&e, at, count) {
                            cursor.set(next);
                        } else if e.key() == Key::Enter
                            && let Some(h) = for_keys.get(at)
                        {
                            open_hit(ctx, h);
                            open.set(false);
                        }
                    },
                }
                match views {
                    None => rsx! {
                        p { class: "muted small search-hint",
                            {lang.pick(
                                "Every message and internal note held here, even offline. Words match from their start.",
                                "Todos los mensajes y notas internas guardados aquí, incluso sin conexión. Las palabras coinciden desde su inicio.",
                            )}
                        }
                    },
                    Some(v) if v.is_empty() => rsx! {
                        p { class: "muted search-none", id: "search-none",
                            {match lang {
                                Lang::En => format!("Nothing found for “{q}”."),
                                Lang::Es => format!("No se encontró nada para «{q}»."),
                            }}
                        }
                    },
                    Some(v) => rsx! {
                        ul { id: "search-results",
                            for (i, hit) in v.into_iter().enumerate() {
                                HitRow {
                                    key: "{hit.message_id}",
                                    active: i == at,
                                    on_open: {
                                        let hit = hit.clone();
                                        move |()| {
                                            open_hit(ctx, &hit);
                                            open.set(false);
                                        }
                                    },
                                    hit,
                                }
                            }
                        }
                    },
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_model::{LocalMessage, fixtures};

    #[test]
    fn a_snippet_splits_into_matched_and_plain_text() {
        let s = format!("…el {HIT_START}número{HIT_END} de pedido es {HIT_START}4521{HIT_END}");
        assert_eq!(
            snippet_parts(&s),
            vec![
                ("…el ".to_owned(), false),
                ("número".to_owned(), true),
                (" de pedido es ".to_owned(), false),
                ("4521".to_owned(), true),
            ]
        );
        assert_eq!(snippet_parts(""), vec![]);
    }

    #[test]
    fn a_hit_names_its_chat_and_author_and_renders_as_text() {
        let inbox = Inbox::from_snapshot(fixtures::snapshot(
            Some("me"),
            vec![fixtures::chat("c1").visitor("v1", "Lucía").build()],
        ));
        let note: LocalMessage = fixtures::message("m1")
            .chat("c1")
            .from("me", SenderType::Agent)
            .text("<b>VIP</b> pedido 4521")
            .internal(true)
            .at("2026-12-01T10:42:00.000Z")
            .build();
        let hit = SearchHit {
            snippet: format!("<b>VIP</b> pedido {HIT_START}4521{HIT_END}"),
            message: note,
        };
        let now = switchboard_protocol::time::parse_millis("2026-12-01T12:00:00.000Z").unwrap();
        let v = hit_view(&inbox, Lang::En, &hit, now, 0);
        assert_eq!((v.chat_name.as_str(), v.author.as_str()), ("Lucía", "You"));
        assert_eq!(v.when, "Today 10:42");
        assert!(v.note);
        #[component]
        fn Shown(hit: HitView) -> Element {
            rsx! { HitRow { hit, active: false, on_open: |_| {} } }
        }
        let html = dioxus_ssr::render_element(rsx! { Shown { hit: v } });
        assert!(html.contains("<mark>4521</mark>"), "{html}");
        assert!(html.contains("&#60;b&#62;VIP"), "{html}");
        assert!(html.contains("Internal note"), "{html}");
    }
}
