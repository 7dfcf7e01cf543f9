//! The durable outbox: writing a message or a file stores it before
//! anything is shown; the worker sends the outbox oldest first, retrying
//! with backoff, and survives restarts because the outbox is in the
//! database.

use std::{collections::BTreeSet, path::Path, sync::Arc, time::Duration};

use switchboard_protocol::{MessageType, SendMessageRequest};

use crate::{
    Change, Delivery, Engine, EngineError, LocalMessage, Result, StagedFile, actions,
    api::ApiError,
    inbound,
    inner::{Inner, lock, now_ms},
    link,
    store::{self, OutboxEntry},
};

impl Engine {
    /// Writes a message: stored in the outbox (durable) before anything is
    /// shown, then sent by the outbox worker. Returns it as `sending`.
    pub fn send(&self, chat_id: &str, content: &str, internal: bool) -> Result<LocalMessage> {
        if content.trim().is_empty() {
            return Err(EngineError::Empty);
        }
        check_length(content)?;
        self.enqueue(chat_id, content, MessageType::Text, internal, None, None)
    }

    /// Sends a file (with an optional caption). The file is checked and
    /// copied into the data directory first, so the message survives a
    /// restart and the original may move; it is uploaded by the outbox worker.
    pub fn send_file(
        &self,
        chat_id: &str,
        path: &Path,
        caption: &str,
        internal: bool,
    ) -> Result<LocalMessage> {
        check_length(caption)?;
        let meta = std::fs::metadata(path).map_err(|e| EngineError::Unreadable {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        if !meta.is_file() {
            return Err(EngineError::Unreadable {
                path: path.display().to_string(),
                reason: "not a file".to_owned(),
            });
        }
        if meta.len() > switchboard_protocol::DEFAULT_MAX_UPLOAD_BYTES {
            return Err(EngineError::FileTooLarge {
                name: path.display().to_string(),
                bytes: meta.len(),
                limit: switchboard_protocol::DEFAULT_MAX_UPLOAD_BYTES,
            });
        }
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".to_owned());
        let mime_type = switchboard_protocol::mime_for_file_name(&file_name).to_owned();
        let kind = if mime_type.starts_with("image/") {
            MessageType::Image
        } else {
            MessageType::File
        };
        let dir = self.inner.db_path.with_extension("outbox-files");
        std::fs::create_dir_all(&dir).map_err(|e| EngineError::LocalIo(e.to_string()))?;
        let copy = dir.join(uuid::Uuid::new_v4().to_string());
        std::fs::copy(path, &copy).map_err(|e| EngineError::LocalIo(e.to_string()))?;
        let upload = store::PendingUpload {
            path: copy,
            file_name,
            mime_type,
            file_size: meta.len(),
        };
        self.enqueue(chat_id, caption, kind, internal, Some(upload), None)
    }

    /// Stages a file in a chat's composer: a copy is kept in the data
    /// directory and listed with the chat (`ChatEntry::staged`) until it is
    /// sent (`send_staged`) or taken off (`unstage_file`), across restarts.
    pub fn stage_file(&self, chat_id: &str, file_name: &str, bytes: &[u8]) -> Result<StagedFile> {
        let limit = switchboard_protocol::DEFAULT_MAX_UPLOAD_BYTES;
        if bytes.len() as u64 > limit {
            return Err(EngineError::FileTooLarge {
                name: file_name.to_owned(),
                bytes: bytes.len() as u64,
                limit,
            });
        }
        let file = StagedFile {
            id: uuid::Uuid::new_v4().to_string(),
            file_name: switchboard_model::files::display_name(file_name),
            file_size: bytes.len() as u64,
        };
        let dir = self.inner.db_path.with_extension("staged-files");
        let path = dir.join(&file.id);
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&path, bytes))
            .map_err(|e| EngineError::LocalIo(e.to_string()))?;
        let me = self.inner.me_id();
        let changes = self.inner.store().write(|tx| {
            if !store::stage_file(tx, chat_id, &file, &path, now_ms())? {
                return Ok(None);
            }
            Ok(Some(inbound::chat_changes(
                tx,
                &me,
                &BTreeSet::from([chat_id.to_owned()]),
            )?))
        });
        match changes {
            Ok(Some(changes)) => {
                for c in changes {
                    self.inner.publish(c);
                }
                Ok(file)
            }
            other => {
                let _ = std::fs::remove_file(&path);
                match other {
                    Ok(_) => Err(EngineError::UnknownChat(chat_id.to_owned())),
                    Err(e) => Err(e.into()),
                }
            }
        }
    }

    /// Takes a staged file off its chat's tray (its copy is removed).
    pub fn unstage_file(&self, id: &str) -> Result<()> {
        let chat = store::staged_file(self.inner.store().conn(), id)?
            .ok_or_else(|| EngineError::UnknownMessage(id.to_owned()))?
            .chat_id;
        let me = self.inner.me_id();
        let (path, changes) = self.inner.store().write(|tx| {
            let path = store::unstage_file(tx, id)?;
            Ok((
                path,
                inbound::chat_changes(tx, &me, &BTreeSet::from([chat.clone()]))?,
            ))
        })?;
        if let Some(p) = path {
            let _ = std::fs::remove_file(p);
        }
        for c in changes {
            self.inner.publish(c);
        }
        Ok(())
    }

    /// A staged file's bytes (a thumbnail after a restart, say).
    pub fn staged_bytes(&self, id: &str) -> Result<Vec<u8>> {
        let row = store::staged_file(self.inner.store().conn(), id)?
            .ok_or_else(|| EngineError::UnknownMessage(id.to_owned()))?;
        std::fs::read(&row.path).map_err(|e| EngineError::Unreadable {
            path: row.file.file_name,
            reason: e.to_string(),
        })
    }

    /// Sends a staged file (with a caption): it moves from the tray to the
    /// outbox in one step, so it is sent once and never lost in between.
    pub fn send_staged(&self, id: &str, caption: &str, internal: bool) -> Result<LocalMessage> {
        check_length(caption)?;
        let row = store::staged_file(self.inner.store().conn(), id)?
            .ok_or_else(|| EngineError::UnknownMessage(id.to_owned()))?;
        let dir = self.inner.db_path.with_extension("outbox-files");
        let copy = dir.join(uuid::Uuid::new_v4().to_string());
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::copy(&row.path, &copy).map(|_| ()))
            .map_err(|e| EngineError::Unreadable {
                path: row.file.file_name.clone(),
                reason: e.to_string(),
            })?;
        let mime_type = switchboard_protocol::mime_for_file_name(&row.file.file_name).to_owned();
        let kind = if mime_type.starts_with("image/") {
            MessageType::Image
        } else {
            MessageType::File
        };
        let upload = store::PendingUpload {
            path: copy,
            file_name: row.file.file_name.clone(),
            mime_type,
            file_size: row.file.file_size,
        };
        let sent = self.enqueue(&row.chat_id, caption, kind, internal, Some(upload), Some(id))?;
        let _ = std::fs::remove_file(&row.path);
        Ok(sent)
    }

    fn enqueue(
        &self,
        chat_id: &str,
        content: &str,
        kind: MessageType,
        internal: bool,
        upload: Option<store::PendingUpload>,
        unstage: Option<&str>,
    ) -> Result<LocalMessage> {
        let entry = OutboxEntry {
            client_message_id: uuid::Uuid::new_v4().to_string(),
            chat_id: chat_id.to_owned(),
            content: content.to_owned(),
            kind,
            is_internal: internal,
            attachment: None,
            created_at: now_ms(),
            attempts: 0,
            failed: false,
            last_error: None,
            upload,
            held: false,
        };
        let me = self.inner.me_id();
        let changes = self.inner.store().write(|tx| {
            if !store::has_chat(tx, chat_id)? {
                return Ok(None);
            }
            store::enqueue(tx, &entry)?;
            // What was written is on its way: the draft (and a staged file
            // sent) goes in the same step.
            store::clear_draft(tx, chat_id)?;
            if let Some(id) = unstage {
                store::unstage_file(tx, id)?;
            }
            Ok(Some(inbound::chat_changes(
                tx,
                &me,
                &BTreeSet::from([chat_id.to_owned()]),
            )?))
        })?;
        let Some(changes) = changes else {
            if let Some(u) = &entry.upload {
                let _ = std::fs::remove_file(&u.path);
            }
            return Err(EngineError::UnknownChat(chat_id.to_owned()));
        };
        let local = store::outbox_message(&entry, &me);
        self.inner.publish(Change::Message {
            message: Box::new(local.clone()),
        });
        for c in changes {
            self.inner.publish(c);
        }
        self.inner.outbox_wake.notify_one();
        Ok(local)
    }

    /// Puts a failed message back in the outbox.
    pub fn retry(&self, client_message_id: &str) -> Result<()> {
        if !self
            .inner
            .store()
            .write(|tx| store::outbox_retry(tx, client_message_id))?
        {
            return Err(EngineError::UnknownMessage(client_message_id.to_owned()));
        }
        // Read first: the store's guard must be gone before `publish_chat`
        // takes it again.
        let entry = store::outbox_entry(self.inner.store().conn(), client_message_id)?;
        if let Some(e) = entry {
            let me = self.inner.me_id();
            self.inner.publish(Change::Message {
                message: Box::new(store::outbox_message(&e, &me)),
            });
            publish_chat(&self.inner, &e.chat_id);
        }
        self.inner.outbox_wake.notify_one();
        Ok(())
    }

    /// Takes a message the server refused out of the outbox for good, with
    /// its file copy. A message still being sent cannot be discarded (it
    /// may be arriving): `UnknownMessage`.
    pub fn discard(&self, client_message_id: &str) -> Result<()> {
        let Some(entry) = self
            .inner
            .store()
            .write(|tx| store::outbox_discard(tx, client_message_id))?
        else {
            return Err(EngineError::UnknownMessage(client_message_id.to_owned()));
        };
        if let Some(u) = &entry.upload {
            let _ = std::fs::remove_file(&u.path);
        }
        tracing::info!(chat = %entry.chat_id, "a refused message was discarded");
        self.inner.publish(Change::Discarded {
            chat_id: entry.chat_id.clone(),
            client_message_id: client_message_id.to_owned(),
        });
        publish_chat(&self.inner, &entry.chat_id);
        Ok(())
    }

    /// Where a sent message stands.
    pub fn delivery(&self, client_message_id: &str) -> Result<Delivery> {
        let store = self.inner.store();
        if let Some(e) = store::outbox_entry(store.conn(), client_message_id)? {
            return Ok(if e.failed {
                Delivery::Failed(e.last_error.unwrap_or_default())
            } else {
                Delivery::Pending {
                    attempts: e.attempts,
                    error: e.last_error,
                }
            });
        }
        Ok(
            match store::message_by_client_id(store.conn(), client_message_id)? {
                Some(m) => Delivery::Sent(Box::new(LocalMessage::sent(m))),
                None => Delivery::Unknown,
            },
        )
    }

    /// Waits until a sent message is accepted or refused, or `timeout`.
    pub async fn wait_delivered(&self, client_message_id: &str, timeout: Duration) -> Result<Delivery> {
        let mut changes = self.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let d = self.delivery(client_message_id)?;
            if !matches!(d, Delivery::Pending { .. }) || tokio::time::Instant::now() >= deadline {
                return Ok(d);
            }
            // Wake on any change (or every second, for another process's work).
            let _ = tokio::time::timeout_at(
                deadline.min(tokio::time::Instant::now() + Duration::from_secs(1)),
                changes.recv(),
            )
            .await;
        }
    }
}

fn check_length(content: &str) -> Result<()> {
    let chars = content.chars().count();
    if chars > switchboard_protocol::MAX_CONTENT_CHARS {
        return Err(EngineError::TooLong {
            chars,
            limit: switchboard_protocol::MAX_CONTENT_CHARS,
        });
    }
    Ok(())
}

/// Sends the outbox, messages and actions in the one order they were
/// written (so a chat's go in order), retrying with backoff; survives
/// restarts because the outbox is in the database. Whatever waits behind a
/// refused action of its chat is skipped until the agent decides.
#[tracing::instrument(name = "outbox", skip_all)]
pub(crate) async fn outbox_worker(inner: Arc<Inner>) {
    let mut backoff_attempt: u32 = 0;
    loop {
        let next = store::next_queued(inner.store().conn()).unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot read the outbox");
            None
        });
        let (Some(next), Some(token)) = (next, inner.token()) else {
            inner.outbox_wake.notified().await;
            continue;
        };
        let entry = match next {
            store::Queued::Action(a) => {
                match actions::send_action(&inner, &token, &a).await {
                    actions::Sent::Done | actions::Sent::NeedsLogin => backoff_attempt = 0,
                    actions::Sent::Retry(e) => {
                        backoff_attempt = backoff_attempt.saturating_add(1);
                        actions::record_failure(&inner, &a, &e.to_string(), false);
                        retry_pause(&inner, &e, backoff_attempt).await;
                    }
                    actions::Sent::Refused(reason) => {
                        backoff_attempt = 0;
                        match &a.chat_id {
                            // The chat changed meanwhile: show it as the server has it now.
                            Some(chat) => {
                                actions::put_back(&inner, &token, chat).await;
                                actions::record_failure(&inner, &a, &reason, true);
                            }
                            // Refused first, so the list shown is the server's
                            // without this edit (and those built on it).
                            None => {
                                actions::record_failure(&inner, &a, &reason, true);
                                let _ = crate::sync::refresh_canned(&inner).await;
                            }
                        }
                    }
                }
                continue;
            }
            store::Queued::Message(cmid) => {
                // The store's guard is gone before anything is awaited.
                let read = store::outbox_entry(inner.store().conn(), &cmid);
                match read {
                    Ok(Some(e)) => e,
                    Ok(None) => continue,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot read the outbox");
                        inner.outbox_wake.notified().await;
                        continue;
                    }
                }
            }
        };
        let mut entry = entry;
        // Uploaded on an earlier attempt: if the server has dropped that
        // upload since (the message never went), upload the copy again.
        if let (Some(upload), Some(attachment)) = (&entry.upload, &entry.attachment)
            && upload.path.exists()
            && inner.api.file_gone(&attachment.url).await.unwrap_or(false)
        {
            tracing::info!("the server no longer has an upload not yet sent; uploading it again");
            entry.attachment = None;
        }
        if let (Some(upload), None) = (entry.upload.clone(), &entry.attachment) {
            match upload_file(&inner, &token, &entry, &upload).await {
                Ok(attachment) => entry.attachment = Some(attachment),
                Err(e) => {
                    backoff_attempt = backoff_attempt.saturating_add(1);
                    if !outbox_failure(&inner, &entry, e, backoff_attempt).await {
                        backoff_attempt = 0;
                    }
                    continue;
                }
            }
        }
        let req = SendMessageRequest {
            chat_id: entry.chat_id.clone(),
            content: entry.content.clone(),
            kind: entry.kind,
            is_internal: entry.is_internal,
            attachment: entry.attachment.clone(),
            client_message_id: Some(entry.client_message_id.clone()),
        };
        match inner.api.send_message(&token, &req).await {
            Ok((m, _created)) => {
                backoff_attempt = 0;
                let me = inner.me_id();
                let chat = m.chat_id.clone();
                let cmid = entry.client_message_id.clone();
                let res = inner.store().write(|tx| {
                    let ins = store::insert_messages(tx, std::slice::from_ref(&m), &mut lock(&inner.seen))?;
                    // Already held (the socket was faster): settle it anyway.
                    tx.execute("DELETE FROM outbox WHERE client_message_id = ?1", [&cmid])?;
                    Ok((ins.new, inbound::chat_changes(tx, &me, &BTreeSet::from([chat]))?))
                });
                if let Some(u) = &entry.upload {
                    let _ = std::fs::remove_file(&u.path);
                }
                match res {
                    Ok((announce, changes)) => {
                        // Announced once: here, or already by the socket.
                        for m in announce {
                            inner.publish(Change::Message {
                                message: Box::new(LocalMessage::sent(m)),
                            });
                        }
                        for c in changes {
                            inner.publish(c);
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "could not record a sent message"),
                }
            }
            Err(e) => {
                backoff_attempt = backoff_attempt.saturating_add(1);
                if !outbox_failure(&inner, &entry, e, backoff_attempt).await {
                    backoff_attempt = 0;
                }
            }
        }
    }
}

/// Uploads an outbox entry's file and records the attachment, so that a
/// retry of the POST does not upload again.
async fn upload_file(
    inner: &Inner,
    token: &str,
    entry: &OutboxEntry,
    upload: &store::PendingUpload,
) -> std::result::Result<switchboard_protocol::Attachment, ApiError> {
    let bytes = tokio::fs::read(&upload.path)
        .await
        .map_err(|e| ApiError::Rejected {
            status: 0,
            message: format!("the file to send is gone: {e}"),
        })?;
    let attachment = inner
        .api
        .upload(token, &entry.chat_id, &upload.file_name, &upload.mime_type, bytes)
        .await?;
    if let Err(e) = inner
        .store()
        .write(|tx| store::outbox_uploaded(tx, &entry.client_message_id, &attachment))
    {
        tracing::error!(error = %e, "could not record an upload");
    }
    Ok(attachment)
}

/// Records a failed upload or send and, when it may pass, waits before the
/// next try. Returns whether it was transient.
async fn outbox_failure(inner: &Inner, entry: &OutboxEntry, e: ApiError, attempt: u32) -> bool {
    match e {
        ApiError::Unauthorized(_) => {
            inner.session_expired();
            false
        }
        e if e.is_transient() => {
            let _ = inner.store().write(|tx| {
                store::outbox_attempt_failed(tx, &entry.client_message_id, &e.to_string(), false)
            });
            retry_pause(inner, &e, attempt).await;
            true
        }
        e => {
            tracing::warn!(error = %e, "the server refused a message; marked failed");
            let msg = e.to_string();
            let _ = inner
                .store()
                .write(|tx| store::outbox_attempt_failed(tx, &entry.client_message_id, &msg, true));
            let me = inner.me_id();
            if let Ok(Some(e)) = store::outbox_entry(inner.store().conn(), &entry.client_message_id) {
                inner.publish(Change::Message {
                    message: Box::new(store::outbox_message(&e, &me)),
                });
            }
            // Its inbox row says so.
            publish_chat(inner, &entry.chat_id);
            false
        }
    }
}

/// Waits before the next try after a transient failure (or until woken).
async fn retry_pause(inner: &Inner, e: &ApiError, attempt: u32) {
    let delay = match e {
        ApiError::RateLimited(s) => Duration::from_secs((*s).max(1)),
        _ => link::backoff_delay(
            attempt,
            Duration::from_millis(250),
            Duration::from_secs(30),
            rand::random::<f64>(),
        ),
    };
    tracing::debug!(error = %e, delay_ms = delay.as_millis() as u64, "send failed; will retry");
    let _ = tokio::time::timeout(delay, inner.outbox_wake.notified()).await;
}

/// Publishes a chat's entry and unread count as they are now (its failed
/// count moved).
fn publish_chat(inner: &Inner, chat_id: &str) {
    let me = inner.me_id();
    match inbound::chat_changes(inner.store().conn(), &me, &BTreeSet::from([chat_id.to_owned()])) {
        Ok(changes) => changes.into_iter().for_each(|c| inner.publish(c)),
        Err(e) => tracing::warn!(error = %e, "could not read a chat's entry"),
    }
}
