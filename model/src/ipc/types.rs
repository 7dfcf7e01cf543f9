//! The values commands answer with: who is signed in, the first answer at
//! start, the inbox snapshot, a page of a timeline, the desktop settings,
//! an available update.

use serde::{Deserialize, Serialize};
use switchboard_protocol::Agent;

use crate::{ChatEntry, ConnectionState, LocalMessage, alerts::AlertSettings};

/// Who is signed in, where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// The server's base URL.
    pub server: String,
    /// The e-mail signed in with.
    pub email: String,
    /// The agent (known since the last sign-in).
    pub me: Option<Agent>,
    /// Signed in to the in-process demo hub.
    pub demo: bool,
    /// The token is in the OS keychain (else in memory for this session).
    #[serde(default)]
    pub keychain: bool,
}

/// What the UI needs first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Boot {
    /// The account signed in, if any (then show the inbox).
    pub account: Option<Account>,
    /// To prefill the sign-in form.
    pub last_server: Option<String>,
    /// To prefill the sign-in form.
    pub last_email: Option<String>,
    /// The language chosen in the app (`None`: follow the OS).
    pub locale: Option<String>,
    /// Whether tokens go to the OS keychain.
    pub keychain: bool,
    /// Why the demo could not start, when `--demo` was asked and failed.
    pub error: Option<String>,
    /// Whether a system tray shows the app (closing to the tray makes sense).
    #[serde(default)]
    pub tray: bool,
}

/// The inbox as it is now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Who.
    pub account: Account,
    /// The link.
    pub connection: ConnectionState,
    /// Every chat, most recent activity first.
    pub chats: Vec<ChatEntry>,
    /// Unread over all open chats (the same count as the tray's).
    pub total_unread: u64,
    /// What the server offers beyond protocol v2 (feature names; none for
    /// a plain v2 server): the UI shows only those controls.
    #[serde(default)]
    pub features: Vec<String>,
}

/// A page of a chat's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    /// Oldest first.
    pub messages: Vec<LocalMessage>,
    /// The message I have read up to.
    pub read_marker: Option<String>,
    /// Newer messages than these are held (a page around a message that
    /// stops short of the newest).
    #[serde(default)]
    pub has_newer: bool,
}

/// A signed update the shell found (the `app:update` event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateAvailable {
    /// The new version.
    pub version: String,
    /// Its release notes, if any.
    pub notes: Option<String>,
}

/// Everything on the Settings screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DesktopSettings {
    /// Notifications: pause, sound, queue repeat, quiet when busy, muted chats.
    #[serde(flatten)]
    pub alerts: AlertSettings,
    /// Closing the window keeps the app running in the tray (when there is one).
    pub close_to_tray: bool,
    /// Start the app when the agent logs in to the computer.
    pub start_at_login: bool,
    /// A queued chat is highlighted once it has waited this many minutes
    /// (`0`: never).
    pub queue_highlight_mins: u32,
    /// My presence turns away after this many idle minutes of the desktop
    /// session, and back to online on my return (`0`: never).
    pub away_after_idle_mins: u32,
    /// My presence turns away while the screen is locked or the machine
    /// sleeps.
    pub away_when_locked: bool,
}

impl Default for DesktopSettings {
    fn default() -> Self {
        Self {
            alerts: AlertSettings::default(),
            close_to_tray: true,
            start_at_login: false,
            queue_highlight_mins: 2,
            away_after_idle_mins: 10,
            away_when_locked: true,
        }
    }
}

impl DesktopSettings {
    /// Checks what a person may set.
    pub fn validate(&self) -> Result<(), String> {
        let r = self.alerts.repeat_queue_secs;
        if r != 0 && !(10..=3600).contains(&r) {
            return Err("repeat a queued chat every 10 to 3600 seconds, or 0 for never".to_owned());
        }
        if self.away_after_idle_mins > 240 {
            return Err("go away after 1 to 240 idle minutes, or 0 for never".to_owned());
        }
        if self.queue_highlight_mins > 60 {
            return Err("highlight a waiting chat after 1 to 60 minutes, or 0 for never".to_owned());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_flat_camel_case_and_checked() {
        let mut s = DesktopSettings::default();
        s.alerts.muted.insert("c1".into());
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["repeatQueueSecs"], 60, "{v}");
        assert_eq!(v["muted"][0], "c1");
        assert_eq!(serde_json::from_value::<DesktopSettings>(v.clone()).unwrap(), s);
        assert!(s.validate().is_ok());
        assert_eq!(v["queueHighlightMins"], 2, "{v}");
        let older: DesktopSettings =
            serde_json::from_value(serde_json::json!({"closeToTray": false})).unwrap();
        assert_eq!(
            older.queue_highlight_mins, 2,
            "a settings file from before has the default"
        );
        s.queue_highlight_mins = 61;
        assert!(s.validate().is_err());
        assert_eq!((older.away_after_idle_mins, older.away_when_locked), (10, true));
        s.queue_highlight_mins = 0;
        s.away_after_idle_mins = 241;
        assert!(s.validate().is_err());
        s.away_after_idle_mins = 0;
        assert!(s.validate().is_ok(), "off");
        s.alerts.repeat_queue_secs = 2;
        assert!(s.validate().is_err());
    }
}
