//! The desktop settings ([`DesktopSettings`], shared with the UI) kept in
//! `settings.json` in the data directory. Holds no secret.

use std::path::{Path, PathBuf};

pub use switchboard_model::ipc::DesktopSettings;

fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("settings.json")
}

/// Reads them; a missing or unreadable file gives defaults (and says so).
pub fn load(data_dir: &Path) -> DesktopSettings {
    match std::fs::read(path(data_dir)) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the settings file is unreadable; using defaults");
            DesktopSettings::default()
        }),
        Err(_) => DesktopSettings::default(),
    }
}

/// Writes them atomically.
pub fn save(settings: &DesktopSettings, data_dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(data_dir)?;
    let tmp = data_dir.join("settings.json.tmp");
    std::fs::write(
        &tmp,
        serde_json::to_vec_pretty(settings).map_err(std::io::Error::other)?,
    )?;
    std::fs::rename(tmp, path(data_dir))
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
