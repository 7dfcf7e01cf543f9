//! The timeline's pure view logic, beside the state it reads: who wrote a
//! message as the timeline tells them apart, the rows of a window of
//! messages (day separators, the "new" marker), and the status classes.
//! No Dioxus here; the conversation's components render what this decides.

use switchboard_model::LocalMessage;
use switchboard_protocol::{ChatStatus, SenderType};

use crate::i18n::{CivilDay, Lang};

/// Who wrote a message, as the timeline tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    /// The visitor.
    Visitor,
    /// Me.
    Me,
    /// Another agent.
    OtherAgent,
    /// The server (accepted, closed…).
    System,
}

/// Classifies a message for agent `me`.
pub fn author(m: &LocalMessage, me: &str) -> Author {
    match m.sender_type {
        SenderType::Visitor => Author::Visitor,
        SenderType::System => Author::System,
        SenderType::Agent if m.sender_id == me => Author::Me,
        SenderType::Agent => Author::OtherAgent,
    }
}

/// A row of the rendered timeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    /// A day starts.
    Day(String),
    /// Where I had read up to.
    NewMarker,
    /// A message.
    Message(Box<LocalMessage>),
}

/// Where the "new" marker goes in `messages`: before the first message of
/// someone else (not a system line) after my read marker, and after my own
/// last message there, since writing a reply means I read what came before.
pub fn new_marker_at(messages: &[LocalMessage], read_marker: Option<&str>, me: &str) -> Option<usize> {
    let marker = read_marker?;
    let read = messages
        .iter()
        .position(|m| m.message_id.as_deref() == Some(marker))?;
    let mine = messages[read + 1..]
        .iter()
        .rposition(|m| author(m, me) == Author::Me)
        .map_or(read, |j| read + 1 + j);
    messages[mine + 1..]
        .iter()
        .position(|m| !matches!(author(m, me), Author::Me | Author::System))
        .map(|j| mine + 1 + j)
}

/// The rows of a window of messages: day separators before each new local
/// day and the "new" marker (see [`new_marker_at`]).
pub fn rows(
    lang: Lang,
    messages: &[LocalMessage],
    read_marker: Option<&str>,
    me: &str,
    offset_minutes: i64,
    now_ms: i64,
) -> Vec<Row> {
    let today = CivilDay::of(now_ms, offset_minutes);
    let new_at = new_marker_at(messages, read_marker, me);
    let mut out = Vec::with_capacity(messages.len() + 4);
    let mut last_day = None;
    for (i, m) in messages.iter().enumerate() {
        let day = m
            .sent_at
            .as_deref()
            .and_then(switchboard_protocol::time::parse_millis)
            .map(|ms| CivilDay::of(ms, offset_minutes))
            .unwrap_or(today);
        if last_day != Some(day) {
            out.push(Row::Day(lang.day(day, today)));
            last_day = Some(day);
        }
        if new_at == Some(i) {
            out.push(Row::NewMarker);
        }
        out.push(Row::Message(Box::new(m.clone())));
    }
    out
}

/// The CSS class of a chat status.
pub fn status_class(s: ChatStatus) -> &'static str {
    match s {
        ChatStatus::Pending => "pending",
        ChatStatus::InProgress => "in-progress",
        ChatStatus::Closed => "closed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: &str, at: &str, sender: &str, kind: SenderType) -> LocalMessage {
        switchboard_model::fixtures::message(id)
            .from(sender, kind)
            .at(at)
            .build()
    }

    #[test]
    fn rows_have_day_separators_and_the_new_marker() {
        let msgs = vec![
            m("1", "2026-11-22T10:00:00.000Z", "v", SenderType::Visitor),
            m("2", "2026-11-23T10:00:00.000Z", "v", SenderType::Visitor),
            m("3", "2026-11-23T10:01:00.000Z", "me", SenderType::Agent),
            m("4", "2026-11-24T09:00:00.000Z", "v", SenderType::Visitor),
        ];
        let now = switchboard_protocol::time::parse_millis("2026-11-24T12:00:00.000Z").unwrap();
        let r = rows(Lang::En, &msgs, Some("3"), "me", 0, now);
        let shape: Vec<String> = r
            .iter()
            .map(|r| match r {
                Row::Day(d) => format!("day:{d}"),
                Row::NewMarker => "new".into(),
                Row::Message(m) => m.message_id.clone().unwrap(),
            })
            .collect();
        assert_eq!(
            shape,
            [
                "day:November 22, 2026",
                "1",
                "day:Yesterday",
                "2",
                "3",
                "day:Today",
                "new",
                "4"
            ]
        );
    }

    #[test]
    fn my_own_reply_moves_the_new_marker_past_it() {
        let msgs = vec![
            m("1", "2026-11-24T10:00:00.000Z", "v", SenderType::Visitor),
            m("2", "2026-11-24T10:01:00.000Z", "v", SenderType::Visitor),
            m("3", "2026-11-24T10:02:00.000Z", "me", SenderType::Agent),
            m("4", "2026-11-24T10:03:00.000Z", "c", SenderType::System),
            m("5", "2026-11-24T10:04:00.000Z", "v", SenderType::Visitor),
        ];
        // Read up to 1; I replied at 3: only 5 is new.
        assert_eq!(new_marker_at(&msgs, Some("1"), "me"), Some(4));
        // Nothing after my reply but a system line: no marker at all.
        assert_eq!(new_marker_at(&msgs[..4], Some("1"), "me"), None);
        // Without a reply of mine, the first message after the marker.
        assert_eq!(new_marker_at(&msgs, Some("1"), "someone else"), Some(1));
        // A marker outside the window, or none: no line.
        assert_eq!(new_marker_at(&msgs[1..], Some("1"), "me"), None);
        assert_eq!(new_marker_at(&msgs, None, "me"), None);
        let r = rows(Lang::En, &msgs, Some("1"), "me", 0, 0);
        let new = r.iter().position(|r| *r == Row::NewMarker).unwrap();
        assert!(
            matches!(&r[new + 1], Row::Message(m) if m.message_id.as_deref() == Some("5")),
            "{r:?}"
        );
    }

    #[test]
    fn authors_are_told_apart() {
        let v = m("1", "t", "v", SenderType::Visitor);
        let mine = m("2", "t", "me", SenderType::Agent);
        let theirs = m("3", "t", "ana", SenderType::Agent);
        let sys = m("4", "t", "c", SenderType::System);
        assert_eq!(author(&v, "me"), Author::Visitor);
        assert_eq!(author(&mine, "me"), Author::Me);
        assert_eq!(author(&theirs, "me"), Author::OtherAgent);
        assert_eq!(author(&sys, "me"), Author::System);
    }

    #[test]
    fn statuses_have_their_classes() {
        assert_eq!(status_class(ChatStatus::Pending), "pending");
        assert_eq!(status_class(ChatStatus::InProgress), "in-progress");
        assert_eq!(status_class(ChatStatus::Closed), "closed");
    }
}
