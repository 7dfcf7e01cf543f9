//! Every command of the shell, one struct each with its output type: the
//! shell's `#[tauri::command]` functions take the struct as their `args`
//! and answer `Command::Output`; the UI calls them through one typed
//! `invoke`. A command's name is written here and nowhere else.

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use switchboard_protocol::{AgentPresence, NotificationList, Presence};

use super::{Account, Boot, DesktopSettings, Page, Snapshot};
use crate::{ChatEntry, Draft, LocalMessage, SearchHit, StagedFile};

/// A shell command: its name on the wire and what it answers.
pub trait Command: Serialize + DeserializeOwned {
    /// The name the shell registers it under.
    const NAME: &'static str;
    /// What a success answers.
    type Output: Serialize + DeserializeOwned;
}

/// The key under which a command's struct travels: the shell's functions
/// take one argument of that name.
pub const ARGS_KEY: &str = "args";

macro_rules! commands {
    ($(
        $(#[$doc:meta])*
        $name:ident = $wire:literal { $($(#[$fdoc:meta])* $field:ident : $fty:ty),* $(,)? } -> $out:ty;
    )*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
            #[serde(rename_all = "camelCase")]
            pub struct $name {
                $($(#[$fdoc])* pub $field: $fty,)*
            }
            impl Command for $name {
                const NAME: &'static str = $wire;
                type Output = $out;
            }
        )*
        /// Every command's name (the shell's tests check each is registered).
        pub const ALL: &[&str] = &[$($wire),*];
    };
}

commands! {
    /// What the UI needs first: the account resumed from the keychain (or
    /// the demo for `--demo`), or what to prefill the sign-in form with.
    GetBoot = "boot" {} -> Boot;
    /// Signs in with a password.
    SignIn = "sign_in" {
        /// The server's base URL.
        server: String,
        /// The agent's e-mail.
        email: String,
        /// The password (never stored).
        password: String,
    } -> Account;
    /// Writes a warning of the UI to the app's log (a failure's raw text,
    /// which the agent is told in plain words instead).
    LogWarning = "log_warning" {
        /// What happened.
        message: String,
    } -> ();
    /// Ends the sign-in under way (the form's Cancel); it fails with
    /// `cancelled`.
    CancelSignIn = "cancel_sign_in" {} -> ();
    /// Starts the in-process demo hub and signs in to it.
    StartDemo = "start_demo" {} -> Account;
    /// Signs out (the token leaves the keychain).
    SignOut = "sign_out" {} -> ();
    /// The inbox now; changes follow as `engine:changes` events.
    GetSnapshot = "snapshot" {} -> Snapshot;
    /// One chat.
    GetChat = "chat" {
        /// Which.
        chat_id: String,
    } -> Option<ChatEntry>;
    /// A page of a chat from the local cache: the newest `limit` messages
    /// before `before` (a `sentAt`), oldest first.
    GetMessages = "messages" {
        /// Which chat.
        chat_id: String,
        /// Only messages sent before this `sentAt`.
        before: Option<String>,
        /// At most this many (default 100, at most 500).
        limit: Option<u32>,
    } -> Page;
    /// Fetches older history from the server into the cache; how many were new.
    LoadOlder = "load_older" {
        /// Which chat.
        chat_id: String,
    } -> usize;
    /// Writes a reply or an internal note (durably queued, then sent).
    Send = "send" {
        /// Which chat.
        chat_id: String,
        /// The text.
        content: String,
        /// An internal note (agents only).
        internal: bool,
    } -> LocalMessage;
    /// Sends a file picked in the webview, with an optional caption.
    SendFile = "send_file" {
        /// Which chat.
        chat_id: String,
        /// The file's name (a path is reduced to its last part).
        file_name: String,
        /// Its bytes.
        bytes: Vec<u8>,
        /// The text sent with it.
        caption: String,
        /// An internal note (agents only).
        internal: bool,
    } -> LocalMessage;
    /// Puts a failed message back in the outbox.
    Retry = "retry" {
        /// The message's `clientMessageId`.
        client_message_id: String,
    } -> ();
    /// Takes a message the server refused out of the outbox for good (the
    /// UI may put its text back in the composer first).
    Discard = "discard" {
        /// The message's `clientMessageId`.
        client_message_id: String,
    } -> ();
    /// Hands a chat to another agent, or (`None`) back to the queue (v2.1).
    Transfer = "transfer" {
        /// Which chat.
        chat_id: String,
        /// The agent; `None`: the queue.
        to_agent_id: Option<String>,
    } -> ChatEntry;
    /// The canned responses, the team's and mine (v2.1): fetched again when
    /// the server can be reached, else the ones held.
    ListCanned = "canned" {} -> Vec<switchboard_protocol::Canned>;
    /// Replaces a chat's tags (v2.1, through the outbox).
    SetTags = "set_tags" {
        /// Which chat.
        chat_id: String,
        /// All of its tags.
        tags: Vec<String>,
    } -> ChatEntry;
    /// The tags in use, most used first (v2.1), for autocomplete and the
    /// inbox filter; offline, those of the chats held.
    ListTags = "tags" {} -> Vec<switchboard_protocol::TagCount>;
    /// A visitor's chats and those of the same e-mail, newest first (v2.1).
    VisitorChats = "visitor_chats" {
        /// The visitor.
        visitor_id: String,
    } -> Vec<ChatEntry>;
    /// An earlier chat's messages, oldest first, to read.
    ChatHistory = "chat_history" {
        /// Which chat.
        chat_id: String,
    } -> Vec<LocalMessage>;
    /// Sets the most chats the server assigns me at once (v2.1, 0–100; 0:
    /// none); answers the team as it is then.
    SetMaxChats = "set_max_chats" {
        /// The most.
        max_chats: u32,
    } -> Vec<AgentPresence>;
    /// Creates a canned response (v2.1, through the outbox).
    CreateCanned = "create_canned" {
        /// `/shortcut` in the composer.
        shortcut: String,
        /// What the picker shows.
        title: String,
        /// The template.
        content: String,
        /// The team's or mine.
        scope: switchboard_protocol::CannedScope,
    } -> switchboard_protocol::Canned;
    /// Changes a canned response (v2.1, through the outbox).
    UpdateCanned = "update_canned" {
        /// Which (the id the list shows).
        id: String,
        /// `/shortcut` in the composer.
        shortcut: String,
        /// What the picker shows.
        title: String,
        /// The template.
        content: String,
    } -> switchboard_protocol::Canned;
    /// Deletes a canned response (v2.1, through the outbox).
    DeleteCanned = "delete_canned" {
        /// Which.
        id: String,
    } -> ();
    /// Opens a closed chat again, held by me (v2.1).
    Reopen = "reopen" {
        /// Which chat.
        chat_id: String,
    } -> ChatEntry;
    /// Sends a chat's messages held behind an action the server refused
    /// (the refusal is let go); `Discard` takes one out instead.
    SendHeld = "send_held" {
        /// Which chat.
        chat_id: String,
    } -> ();
    /// Accepts a queued chat.
    Accept = "accept" {
        /// Which chat.
        chat_id: String,
    } -> ChatEntry;
    /// Closes a chat.
    Close = "close" {
        /// Which chat.
        chat_id: String,
    } -> ChatEntry;
    /// Marks a chat read up to a message.
    MarkRead = "mark_read" {
        /// Which chat.
        chat_id: String,
        /// Read up to this message.
        message_id: String,
    } -> ();
    /// Keeps what I have written in a chat and not sent (the UI saves it
    /// within a second of the last key); an empty reply removes it.
    SaveDraft = "save_draft" {
        /// Which chat.
        chat_id: String,
        /// The composer's text and mode.
        draft: Draft,
    } -> ();
    /// Stages a file in a chat's composer (the engine keeps a copy until
    /// it is sent or taken off; the chat's entry lists it).
    StageFile = "stage_file" {
        /// Which chat.
        chat_id: String,
        /// Its name (a path is reduced to its last part).
        file_name: String,
        /// Its bytes.
        bytes: Vec<u8>,
    } -> StagedFile;
    /// Takes a staged file off its chat's tray.
    UnstageFile = "unstage_file" {
        /// Its id.
        id: String,
    } -> ();
    /// A staged file's bytes (raw, like an attachment), for its thumbnail.
    GetStagedFile = "staged_file" {
        /// Its id.
        id: String,
    } -> Vec<u8>;
    /// Sends a staged file, with a caption (off the tray and into the
    /// outbox in one step).
    SendStaged = "send_staged" {
        /// Its id.
        id: String,
        /// The text sent with it.
        caption: String,
        /// An internal note (agents only).
        internal: bool,
    } -> LocalMessage;
    /// Tells a chat I am typing (the UI throttles these).
    Typing = "typing" {
        /// Which chat.
        chat_id: String,
        /// Started (`true`) or stopped.
        typing: bool,
        /// In an internal note: told to agents only, where the server offers
        /// it, and to nobody where it does not.
        internal: bool,
    } -> ();
    /// Sets my presence (online, away or busy).
    SetPresence = "set_presence" {
        /// The new status.
        status: Presence,
    } -> ();
    /// The desktop settings.
    GetSettings = "settings" {} -> DesktopSettings;
    /// Changes the desktop settings (saved at once).
    SetSettings = "set_settings" {
        /// All of them.
        settings: DesktopSettings,
    } -> ();
    /// Mutes or unmutes a chat's notifications; answers the new settings.
    Mute = "mute" {
        /// Which chat.
        chat_id: String,
        /// Muted or not.
        muted: bool,
    } -> DesktopSettings;
    /// Tells the shell which chat is on screen (`None`: none), so that its
    /// messages do not ring while the window has the focus.
    Viewing = "viewing" {
        /// The chat on screen.
        chat_id: Option<String>,
    } -> ();
    /// Every agent's presence (names for the timeline and the visitor panel).
    GetAgents = "agents" {} -> Vec<AgentPresence>;
    /// The server's notifications and the unread count.
    GetNotifications = "notifications" {} -> NotificationList;
    /// Marks every server notification read.
    ReadNotifications = "read_notifications" {} -> ();
    /// Marks one server notification read (the agent opened it).
    ReadNotification = "read_notification" {
        /// Which notification.
        notification_id: String,
    } -> ();
    /// Searches every message held on this device (internal notes too),
    /// newest first, offline as online.
    Search = "search" {
        /// The words (each may be the start of a word).
        query: String,
        /// At most this many (default 50, at most 200).
        limit: Option<u32>,
    } -> Vec<SearchHit>;
    /// A chat's messages around one of them, from the local cache: some
    /// before it, then it and what follows, up to the newest when that is
    /// not too many (`hasNewer` says when more follow).
    GetMessagesAround = "messages_around" {
        /// Which chat.
        chat_id: String,
        /// The message to open at.
        message_id: String,
    } -> Page;
    /// Downloads an attachment from the signed-in server. Answers raw bytes
    /// (an IPC response, not JSON): the UI turns them into a `blob:` URL.
    GetAttachment = "attachment" {
        /// The attachment's URL.
        url: String,
    } -> Vec<u8>;
    /// Opens a link from a message in the system's browser (http and https
    /// only).
    OpenLink = "open_link" {
        /// The link.
        url: String,
    } -> ();
    /// Downloads an attachment from the signed-in server and opens it with
    /// the system's default application; refused for a file that could run
    /// code (see `files::opens_safely`).
    OpenAttachment = "open_attachment" {
        /// The attachment's URL.
        url: String,
        /// Its name (its real extension decides).
        file_name: String,
    } -> ();
    /// Asks where to save an attachment (the system's save dialog), then
    /// downloads it there from the signed-in server; answers the path, or
    /// `None` when the agent cancelled.
    SaveAttachment = "save_attachment" {
        /// The attachment's URL.
        url: String,
        /// Its name (the dialog proposes its real name).
        file_name: String,
    } -> Option<String>;
    /// The image on the system clipboard as PNG bytes, if it holds one (a
    /// pasted screenshot the webview itself cannot read).
    GetClipboardImage = "clipboard_image" {} -> Option<Vec<u8>>;
    /// Saves the chosen language (`None`: follow the OS).
    SetLocale = "set_locale" {
        /// `en` or `es`.
        locale: Option<String>,
    } -> ();
    /// Installs the update announced by `app:update` and restarts.
    InstallUpdate = "install_update" {} -> ();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_fields_camel_case() {
        let mut names = ALL.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len(), "a command name is used twice");
        let v = serde_json::to_value(GetMessages {
            chat_id: "c1".into(),
            before: None,
            limit: Some(5),
        })
        .unwrap();
        assert_eq!(v, serde_json::json!({"chatId": "c1", "before": null, "limit": 5}));
        assert_eq!(serde_json::to_value(GetBoot {}).unwrap(), serde_json::json!({}));
        assert_eq!(<SignIn as Command>::NAME, "sign_in");
    }
}
