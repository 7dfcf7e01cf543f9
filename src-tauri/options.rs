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

/// What the command line asks for before any window: `--help`, `--version`,
/// or an option the app does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EarlyExit {
    /// Print this on stdout and exit 0.
    Print(String),
    /// Print this on stderr and exit 2.
    Usage(String),
}

/// The options `switchboard` takes, as `--help` prints them.
pub fn usage() -> String {
    format!(
        "Switchboard {} — the desktop console for answering many chats at once.

Usage: switchboard [OPTIONS]

Options:
  --demo             start signed in to a practice server with simulated visitors
  --data-dir DIR     keep the accounts, the cache and the settings in DIR
                     (default {}; also SWITCHBOARD_DATA_DIR)
  --no-keychain      keep the session in memory only, never in the OS keychain
                     (also SWITCHBOARD_NO_KEYCHAIN)
  -h, --help         print this help and exit
  -V, --version      print the version and exit
",
        env!("CARGO_PKG_VERSION"),
        default_data_dir().display()
    )
}

/// `Some` when the app must not start: help or the version was asked for,
/// or an option is unknown or lacks its value. macOS's `-psn_…` and
/// arguments that are not options are left to the OS and ignored.
pub fn early_exit(args: impl IntoIterator<Item = String>) -> Option<EarlyExit> {
    let mut args = args.into_iter().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-h" | "--help" => return Some(EarlyExit::Print(usage())),
            "-V" | "--version" => {
                return Some(EarlyExit::Print(format!(
                    "switchboard {}\n",
                    env!("CARGO_PKG_VERSION")
                )));
            }
            "--demo" | "--no-keychain" => {}
            "--data-dir" if args.next().is_none_or(|d| d.is_empty()) => {
                return Some(EarlyExit::Usage(format!(
                    "switchboard: --data-dir needs a directory\n\n{}",
                    usage()
                )));
            }
            "--data-dir" => {}
            other if other.starts_with("-psn_") => {}
            other if other.starts_with('-') => {
                return Some(EarlyExit::Usage(format!(
                    "switchboard: unknown option {other}\n\n{}",
                    usage()
                )));
            }
            _ => {}
        }
    }
    None
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

    #[test]
    fn help_version_and_unknown_options_end_before_any_window() {
        let exit = |args: &[&str]| {
            early_exit(
                std::iter::once("switchboard")
                    .chain(args.iter().copied())
                    .map(String::from),
            )
        };
        assert_eq!(exit(&["--demo", "--data-dir", "/tmp/x", "--no-keychain"]), None);
        assert_eq!(exit(&["-psn_0_12345"]), None, "macOS's own argument");
        for help in ["--help", "-h"] {
            let Some(EarlyExit::Print(text)) = exit(&["--demo", help]) else {
                panic!("{help} prints the help");
            };
            assert!(
                text.contains("Usage: switchboard") && text.contains("--data-dir DIR"),
                "{text}"
            );
        }
        assert_eq!(
            exit(&["-V"]),
            Some(EarlyExit::Print(format!(
                "switchboard {}\n",
                env!("CARGO_PKG_VERSION")
            )))
        );
        let Some(EarlyExit::Usage(text)) = exit(&["--hlep"]) else {
            panic!("a typo is an error");
        };
        assert!(text.starts_with("switchboard: unknown option --hlep"), "{text}");
        assert!(
            matches!(exit(&["--data-dir"]), Some(EarlyExit::Usage(t)) if t.contains("needs a directory"))
        );
    }
}
