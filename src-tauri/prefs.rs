//! `prefs.json`: who signed in last and the chosen language, remembered
//! between runs. Never a token.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// Remembered between runs. Holds no secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Prefs {
    /// The server signed in to last.
    #[serde(default)]
    pub last_server: Option<String>,
    /// The e-mail signed in with last.
    #[serde(default)]
    pub last_email: Option<String>,
    /// Whether that account is (still) signed in: start into it.
    #[serde(default)]
    pub signed_in: bool,
    /// `en` or `es`; `None` follows the OS.
    #[serde(default)]
    pub locale: Option<String>,
}

impl Prefs {
    /// Reads the preferences; a missing or unreadable file gives defaults.
    pub fn load(data_dir: &Path) -> Self {
        crate::settings::load_json(data_dir, "prefs.json")
    }

    /// Writes them atomically (a temporary file renamed over the old one).
    pub fn save(&self, data_dir: &Path) -> std::io::Result<()> {
        crate::settings::save_json(self, data_dir, "prefs.json")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefs_round_trip_and_hold_no_token() {
        let dir = std::env::temp_dir().join(format!("sb-prefs-{}", uuid::Uuid::new_v4()));
        let p = Prefs {
            last_server: Some("http://h/".into()),
            last_email: Some("a@b".into()),
            signed_in: true,
            locale: Some("es".into()),
        };
        p.save(&dir).unwrap();
        assert_eq!(Prefs::load(&dir), p);
        std::fs::write(dir.join("prefs.json"), b"{not json").unwrap();
        assert_eq!(Prefs::load(&dir), Prefs::default());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
