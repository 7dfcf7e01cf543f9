//! Every event the shell sends the webview, with its payload type: the shell
//! emits `E::NAME` with an `E::Payload`, the UI listens by the same type.

use serde::{Serialize, de::DeserializeOwned};

use super::UpdateAvailable;
use crate::Change;

/// A shell-to-webview event.
pub trait Event {
    /// Its name.
    const NAME: &'static str;
    /// What it carries.
    type Payload: Serialize + DeserializeOwned;
}

/// A batch of engine changes, to apply on top of the snapshot.
#[derive(Debug)]
pub struct EngineChanges;
impl Event for EngineChanges {
    const NAME: &'static str = "engine:changes";
    type Payload = Vec<Change>;
}

/// The webview fell behind or the account changed: reload the snapshot.
#[derive(Debug)]
pub struct EngineResync;
impl Event for EngineResync {
    const NAME: &'static str = "engine:resync";
    type Payload = ();
}

/// Open this chat (a notification was clicked, or a second launch asked).
#[derive(Debug)]
pub struct OpenChat;
impl Event for OpenChat {
    const NAME: &'static str = "app:open-chat";
    /// The chat id.
    type Payload = String;
}

/// The settings changed outside the Settings screen (the tray): reload them.
#[derive(Debug)]
pub struct SettingsChanged;
impl Event for SettingsChanged {
    const NAME: &'static str = "app:settings";
    type Payload = ();
}

/// A signed update can be installed.
#[derive(Debug)]
pub struct UpdateFound;
impl Event for UpdateFound {
    const NAME: &'static str = "app:update";
    type Payload = UpdateAvailable;
}
