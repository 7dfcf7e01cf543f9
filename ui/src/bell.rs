//! The bell's list: the server's notifications, newest first. An entry
//! about a chat opens it; opening one reads it; "mark all read" reads all.

use dioxus::{core::spawn_forever, prelude::*};
use switchboard_model::ipc::commands as cmd;

use crate::{
    controller::{Ctx, open_chat, show_tab_of},
    i18n::Lang,
    ipc,
};

/// The chat a server notification is about (`data.chatId`), if any.
pub fn notification_chat(n: &switchboard_protocol::Notification) -> Option<String> {
    n.data
        .as_ref()?
        .get("chatId")?
        .as_str()
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
}

/// The notification list under the bell.
#[component]
pub fn NotificationList(open: Signal<bool>) -> Element {
    let mut ctx = use_context::<Ctx>();
    let lang = *ctx.lang.read();
    let now = *ctx.now.read();
    let items: Vec<_> = ctx
        .inbox
        .read()
        .as_ref()
        .map(|i| i.notifications.clone())
        .unwrap_or_default();
    let any_unread = items.iter().any(|n| n.read == Some(false));
    rsx! {
        div { class: "popover notifications", id: "notifications", role: "dialog",
            div { class: "popover-head",
                strong { {lang.pick("Notifications", "Notificaciones")} }
                button {
                    id: "notifications-read-all",
                    class: "link",
                    disabled: !any_unread,
                    onclick: move |_| {
                        if let Some(i) = ctx.inbox.write().as_mut() {
                            i.read_notifications(None);
                        }
                        spawn_forever(async move {
                            let _ = ipc::invoke(&cmd::ReadNotifications {}).await;
                        });
                    },
                    {lang.pick("Mark all read", "Marcar todas como leídas")}
                }
                button { class: "link", onclick: move |_| open.set(false), "✕" }
            }
            if items.is_empty() {
                p { class: "muted", {lang.pick("Nothing new.", "Nada nuevo.")} }
            }
            ul {
                for n in items {
                    li {
                        key: "{n.id}",
                        class: match (n.read == Some(false), notification_chat(&n).is_some()) {
                            (true, true) => "unread opens",
                            (true, false) => "unread",
                            (false, true) => "opens",
                            (false, false) => "",
                        },
                        "data-notification": "{n.id}",
                        onclick: {
                            let (id, chat, unread) = (n.id.clone(), notification_chat(&n), n.read == Some(false));
                            move |_| {
                                let id = id.clone();
                                if unread {
                                    if let Some(i) = ctx.inbox.write().as_mut() {
                                        i.read_notifications(Some(&id));
                                    }
                                    spawn_forever(async move {
                                        let _ = ipc::invoke(&cmd::ReadNotification { notification_id: id }).await;
                                    });
                                }
                                if let Some(chat_id) = chat.clone() {
                                    open.set(false);
                                    show_tab_of(ctx, &chat_id);
                                    spawn_forever(open_chat(ctx, chat_id));
                                }
                            }
                        },
                        div { strong { "{n.title}" } span { class: "muted small", " · {when(lang, &n.created_at, now)}" } }
                        div { "{n.message}" }
                    }
                }
            }
        }
    }
}

fn when(lang: Lang, at: &str, now: i64) -> String {
    switchboard_protocol::time::parse_millis(at)
        .map(|ms| lang.relative(ms, now))
        .unwrap_or_default()
}
