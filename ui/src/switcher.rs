//! The quick switcher (Ctrl+K): chats by visitor name, e-mail or subject,
//! and, below them, the messages that match (the search's index).

use dioxus::{core::spawn_forever, prelude::*};
use switchboard_model::SearchHit;

use crate::{
    controller::{Ctx, open_chat},
    ipc,
    search::{HitRow, hit_views, open_hit, search_soon, stepped},
};

/// Message hits shown under the chats.
const MESSAGE_HITS: u32 = 6;

/// One thing the switcher can open.
#[derive(Debug, Clone, PartialEq)]
enum Pick {
    Chat(String),
    Hit(crate::search::HitView),
}

/// The quick switcher.
#[component]
pub fn QuickSwitcher(open: Signal<bool>) -> Element {
    let ctx = use_context::<Ctx>();
    let lang = *ctx.lang.read();
    let mut query = use_signal(String::new);
    let mut cursor = use_signal(|| 0usize);
    let generation = use_signal(|| 0u64);
    let results = use_signal(|| None::<Vec<SearchHit>>);
    use_effect(|| ipc::scroll::focus("switcher-input"));
    let q = query.read().to_lowercase();
    let chats: Vec<(String, String, String)> = ctx
        .inbox
        .read()
        .as_ref()
        .map(|i| {
            i.chats
                .iter()
                .filter(|c| {
                    q.is_empty()
                        || c.visitor.name.to_lowercase().contains(&q)
                        || c.visitor
                            .email
                            .as_deref()
                            .unwrap_or("")
                            .to_lowercase()
                            .contains(&q)
                        || c.subject.as_deref().unwrap_or("").to_lowercase().contains(&q)
                })
                .take(12)
                .map(|c| {
                    (
                        c.chat_id.clone(),
                        c.visitor.name.clone(),
                        lang.status(c.status).to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let hits = results.read().clone();
    let hits = hits.as_deref().map(|h| hit_views(ctx, h)).unwrap_or_default();
    let picks: Vec<Pick> = chats
        .iter()
        .map(|c| Pick::Chat(c.0.clone()))
        .chain(hits.iter().cloned().map(Pick::Hit))
        .collect();
    let at = (*cursor.read()).min(picks.len().saturating_sub(1));
    let take = move |p: &Pick, mut open: Signal<bool>| {
        match p {
            Pick::Chat(id) => {
                spawn_forever(open_chat(ctx, id.clone()));
            }
            Pick::Hit(h) => open_hit(ctx, h),
        }
        open.set(false);
    };
    let for_keys = picks.clone();
    let n_chats = chats.len();
    rsx! {
        div { class: "overlay", onclick: move |_| open.set(false),
            div { class: "switcher", id: "switcher", role: "dialog", onclick: move |e| e.stop_propagation(),
                input {
                    id: "switcher-input",
                    placeholder: lang.pick("Jump to a chat or a message…", "Ir a un chat o a un mensaje…"),
                    value: "{query}",
                    oninput: move |e| {
                        query.set(e.value());
                        cursor.set(0);
                        search_soon(ctx, e.value(), MESSAGE_HITS, generation, results);
                    },
                    onkeydown: move |e: KeyboardEvent| {
                        if let Some(next) = stepped(&e, at, for_keys.len()) {
                            cursor.set(next);
                        } else if e.key() == Key::Enter
                            && let Some(p) = for_keys.get(at)
                        {
                            take(p, open);
                        }
                    },
                }
                ul {
                    for (i, (id, name, status)) in chats.into_iter().enumerate() {
                        li {
                            key: "{id}",
                            class: if i == at { "active" } else { "" },
                            onclick: {
                                let p = Pick::Chat(id.clone());
                                move |_| take(&p, open)
                            },
                            span { "{name}" }
                            span { class: "muted small", "{status}" }
                        }
                    }
                }
                if !hits.is_empty() {
                    h4 { {lang.pick("Messages", "Mensajes")} }
                    ul { id: "switcher-messages",
                        for (i, hit) in hits.into_iter().enumerate() {
                            HitRow {
                                key: "{hit.message_id}",
                                active: n_chats + i == at,
                                on_open: {
                                    let p = Pick::Hit(hit.clone());
                                    move |()| take(&p, open)
                                },
                                hit,
                            }
                        }
                    }
                }
            }
        }
    }
}
