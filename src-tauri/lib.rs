//! The Switchboard desktop shell. The Tauri app arrives with its own issue;
//! for now the package builds and names the protocol version it speaks.

/// The protocol version this shell speaks.
pub const PROTOCOL_VERSION: &str = switchboard_protocol::PROTOCOL_VERSION;
