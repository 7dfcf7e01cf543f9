//! The root component: boots from the shell, shows sign-in or the console,
//! and drains the engine's change events into the state signals.

use dioxus::prelude::*;
use switchboard_model::{InboxTab, ipc::commands as cmd};

use crate::{
    console::Console,
    controller::{Boot, Ctx, reload},
    i18n::Lang,
    ipc,
    signin::SignIn,
};

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
        viewer: Signal::new(None),
        tab_chosen: Signal::new(false),
        focus_composer: Signal::new(0),
        refill: Signal::new(None),
        found: Signal::new(None),
        tag_filter: Signal::new(None),
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
                            crate::controller::apply_changes(ctx, &batch);
                        }
                    });
                }
                // Back in the window: what is on screen now counts as read.
                let mut focus = ipc::window_focus();
                spawn(async move {
                    while focus.next().await.is_some() {
                        dioxus::core::spawn_forever(crate::controller::mark_read(ctx));
                    }
                });
                // A clicked notification opens its chat.
                if let Ok(mut opens) = ipc::subscribe::<switchboard_model::ipc::events::OpenChat>().await {
                    spawn(async move {
                        while let Some(chat_id) = opens.next().await {
                            crate::controller::show_tab_of(ctx, &chat_id);
                            dioxus::core::spawn_forever(crate::controller::open_chat(ctx, chat_id));
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
                            crate::controller::load_settings(ctx).await;
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
                        ipc::warn(&format!("the demo could not start: {e}"));
                        let lang = *ctx.lang.peek();
                        crate::toast::say(
                            ctx,
                            lang.pick(
                                "The demo could not start. The log has the details.",
                                "La demo no pudo arrancar. El registro tiene los detalles.",
                            )
                            .to_owned(),
                        );
                    }
                    let signed_in = boot.account.is_some();
                    ctx.boot.set(Some(boot));
                    if signed_in {
                        reload(ctx).await;
                    }
                }
                Err(e) => {
                    crate::toast::fail(ctx, crate::toast::Doing::Load, &e);
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
                // Ten seconds: queued chats' waiting times stay within a
                // few seconds of the minute they show.
                ipc::sleep(10_000).await;
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
            crate::toast::ToastView {}
        }
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
                            crate::toast::fail(ctx, crate::toast::Doing::Update, &e);
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
