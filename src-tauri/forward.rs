//! The change forwarder: engine changes to the webview as batched
//! `engine:changes` events (whatever queued meanwhile, up to 512), a resync
//! when the webview fell behind, and the badge's unread total and link.

use std::time::Duration;

use switchboard_model::{
    ConnectionState,
    ipc::events::{EngineChanges, EngineResync},
};
use tauri::{AppHandle, Manager, Runtime};
use tokio::sync::broadcast;

use crate::error::emit;

/// Forwards engine changes to the webview in batches: whatever has queued
/// up while the last batch was emitted goes in the next one, so a burst of
/// thousands of messages is a few dozen IPC events, not thousands. A
/// receiver that fell behind asks the UI to reload its snapshot.
pub(crate) async fn forward<R: Runtime>(
    app: AppHandle<R>,
    mut changes: broadcast::Receiver<switchboard_model::Change>,
    mut total: u64,
) {
    const MAX_BATCH: usize = 512;
    let mut state = ConnectionState::Connecting;
    loop {
        let first = match changes.recv().await {
            Ok(c) => c,
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(skipped = n, "the webview fell behind; asking it to reload");
                let _ = emit::<EngineResync, _>(&app, &());
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let mut batch = vec![first];
        let mut lagged = false;
        while batch.len() < MAX_BATCH {
            match changes.try_recv() {
                Ok(c) => batch.push(c),
                Err(broadcast::error::TryRecvError::Lagged(_)) => {
                    lagged = true;
                    break;
                }
                Err(_) => break,
            }
        }
        // The tray shows the engine's total, the same number as the inbox.
        let (before_total, before_state) = (total, state.clone());
        for c in &batch {
            match c {
                switchboard_model::Change::Unread { total: t, .. } => total = *t,
                switchboard_model::Change::Connection { state: s } => state = s.clone(),
                _ => {}
            }
        }
        if total != before_total || state != before_state {
            app.state::<crate::badge::Badge>().set_unread(total, &state);
        }
        if let Err(e) = emit::<EngineChanges, _>(&app, &batch) {
            tracing::warn!(error = %e, "could not forward changes to the webview");
        }
        if lagged {
            let _ = emit::<EngineResync, _>(&app, &());
        }
        // Let a burst gather into the next batch instead of one event per message.
        tokio::time::sleep(Duration::from_millis(16)).await;
    }
}
