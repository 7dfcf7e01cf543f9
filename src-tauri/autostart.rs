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
        const KEY: &str = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run";
        let mut reg = std::process::Command::new("reg");
        if enabled {
            let exe = std::env::current_exe().map_err(|e| e.to_string())?;
            reg.args(["add", KEY, "/v", "Switchboard", "/t", "REG_SZ", "/f", "/d"])
                .arg(format!("\"{}\"", exe.display()));
        } else {
            reg.args(["delete", KEY, "/v", "Switchboard", "/f"]);
        }
        let out = reg.output().map_err(|e| e.to_string())?;
        // Deleting a value that is not there is fine.
        return if out.status.success() || !enabled {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        };
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_entry_starts_this_program() {
        let e = super::entry("/opt/Switchboard/switchboard");
        assert!(e.contains("/opt/Switchboard/switchboard"), "{e}");
    }
}
