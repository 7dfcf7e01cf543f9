//! The shell's side of the IPC contract in `switchboard_model::ipc`: what a
//! failed command answers (a typed `ErrorCode` and a message), and `emit`,
//! the one way the shell sends the webview an event.

use switchboard_model::ipc::Event;
pub use switchboard_model::ipc::{CommandError, ErrorCode};
use tauri::{AppHandle, Emitter, Runtime};

/// Sends the webview event `E` with its payload.
pub fn emit<E: Event, R: Runtime>(app: &AppHandle<R>, payload: &E::Payload) -> tauri::Result<()> {
    app.emit(E::NAME, payload)
}

/// The result of a command.
pub type CommandResult<T> = Result<T, CommandError>;
