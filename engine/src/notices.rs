//! From the link to the store: link notices decoded and applied in
//! batches (one transaction each, then the changes), a sync started on
//! every connection, new chats followed.

use std::sync::{Arc, atomic::Ordering};

use tokio::{sync::mpsc, task::JoinHandle};

use crate::{
    inbound,
    inner::{Inner, Session, lock},
    link::LinkNotice,
    sync,
};

/// Applies link notices in batches: one transaction per batch, then the
/// changes. Starts a sync on every connection.
#[tracing::instrument(name = "inbound", skip_all)]
pub(crate) async fn process_notices(inner: Arc<Inner>, mut rx: mpsc::UnboundedReceiver<LinkNotice>) {
    const BATCH: usize = 512;
    let mut sync_task: Option<JoinHandle<()>> = None;
    while let Some(first) = rx.recv().await {
        let mut notices = vec![first];
        while notices.len() < BATCH {
            match rx.try_recv() {
                Ok(n) => notices.push(n),
                Err(_) => break,
            }
        }
        let mut batch = Vec::new();
        for notice in notices {
            match notice {
                LinkNotice::Event { name, data } => match inbound::decode(&name, data) {
                    Ok(item) => batch.push(item),
                    Err(e) => {
                        let n = inner.malformed.fetch_add(1, Ordering::Relaxed) + 1;
                        tracing::warn!(error = %e, dropped_so_far = n, "dropped a malformed server event");
                    }
                },
                LinkNotice::Connected { generation } => {
                    apply_batch(&inner, std::mem::take(&mut batch));
                    if let Some(t) = sync_task.take() {
                        t.abort();
                    }
                    *lock(&inner.session) = Session {
                        generation,
                        ..Session::default()
                    };
                    sync_task = Some(tokio::spawn(sync::run(inner.clone(), generation)));
                }
                LinkNotice::Disconnected { .. } => {
                    apply_batch(&inner, std::mem::take(&mut batch));
                    if let Some(t) = sync_task.take() {
                        t.abort();
                    }
                    *lock(&inner.session) = Session::default();
                }
            }
        }
        apply_batch(&inner, batch);
    }
    if let Some(t) = sync_task.take() {
        t.abort();
    }
}

fn apply_batch(inner: &Arc<Inner>, batch: Vec<inbound::Inbound>) {
    if batch.is_empty() {
        return;
    }
    let me = inner.me_id();
    let live = lock(&inner.session).live.clone();
    let result = inner
        .store()
        .write(|tx| inbound::apply(tx, &me, &live, &mut lock(&inner.seen), batch));
    match result {
        Ok(applied) => {
            sync::join_opened(inner, &applied.changes, applied.to_join, applied.unknown_chats);
            for c in applied.changes {
                inner.publish(c);
            }
        }
        Err(e) => tracing::error!(error = %e, "could not store server events"),
    }
}
