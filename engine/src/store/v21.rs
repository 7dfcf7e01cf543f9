//! Protocol v2.1 in the cache: what the server offers, and its canned
//! responses (there offline; refreshed at sign-in and after each reconnect).

use switchboard_protocol::{Canned, CannedScope, Capabilities};

use super::*;

/// What the server offered when last asked; `None`: never asked yet.
pub fn capabilities(conn: &Connection) -> Result<Option<Capabilities>> {
    let row: Option<(String, String)> = conn
        .prepare_cached("SELECT version, features FROM capabilities WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((version, features)) = row else {
        return Ok(None);
    };
    let features = json_column("features", Some(features))?.unwrap_or_default();
    Ok(Some(Capabilities { version, features }))
}

/// Keeps what the server offers now.
pub fn set_capabilities(tx: &Connection, c: &Capabilities) -> Result<()> {
    // A list of strings always serializes.
    let features = serde_json::to_string(&c.features).unwrap_or_else(|_| "[]".to_owned());
    tx.prepare_cached(
        "INSERT INTO capabilities (id, version, features) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET version = ?1, features = ?2",
    )?
    .execute(params![c.version, features])?;
    Ok(())
}

/// The canned responses held, by shortcut (the team's before mine).
pub fn canned(conn: &Connection) -> Result<Vec<Canned>> {
    let mut st = conn.prepare_cached(
        "SELECT id, shortcut, title, content, scope, updated_at FROM canned
         ORDER BY shortcut, scope = 'personal', id",
    )?;
    let rows = st.query_map([], |r| {
        let scope: String = r.get(4)?;
        Ok(Canned {
            id: r.get(0)?,
            shortcut: r.get(1)?,
            title: r.get(2)?,
            content: r.get(3)?,
            scope: match scope.as_str() {
                "team" => CannedScope::Team,
                "personal" => CannedScope::Personal,
                _ => return Err(corrupt("scope", &scope)),
            },
            updated_at: format_millis(r.get(5)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Replaces the canned responses held with the server's list.
pub fn replace_canned(tx: &Connection, list: &[Canned]) -> Result<()> {
    tx.execute("DELETE FROM canned", [])?;
    let mut st = tx.prepare_cached(
        "INSERT INTO canned (id, shortcut, title, content, scope, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for c in list {
        st.execute(params![
            c.id,
            c.shortcut,
            c.title,
            c.content,
            c.scope.as_str(),
            chats::ms(&c.updated_at)
        ])?;
    }
    Ok(())
}

/// The team as last fetched, in the server's order.
pub fn agents(conn: &Connection) -> Result<Vec<switchboard_protocol::AgentPresence>> {
    let mut st =
        conn.prepare_cached("SELECT id, name, status, max_chats, open_chats FROM agents ORDER BY position")?;
    let rows = st.query_map([], |r| {
        let status: String = r.get(2)?;
        Ok(switchboard_protocol::AgentPresence {
            id: r.get(0)?,
            name: r.get(1)?,
            status: switchboard_protocol::Presence::parse(&status)
                .ok_or_else(|| corrupt("presence", &status))?,
            max_chats: r.get(3)?,
            open_chats: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Replaces the team held with the server's list.
pub fn replace_agents(tx: &Connection, list: &[switchboard_protocol::AgentPresence]) -> Result<()> {
    tx.execute("DELETE FROM agents", [])?;
    let mut st = tx.prepare_cached(
        "INSERT INTO agents (id, position, name, status, max_chats, open_chats) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (i, a) in list.iter().enumerate() {
        st.execute(params![
            a.id,
            i as i64,
            a.name,
            a.status.as_str(),
            a.max_chats,
            a.open_chats
        ])?;
    }
    Ok(())
}

/// Whether a summary's `myReadMarker` points at a message not held yet.
pub fn marker_missing(conn: &Connection, s: &switchboard_protocol::ChatSummary) -> Result<bool> {
    Ok(match &s.my_read_marker {
        Some(m) => message_position(conn, &m.message_id)?.is_none(),
        None => false,
    })
}

/// The tags on the chats held, most used first (ties by name), counted
/// case-insensitively under their most recent spelling: the tag list when
/// the server cannot be reached.
pub fn held_tags(conn: &Connection) -> Result<Vec<switchboard_protocol::TagCount>> {
    let mut st = conn.prepare_cached(
        "SELECT t.value, COUNT(*) AS n FROM chats, json_each(chats.tags) AS t
         WHERE chats.tags IS NOT NULL AND json_valid(chats.tags)
         GROUP BY lower(t.value) ORDER BY n DESC, lower(t.value)",
    )?;
    let rows = st.query_map([], |r| {
        Ok(switchboard_protocol::TagCount {
            name: r.get(0)?,
            count: r.get::<_, i64>(1)?.try_into().unwrap_or(0),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The held chats of a visitor and of visitors with the same e-mail
/// (case-insensitive), newest first: a visitor's history offline.
pub fn visitor_chats(conn: &Connection, visitor_id: &str, me: &str) -> Result<Vec<ChatEntry>> {
    let ids: Vec<String> = conn
        .prepare_cached(
            "SELECT chat_id FROM chats WHERE visitor_id = ?1
                OR (visitor_email IS NOT NULL AND lower(visitor_email) IN
                    (SELECT lower(visitor_email) FROM chats WHERE visitor_id = ?1 AND visitor_email IS NOT NULL))
             ORDER BY created_at DESC, chat_id",
        )?
        .query_map([visitor_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    chats::entries_of(conn, ids, me)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_and_canned_responses_round_trip() {
        let dir = std::env::temp_dir().join(format!("sb-store-{}", uuid::Uuid::new_v4()));
        let (mut s, _) = Store::open(&dir.join("cache.db")).unwrap();
        assert_eq!(capabilities(s.conn()).unwrap(), None, "never asked");
        let c = Capabilities {
            version: "2.1".into(),
            features: vec!["tags".into(), "canned".into()],
        };
        s.write(|tx| set_capabilities(tx, &c)).unwrap();
        assert_eq!(capabilities(s.conn()).unwrap(), Some(c));
        let entry = |id: &str, shortcut: &str, scope| Canned {
            id: id.into(),
            shortcut: shortcut.into(),
            title: "T".into(),
            content: "Hola {{visitor.name|}}".into(),
            scope,
            updated_at: format_millis(5),
        };
        let list = vec![
            entry("2", "hi", CannedScope::Personal),
            entry("1", "hi", CannedScope::Team),
            entry("3", "bye", CannedScope::Team),
        ];
        s.write(|tx| replace_canned(tx, &list)).unwrap();
        let held: Vec<_> = canned(s.conn()).unwrap().into_iter().map(|c| c.id).collect();
        assert_eq!(held, ["3", "1", "2"]);
        s.write(|tx| replace_canned(tx, &list[..1])).unwrap();
        assert_eq!(canned(s.conn()).unwrap().len(), 1, "replaced, not merged");
        // A creation's answer when a refresh already brought the server's row
        // beside the local one: one row, the server's.
        s.write(|tx| {
            put_canned(tx, &entry("local", "bye", CannedScope::Team))?;
            put_canned(tx, &entry("server", "bye", CannedScope::Team))?;
            canned_created(tx, "local", "server")
        })
        .unwrap();
        let ids: Vec<_> = canned(s.conn()).unwrap().into_iter().map(|c| c.id).collect();
        assert_eq!(ids, ["server", "2"]);
        drop(s);
        let _ = std::fs::remove_dir_all(dir);
    }
}
