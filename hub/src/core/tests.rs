//! The hub's rules on a real core and a real (in-memory) SQLite store,
//! without a server: automatic assignment (capacity, ties, the queue
//! draining, presence), transfer, reopen, tags, canned responses, a
//! visitor's history and read sync. A socket connecting is
//! [`Core::agent_connected`], which is what the socket layer calls.

use super::*;
use crate::store::View;

struct Hub {
    core: Core,
}

fn hub_with(protocol: Protocol) -> Hub {
    let (_layer, io) = SocketIo::builder().build_layer();
    let store = Store::open_in_memory().unwrap();
    let tokens = Tokens::new(b"a test secret of some length....", 3600);
    Hub {
        core: Core::new(store, io, tokens, Limits::default(), protocol),
    }
}

fn hub() -> Hub {
    hub_with(Protocol::V21)
}

impl Hub {
    /// An agent (no password hashing: nobody logs in here).
    fn agent(&self, id: &str) -> Principal {
        let a = proto::Agent {
            id: format!("00000000-0000-4000-8000-00000000000{id}"),
            name: format!("Agent {id}"),
            email: format!("{id}@example.com"),
            role: "agent".into(),
        };
        self.core.db().insert_agent(&a, "-", 0).unwrap();
        Principal::Agent(a)
    }

    fn online(&self, who: &Principal, max_chats: u32) {
        self.core.agent_connected(who.id());
        let a = who.agent().unwrap();
        assert_eq!(
            self.core.set_max_chats(a, max_chats).unwrap().max_chats,
            Some(max_chats)
        );
    }

    fn visitor(&self, name: &str, email: Option<&str>) -> Principal {
        let (v, _) = self
            .core
            .create_visitor(name.into(), email.map(Into::into), None)
            .unwrap();
        Principal::Visitor(v)
    }

    /// A new visitor opens a chat; returns its id and who got it.
    fn new_chat(&self) -> (String, Option<String>) {
        let v = self.visitor("Vera", None);
        let c = self.core.open_chat(&v, None).unwrap();
        (c.chat_id, c.assignee_id)
    }

    fn holder(&self, chat_id: &str) -> (ChatStatus, Option<String>) {
        let c = self.core.db().chat(chat_id).unwrap().unwrap();
        (c.status, c.assignee_id)
    }

    fn open_chats(&self, who: &Principal) -> u32 {
        self.core
            .agents_presence()
            .unwrap()
            .into_iter()
            .find(|a| a.id == who.id())
            .unwrap()
            .open_chats
            .unwrap()
    }
}

fn id(p: &Principal) -> Option<String> {
    Some(p.id().to_owned())
}

// ---------------------------------------------------------------- assignment

#[test]
fn a_new_chat_goes_at_once_to_an_online_agent_with_room_until_it_is_full() {
    let h = hub();
    let a = h.agent("1");
    h.online(&a, 2);
    let (c1, got1) = h.new_chat();
    let (c2, got2) = h.new_chat();
    let (c3, got3) = h.new_chat();
    assert_eq!(
        (got1, got2),
        (id(&a), id(&a)),
        "the visitor's answer names the agent"
    );
    assert_eq!(h.holder(&c1).0, ChatStatus::InProgress);
    assert_eq!(h.holder(&c2).0, ChatStatus::InProgress);
    assert_eq!(got3, None, "a full agent gets no more");
    assert_eq!(h.holder(&c3), (ChatStatus::Pending, None));
    assert_eq!(h.open_chats(&a), 2);
    let (history, _) = h
        .core
        .history(
            &a,
            &c1,
            PageQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        history.last().unwrap().content,
        "Agent 1 joined the chat",
        "as if accepted"
    );
}

#[test]
fn the_agent_with_the_fewest_open_chats_gets_the_next_one() {
    let h = hub();
    let (a, b) = (h.agent("1"), h.agent("2"));
    h.online(&a, 5);
    let (first, _) = h.new_chat();
    assert_eq!(h.holder(&first).1, id(&a), "the only one online");
    h.online(&b, 5);
    assert_eq!(h.new_chat().1, id(&b), "b has none open");
    // One each now: a was assigned first, so a has waited longest.
    assert_eq!(h.new_chat().1, id(&a), "a tie goes to the oldest last assignment");
    assert_eq!(h.new_chat().1, id(&b));
    assert_eq!((h.open_chats(&a), h.open_chats(&b)), (2, 2));
}

#[test]
fn a_tie_between_agents_never_assigned_goes_by_id() {
    let h = hub();
    let (b, a) = (h.agent("2"), h.agent("1"));
    h.online(&b, 3);
    h.online(&a, 3);
    assert_eq!(
        h.new_chat().1,
        id(&a),
        "never assigned: oldest; then the smaller id"
    );
    assert_eq!(h.new_chat().1, id(&b));
}

#[test]
fn an_accept_counts_as_an_assignment_for_ties() {
    let h = hub();
    let (a, b) = (h.agent("1"), h.agent("2"));
    let (queued, _) = h.new_chat();
    h.core.accept(&a, &queued).unwrap();
    h.core.close(&a, &queued).unwrap();
    h.online(&a, 2);
    h.online(&b, 2);
    assert_eq!(h.new_chat().1, id(&b), "b was never assigned; a accepted a chat");
}

#[test]
fn away_busy_and_offline_agents_get_nothing_and_coming_online_drains_the_queue() {
    let h = hub();
    let a = h.agent("1");
    h.online(&a, 3);
    h.core.set_presence(a.id(), Presence::Away);
    let (c1, got) = h.new_chat();
    assert_eq!(got, None, "away");
    h.core.set_presence(a.id(), Presence::Busy);
    let (c2, _) = h.new_chat();
    assert_eq!(h.holder(&c2).0, ChatStatus::Pending, "busy");
    h.core.set_presence(a.id(), Presence::Online);
    assert_eq!(h.holder(&c1).1, id(&a), "back online: the queue drains");
    assert_eq!(h.holder(&c2).1, id(&a));
    h.core.agent_disconnected(a.id());
    let (c3, got) = h.new_chat();
    assert_eq!(got, None, "offline");
    h.core.agent_connected(a.id());
    assert_eq!(h.holder(&c3), (ChatStatus::InProgress, id(&a)), "a socket again");
}

#[test]
fn the_queue_drains_oldest_first_when_an_agent_closes_a_chat_or_gains_room() {
    let h = hub();
    let a = h.agent("1");
    h.online(&a, 1);
    let (held, _) = h.new_chat();
    let (older, _) = h.new_chat();
    let (newer, _) = h.new_chat();
    assert_eq!(h.holder(&older).0, ChatStatus::Pending);
    h.core.close(&a, &held).unwrap();
    assert_eq!(h.holder(&older).1, id(&a), "the oldest waiting chat first");
    assert_eq!(h.holder(&newer).0, ChatStatus::Pending);
    h.core.set_max_chats(a.agent().unwrap(), 2).unwrap();
    assert_eq!(h.holder(&newer).1, id(&a), "a higher maxChats");
    h.core.set_max_chats(a.agent().unwrap(), 0).unwrap();
    assert_eq!(h.new_chat().1, None, "0 turns it off");
}

#[test]
fn a_chat_sent_back_to_the_queue_never_goes_straight_back_to_its_sender() {
    let h = hub();
    let (a, b) = (h.agent("1"), h.agent("2"));
    h.online(&a, 3);
    let (chat, _) = h.new_chat();
    let back = h.core.transfer(&a, &chat, None).unwrap();
    assert_eq!((back.status, back.assignee_id), (ChatStatus::Pending, None));
    assert_eq!(
        h.holder(&chat).0,
        ChatStatus::Pending,
        "a has room, but sent it back"
    );
    h.online(&b, 3);
    assert_eq!(h.holder(&chat).1, id(&b), "the next agent with room takes it");
    // A transfer away gives a room: the queue drains to it, if allowed.
    h.core.set_max_chats(b.agent().unwrap(), 1).unwrap();
    let (waiting, _) = h.new_chat();
    assert_eq!(h.holder(&waiting).1, id(&a));
    let (waiting2, _) = h.new_chat();
    assert_eq!(h.holder(&waiting2).1, id(&a));
    let (waiting3, _) = h.new_chat();
    assert_eq!(h.holder(&waiting3).1, id(&a), "a now holds three");
    let (queued, _) = h.new_chat();
    assert_eq!(h.holder(&queued).0, ChatStatus::Pending, "both are full");
    // A transfer by hand may go past the target's automatic capacity, and
    // it frees a place for its sender: the queue drains to b.
    let s = h.core.transfer(&b, &chat, Some(a.id())).unwrap();
    assert_eq!(s.assignee_id, id(&a));
    assert_eq!(h.open_chats(&a), 4);
    assert_eq!(h.holder(&queued).1, id(&b));
}

#[test]
fn a_v2_hub_never_assigns() {
    let h = hub_with(Protocol::V2);
    let a = h.agent("1");
    h.core.agent_connected(a.id());
    h.core.db().set_max_chats(a.id(), 5).unwrap();
    h.core.drain_queue();
    assert_eq!(h.new_chat().1, None);
    let entry = h.core.agents_presence().unwrap().remove(0);
    assert_eq!((entry.max_chats, entry.open_chats), (None, None));
}

// ---------------------------------------------------------------- transfer, reopen

#[test]
fn transfer_rules_and_their_system_messages() {
    let h = hub();
    let (a, b) = (h.agent("1"), h.agent("2"));
    let (mine, _) = h.new_chat();
    let s = h.core.transfer(&a, &mine, Some(a.id())).unwrap();
    assert_eq!(
        s.last_message.unwrap().content,
        "Agent 1 joined the chat",
        "to myself: an accept"
    );
    let (chat, _) = h.new_chat();
    // Any agent may hand on a waiting chat.
    let s = h.core.transfer(&b, &chat, Some(a.id())).unwrap();
    assert_eq!(
        (s.status, s.assignee_id.clone()),
        (ChatStatus::InProgress, id(&a))
    );
    let e = h.core.transfer(&b, &chat, None).unwrap_err();
    assert_eq!(e.status.as_u16(), 403, "b does not hold it");
    let e = h
        .core
        .transfer(&a, &chat, Some("00000000-0000-4000-8000-000000000009"))
        .unwrap_err();
    assert_eq!(e.status.as_u16(), 404, "unknown agent");
    let e = h.core.transfer(&a, &chat, Some("nope")).unwrap_err();
    assert_eq!(e.status.as_u16(), 400);
    assert_eq!(
        h.holder(&chat),
        (ChatStatus::InProgress, id(&a)),
        "nothing changed"
    );
    h.core.transfer(&a, &chat, Some(b.id())).unwrap();
    // Sent again (its answer was lost): already so, not refused.
    let again = h.core.transfer(&a, &chat, Some(b.id())).unwrap();
    assert_eq!(again.assignee_id, id(&b));
    let (page, _) = h
        .core
        .history(
            &a,
            &chat,
            PageQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .unwrap();
    let texts: Vec<_> = page
        .iter()
        .map(|m| (m.sender_id.as_str(), m.content.as_str()))
        .collect();
    assert_eq!(
        texts,
        [
            ("system", "Agent 2 transferred the chat to Agent 1"),
            ("system", "Agent 1 transferred the chat to Agent 2")
        ]
    );
    let n = h.core.db().notifications(b.id(), true, 10).unwrap();
    assert_eq!(n[0].title, "Chat transferred to you");
    assert_eq!(n[0].data.as_ref().unwrap()["chatId"], chat.as_str());
    h.core.close(&b, &chat).unwrap();
    assert_eq!(h.core.transfer(&b, &chat, None).unwrap_err().status.as_u16(), 409);
}

#[test]
fn reopen_gives_a_closed_chat_back_to_the_caller() {
    let h = hub();
    let (a, b) = (h.agent("1"), h.agent("2"));
    let (chat, _) = h.new_chat();
    assert_eq!(
        h.core.reopen(&a, &chat).unwrap_err().status.as_u16(),
        409,
        "not closed"
    );
    h.core.accept(&a, &chat).unwrap();
    h.core.close(&a, &chat).unwrap();
    let s = h.core.reopen(&b, &chat).unwrap();
    assert_eq!((s.status, s.assignee_id), (ChatStatus::InProgress, id(&b)));
    assert_eq!(s.last_message.unwrap().content, "Agent 2 reopened the chat");
}

// ---------------------------------------------------------------- tags, history, read sync

#[test]
fn tags_are_stored_counted_filtered_and_hidden_from_visitors() {
    let h = hub();
    let a = h.agent("1");
    let (c1, _) = h.new_chat();
    let (c2, _) = h.new_chat();
    let s = h
        .core
        .set_tags(&a, &c1, vec!["VIP".into(), "billing".into()])
        .unwrap();
    assert_eq!(s.tags.unwrap(), ["VIP", "billing"]);
    h.core.set_tags(&a, &c2, vec!["vip".into()]).unwrap();
    let counts = h.core.db().tag_counts().unwrap();
    assert_eq!(
        (counts[0].name.to_lowercase(), counts[0].count),
        ("vip".into(), 2)
    );
    assert_eq!((counts[1].name.as_str(), counts[1].count), ("billing", 1));
    let tagged = h.core.list_chats(&a, None, None, Some("Billing"), 10).unwrap();
    assert_eq!(
        tagged.iter().map(|c| c.chat_id.as_str()).collect::<Vec<_>>(),
        [c1.as_str()]
    );
    let row = h.core.db().chat(&c1).unwrap().unwrap();
    let seen = h.core.db().summary(row, View::Visitor).unwrap();
    assert_eq!(seen.tags, None);
    h.core.set_tags(&a, &c1, vec![]).unwrap();
    assert_eq!(
        h.core.db().tag_counts().unwrap().len(),
        1,
        "a tag on no chat is not listed"
    );
}

#[test]
fn a_visitors_history_includes_the_same_email_in_any_case_newest_first() {
    let h = hub();
    let a = h.agent("1");
    let v1 = h.visitor("Ana", Some("ana@example.com"));
    let v2 = h.visitor("Ana B", Some("ANA@example.com"));
    let other = h.visitor("Otto", Some("otto@example.com"));
    let first = h.core.open_chat(&v1, None).unwrap().chat_id;
    let second = h.core.open_chat(&v2, None).unwrap().chat_id;
    h.core.open_chat(&other, None).unwrap();
    let chats = h.core.visitor_history(&a, v1.id()).unwrap();
    let ids: Vec<_> = chats.iter().map(|c| c.chat_id.clone()).collect();
    assert_eq!(ids, [second, first]);
    assert_eq!(
        h.core
            .visitor_history(&a, "00000000-0000-4000-8000-000000000009")
            .unwrap_err()
            .status
            .as_u16(),
        404
    );
    assert_eq!(
        h.core.visitor_history(&v1, v1.id()).unwrap_err().status.as_u16(),
        403
    );
}

#[test]
fn a_moved_read_marker_changes_updated_at_for_its_reader_only() {
    let h = hub();
    let (a, b) = (h.agent("1"), h.agent("2"));
    let v = h.visitor("Vera", None);
    let chat = h.core.open_chat(&v, None).unwrap().chat_id;
    let (m, _) = h
        .core
        .send_message(
            &v,
            SendMessageRequest {
                chat_id: chat.clone(),
                content: "hola".into(),
                kind: MessageType::Text,
                is_internal: false,
                attachment: None,
                client_message_id: None,
            },
        )
        .unwrap();
    let changed = h.core.db().chat(&chat).unwrap().unwrap().updated_at;
    // Read strictly later than the chat's last change.
    let mut now = now_ms();
    while now <= changed {
        now = now_ms();
    }
    h.core.mark_read(&a, &chat, &m.message_id).unwrap();
    let since = Some(changed + 1);
    let mine = h.core.list_chats(&a, None, since, None, 10).unwrap();
    assert_eq!(mine.len(), 1, "a's marker moved after the chat changed");
    let marker = mine[0].my_read_marker.clone().unwrap();
    assert_eq!(marker.message_id, m.message_id);
    assert_eq!(mine[0].updated_at, marker.read_at);
    assert!(
        h.core.list_chats(&b, None, since, None, 10).unwrap().is_empty(),
        "b sees no change"
    );
    let theirs = h.core.list_chats(&b, None, None, None, 10).unwrap();
    assert_eq!(theirs[0].my_read_marker, None);
}

// ---------------------------------------------------------------- canned

#[test]
fn canned_responses_are_the_teams_and_my_own() {
    let h = hub();
    let (a, b) = (h.agent("1"), h.agent("2"));
    let (aa, ba) = (a.agent().unwrap(), b.agent().unwrap());
    let new = |shortcut: &str, scope| proto::NewCanned {
        shortcut: shortcut.into(),
        title: "Hi".into(),
        content: "Hola {{visitor.name|there}}".into(),
        scope,
    };
    let team = h
        .core
        .create_canned(aa, new("hi", proto::CannedScope::Team))
        .unwrap();
    let mine = h
        .core
        .create_canned(aa, new("hi", proto::CannedScope::Personal))
        .unwrap();
    assert_eq!(mine.content, "Hola {{visitor.name|there}}", "stored as written");
    let dup = h
        .core
        .create_canned(aa, new("hi", proto::CannedScope::Team))
        .unwrap_err();
    assert_eq!(dup.status.as_u16(), 409);
    h.core
        .create_canned(ba, new("hi", proto::CannedScope::Personal))
        .unwrap();
    assert_eq!(h.core.canned(aa).unwrap().len(), 2, "the team's and a's own");
    assert_eq!(h.core.canned(ba).unwrap().len(), 2, "the team's and b's own");
    let e = h.core.delete_canned(ba, &mine.id).unwrap_err();
    assert_eq!(e.status.as_u16(), 404, "another agent's personal one");
    let edited = h
        .core
        .update_canned(
            ba,
            &team.id,
            CannedPatch {
                title: Some("Hello".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!((edited.title.as_str(), edited.shortcut.as_str()), ("Hello", "hi"));
    h.core.delete_canned(ba, &team.id).unwrap();
    assert_eq!(h.core.canned(aa).unwrap().len(), 1);
}
