//! Presence (sockets per agent, the status each chose) and the queue and
//! team numbers of `stats:update`.

use super::*;

impl Core {
    // ------------------------------------------------------------ presence

    /// An agent's socket connected; tells `agents` if it came online.
    pub fn agent_connected(&self, agent_id: &str) {
        let became = {
            let mut p = lock(&self.presence);
            let st = p.entry(agent_id.to_owned()).or_default();
            st.sockets += 1;
            (st.sockets == 1).then(|| st.status())
        };
        if let Some(status) = became {
            self.emit_presence(agent_id, status);
            if status == Presence::Online {
                self.drain_queue();
            }
            self.refresh_stats();
        }
    }

    /// An agent's socket disconnected; tells `agents` if it went offline.
    pub fn agent_disconnected(&self, agent_id: &str) {
        let gone = {
            let mut p = lock(&self.presence);
            let st = p.entry(agent_id.to_owned()).or_default();
            st.sockets = st.sockets.saturating_sub(1);
            st.sockets == 0
        };
        if gone {
            self.emit_presence(agent_id, Presence::Offline);
            self.refresh_stats();
        }
    }

    /// An agent chose online, away or busy.
    pub fn set_presence(&self, agent_id: &str, status: Presence) {
        let changed = {
            let mut p = lock(&self.presence);
            let st = p.entry(agent_id.to_owned()).or_default();
            let before = st.status();
            st.chosen = Some(status);
            (before != st.status()).then(|| st.status())
        };
        if let Some(status) = changed {
            self.emit_presence(agent_id, status);
            if status == Presence::Online {
                self.drain_queue();
                self.refresh_stats();
            }
        }
    }

    fn emit_presence(&self, agent_id: &str, status: Presence) {
        let ev = PresenceEvent {
            user_id: agent_id.to_owned(),
            status,
            timestamp: format_millis(now_ms()),
        };
        self.emit(vec![AGENTS_ROOM.into()], None, server::USER_PRESENCE, &ev);
    }

    /// An agent's presence now.
    pub fn presence_of(&self, agent_id: &str) -> Presence {
        lock(&self.presence)
            .get(agent_id)
            .copied()
            .unwrap_or_default()
            .status()
    }

    /// Everyone's presence now, offline agents included (by name); with
    /// v2.1, each one's `maxChats` and open chats too.
    pub fn agents_presence(&self) -> Result<Vec<proto::AgentPresence>> {
        let (agents, load) = {
            let db = self.db();
            (db.agents()?, db.assign_candidates()?)
        };
        let p = lock(&self.presence);
        Ok(agents
            .into_iter()
            .map(|a| {
                let l = load.iter().find(|l| l.id == a.id).filter(|_| self.v21());
                proto::AgentPresence {
                    status: p.get(&a.id).copied().unwrap_or_default().status(),
                    max_chats: l.map(|l| l.max_chats),
                    open_chats: l.map(|l| l.open_chats),
                    id: a.id,
                    name: a.name,
                }
            })
            .collect())
    }

    // ------------------------------------------------------------ stats

    /// The queue and team numbers now.
    pub fn stats(&self) -> Result<Stats> {
        let day_start = {
            let now = now_ms();
            now - now.rem_euclid(86_400_000)
        };
        let mut s = self.db().stats(day_start)?;
        s.agents_online = lock(&self.presence).values().filter(|p| p.sockets > 0).count() as u64;
        Ok(s)
    }

    /// Sends `stats:update` to `agents` if a number changed since the last one.
    pub fn refresh_stats(&self) {
        let Ok(s) = self.stats() else { return };
        let mut last = lock(&self.last_stats);
        if *last != Some(s) {
            *last = Some(s);
            self.emit(vec![AGENTS_ROOM.into()], None, server::STATS_UPDATE, &s);
        }
    }
}
