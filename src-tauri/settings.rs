//! The desktop settings the agent chooses (notifications, tray, start at
//! login), kept in `settings.json` in the data directory. Holds no secret.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use switchboard_model::alerts::AlertSettings;

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
}

impl Default for DesktopSettings {
    fn default() -> Self {
        Self {
            alerts: AlertSettings::default(),
            close_to_tray: true,
            start_at_login: false,
        }
    }
}

impl DesktopSettings {
    fn path(data_dir: &Path) -> PathBuf {
        data_dir.join("settings.json")
    }

    /// Reads them; a missing or unreadable file gives defaults (and says so).
    pub fn load(data_dir: &Path) -> Self {
        match std::fs::read(Self::path(data_dir)) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the settings file is unreadable; using defaults");
                Self::default()
            }),
            Err(_) => Self::default(),
        }
    }

    /// Writes them atomically.
    pub fn save(&self, data_dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(data_dir)?;
        let tmp = data_dir.join("settings.json.tmp");
        std::fs::write(
            &tmp,
            serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(tmp, Self::path(data_dir))
    }

    /// Checks what a person may set.
    pub fn validate(&self) -> Result<(), String> {
        if self.alerts.repeat_queue_secs != 0 && !(10..=3600).contains(&self.alerts.repeat_queue_secs) {
            return Err("repeat a queued chat every 10 to 3600 seconds, or 0 for never".to_owned());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_reject_nonsense() {
        let dir = std::env::temp_dir().join(format!("sb-settings-{}", uuid::Uuid::new_v4()));
        let mut s = DesktopSettings::default();
        s.alerts.muted.insert("c1".into());
        s.alerts.repeat_queue_secs = 30;
        s.save(&dir).unwrap();
        assert_eq!(DesktopSettings::load(&dir), s);
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("settings.json")).unwrap()).unwrap();
        assert_eq!(json["repeatQueueSecs"], 30, "flat, camelCase: {json}");
        s.alerts.repeat_queue_secs = 2;
        assert!(s.validate().is_err());
        std::fs::write(dir.join("settings.json"), b"{oops").unwrap();
        assert_eq!(DesktopSettings::load(&dir), DesktopSettings::default());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
