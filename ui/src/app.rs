//! The root component: boots from the shell, shows sign-in or the console,
//! and drains the engine's change events into the state signals.

use dioxus::{core::spawn_forever, prelude::*};
use switchboard_model::{Change, InboxTab, ipc::commands as cmd};

pub use switchboard_model::ipc::{Boot, DesktopSettings};

use crate::{
    console::Console,
    i18n::Lang,
    ipc::{self, ErrorCode},
    signin::SignIn,
    state::{Inbox, Timeline},
};

/// What the whole UI shares.
#[allow(missing_debug_implementations)]
#[derive(Clone, Copy)]
pub struct Ctx {
    /// The language.
    pub lang: Signal<Lang>,
    /// The inbox (`None`: not signed in).
    pub inbox: Signal<Option<Inbox>>,
    /// The open chat.
    pub selected: Signal<Option<String>>,
    /// Its timeline.
    pub timeline: Signal<Option<Timeline>>,
    /// The inbox tab shown.
    pub tab: Signal<InboxTab>,
    /// A passing message for the agent (errors, summaries).
    pub toast: Signal<Option<String>>,
    /// The clock for relative times (ticks every 30 s).
    pub now: Signal<i64>,
    /// Where the sign-in form starts.
    pub boot: Signal<Option<Boot>>,
    /// When the next reconnect attempt is due (ms since the epoch), for a
    /// live countdown in the header.
    pub reconnect_at: Signal<Option<i64>>,
    /// Loads of a snapshot or a page under way: changes that arrive
    /// meanwhile wait in `held` and are applied on top once it lands (a
    /// change is never lost between a snapshot and its diffs).
    pub holds: Signal<u32>,
    /// Changes waiting for the loads to land.
    pub held: Signal<Vec<Change>>,
    /// The desktop settings (notifications, tray), as the shell holds them.
    pub settings: Signal<Option<DesktopSettings>>,
    /// A newer version is ready to install.
    pub update: Signal<Option<String>>,
}

/// Reloads the desktop settings from the shell.
pub async fn load_settings(mut ctx: Ctx) {
    if let Ok(s) = ipc::invoke(&cmd::GetSettings {}).await {
        ctx.settings.set(Some(s));
    }
}

fn hold(mut ctx: Ctx) {
    *ctx.holds.write() += 1;
}

fn release(mut ctx: Ctx) {
    let left = {
        let mut h = ctx.holds.write();
        *h = h.saturating_sub(1);
        *h
    };
    if left == 0 {
        let held = std::mem::take(&mut *ctx.held.write());
        if !held.is_empty() {
            apply_changes(ctx, &held);
        }
    }
}

/// Page size of a timeline.
pub const PAGE: usize = 100;

/// The command for a page of `chat_id` before `before`.
fn page_of(chat_id: &str, before: Option<&str>) -> cmd::GetMessages {
    cmd::GetMessages {
        chat_id: chat_id.to_owned(),
        before: before.map(str::to_owned),
        limit: Some(PAGE as u32),
    }
}

/// Reloads the inbox from the shell (after sign-in, or when it fell behind).
pub async fn reload(ctx: Ctx) {
    hold(ctx);
    load_snapshot(ctx).await;
    release(ctx);
}

async fn load_snapshot(mut ctx: Ctx) {
    match ipc::invoke(&cmd::GetSnapshot {}).await {
        Ok(s) => {
            let mut inbox = Inbox::from_snapshot(s);
            let first = ctx.inbox.peek().is_none();
            if let Some(old) = ctx.inbox.peek().as_ref() {
                inbox.agents = old.agents.clone();
            }
            // Start where the work is: the queue, when nothing is mine yet.
            if first && inbox.tab_count(InboxTab::Mine) == 0 && inbox.tab_count(InboxTab::Queue) > 0 {
                ctx.tab.set(InboxTab::Queue);
            }
            ctx.inbox.set(Some(inbox));
            spawn_forever(load_lists(ctx));
            spawn_forever(load_settings(ctx));
            let open = ctx.selected.peek().clone();
            if let Some(chat_id) = open {
                load_page(ctx, chat_id).await;
            }
        }
        Err(e) if e.code == ErrorCode::NotSignedIn => {
            ctx.inbox.set(None);
            ctx.selected.set(None);
            ctx.timeline.set(None);
        }
        Err(e) => ctx.toast.set(Some(e.message)),
    }
}

/// Loads names, presence and notifications (network; fine to fail offline).
async fn load_lists(mut ctx: Ctx) {
    if let Ok(agents) = ipc::invoke(&cmd::GetAgents {}).await
        && let Some(i) = ctx.inbox.write().as_mut()
    {
        i.set_agents(agents);
    }
    if let Ok(list) = ipc::invoke(&cmd::GetNotifications {}).await
        && let Some(i) = ctx.inbox.write().as_mut()
    {
        i.notifications = list.notifications;
        i.notification_count = list.unread;
    }
}

/// Opens a chat: its newest page from the local cache, marked read.
pub async fn open_chat(ctx: Ctx, chat_id: String) {
    hold(ctx);
    load_page(ctx, chat_id).await;
    release(ctx);
    mark_read(ctx).await;
}

async fn load_page(mut ctx: Ctx, chat_id: String) {
    ctx.selected.set(Some(chat_id.clone()));
    // The shell keeps the chat on screen quiet while the window has the focus.
    let _ = ipc::invoke(&cmd::Viewing {
        chat_id: Some(chat_id.clone()),
    })
    .await;
    match ipc::invoke(&page_of(&chat_id, None)).await {
        Ok(page) => {
            if ctx.selected.peek().as_deref() != Some(chat_id.as_str()) {
                return;
            }
            let t = Timeline::new(&chat_id, page.messages, page.read_marker, PAGE);
            ctx.timeline.set(Some(t));
        }
        Err(e) => ctx.toast.set(Some(e.message)),
    }
}

/// Marks the open chat read up to its newest message (when the window has focus).
pub async fn mark_read(ctx: Ctx) {
    if !ipc::window_focused() {
        return;
    }
    let (chat_id, message_id) = {
        let t = ctx.timeline.peek();
        let Some(t) = t.as_ref() else { return };
        let Some(m) = t.newest_server_message() else {
            return;
        };
        let unread = ctx
            .inbox
            .peek()
            .as_ref()
            .and_then(|i| i.chat(&t.chat_id).map(|c| c.unread))
            .unwrap_or(0);
        if unread == 0 {
            return;
        }
        (t.chat_id.clone(), m.message_id.clone().unwrap_or_default())
    };
    let _ = ipc::invoke(&cmd::MarkRead { chat_id, message_id }).await;
}

/// Loads the page before the oldest message held (from the cache, then the
/// server when the cache has no more). Returns how many were added.
pub async fn load_older(mut ctx: Ctx) -> usize {
    let Some((chat_id, before)) = ctx
        .timeline
        .peek()
        .as_ref()
        .map(|t| (t.chat_id.clone(), t.oldest_sent_at().map(str::to_owned)))
    else {
        return 0;
    };
    let local = ipc::invoke(&page_of(&chat_id, before.as_deref())).await;
    let mut page = match local {
        Ok(p) => p.messages,
        Err(_) => Vec::new(),
    };
    if page.is_empty() {
        // Nothing older in the cache: ask the server, then read the cache again.
        if ipc::invoke(&cmd::LoadOlder {
            chat_id: chat_id.clone(),
        })
        .await
        .unwrap_or(0)
            > 0
            && let Ok(p) = ipc::invoke(&page_of(&chat_id, before.as_deref())).await
        {
            page = p.messages;
        }
    }
    let mut t = ctx.timeline.write();
    match t.as_mut() {
        Some(t) if t.chat_id == chat_id => {
            if page.is_empty() {
                t.has_older = false;
                0
            } else {
                // A full page from the cache may have more behind it.
                let full = page.len() >= PAGE;
                let n = t.prepend(page, PAGE);
                t.has_older = full || n > 0;
                n
            }
        }
        _ => 0,
    }
}

fn apply_changes(mut ctx: Ctx, changes: &[Change]) {
    if *ctx.holds.peek() > 0 {
        ctx.held.write().extend_from_slice(changes);
        return;
    }
    let mut open_touched = false;
    for c in changes {
        if let Change::Connection { state } = c {
            ctx.reconnect_at.set(match state {
                switchboard_model::ConnectionState::Reconnecting { next_in_ms, .. } => {
                    Some(ipc::now_ms() + *next_in_ms as i64)
                }
                _ => None,
            });
        }
    }
    {
        let mut inbox = ctx.inbox.write();
        let Some(inbox) = inbox.as_mut() else { return };
        for c in changes {
            inbox.apply(c);
        }
    }
    {
        let selected = ctx.selected.peek().clone();
        let mut timeline = ctx.timeline.write();
        if let (Some(t), Some(sel)) = (timeline.as_mut(), selected)
            && t.chat_id == sel
        {
            for c in changes {
                if t.apply(c) {
                    open_touched = true;
                }
            }
        }
    }
    if let Some((messages, chats)) = ctx.inbox.write().as_mut().and_then(|i| i.caught_up.take()) {
        let text = ctx.lang.peek().caught_up(messages, chats);
        ctx.toast.set(Some(text));
    }
    if open_touched {
        spawn_forever(mark_read(ctx));
    }
}

/// The app.
#[component]
pub fn App() -> Element {
    let lang = use_signal(|| Lang::from_tag(&ipc::os_language()));
    let ctx = use_context_provider(|| Ctx {
        lang,
        inbox: Signal::new(None),
        selected: Signal::new(None),
        timeline: Signal::new(None),
        tab: Signal::new(InboxTab::Mine),
        toast: Signal::new(None),
        now: Signal::new(ipc::now_ms()),
        boot: Signal::new(None),
        reconnect_at: Signal::new(None),
        holds: Signal::new(0),
        held: Signal::new(Vec::new()),
        settings: Signal::new(None),
        update: Signal::new(None),
    });

    // Boot, then follow the engine.
    use_hook(move || {
        let mut ctx = ctx;
        spawn(async move {
            #[cfg(target_arch = "wasm32")]
            {
                use futures_util::StreamExt;
                let changes = ipc::subscribe::<switchboard_model::ipc::events::EngineChanges>().await;
                let resyncs = ipc::subscribe::<switchboard_model::ipc::events::EngineResync>().await;
                if let Ok(mut changes) = changes {
                    spawn(async move {
                        while let Some(batch) = changes.next().await {
                            apply_changes(ctx, &batch);
                        }
                    });
                }
                // A clicked notification opens its chat.
                if let Ok(mut opens) = ipc::subscribe::<switchboard_model::ipc::events::OpenChat>().await {
                    spawn(async move {
                        while let Some(chat_id) = opens.next().await {
                            let mut ctx = ctx;
                            ctx.tab.set(InboxTab::All);
                            spawn_forever(open_chat(ctx, chat_id));
                        }
                    });
                }
                // A newer version is available.
                if let Ok(mut updates) = ipc::subscribe::<switchboard_model::ipc::events::UpdateFound>().await
                {
                    spawn(async move {
                        while let Some(u) = updates.next().await {
                            let mut ctx = ctx;
                            ctx.update.set(Some(u.version));
                        }
                    });
                }
                // The tray changed a setting (pause).
                if let Ok(mut changed) =
                    ipc::subscribe::<switchboard_model::ipc::events::SettingsChanged>().await
                {
                    spawn(async move {
                        while changed.next().await.is_some() {
                            load_settings(ctx).await;
                        }
                    });
                }
                if let Ok(mut resyncs) = resyncs {
                    spawn(async move {
                        while resyncs.next().await.is_some() {
                            reload(ctx).await;
                        }
                    });
                }
            }
            match ipc::invoke(&cmd::GetBoot {}).await {
                Ok(boot) => {
                    if let Some(l) = &boot.locale {
                        ctx.lang.set(Lang::from_tag(l));
                    }
                    if let Some(e) = &boot.error {
                        ctx.toast.set(Some(e.clone()));
                    }
                    let signed_in = boot.account.is_some();
                    ctx.boot.set(Some(boot));
                    if signed_in {
                        reload(ctx).await;
                    }
                }
                Err(e) => {
                    ctx.toast.set(Some(e.message));
                    ctx.boot.set(Some(Boot {
                        account: None,
                        last_server: None,
                        last_email: None,
                        locale: None,
                        keychain: false,
                        error: None,
                        tray: false,
                    }));
                }
            }
        });
        spawn(async move {
            loop {
                ipc::sleep(30_000).await;
                ctx.now.set(ipc::now_ms());
            }
        });
    });

    let signed_in = ctx.inbox.read().is_some();
    let booted = ctx.boot.read().is_some();
    let theme_lang = lang.read().code();
    rsx! {
        div { class: "app", lang: theme_lang,
            if signed_in {
                Console {}
            } else if booted {
                SignIn {}
            } else {
                div { class: "splash", "Switchboard" }
            }
            UpdateBanner {}
            Toast {}
        }
    }
}

/// A passing message at the bottom of the window.
#[component]
fn Toast() -> Element {
    let mut ctx = use_context::<Ctx>();
    let text = ctx.toast.read().clone();
    let lang = *ctx.lang.read();
    match text {
        Some(text) => rsx! {
            div { class: "toast", role: "status",
                span { "{text}" }
                button {
                    class: "link",
                    title: lang.pick("Dismiss", "Cerrar"),
                    onclick: move |_| ctx.toast.set(None),
                    "✕"
                }
            }
        },
        None => rsx! {},
    }
}

/// "Version X is available": install it and restart.
#[component]
fn UpdateBanner() -> Element {
    let mut ctx = use_context::<Ctx>();
    let lang = *ctx.lang.read();
    let Some(version) = ctx.update.read().clone() else {
        return rsx! {};
    };
    let mut busy = use_signal(|| false);
    rsx! {
        div { class: "update-banner", role: "status", id: "update",
            span {
                {match lang {
                    Lang::En => format!("Switchboard {version} is available."),
                    Lang::Es => format!("Switchboard {version} está disponible."),
                }}
            }
            button {
                class: "primary",
                disabled: *busy.read(),
                onclick: move |_| {
                    busy.set(true);
                    spawn(async move {
                        if let Err(e) = ipc::invoke(&cmd::InstallUpdate {}).await {
                            ctx.toast.set(Some(e.message));
                            busy.set(false);
                        }
                    });
                },
                if *busy.read() { {lang.pick("Installing…", "Instalando…")} } else { {lang.pick("Install and restart", "Instalar y reiniciar")} }
            }
            button { class: "link", onclick: move |_| ctx.update.set(None), {lang.pick("Later", "Más tarde")} }
        }
    }
}
