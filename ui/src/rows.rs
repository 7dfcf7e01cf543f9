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

/// The rows of a window of messages: day separators before each new local
/// day and the "new" marker after the read marker.
pub fn rows(
    lang: Lang,
    messages: &[LocalMessage],
    read_marker: Option<&str>,
    offset_minutes: i64,
    now_ms: i64,
) -> Vec<Row> {
    let today = CivilDay::of(now_ms, offset_minutes);
    let mut out = Vec::with_capacity(messages.len() + 4);
    let mut last_day = None;
    let mut after_marker = false;
    for m in messages {
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
        if after_marker && m.sender_type != SenderType::System {
            out.push(Row::NewMarker);
            after_marker = false;
        }
        if read_marker.is_some() && m.message_id.as_deref() == read_marker {
            after_marker = true;
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
        let r = rows(Lang::En, &msgs, Some("3"), 0, now);
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
