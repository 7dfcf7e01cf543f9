//! The Switchboard console's UI: Dioxus components compiled to WebAssembly
//! and hosted by the Tauri shell. It holds no truth of its own: it renders
//! the engine's snapshot and applies the engine's changes ([`state`], pure
//! and unit-tested); it talks to the shell only through [`ipc`].

pub mod app;
pub mod console;
pub mod conversation;
pub mod i18n;
pub mod icons;
pub mod ipc;
pub mod settings;
pub mod signin;
pub mod state;

/// The shell's event carrying a batch of engine changes.
pub const CHANGES_EVENT: &str = "engine:changes";
/// The shell's event asking for a fresh snapshot.
pub const RESYNC_EVENT: &str = "engine:resync";
/// The shell's event asking to open a chat (a notification was clicked).
pub const OPEN_CHAT_EVENT: &str = "app:open-chat";
/// The shell's event saying the desktop settings changed (from the tray).
pub const SETTINGS_EVENT: &str = "app:settings";
/// The shell's event announcing a newer version.
pub const UPDATE_EVENT: &str = "app:update";
