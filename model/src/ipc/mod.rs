//! The shell↔UI contract, defined once for both sides: the commands (one
//! struct each, with its output type), the events (name and payload), the
//! typed error every failed command carries, and the values they exchange.

pub mod commands;
mod error;
pub mod events;
mod types;

pub use commands::Command;
pub use error::{CommandError, ErrorCode};
pub use events::Event;
pub use types::{Account, Boot, DesktopSettings, Page, Snapshot, UpdateAvailable};
