//! Automatic away: after some idle minutes (a setting, default 10, off
//! allowed), when the screen locks, and when the machine goes to sleep, my
//! presence becomes away; on my return it goes back to online, but only if
//! the away was automatic (an away, or busy, I chose stays).
//!
//! Idle means the whole desktop session, not this window:
//! - Linux: GNOME's `org.gnome.Mutter.IdleMonitor`, else the
//!   `org.freedesktop.ScreenSaver` interface (KDE, Xfce) on the session
//!   bus, else the X server's own count (the MIT-SCREEN-SAVER extension,
//!   any X11 session). The screen lock: `GetActive` of the GNOME or
//!   freedesktop screen saver, or logind's `LockedHint`; sleep: logind's
//!   `PrepareForSleep` (system bus).
//! - Windows: `GetLastInputInfo`, and the lock as an input desktop this
//!   session cannot switch to (the secure one), through `winsafe`'s safe
//!   wrappers; sleep is not watched there (the socket drops, and the lock
//!   on waking sends me away).
//! - macOS: the HID system's idle time through `user-idle`, checked by
//!   the release workflow only; the screen lock is not watched yet there
//!   (the idle rule still applies while locked).
//!
//! `SWITCHBOARD_AWAY_AFTER_SECS` replaces the setting with seconds (tests;
//! `0` turns the idle rule off, as the end-to-end harness does by default,
//! since its X server idles for the whole run).

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use switchboard_protocol::Presence;
use tauri::{AppHandle, Manager, Runtime};

use crate::Shell;

/// What the watcher sees at one tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// My presence as the app knows it (`None`: not known yet).
    pub presence: Option<Presence>,
    /// How long the session has had no input (`None`: cannot tell).
    pub idle: Option<Duration>,
    /// The screen is locked, or the machine is going to sleep.
    pub locked: bool,
}

/// When to go away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// After this long idle (`None`: never for idleness).
    pub after: Option<Duration>,
    /// When the screen locks or the machine sleeps.
    pub on_lock: bool,
}

/// The automatic-away decision, one tick at a time.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AutoAway {
    /// The away now in force was set by this, not by me.
    auto: bool,
}

impl AutoAway {
    /// The presence to set now, if any.
    pub fn step(&mut self, s: &Sample, r: &Rules) -> Option<Presence> {
        if self.auto && s.presence != Some(Presence::Away) {
            // Changed since (by me, or the server after a reconnect): not
            // ours to undo any more.
            self.auto = false;
        }
        let gone = r.after.zip(s.idle).is_some_and(|(after, idle)| idle >= after) || (r.on_lock && s.locked);
        if gone {
            if s.presence == Some(Presence::Online) {
                self.auto = true;
                return Some(Presence::Away);
            }
            None
        } else if self.auto {
            self.auto = false;
            Some(Presence::Online)
        } else {
            None
        }
    }

    /// Whether the away in force is automatic.
    pub fn is_auto(&self) -> bool {
        self.auto
    }
}

/// The idle limit from the setting or the test override.
fn idle_limit(mins: u32) -> Option<Duration> {
    if let Some(secs) = std::env::var("SWITCHBOARD_AWAY_AFTER_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    {
        return (secs > 0).then(|| Duration::from_secs(secs));
    }
    (mins > 0).then(|| Duration::from_secs(u64::from(mins) * 60))
}

/// Watches the session and sets my presence (the real app only).
pub fn watch<R: Runtime>(app: AppHandle<R>) {
    let fast = std::env::var("SWITCHBOARD_AWAY_AFTER_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .is_some_and(|s| s > 0);
    let every = if fast {
        Duration::from_millis(250)
    } else {
        Duration::from_secs(5)
    };
    let asleep = Arc::new(AtomicBool::new(false));
    let wake = Arc::new(tokio::sync::Notify::new());
    tauri::async_runtime::spawn(sleep_watch(asleep.clone(), wake.clone()));
    tauri::async_runtime::spawn(async move {
        let mut probe = Probe::new().await;
        let mut machine = AutoAway::default();
        loop {
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = wake.notified() => {}
            }
            let shell = app.state::<Shell>();
            let settings = shell.desk().settings();
            let rules = Rules {
                after: idle_limit(settings.away_after_idle_mins),
                on_lock: settings.away_when_locked,
            };
            let sample = Sample {
                presence: shell.desk().attention().presence,
                idle: if rules.after.is_some() {
                    probe.idle().await
                } else {
                    None
                },
                locked: rules.on_lock && (asleep.load(Ordering::Relaxed) || probe.locked().await),
            };
            if let Some(p) = machine.step(&sample, &rules) {
                tracing::info!(
                    to = p.as_str(),
                    idle_secs = sample.idle.map(|d| d.as_secs()),
                    locked = sample.locked,
                    "presence set automatically"
                );
                if let Err(e) = shell.set_presence(p).await {
                    tracing::debug!(error = %e, "automatic presence not set");
                }
            }
        }
    });
}

/// Where idle time and the lock are read from.
struct Probe {
    #[cfg(target_os = "linux")]
    session: Option<zbus::Connection>,
    #[cfg(target_os = "linux")]
    system: Option<zbus::Connection>,
    #[cfg(target_os = "linux")]
    x11: Option<(x11rb::rust_connection::RustConnection, u32)>,
}

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Probe")
    }
}

#[cfg(target_os = "linux")]
impl Probe {
    async fn new() -> Self {
        let x11 = x11rb::connect(None).ok().map(|(conn, screen)| {
            use x11rb::connection::Connection;
            let root = conn.setup().roots.get(screen).map_or(0, |s| s.root);
            (conn, root)
        });
        Self {
            session: zbus::Connection::session().await.ok(),
            system: zbus::Connection::system().await.ok(),
            x11,
        }
    }

    /// Calls a method that takes nothing; `None` when nobody answers.
    async fn ask<T>(
        conn: Option<&zbus::Connection>,
        dest: &str,
        path: &str,
        iface: &str,
        method: &str,
    ) -> Option<T>
    where
        T: for<'d> serde::Deserialize<'d> + zbus::zvariant::Type,
    {
        let conn = conn?;
        let call = conn.call_method(Some(dest), path, Some(iface), method, &());
        let reply = tokio::time::timeout(Duration::from_secs(1), call)
            .await
            .ok()?
            .ok()?;
        reply.body().deserialize::<T>().ok()
    }

    async fn idle(&mut self) -> Option<Duration> {
        let s = self.session.as_ref();
        if let Some(ms) = Self::ask::<u64>(
            s,
            "org.gnome.Mutter.IdleMonitor",
            "/org/gnome/Mutter/IdleMonitor/Core",
            "org.gnome.Mutter.IdleMonitor",
            "GetIdletime",
        )
        .await
        {
            return Some(Duration::from_millis(ms));
        }
        if let Some(secs) = Self::ask::<u32>(
            s,
            "org.freedesktop.ScreenSaver",
            "/org/freedesktop/ScreenSaver",
            "org.freedesktop.ScreenSaver",
            "GetSessionIdleTime",
        )
        .await
        {
            return Some(Duration::from_secs(u64::from(secs)));
        }
        let (conn, root) = self.x11.as_ref()?;
        use x11rb::protocol::screensaver::ConnectionExt;
        let info = conn.screensaver_query_info(*root).ok()?.reply().ok()?;
        Some(Duration::from_millis(u64::from(info.ms_since_user_input)))
    }

    async fn locked(&mut self) -> bool {
        let s = self.session.as_ref();
        for (dest, path) in [
            ("org.gnome.ScreenSaver", "/org/gnome/ScreenSaver"),
            ("org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver"),
        ] {
            if let Some(active) = Self::ask::<bool>(s, dest, path, dest, "GetActive").await {
                return active;
            }
        }
        let Some(system) = self.system.as_ref() else {
            return false;
        };
        let hint = async {
            let p = zbus::Proxy::new(
                system,
                "org.freedesktop.login1",
                "/org/freedesktop/login1/session/auto",
                "org.freedesktop.login1.Session",
            )
            .await
            .ok()?;
            p.get_property::<bool>("LockedHint").await.ok()
        };
        tokio::time::timeout(Duration::from_secs(1), hint)
            .await
            .ok()
            .flatten()
            .unwrap_or(false)
    }
}

/// Follows logind's `PrepareForSleep`: away before the machine sleeps.
#[cfg(target_os = "linux")]
async fn sleep_watch(asleep: Arc<AtomicBool>, wake: Arc<tokio::sync::Notify>) {
    use futures_util::StreamExt;
    let Ok(system) = zbus::Connection::system().await else {
        return;
    };
    let Ok(manager) = zbus::Proxy::new(
        &system,
        "org.freedesktop.login1",
        "/org/freedesktop/login1",
        "org.freedesktop.login1.Manager",
    )
    .await
    else {
        return;
    };
    let Ok(mut signals) = manager.receive_signal("PrepareForSleep").await else {
        return;
    };
    while let Some(m) = signals.next().await {
        if let Ok(going) = m.body().deserialize::<bool>() {
            asleep.store(going, Ordering::Relaxed);
            wake.notify_one();
        }
    }
}

#[cfg(windows)]
impl Probe {
    async fn new() -> Self {
        Self {}
    }

    /// `GetLastInputInfo`: the tick of the session's last input.
    async fn idle(&mut self) -> Option<Duration> {
        let last = winsafe::GetLastInputInfo().ok()?.dwTime;
        // Both in milliseconds since boot; the 32-bit tick wraps every 49 days.
        let now = winsafe::GetTickCount64() as u32;
        Some(Duration::from_millis(u64::from(now.wrapping_sub(last))))
    }

    /// Locked: the input desktop is the secure one (Winlogon), which this
    /// session can neither open nor switch to.
    async fn locked(&mut self) -> bool {
        match winsafe::HDESK::OpenInputDesktop(None, false, winsafe::co::DESKTOP_RIGHTS::SWITCHDESKTOP) {
            Ok(desk) => desk.SwitchDesktop().is_err(),
            Err(_) => true,
        }
    }
}

#[cfg(target_os = "macos")]
impl Probe {
    async fn new() -> Self {
        Self {}
    }

    /// The HID system's idle time (`user-idle`).
    async fn idle(&mut self) -> Option<Duration> {
        user_idle::UserIdle::get_time().ok().map(|t| t.duration())
    }

    /// Not watched on macOS yet: the idle rule still applies while locked.
    async fn locked(&mut self) -> bool {
        false
    }
}

#[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
impl Probe {
    async fn new() -> Self {
        Self {}
    }

    async fn idle(&mut self) -> Option<Duration> {
        None
    }

    async fn locked(&mut self) -> bool {
        false
    }
}

#[cfg(not(target_os = "linux"))]
async fn sleep_watch(_asleep: Arc<AtomicBool>, _wake: Arc<tokio::sync::Notify>) {}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    fn at(presence: Presence, idle_mins: u64, locked: bool) -> Sample {
        Sample {
            presence: Some(presence),
            idle: Some(MIN * idle_mins as u32),
            locked,
        }
    }

    #[test]
    fn idle_or_locked_goes_away_and_back_only_when_it_was_automatic() {
        let rules = Rules {
            after: Some(MIN * 10),
            on_lock: true,
        };
        let mut m = AutoAway::default();
        assert_eq!(m.step(&at(Presence::Online, 3, false), &rules), None);
        assert_eq!(
            m.step(&at(Presence::Online, 10, false), &rules),
            Some(Presence::Away)
        );
        assert!(m.is_auto());
        assert_eq!(m.step(&at(Presence::Away, 11, false), &rules), None, "once");
        assert_eq!(
            m.step(&at(Presence::Away, 0, false), &rules),
            Some(Presence::Online),
            "I am back"
        );
        assert_eq!(m.step(&at(Presence::Online, 0, false), &rules), None);
        // Locked: away at once, whatever the idle time; unlocked: back.
        assert_eq!(
            m.step(&at(Presence::Online, 0, true), &rules),
            Some(Presence::Away)
        );
        assert_eq!(
            m.step(&at(Presence::Away, 0, false), &rules),
            Some(Presence::Online)
        );
    }

    #[test]
    fn an_away_or_busy_i_chose_is_never_undone() {
        let rules = Rules {
            after: Some(MIN * 10),
            on_lock: true,
        };
        let mut m = AutoAway::default();
        assert_eq!(m.step(&at(Presence::Away, 30, true), &rules), None);
        assert_eq!(
            m.step(&at(Presence::Away, 0, false), &rules),
            None,
            "my away stays"
        );
        assert_eq!(
            m.step(&at(Presence::Busy, 30, false), &rules),
            None,
            "busy stays busy"
        );
        assert_eq!(m.step(&at(Presence::Busy, 0, false), &rules), None);
        // Automatic away, then I pick busy while still idle: mine from then on.
        assert_eq!(
            m.step(&at(Presence::Online, 12, false), &rules),
            Some(Presence::Away)
        );
        assert_eq!(m.step(&at(Presence::Busy, 12, false), &rules), None);
        assert!(!m.is_auto());
        assert_eq!(m.step(&at(Presence::Busy, 0, false), &rules), None);
        // Unknown presence (not connected yet): nothing.
        let unknown = Sample {
            presence: None,
            idle: Some(MIN * 60),
            locked: true,
        };
        assert_eq!(m.step(&unknown, &rules), None);
    }

    #[test]
    fn off_means_off_and_an_unknown_idle_time_never_counts() {
        let mut m = AutoAway::default();
        let off = Rules {
            after: None,
            on_lock: false,
        };
        assert_eq!(m.step(&at(Presence::Online, 600, true), &off), None);
        let idle_only = Rules {
            after: Some(MIN),
            on_lock: false,
        };
        assert_eq!(
            m.step(&at(Presence::Online, 0, true), &idle_only),
            None,
            "the lock is not a rule"
        );
        let blind = Sample {
            presence: Some(Presence::Online),
            idle: None,
            locked: false,
        };
        assert_eq!(m.step(&blind, &idle_only), None);
    }
}
