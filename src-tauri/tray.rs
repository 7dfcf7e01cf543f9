//! The system-tray icon: the total unread count (the engine's, the same
//! number as the inbox badges) and the connection state, and a menu: Open,
//! presence, pause notifications, Sign out, Quit. Where there is no tray the
//! app runs without one.

use switchboard_model::ConnectionState;
use switchboard_protocol::Presence;
use tauri::{
    AppHandle, Manager, Runtime,
    image::Image,
    menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu},
    tray::{TrayIcon, TrayIconBuilder, TrayIconEvent},
};

use switchboard_model::ipc::events::SettingsChanged;

use crate::{Shell, window};

/// The tray's icon and the menu items that show state.
pub struct Tray<R: Runtime> {
    icon: TrayIcon<R>,
    pause: CheckMenuItem<R>,
    presence: [(Presence, CheckMenuItem<R>); 3],
}

impl<R: Runtime> std::fmt::Debug for Tray<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tray").finish_non_exhaustive()
    }
}

/// What the tray says, for a total unread count and a link state.
pub fn label(total: u64, state: &ConnectionState, spanish: bool) -> (Option<String>, String) {
    let count = (total > 0).then(|| {
        if total > 99 {
            "99+".to_owned()
        } else {
            total.to_string()
        }
    });
    let link = match (state, spanish) {
        (ConnectionState::Online, false) => "online",
        (ConnectionState::Online, true) => "en línea",
        (ConnectionState::Connecting | ConnectionState::Reconnecting { .. }, false) => "reconnecting",
        (ConnectionState::Connecting | ConnectionState::Reconnecting { .. }, true) => "reconectando",
        (ConnectionState::Offline, false) => "offline",
        (ConnectionState::Offline, true) => "sin conexión",
        (ConnectionState::NeedsLogin, false) => "sign in again",
        (ConnectionState::NeedsLogin, true) => "vuelve a iniciar sesión",
    };
    let unread = match (total, spanish) {
        (0, false) => "nothing unread".to_owned(),
        (0, true) => "nada sin leer".to_owned(),
        (n, false) => format!("{n} unread"),
        (n, true) => format!("{n} sin leer"),
    };
    (count, format!("Switchboard — {unread} — {link}"))
}

/// Whether something shows tray icons. On Linux that is a
/// StatusNotifierWatcher on the session bus (building an icon succeeds even
/// when nothing will show it); macOS and Windows always have one.
pub async fn host_present() -> bool {
    #[cfg(target_os = "linux")]
    {
        let ask = async {
            let conn = zbus::Connection::session().await.ok()?;
            let dbus = zbus::fdo::DBusProxy::new(&conn).await.ok()?;
            let name = zbus::names::BusName::try_from("org.kde.StatusNotifierWatcher").ok()?;
            dbus.name_has_owner(name).await.ok()
        };
        tokio::time::timeout(std::time::Duration::from_secs(3), ask)
            .await
            .ok()
            .flatten()
            .unwrap_or(false)
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

/// Builds the tray where something will show it; otherwise the app runs
/// without one (closing the window then quits) and says so in its log.
pub fn install<R: Runtime>(app: &AppHandle<R>) -> Option<()> {
    if !tauri::async_runtime::block_on(host_present()) {
        tracing::info!("no system tray here (no StatusNotifierWatcher); running without one");
        return None;
    }
    match build(app) {
        Ok(tray) => {
            app.manage(tray);
            let badge = app.state::<crate::badge::Badge>();
            badge.mark_shown();
            follow(app.clone(), badge.subscribe());
            Some(())
        }
        Err(e) => {
            tracing::info!(error = %e, "no system tray here; running without one");
            None
        }
    }
}

/// Shows every change of the badge, for the life of the app.
fn follow<R: Runtime>(app: AppHandle<R>, mut badge: tokio::sync::watch::Receiver<crate::badge::BadgeState>) {
    tauri::async_runtime::spawn(async move {
        loop {
            let now = badge.borrow_and_update().clone();
            update(&app, now.total, &now.link);
            if let Some(p) = now.presence {
                show_presence(&app, p);
            }
            if badge.changed().await.is_err() {
                return;
            }
        }
    });
}

fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Tray<R>> {
    let shell = app.state::<Shell>();
    let paused = shell.desk().settings().alerts.paused;
    let open = MenuItem::with_id(app, "open", "Open Switchboard", true, None::<&str>)?;
    let presence = [
        (Presence::Online, "Online"),
        (Presence::Away, "Away"),
        (Presence::Busy, "Busy"),
    ]
    .map(|(p, label)| {
        CheckMenuItem::with_id(
            app,
            format!("presence-{}", p.as_str()),
            label,
            true,
            p == Presence::Online,
            None::<&str>,
        )
        .map(|item| (p, item))
    });
    let [a, b, c] = presence;
    let presence = [a?, b?, c?];
    let presence_menu = Submenu::with_items(
        app,
        "Status",
        true,
        &[&presence[0].1, &presence[1].1, &presence[2].1],
    )?;
    let pause = CheckMenuItem::with_id(app, "pause", "Pause notifications", true, paused, None::<&str>)?;
    let sign_out = MenuItem::with_id(app, "sign-out", "Sign out", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &open,
            &presence_menu,
            &pause,
            &PredefinedMenuItem::separator(app)?,
            &sign_out,
            &quit,
        ],
    )?;
    let mut builder = TrayIconBuilder::with_id("main")
        .menu(&menu)
        .tooltip("Switchboard")
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()))
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::DoubleClick { .. } = event {
                window::open_at(tray.app_handle(), None);
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    let icon = builder.build(app)?;
    Ok(Tray {
        icon,
        pause,
        presence,
    })
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    let app = app.clone();
    match id {
        "open" => window::open_at(&app, None),
        "pause" => {
            let shell = app.state::<Shell>();
            let mut s = shell.desk().settings();
            s.alerts.paused = !s.alerts.paused;
            let paused = s.alerts.paused;
            if let Err(e) = shell.update_settings(s) {
                tracing::warn!(error = %e, "could not save the settings");
            }
            if let Some(t) = app.try_state::<Tray<R>>() {
                let _ = t.pause.set_checked(paused);
            }
            let _ = crate::error::emit::<SettingsChanged, _>(&app, &());
        }
        "sign-out" => {
            tauri::async_runtime::spawn(async move {
                let shell = app.state::<Shell>();
                if let Err(e) = shell.sign_out(&app).await {
                    tracing::warn!(error = %e, "sign-out from the tray failed");
                }
                window::open_at(&app, None);
            });
        }
        "quit" => quit(&app),
        other => {
            if let Some(p) = other.strip_prefix("presence-").and_then(Presence::parse) {
                tauri::async_runtime::spawn(async move {
                    let shell = app.state::<Shell>();
                    if let Err(e) = shell.set_presence(p).await {
                        tracing::warn!(error = %e, "could not set the presence from the tray");
                    }
                    show_presence(&app, p);
                });
            }
        }
    }
}

/// Ticks the presence in the menu.
fn show_presence<R: Runtime>(app: &AppHandle<R>, p: Presence) {
    if let Some(t) = app.try_state::<Tray<R>>() {
        for (q, item) in &t.presence {
            let _ = item.set_checked(*q == p);
        }
    }
}

/// Quits for real: stops the account (its outbox is on disk at every step),
/// then exits.
pub fn quit<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window("main") {
        let data_dir = app.state::<Shell>().options().data_dir.clone();
        window::save_geometry(&w.as_ref().window(), &data_dir);
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        app.state::<Shell>().stop_active().await;
        app.exit(0);
    });
}

/// Shows the unread total and the link state.
fn update<R: Runtime>(app: &AppHandle<R>, total: u64, state: &ConnectionState) {
    let Some(t) = app.try_state::<Tray<R>>() else {
        return;
    };
    let spanish = app.state::<Shell>().desk().spanish();
    let (count, tooltip) = label(total, state, spanish);
    // Linux (appindicator) shows the title beside the icon; macOS in the menu bar.
    let _ = t.icon.set_title(count.as_deref());
    let _ = t.icon.set_tooltip(Some(&tooltip));
    let bytes: Option<&[u8]> = match (state, total) {
        (ConnectionState::Offline | ConnectionState::NeedsLogin, _) => {
            Some(include_bytes!("../icons/tray-offline.png"))
        }
        (_, n) if n > 0 => Some(include_bytes!("../icons/tray-unread.png")),
        _ => None,
    };
    let icon = match bytes {
        Some(b) => Image::from_bytes(b).ok(),
        None => app.default_window_icon().cloned(),
    };
    if let Some(icon) = icon {
        let _ = t.icon.set_icon(Some(icon));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tray_says_the_count_and_the_link() {
        assert_eq!(
            label(0, &ConnectionState::Online, false),
            (None, "Switchboard — nothing unread — online".to_owned())
        );
        assert_eq!(
            label(
                7,
                &ConnectionState::Reconnecting {
                    attempt: 1,
                    next_in_ms: 1000
                },
                true
            ),
            (
                Some("7".to_owned()),
                "Switchboard — 7 sin leer — reconectando".to_owned()
            )
        );
        assert_eq!(
            label(250, &ConnectionState::Online, false).0.as_deref(),
            Some("99+")
        );
    }
}
