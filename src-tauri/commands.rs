//! The Tauri commands: one per struct of `switchboard_model::ipc::commands`,
//! each taking that struct as `args` and answering its `Output`; each
//! forwards to the shell or the engine. No logic of the console lives here.

use switchboard_model::ipc::{Command, Page, commands::*};
use tauri::{AppHandle, Runtime, State};

use crate::{
    error::{CommandError, CommandResult, ErrorCode},
    session::Shell,
};

/// What command `C` answers.
type Answer<C> = CommandResult<<C as Command>::Output>;

/// What the UI needs first: the signed-in account (resumed from the
/// keychain, or the demo for `--demo`) or what to prefill the sign-in with.
#[tauri::command]
pub async fn boot<R: Runtime>(app: AppHandle<R>, shell: State<'_, Shell>, args: GetBoot) -> Answer<GetBoot> {
    let GetBoot {} = args;
    Ok(shell.boot(&app).await)
}

/// Signs in with a password.
#[tauri::command]
pub async fn sign_in<R: Runtime>(app: AppHandle<R>, shell: State<'_, Shell>, args: SignIn) -> Answer<SignIn> {
    shell
        .sign_in(&app, &args.server, &args.email, &args.password)
        .await
}

/// Starts the in-process demo hub and signs in to it.
#[tauri::command]
pub async fn start_demo<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    args: StartDemo,
) -> Answer<StartDemo> {
    let StartDemo {} = args;
    shell.start_demo(&app).await
}

/// Signs out (the token leaves the keychain).
#[tauri::command]
pub async fn sign_out<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    args: SignOut,
) -> Answer<SignOut> {
    let SignOut {} = args;
    shell.sign_out(&app).await
}

/// The inbox now; changes follow as `engine:changes` events.
#[tauri::command]
pub async fn snapshot(shell: State<'_, Shell>, args: GetSnapshot) -> Answer<GetSnapshot> {
    let GetSnapshot {} = args;
    shell.snapshot().await
}

/// One chat.
#[tauri::command]
pub async fn chat(shell: State<'_, Shell>, args: GetChat) -> Answer<GetChat> {
    Ok(shell.engine().await?.chat(&args.chat_id)?)
}

/// A page of a chat from the local cache: the newest `limit` messages
/// before `before` (a `sentAt`), oldest first.
#[tauri::command]
pub async fn messages(shell: State<'_, Shell>, args: GetMessages) -> Answer<GetMessages> {
    let engine = shell.engine().await?;
    let limit = args.limit.unwrap_or(100).clamp(1, 500);
    Ok(Page {
        messages: engine.messages(&args.chat_id, args.before.as_deref(), limit)?,
        read_marker: engine.read_marker(&args.chat_id)?,
        has_newer: false,
    })
}

/// A chat around one of its messages (a search hit): 40 before it, then
/// up to 2,000 from it on.
#[tauri::command]
pub async fn messages_around(shell: State<'_, Shell>, args: GetMessagesAround) -> Answer<GetMessagesAround> {
    let engine = shell.engine().await?;
    let (messages, has_newer) = engine.messages_around(&args.chat_id, &args.message_id, 40, 2_000)?;
    Ok(Page {
        messages,
        read_marker: engine.read_marker(&args.chat_id)?,
        has_newer,
    })
}

/// Fetches older history from the server into the cache; how many were new.
#[tauri::command]
pub async fn load_older(shell: State<'_, Shell>, args: LoadOlder) -> Answer<LoadOlder> {
    Ok(shell.engine().await?.load_older(&args.chat_id, 100).await?)
}

/// Writes a reply or an internal note (durably queued, then sent).
#[tauri::command]
pub async fn send(shell: State<'_, Shell>, args: Send) -> Answer<Send> {
    Ok(shell
        .engine()
        .await?
        .send(&args.chat_id, &args.content, args.internal)?)
}

/// Sends a file picked in the webview. Its bytes are written to a private
/// temporary file the engine copies into the outbox.
#[tauri::command]
pub async fn send_file(shell: State<'_, Shell>, args: SendFile) -> Answer<SendFile> {
    let SendFile {
        chat_id,
        file_name,
        bytes,
        caption,
        internal,
    } = args;
    let engine = shell.engine().await?;
    let name = std::path::Path::new(&file_name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| CommandError::new(ErrorCode::Invalid, "the file has no name"))?;
    if bytes.len() as u64 > switchboard_protocol::DEFAULT_MAX_UPLOAD_BYTES {
        return Err(CommandError::new(
            ErrorCode::Invalid,
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
            ErrorCode::Invalid,
            format!("could not keep the file: {e}"),
        ));
    }
    let sent = engine.send_file(&chat_id, &path, &caption, internal);
    let _ = tokio::fs::remove_dir_all(&dir).await;
    Ok(sent?)
}

/// Puts a failed message back in the outbox.
#[tauri::command]
pub async fn retry(shell: State<'_, Shell>, args: Retry) -> Answer<Retry> {
    Ok(shell.engine().await?.retry(&args.client_message_id)?)
}

/// A warning of the UI, into the log (bounded: a runaway UI cannot fill it).
#[tauri::command]
pub async fn log_warning(args: LogWarning) -> Answer<LogWarning> {
    let message: String = args.message.chars().take(2_000).collect();
    tracing::warn!(target: "switchboard::ui", "{message}");
    Ok(())
}

/// Ends the sign-in under way.
#[tauri::command]
pub async fn cancel_sign_in(shell: State<'_, Shell>, args: CancelSignIn) -> Answer<CancelSignIn> {
    let CancelSignIn {} = args;
    shell.cancel_sign_in();
    Ok(())
}

/// Discards a message the server refused.
#[tauri::command]
pub async fn discard(shell: State<'_, Shell>, args: Discard) -> Answer<Discard> {
    Ok(shell.engine().await?.discard(&args.client_message_id)?)
}

/// Hands a chat to an agent, or back to the queue.
#[tauri::command]
pub async fn transfer(shell: State<'_, Shell>, args: Transfer) -> Answer<Transfer> {
    Ok(shell
        .engine()
        .await?
        .transfer(&args.chat_id, args.to_agent_id.as_deref())
        .await?)
}

/// The canned responses: the server's now, else the held ones.
#[tauri::command]
pub async fn canned(shell: State<'_, Shell>, args: ListCanned) -> Answer<ListCanned> {
    let ListCanned {} = args;
    let engine = shell.engine().await?;
    match engine.refresh_canned().await {
        Ok(list) => Ok(list),
        Err(e) => {
            tracing::debug!(error = %e, "canned responses not fetched; the held ones");
            Ok(engine.canned()?)
        }
    }
}

/// Replaces a chat's tags.
#[tauri::command]
pub async fn set_tags(shell: State<'_, Shell>, args: SetTags) -> Answer<SetTags> {
    Ok(shell.engine().await?.set_tags(&args.chat_id, &args.tags).await?)
}

/// The tags in use (the server's, else those held).
#[tauri::command]
pub async fn tags(shell: State<'_, Shell>, args: ListTags) -> Answer<ListTags> {
    let ListTags {} = args;
    Ok(shell.engine().await?.tags().await?)
}

/// A visitor's chats, newest first.
#[tauri::command]
pub async fn visitor_chats(shell: State<'_, Shell>, args: VisitorChats) -> Answer<VisitorChats> {
    Ok(shell.engine().await?.visitor_chats(&args.visitor_id).await?)
}

/// An earlier chat's messages, to read.
#[tauri::command]
pub async fn chat_history(shell: State<'_, Shell>, args: ChatHistory) -> Answer<ChatHistory> {
    Ok(shell.engine().await?.chat_history(&args.chat_id).await?)
}

/// Sets my capacity for automatic assignment.
#[tauri::command]
pub async fn set_max_chats(shell: State<'_, Shell>, args: SetMaxChats) -> Answer<SetMaxChats> {
    Ok(shell.engine().await?.set_max_chats(args.max_chats).await?)
}

/// Creates a canned response.
#[tauri::command]
pub async fn create_canned(shell: State<'_, Shell>, args: CreateCanned) -> Answer<CreateCanned> {
    Ok(shell
        .engine()
        .await?
        .create_canned(&args.shortcut, &args.title, &args.content, args.scope)
        .await?)
}

/// Changes a canned response.
#[tauri::command]
pub async fn update_canned(shell: State<'_, Shell>, args: UpdateCanned) -> Answer<UpdateCanned> {
    Ok(shell
        .engine()
        .await?
        .update_canned(&args.id, &args.shortcut, &args.title, &args.content)
        .await?)
}

/// Deletes a canned response.
#[tauri::command]
pub async fn delete_canned(shell: State<'_, Shell>, args: DeleteCanned) -> Answer<DeleteCanned> {
    Ok(shell.engine().await?.delete_canned(&args.id).await?)
}

/// Opens a closed chat again.
#[tauri::command]
pub async fn reopen(shell: State<'_, Shell>, args: Reopen) -> Answer<Reopen> {
    Ok(shell.engine().await?.reopen(&args.chat_id).await?)
}

/// Sends a chat's held messages (the refused action before them is let go).
#[tauri::command]
pub async fn send_held(shell: State<'_, Shell>, args: SendHeld) -> Answer<SendHeld> {
    shell.engine().await?.release_held(&args.chat_id)?;
    Ok(())
}

/// Accepts a queued chat.
#[tauri::command]
pub async fn accept(shell: State<'_, Shell>, args: Accept) -> Answer<Accept> {
    Ok(shell.engine().await?.accept(&args.chat_id).await?)
}

/// Closes a chat.
#[tauri::command]
pub async fn close(shell: State<'_, Shell>, args: Close) -> Answer<Close> {
    Ok(shell.engine().await?.close(&args.chat_id).await?)
}

/// Marks a chat read up to a message.
#[tauri::command]
pub async fn mark_read(shell: State<'_, Shell>, args: MarkRead) -> Answer<MarkRead> {
    Ok(shell.engine().await?.mark_read(&args.chat_id, &args.message_id)?)
}

/// Keeps what I have written in a chat and not sent.
#[tauri::command]
pub async fn save_draft(shell: State<'_, Shell>, args: SaveDraft) -> Answer<SaveDraft> {
    Ok(shell.engine().await?.save_draft(&args.chat_id, &args.draft)?)
}

/// Stages a file in a chat's composer.
#[tauri::command]
pub async fn stage_file(shell: State<'_, Shell>, args: StageFile) -> Answer<StageFile> {
    Ok(shell
        .engine()
        .await?
        .stage_file(&args.chat_id, &args.file_name, &args.bytes)?)
}

/// Takes a staged file off its chat's tray.
#[tauri::command]
pub async fn unstage_file(shell: State<'_, Shell>, args: UnstageFile) -> Answer<UnstageFile> {
    Ok(shell.engine().await?.unstage_file(&args.id)?)
}

/// A staged file's bytes, raw (an IPC response, not JSON).
#[tauri::command]
pub async fn staged_file(
    shell: State<'_, Shell>,
    args: GetStagedFile,
) -> CommandResult<tauri::ipc::Response> {
    let bytes: <GetStagedFile as Command>::Output = shell.engine().await?.staged_bytes(&args.id)?;
    Ok(tauri::ipc::Response::new(bytes))
}

/// Sends a staged file with a caption.
#[tauri::command]
pub async fn send_staged(shell: State<'_, Shell>, args: SendStaged) -> Answer<SendStaged> {
    Ok(shell
        .engine()
        .await?
        .send_staged(&args.id, &args.caption, args.internal)?)
}

/// Tells a chat I am typing (the UI throttles these).
#[tauri::command]
pub async fn typing(shell: State<'_, Shell>, args: Typing) -> Answer<Typing> {
    shell
        .engine()
        .await?
        .typing(&args.chat_id, args.typing, args.internal);
    Ok(())
}

/// Sets my presence.
#[tauri::command]
pub async fn set_presence(shell: State<'_, Shell>, args: SetPresence) -> Answer<SetPresence> {
    shell.set_presence(args.status).await
}

/// The desktop settings.
#[tauri::command]
pub async fn settings(shell: State<'_, Shell>, args: GetSettings) -> Answer<GetSettings> {
    let GetSettings {} = args;
    Ok(shell.desk().settings())
}

/// Changes the desktop settings (saved at once).
#[tauri::command]
pub async fn set_settings(shell: State<'_, Shell>, args: SetSettings) -> Answer<SetSettings> {
    let settings = args.settings;
    settings
        .validate()
        .map_err(|m| CommandError::new(ErrorCode::Invalid, m))?;
    if settings.start_at_login != shell.desk().settings().start_at_login {
        crate::autostart::apply(settings.start_at_login)
            .map_err(|m| CommandError::new(ErrorCode::Unsupported, m))?;
    }
    shell.update_settings(settings)
}

/// Mutes or unmutes a chat's notifications.
#[tauri::command]
pub async fn mute(shell: State<'_, Shell>, args: Mute) -> Answer<Mute> {
    let mut s = shell.desk().settings();
    if args.muted {
        s.alerts.muted.insert(args.chat_id);
    } else {
        s.alerts.muted.remove(&args.chat_id);
    }
    shell.update_settings(s.clone())?;
    Ok(s)
}

/// Tells the shell which chat is on screen (`null`: none), so that chat's
/// messages do not ring while the window has the focus.
#[tauri::command]
pub async fn viewing(shell: State<'_, Shell>, args: Viewing) -> Answer<Viewing> {
    shell.desk().attend(|a| a.open_chat = args.chat_id);
    Ok(())
}

/// Every agent's presence (names for the timeline and the visitor panel).
#[tauri::command]
pub async fn agents(shell: State<'_, Shell>, args: GetAgents) -> Answer<GetAgents> {
    let GetAgents {} = args;
    Ok(shell.engine().await?.agents().await?)
}

/// The server's notifications and the unread count.
#[tauri::command]
pub async fn notifications(shell: State<'_, Shell>, args: GetNotifications) -> Answer<GetNotifications> {
    let GetNotifications {} = args;
    Ok(shell.engine().await?.notifications().await?)
}

/// Marks every server notification read.
#[tauri::command]
pub async fn read_notifications(
    shell: State<'_, Shell>,
    args: ReadNotifications,
) -> Answer<ReadNotifications> {
    let ReadNotifications {} = args;
    shell.engine().await?.read_all_notifications();
    Ok(())
}

/// Marks one server notification read.
#[tauri::command]
pub async fn read_notification(shell: State<'_, Shell>, args: ReadNotification) -> Answer<ReadNotification> {
    shell.engine().await?.read_notification(&args.notification_id);
    Ok(())
}

/// Searches the held messages.
#[tauri::command]
pub async fn search(shell: State<'_, Shell>, args: Search) -> Answer<Search> {
    let limit = args.limit.unwrap_or(50).clamp(1, 200);
    Ok(shell.engine().await?.search(&args.query, limit)?)
}

/// Downloads an attachment (for image previews: the webview's CSP allows
/// no remote images, so the bytes come over IPC and become a blob URL).
#[tauri::command]
pub async fn attachment(shell: State<'_, Shell>, args: GetAttachment) -> CommandResult<tauri::ipc::Response> {
    let engine = shell.engine().await?;
    let bytes: <GetAttachment as Command>::Output = engine.download(&args.url).await?;
    Ok(tauri::ipc::Response::new(bytes))
}

/// Opens a link from a message in the system's browser.
#[tauri::command]
pub async fn open_link<R: Runtime>(app: AppHandle<R>, args: OpenLink) -> Answer<OpenLink> {
    crate::files::open_link(&app, &args.url)
}

/// Opens an attachment with the system's default application.
#[tauri::command]
pub async fn open_attachment<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    args: OpenAttachment,
) -> Answer<OpenAttachment> {
    // Refused before anything is downloaded.
    crate::files::refuse_unsafe(&args.file_name)?;
    let bytes = shell.engine().await?.download(&args.url).await?;
    crate::files::open_file(&app, &shell.options().data_dir, &args.file_name, &bytes).map(|_| ())
}

/// Saves an attachment where the agent chooses (the system's save dialog).
#[tauri::command]
pub async fn save_attachment<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    args: SaveAttachment,
) -> Answer<SaveAttachment> {
    let engine = shell.engine().await?;
    let Some(path) = crate::files::ask_where_to_save(&app, &args.file_name).await? else {
        return Ok(None);
    };
    let bytes = engine.download(&args.url).await?;
    crate::files::write_whole(&path, &bytes)?;
    tracing::info!(bytes = bytes.len(), "saved an attachment");
    Ok(Some(path.display().to_string()))
}

/// The image on the system clipboard, as PNG bytes (for a paste the
/// webview could not read).
#[tauri::command]
pub async fn clipboard_image(args: GetClipboardImage) -> Answer<GetClipboardImage> {
    let GetClipboardImage {} = args;
    tauri::async_runtime::spawn_blocking(crate::files::clipboard_png)
        .await
        .map_err(|e| CommandError::new(ErrorCode::Shell, format!("the clipboard: {e}")))?
}

/// Saves the chosen language (`null`: follow the OS).
#[tauri::command]
pub async fn set_locale(shell: State<'_, Shell>, args: SetLocale) -> Answer<SetLocale> {
    let locale = args.locale;
    if let Some(l) = &locale
        && !matches!(l.as_str(), "en" | "es")
    {
        return Err(CommandError::new(
            ErrorCode::Invalid,
            "the languages are en and es",
        ));
    }
    shell.set_locale(locale)
}

/// Installs the update announced by `app:update` and restarts.
#[tauri::command]
pub async fn install_update<R: Runtime>(app: AppHandle<R>, args: InstallUpdate) -> Answer<InstallUpdate> {
    let InstallUpdate {} = args;
    crate::update::install(&app)
        .await
        .map_err(|m| CommandError::new(ErrorCode::Update, m))
}
