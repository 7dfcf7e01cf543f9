//! How the app was started: the command line and the environment (data
//! directory, keychain, demo), and the OS's places for data and logs.

use std::path::PathBuf;

use switchboard_engine::LinkTimings;

/// How the app was started.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where accounts' caches and the preferences live.
    pub data_dir: PathBuf,
    /// Keep tokens in the OS keychain (`false`: memory only).
    pub keychain: bool,
    /// Start straight into the demo (`switchboard --demo`).
    pub demo: bool,
    /// Link timings (tests shorten them).
    pub timings: LinkTimings,
    /// The application name desktop notifications carry.
    pub notify_app_name: String,
    /// Where the log files go (`<data dir>/logs` for a `--data-dir`, else
    /// the OS's log directory).
    pub log_dir: PathBuf,
}

impl Options {
    /// From the command line (`--demo`, `--data-dir DIR`, `--no-keychain`)
    /// and the environment (`SWITCHBOARD_DATA_DIR`, `SWITCHBOARD_NO_KEYCHAIN`).
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Self {
        let mut data_dir = std::env::var_os("SWITCHBOARD_DATA_DIR").map(PathBuf::from);
        let mut keychain = std::env::var_os("SWITCHBOARD_NO_KEYCHAIN").is_none();
        let mut demo = false;
        let mut args = args.into_iter().skip(1);
        while let Some(a) = args.next() {
            match a.as_str() {
                "--demo" => demo = true,
                "--no-keychain" => keychain = false,
                "--data-dir" => data_dir = args.next().map(PathBuf::from),
                _ => {}
            }
        }
        let log_dir = match &data_dir {
            Some(d) => d.join("logs"),
            None => default_log_dir(),
        };
        Self {
            data_dir: data_dir.unwrap_or_else(default_data_dir),
            keychain,
            demo,
            timings: LinkTimings::default(),
            notify_app_name: "Switchboard".to_owned(),
            log_dir,
        }
    }
}

/// The OS's place for logs: `~/.local/state/switchboard/logs` on Linux,
/// `~/Library/Logs/Switchboard` on macOS, `%LOCALAPPDATA%\Switchboard\logs`
/// on Windows.
pub fn default_log_dir() -> PathBuf {
    #[cfg(target_os = "macos")]
    if let Some(home) = dirs::home_dir() {
        return home.join("Library/Logs/Switchboard");
    }
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("switchboard")
        .join("logs")
}

/// `~/.local/share/switchboard` (or the OS's equivalent): the engine's one
/// data directory, the same the CLI uses.
pub use switchboard_engine::paths::default_data_dir;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_come_from_the_command_line() {
        let o = Options::from_args(
            ["switchboard", "--demo", "--no-keychain", "--data-dir", "/tmp/x"].map(String::from),
        );
        assert!(o.demo && !o.keychain);
        assert_eq!(o.data_dir, PathBuf::from("/tmp/x"));
    }
}
