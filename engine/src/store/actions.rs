//! Queued agent actions (the outbox's other half): stored with what they
//! change, laid over the server's state by the `chats_now` view, picked in
//! one order with the messages, and kept when refused.

use switchboard_model::actions::{ActionKind, ActionState, QueuedAction};

use super::*;

/// The next place in the outbox's one order (messages and actions).
pub fn next_seq(tx: &Connection) -> Result<i64> {
    Ok(tx
        .prepare_cached(
            "SELECT COALESCE(MAX(m), 0) + 1 FROM
               (SELECT MAX(seq) AS m FROM outbox UNION ALL SELECT MAX(seq) FROM actions)",
        )?
        .query_row([], |r| r.get(0))?)
}

/// What an action changes in its chat as shown until the server answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overlay {
    /// Status and holder once it applies.
    pub status: Option<(ChatStatus, Option<String>)>,
    /// Tags once it applies.
    pub tags: Option<Vec<String>>,
}

/// Queues an action after everything already in the outbox.
pub fn enqueue_action(tx: &Connection, a: &QueuedAction, overlay: &Overlay) -> Result<()> {
    let seq = next_seq(tx)?;
    let kind = serde_json::to_string(&a.action).unwrap_or_default();
    let (status, assignee) = match &overlay.status {
        Some((s, who)) => (Some(s.as_str()), who.as_deref()),
        None => (None, None),
    };
    let tags = overlay.tags.as_ref().and_then(|t| serde_json::to_string(t).ok());
    tx.prepare_cached(
        "INSERT INTO actions (id, seq, chat_id, kind, new_status, new_assignee, new_tags, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        a.id,
        seq,
        a.chat_id,
        kind,
        status,
        assignee,
        tags,
        a.created_at
    ])?;
    Ok(())
}

const ACTION_COLS: &str = "id, chat_id, kind, state, error, attempts, created_at";

fn action_row(r: &Row<'_>) -> rusqlite::Result<QueuedAction> {
    let kind: String = r.get(2)?;
    let state: String = r.get(3)?;
    Ok(QueuedAction {
        id: r.get(0)?,
        chat_id: r.get(1)?,
        action: serde_json::from_str(&kind).map_err(|_| corrupt("action", &kind))?,
        state: match state.as_str() {
            "pending" => ActionState::Pending,
            "refused" => ActionState::Refused,
            _ => return Err(corrupt("action state", &state)),
        },
        error: r.get(4)?,
        attempts: r.get::<_, i64>(5)? as u32,
        created_at: r.get(6)?,
    })
}

/// The queued actions (of one chat, or all), in order.
pub fn actions(conn: &Connection, chat_id: Option<&str>) -> Result<Vec<QueuedAction>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {ACTION_COLS} FROM actions WHERE (?1 IS NULL OR chat_id = ?1) ORDER BY seq"
    ))?;
    let rows = st.query_map([chat_id], action_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One queued action.
pub fn action(conn: &Connection, id: &str) -> Result<Option<QueuedAction>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {ACTION_COLS} FROM actions WHERE id = ?1"))?
        .query_row([id], action_row)
        .optional()?)
}

/// What the outbox worker sends next.
#[derive(Debug, Clone, PartialEq)]
pub enum Queued {
    /// A message (its `clientMessageId`).
    Message(String),
    /// An action.
    Action(QueuedAction),
}

/// The first item of the outbox's one order that may go: pending, and not
/// behind a refused action of its chat.
pub fn next_queued(conn: &Connection) -> Result<Option<Queued>> {
    let row: Option<(String, String)> = conn
        .prepare_cached(
            "SELECT k, id FROM (
               SELECT 'm' AS k, client_message_id AS id, seq FROM outbox o WHERE o.state = 'pending'
                 AND NOT EXISTS (SELECT 1 FROM actions r WHERE r.chat_id = o.chat_id
                                 AND r.state = 'refused' AND r.seq < o.seq)
               UNION ALL
               SELECT 'a', id, seq FROM actions a WHERE a.state = 'pending'
                 AND NOT EXISTS (SELECT 1 FROM actions r WHERE r.chat_id = a.chat_id
                                 AND r.state = 'refused' AND r.seq < a.seq))
             ORDER BY seq LIMIT 1",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row {
        None => Ok(None),
        Some((k, id)) if k == "m" => Ok(Some(Queued::Message(id))),
        Some((_, id)) => Ok(action(conn, &id)?.map(Queued::Action)),
    }
}

/// The server applied an action: it leaves the outbox.
pub fn action_done(tx: &Connection, id: &str) -> Result<()> {
    tx.prepare_cached("DELETE FROM actions WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Records a failed attempt; `refused` keeps the action refused (undone,
/// holding its chat's later items) with the server's reason.
pub fn action_failed(tx: &Connection, id: &str, error: &str, refused: bool) -> Result<()> {
    tx.prepare_cached(
        "UPDATE actions SET attempts = attempts + 1, error = ?2,
             state = CASE WHEN ?3 THEN 'refused' ELSE state END WHERE id = ?1",
    )?
    .execute(params![id, error, refused])?;
    Ok(())
}

/// Lets a refused action go (its chat's held items may then be sent).
/// Returns it, or `None` when there was no refused action with that id.
pub fn dismiss_action(tx: &Connection, id: &str) -> Result<Option<QueuedAction>> {
    let Some(a) = action(tx, id)?.filter(|a| a.state == ActionState::Refused) else {
        return Ok(None);
    };
    tx.prepare_cached("DELETE FROM actions WHERE id = ?1")?
        .execute([id])?;
    Ok(Some(a))
}

/// A created canned response got its server id: later queued edits of it
/// carry that id too.
pub fn canned_created(tx: &Connection, local_id: &str, server_id: &str) -> Result<()> {
    let rows: Vec<(String, String)> = tx
        .prepare_cached("SELECT id, kind FROM actions WHERE chat_id IS NULL AND state = 'pending'")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, kind) in rows {
        let Ok(mut k) = serde_json::from_str::<ActionKind>(&kind) else {
            continue;
        };
        let changed = match &mut k {
            ActionKind::CannedPut {
                local_id: l,
                server_id: s,
                ..
            } if l == local_id => {
                *s = Some(server_id.to_owned());
                true
            }
            _ => false,
        };
        if changed {
            tx.prepare_cached("UPDATE actions SET kind = ?2 WHERE id = ?1")?
                .execute(params![id, serde_json::to_string(&k).unwrap_or(kind)])?;
        }
    }
    // The server's row replaces the local one (a refresh may have brought
    // it already).
    tx.prepare_cached("DELETE FROM canned WHERE id = ?1")?
        .execute([local_id])?;
    Ok(())
}

/// A canned edit was refused: the later pending edits of the same entry
/// would build on it, so they are refused too. Returns their ids.
pub fn refuse_later_canned_edits(tx: &Connection, refused: &QueuedAction) -> Result<Vec<String>> {
    let key = |k: &ActionKind| match k {
        ActionKind::CannedPut {
            local_id, server_id, ..
        } => Some(server_id.clone().unwrap_or_else(|| local_id.clone())),
        ActionKind::CannedDelete { server_id } => Some(server_id.clone()),
        _ => None,
    };
    let Some(entry) = key(&refused.action) else {
        return Ok(Vec::new());
    };
    let local = match &refused.action {
        ActionKind::CannedPut { local_id, .. } => Some(local_id.clone()),
        _ => None,
    };
    let mut out = Vec::new();
    for a in actions(tx, None)? {
        if a.id == refused.id || a.state != ActionState::Pending || a.created_at < refused.created_at {
            continue;
        }
        let same = key(&a.action).is_some_and(|k| k == entry || Some(&k) == local.as_ref())
            || matches!(&a.action, ActionKind::CannedPut { local_id, .. } if Some(local_id) == local.as_ref());
        if same {
            action_failed(
                tx,
                &a.id,
                "an earlier change of this canned response did not apply",
                true,
            )?;
            out.push(a.id);
        }
    }
    Ok(out)
}

/// Takes a pending action that waits behind a refused one (or a refused
/// one) out of the outbox. Returns it, or `None` when no such action.
pub fn discard_action(tx: &Connection, id: &str) -> Result<Option<QueuedAction>> {
    let Some(a) = action(tx, id)? else { return Ok(None) };
    let held: bool = tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM actions r, actions a WHERE a.id = ?1 AND r.chat_id = a.chat_id
             AND r.state = 'refused' AND r.seq < a.seq)",
        )?
        .query_row([id], |r| r.get(0))?;
    if a.state != ActionState::Refused && !held {
        return Ok(None);
    }
    tx.prepare_cached("DELETE FROM actions WHERE id = ?1")?
        .execute([id])?;
    Ok(Some(a))
}

/// How many of a chat's actions wait behind a refused one.
pub fn held_actions(conn: &Connection, chat_id: &str) -> Result<u32> {
    Ok(conn
        .prepare_cached(
            "SELECT COUNT(*) FROM actions a WHERE a.chat_id = ?1 AND a.state = 'pending'
               AND EXISTS (SELECT 1 FROM actions r WHERE r.chat_id = a.chat_id
                           AND r.state = 'refused' AND r.seq < a.seq)",
        )?
        .query_row([chat_id], |r| r.get::<_, i64>(0))? as u32)
}

/// Lays the pending canned-response edits over the held list (after it was
/// replaced with the server's), so they show until they are sent.
pub fn reapply_canned_edits(tx: &Connection, now_ms: i64) -> Result<()> {
    for a in actions(tx, None)?
        .into_iter()
        .filter(|a| a.state == ActionState::Pending)
    {
        match a.action {
            ActionKind::CannedPut {
                local_id,
                server_id,
                shortcut,
                title,
                content,
                scope,
            } => put_canned(
                tx,
                &switchboard_protocol::Canned {
                    id: server_id.unwrap_or(local_id),
                    shortcut,
                    title,
                    content,
                    scope,
                    updated_at: format_millis(now_ms),
                },
            )?,
            ActionKind::CannedDelete { server_id } => {
                tx.prepare_cached("DELETE FROM canned WHERE id = ?1")?
                    .execute([server_id])?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Stores (or replaces) one canned response in the held list.
pub fn put_canned(tx: &Connection, c: &switchboard_protocol::Canned) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO canned (id, shortcut, title, content, scope, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET shortcut = ?2, title = ?3, content = ?4, scope = ?5, updated_at = ?6",
    )?
    .execute(params![
        c.id,
        c.shortcut,
        c.title,
        c.content,
        c.scope.as_str(),
        chats::ms(&c.updated_at)
    ])?;
    Ok(())
}
