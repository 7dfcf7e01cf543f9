//! The Tauri commands: each forwards to the shell or the engine and turns
//! failures into `{code, message}`. No logic of the console lives here.

use serde::Serialize;
use switchboard_model::{ChatEntry, LocalMessage};
use switchboard_protocol::{AgentPresence, NotificationList, Presence};
use tauri::{AppHandle, Runtime, State};

use crate::{
    error::{CommandError, CommandResult},
    session::{Account, Boot, Shell, Snapshot},
    settings::DesktopSettings,
};

/// A page of a chat's timeline.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    /// Oldest first.
    pub messages: Vec<LocalMessage>,
    /// The message I have read up to.
    pub read_marker: Option<String>,
}

/// What the UI needs first: the signed-in account (resumed from the
/// keychain, or the demo for `--demo`) or what to prefill the sign-in with.
#[tauri::command]
pub async fn boot<R: Runtime>(app: AppHandle<R>, shell: State<'_, Shell>) -> CommandResult<Boot> {
    Ok(shell.boot(&app).await)
}

/// Signs in with a password.
#[tauri::command]
pub async fn sign_in<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    server: String,
    email: String,
    password: String,
) -> CommandResult<Account> {
    shell.sign_in(&app, &server, &email, &password).await
}

/// Starts the in-process demo hub and signs in to it.
#[tauri::command]
pub async fn start_demo<R: Runtime>(app: AppHandle<R>, shell: State<'_, Shell>) -> CommandResult<Account> {
    shell.start_demo(&app).await
}

/// Signs out (the token leaves the keychain).
#[tauri::command]
pub async fn sign_out<R: Runtime>(app: AppHandle<R>, shell: State<'_, Shell>) -> CommandResult<()> {
    shell.sign_out(&app).await
}

/// The inbox now; changes follow as `engine:changes` events.
#[tauri::command]
pub async fn snapshot(shell: State<'_, Shell>) -> CommandResult<Snapshot> {
    shell.snapshot().await
}

/// One chat.
#[tauri::command]
pub async fn chat(shell: State<'_, Shell>, chat_id: String) -> CommandResult<Option<ChatEntry>> {
    Ok(shell.engine().await?.chat(&chat_id)?)
}

/// A page of a chat from the local cache: the newest `limit` messages
/// before `before` (a `sentAt`), oldest first.
#[tauri::command]
pub async fn messages(
    shell: State<'_, Shell>,
    chat_id: String,
    before: Option<String>,
    limit: Option<u32>,
) -> CommandResult<Page> {
    let engine = shell.engine().await?;
    let limit = limit.unwrap_or(100).clamp(1, 500);
    Ok(Page {
        messages: engine.messages(&chat_id, before.as_deref(), limit)?,
        read_marker: engine.read_marker(&chat_id)?,
    })
}

/// Fetches older history from the server into the cache; how many were new.
#[tauri::command]
pub async fn load_older(shell: State<'_, Shell>, chat_id: String) -> CommandResult<usize> {
    Ok(shell.engine().await?.load_older(&chat_id, 100).await?)
}

/// Writes a reply or an internal note (durably queued, then sent).
#[tauri::command]
pub async fn send(
    shell: State<'_, Shell>,
    chat_id: String,
    content: String,
    internal: bool,
) -> CommandResult<LocalMessage> {
    Ok(shell.engine().await?.send(&chat_id, &content, internal)?)
}

/// Sends a file picked in the webview. Its bytes are written to a private
/// temporary file the engine copies into the outbox.
#[tauri::command]
pub async fn send_file(
    shell: State<'_, Shell>,
    chat_id: String,
    file_name: String,
    bytes: Vec<u8>,
    caption: String,
    internal: bool,
) -> CommandResult<LocalMessage> {
    let engine = shell.engine().await?;
    let name = std::path::Path::new(&file_name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| CommandError::new("invalid", "the file has no name"))?;
    if bytes.len() as u64 > switchboard_protocol::DEFAULT_MAX_UPLOAD_BYTES {
        return Err(CommandError::new(
            "invalid",
            format!(
                "{name} is too large; files up to {} MiB can be sent",
                switchboard_protocol::DEFAULT_MAX_UPLOAD_BYTES / 1_048_576
            ),
        ));
    }
    let dir = shell
        .options()
        .data_dir
        .join("incoming")
        .join(uuid::Uuid::new_v4().to_string());
    let path = dir.join(&name);
    let result = async {
        tokio::fs::create_dir_all(&dir).await?;
        tokio::fs::write(&path, &bytes).await
    }
    .await;
    if let Err(e) = result {
        return Err(CommandError::new(
            "invalid",
            format!("could not keep the file: {e}"),
        ));
    }
    let sent = engine.send_file(&chat_id, &path, &caption, internal);
    let _ = tokio::fs::remove_dir_all(&dir).await;
    Ok(sent?)
}

/// Puts a failed message back in the outbox.
#[tauri::command]
pub async fn retry(shell: State<'_, Shell>, client_message_id: String) -> CommandResult<()> {
    Ok(shell.engine().await?.retry(&client_message_id)?)
}

/// Accepts a queued chat.
#[tauri::command]
pub async fn accept(shell: State<'_, Shell>, chat_id: String) -> CommandResult<ChatEntry> {
    Ok(shell.engine().await?.accept(&chat_id).await?)
}

/// Closes a chat.
#[tauri::command]
pub async fn close(shell: State<'_, Shell>, chat_id: String) -> CommandResult<ChatEntry> {
    Ok(shell.engine().await?.close(&chat_id).await?)
}

/// Marks a chat read up to a message.
#[tauri::command]
pub async fn mark_read(shell: State<'_, Shell>, chat_id: String, message_id: String) -> CommandResult<()> {
    Ok(shell.engine().await?.mark_read(&chat_id, &message_id)?)
}

/// Tells a chat I am typing (the UI throttles these).
#[tauri::command]
pub async fn typing(shell: State<'_, Shell>, chat_id: String, typing: bool) -> CommandResult<()> {
    shell.engine().await?.typing(&chat_id, typing);
    Ok(())
}

/// Sets my presence.
#[tauri::command]
pub async fn set_presence(shell: State<'_, Shell>, status: Presence) -> CommandResult<()> {
    if status == Presence::Offline {
        return Err(CommandError::new("invalid", "presence is online, away or busy"));
    }
    shell.engine().await?.set_presence(status);
    shell.desk().attend(|a| a.presence = Some(status));
    Ok(())
}

/// The desktop settings.
#[tauri::command]
pub async fn settings(shell: State<'_, Shell>) -> CommandResult<DesktopSettings> {
    Ok(shell.desk().settings())
}

/// Changes the desktop settings (saved at once).
#[tauri::command]
pub async fn set_settings(shell: State<'_, Shell>, settings: DesktopSettings) -> CommandResult<()> {
    settings.validate().map_err(|m| CommandError::new("invalid", m))?;
    if settings.start_at_login != shell.desk().settings().start_at_login {
        crate::autostart::apply(settings.start_at_login).map_err(|m| CommandError::new("unsupported", m))?;
    }
    store_settings(&shell, settings)
}

fn store_settings(shell: &Shell, settings: DesktopSettings) -> CommandResult<()> {
    crate::settings::save(&settings, &shell.options().data_dir)
        .map_err(|e| CommandError::new("invalid", format!("could not save the settings: {e}")))?;
    *shell
        .desk()
        .settings
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = settings;
    Ok(())
}

/// Mutes or unmutes a chat's notifications.
#[tauri::command]
pub async fn mute(shell: State<'_, Shell>, chat_id: String, muted: bool) -> CommandResult<DesktopSettings> {
    let mut s = shell.desk().settings();
    if muted {
        s.alerts.muted.insert(chat_id);
    } else {
        s.alerts.muted.remove(&chat_id);
    }
    store_settings(&shell, s.clone())?;
    Ok(s)
}

/// Tells the shell which chat is on screen (`null`: none), so that chat's
/// messages do not ring while the window has the focus.
#[tauri::command]
pub async fn viewing(shell: State<'_, Shell>, chat_id: Option<String>) -> CommandResult<()> {
    shell.desk().attend(|a| a.open_chat = chat_id);
    Ok(())
}

/// Every agent's presence (names for the timeline and the visitor panel).
#[tauri::command]
pub async fn agents(shell: State<'_, Shell>) -> CommandResult<Vec<AgentPresence>> {
    Ok(shell.engine().await?.agents().await?)
}

/// The server's notifications and the unread count.
#[tauri::command]
pub async fn notifications(shell: State<'_, Shell>) -> CommandResult<NotificationList> {
    Ok(shell.engine().await?.notifications().await?)
}

/// Marks every server notification read.
#[tauri::command]
pub async fn read_notifications(shell: State<'_, Shell>) -> CommandResult<()> {
    shell.engine().await?.read_all_notifications();
    Ok(())
}

/// Searches the held messages.
#[tauri::command]
pub async fn search(shell: State<'_, Shell>, query: String) -> CommandResult<Vec<LocalMessage>> {
    Ok(shell.engine().await?.search(&query, 50)?)
}

/// Downloads an attachment (for image previews: the webview's CSP allows
/// no remote images, so the bytes come over IPC and become a blob URL).
#[tauri::command]
pub async fn attachment(shell: State<'_, Shell>, url: String) -> CommandResult<tauri::ipc::Response> {
    let engine = shell.engine().await?;
    let bytes = engine.download(&url).await?;
    Ok(tauri::ipc::Response::new(bytes))
}

/// Saves the chosen language (`null`: follow the OS).
#[tauri::command]
pub async fn set_locale(shell: State<'_, Shell>, locale: Option<String>) -> CommandResult<()> {
    if let Some(l) = &locale
        && !matches!(l.as_str(), "en" | "es")
    {
        return Err(CommandError::new("invalid", "the languages are en and es"));
    }
    shell.set_locale(locale)
}

/// Installs the update announced by `app:update` and restarts.
#[tauri::command]
pub async fn install_update<R: Runtime>(app: AppHandle<R>) -> CommandResult<()> {
    crate::update::install(&app)
        .await
        .map_err(|m| CommandError::new("update", m))
}
