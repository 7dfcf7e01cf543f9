//! Where the console keeps its data: one directory for the desktop app and
//! `switchboard-cli`, so that both see the same caches (`accounts/`), and
//! the move of a CLI cache from where older CLIs put it.

use std::path::{Path, PathBuf};

/// The data directory of the app and the CLI: the OS's data folder
/// (`$XDG_DATA_HOME` or `~/.local/share` on Linux, `~/Library/Application
/// Support` on macOS, `%APPDATA%` on Windows) plus `switchboard`.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("switchboard")
}

/// Where `switchboard-cli` used to put its data when no `--data-dir` was
/// given: `Switchboard` (capitalised) on Windows and macOS, which differs
/// from the app's on a case-sensitive file system.
fn legacy_cli_data_dir() -> Option<PathBuf> {
    if cfg!(windows) {
        return std::env::var_os("APPDATA").map(|d| PathBuf::from(d).join("Switchboard"));
    }
    if cfg!(target_os = "macos") {
        return dirs::home_dir().map(|h| h.join("Library/Application Support/Switchboard"));
    }
    None
}

/// Moves a CLI cache left by an older CLI into `dir` (the default data
/// directory), once: only when `dir` does not exist yet and the old place
/// holds a cache and is really another folder. Returns where it came from.
pub fn adopt_legacy_cli_data(dir: &Path) -> std::io::Result<Option<PathBuf>> {
    match legacy_cli_data_dir() {
        Some(old) => adopt(&old, dir),
        None => Ok(None),
    }
}

fn adopt(old: &Path, new: &Path) -> std::io::Result<Option<PathBuf>> {
    if new.exists() || !old.join("accounts").is_dir() {
        return Ok(None);
    }
    // On a case-insensitive file system both names are one folder.
    if let (Ok(a), Ok(b)) = (old.canonicalize(), new.canonicalize())
        && a == b
    {
        return Ok(None);
    }
    if let Some(parent) = new.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::rename(old, new)?;
    Ok(Some(old.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_in_the_old_place_moves_once_and_nothing_else_is_touched() {
        let root = std::env::temp_dir().join(format!("sb-paths-{}", uuid::Uuid::new_v4()));
        let (old, new) = (root.join("Old"), root.join("new"));
        // Nothing there: nothing moves.
        assert_eq!(adopt(&old, &new).unwrap(), None);
        std::fs::create_dir_all(old.join("accounts")).unwrap();
        std::fs::write(old.join("accounts").join("a.sqlite3"), b"cache").unwrap();
        std::fs::write(old.join("cli.json"), b"{}").unwrap();
        assert_eq!(adopt(&old, &new).unwrap().as_deref(), Some(old.as_path()));
        assert_eq!(
            std::fs::read(new.join("accounts").join("a.sqlite3")).unwrap(),
            b"cache"
        );
        assert!(new.join("cli.json").exists());
        assert!(!old.exists());
        // A new place that exists is never overwritten.
        std::fs::create_dir_all(old.join("accounts")).unwrap();
        assert_eq!(adopt(&old, &new).unwrap(), None);
        assert!(old.join("accounts").is_dir());
        std::fs::remove_dir_all(root).unwrap();
    }
}
