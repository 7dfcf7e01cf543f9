//! The desktop settings ([`DesktopSettings`], shared with the UI) kept in
//! `settings.json` in the data directory. Holds no secret.

use std::path::{Path, PathBuf};

use serde::{Serialize, de::DeserializeOwned};
pub use switchboard_model::ipc::DesktopSettings;

const FILE: &str = "settings.json";

/// Reads `<data dir>/<name>`; a missing or unreadable file gives defaults
/// (an unreadable one says so in the log).
pub(crate) fn load_json<T: DeserializeOwned + Default>(data_dir: &Path, name: &str) -> T {
    match std::fs::read(data_dir.join(name)) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            tracing::warn!(error = %e, file = name, "unreadable; using defaults");
            T::default()
        }),
        Err(_) => T::default(),
    }
}

/// Writes `<data dir>/<name>` atomically (a temporary file renamed over it).
pub(crate) fn save_json<T: Serialize>(value: &T, data_dir: &Path, name: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(data_dir)?;
    let tmp: PathBuf = data_dir.join(format!("{name}.tmp"));
    std::fs::write(
        &tmp,
        serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?,
    )?;
    std::fs::rename(tmp, data_dir.join(name))
}

/// Reads the settings; a missing or unreadable file gives defaults.
pub fn load(data_dir: &Path) -> DesktopSettings {
    load_json(data_dir, FILE)
}

/// Writes them atomically.
pub fn save(settings: &DesktopSettings, data_dir: &Path) -> std::io::Result<()> {
    save_json(settings, data_dir, FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_a_broken_file_gives_defaults() {
        let dir = std::env::temp_dir().join(format!("sb-settings-{}", uuid::Uuid::new_v4()));
        let mut s = DesktopSettings::default();
        s.alerts.muted.insert("c1".into());
        s.alerts.repeat_queue_secs = 30;
        save(&s, &dir).unwrap();
        assert_eq!(load(&dir), s);
        std::fs::write(dir.join("settings.json"), b"{oops").unwrap();
        assert_eq!(load(&dir), DesktopSettings::default());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
