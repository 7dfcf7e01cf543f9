//! Start at login: an XDG autostart entry on Linux, a LaunchAgent on macOS,
//! the current user's `Run` key on Windows (through `reg.exe`).

use std::path::PathBuf;

/// Where the entry lives on this platform, if it has one.
pub fn entry_path() -> Option<PathBuf> {
    #[cfg(target_os = "linux")]
    {
        dirs::config_dir().map(|d| d.join("autostart").join("switchboard.desktop"))
    }
    #[cfg(target_os = "macos")]
    {
        dirs::home_dir().map(|d| d.join("Library/LaunchAgents/app.switchboard.desktop.plist"))
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos")))]
    {
        None
    }
}

/// The entry's text for the program at `exe`.
pub fn entry(exe: &str) -> String {
    #[cfg(target_os = "macos")]
    {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\"><dict><key>Label</key><string>app.switchboard.desktop</string><key>ProgramArguments</key><array><string>{exe}</string></array><key>RunAtLoad</key><true/></dict></plist>\n"
        )
    }
    #[cfg(not(target_os = "macos"))]
    {
        format!(
            "[Desktop Entry]\nType=Application\nName=Switchboard\nComment=The desktop console for support agents\nExec=\"{exe}\"\nIcon=switchboard\nTerminal=false\nX-GNOME-Autostart-enabled=true\n"
        )
    }
}

/// Adds or removes the entry.
pub fn apply(enabled: bool) -> Result<(), String> {
    #[cfg(windows)]
    {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        return windows_run::apply(windows_run::VALUE, &exe, enabled);
    }
    #[allow(unreachable_code)]
    let Some(path) = entry_path() else {
        return Err("starting at login is not supported on this platform yet".to_owned());
    };
    if enabled {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        std::fs::write(&path, entry(&exe.display().to_string())).map_err(|e| e.to_string())
    } else {
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// The current user's `Run` key, written with `reg.exe` (no unsafe code).
#[cfg(windows)]
mod windows_run {
    use std::{path::Path, process::Command};

    /// The key Windows reads at sign-in.
    pub const KEY: &str = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run";
    /// The value the app writes there.
    pub const VALUE: &str = "Switchboard";

    /// Sets `value` to start `exe`, or removes it (no error if it was not there).
    pub fn apply(value: &str, exe: &Path, enabled: bool) -> Result<(), String> {
        let mut reg = Command::new("reg");
        if enabled {
            reg.args(["add", KEY, "/v", value, "/t", "REG_SZ", "/f", "/d"])
                .arg(format!("\"{}\"", exe.display()));
        } else {
            reg.args(["delete", KEY, "/v", value, "/f"]);
        }
        let out = reg.output().map_err(|e| format!("running reg.exe: {e}"))?;
        // Deleting a value that is not there is fine.
        if out.status.success() || (!enabled && read(value).is_none()) {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
        }
    }

    /// What `value` holds, if it exists.
    pub fn read(value: &str) -> Option<String> {
        let out = Command::new("reg")
            .args(["query", KEY, "/v", value])
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        // "    Switchboard    REG_SZ    "C:\...\switchboard.exe""
        String::from_utf8_lossy(&out.stdout).lines().find_map(|l| {
            let rest = l.trim_start().strip_prefix(value)?;
            let data = rest.trim_start().strip_prefix("REG_SZ")?;
            Some(data.trim().to_owned())
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_entry_starts_this_program() {
        let e = super::entry("/opt/Switchboard/switchboard");
        assert!(e.contains("/opt/Switchboard/switchboard"), "{e}");
    }

    /// The real `Run` key, under a value of its own so that a developer's
    /// installed Switchboard entry is left alone.
    #[cfg(windows)]
    #[test]
    fn the_run_key_is_written_and_removed() {
        use super::windows_run::{apply, read};
        let value = format!("SwitchboardTest{}", uuid::Uuid::new_v4().simple());
        let exe = std::path::Path::new(r"C:\Program Files\Switchboard\switchboard.exe");
        assert_eq!(read(&value), None);
        apply(&value, exe, true).unwrap();
        assert_eq!(
            read(&value).as_deref(),
            Some(r#""C:\Program Files\Switchboard\switchboard.exe""#)
        );
        // Enabling twice is fine (the value is overwritten).
        apply(&value, exe, true).unwrap();
        apply(&value, exe, false).unwrap();
        assert_eq!(read(&value), None);
        // Disabling what is not there is fine too.
        apply(&value, exe, false).unwrap();
    }
}
