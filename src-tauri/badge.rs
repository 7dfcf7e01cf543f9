//! What the tray shows (the unread total, the link, my presence), published
//! by the account's change forwarder and the notifier and shown by the
//! tray. A watch channel in the app's state: the publishers never call the
//! tray, and the tray, when there is one, follows the latest value.

use std::sync::atomic::{AtomicBool, Ordering};

use switchboard_model::ConnectionState;
use switchboard_protocol::Presence;
use tokio::sync::watch;

/// What the tray should show now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadgeState {
    /// Unread over all open chats (the engine's total).
    pub total: u64,
    /// The link.
    pub link: ConnectionState,
    /// My presence, once known.
    pub presence: Option<Presence>,
}

/// The app's one badge.
#[derive(Debug)]
pub struct Badge {
    tx: watch::Sender<BadgeState>,
    shown: AtomicBool,
}

impl Default for Badge {
    fn default() -> Self {
        Self {
            tx: watch::Sender::new(BadgeState {
                total: 0,
                link: ConnectionState::Offline,
                presence: None,
            }),
            shown: AtomicBool::new(false),
        }
    }
}

impl Badge {
    /// The unread total and the link state changed.
    pub fn set_unread(&self, total: u64, link: &ConnectionState) {
        self.tx.send_if_modified(|s| {
            let changed = s.total != total || s.link != *link;
            s.total = total;
            s.link = link.clone();
            changed
        });
    }

    /// My presence changed.
    pub fn set_presence(&self, presence: Presence) {
        self.tx.send_if_modified(|s| {
            let changed = s.presence != Some(presence);
            s.presence = Some(presence);
            changed
        });
    }

    /// Follows what the tray should show.
    pub fn subscribe(&self) -> watch::Receiver<BadgeState> {
        self.tx.subscribe()
    }

    /// Whether a tray shows the badge (closing to the tray makes sense).
    pub fn shown(&self) -> bool {
        self.shown.load(Ordering::SeqCst)
    }

    /// The tray says it is there.
    pub fn mark_shown(&self) {
        self.shown.store(true, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_real_change_wakes_the_tray() {
        let badge = Badge::default();
        let mut rx = badge.subscribe();
        badge.set_unread(0, &ConnectionState::Offline);
        assert!(!rx.has_changed().unwrap(), "the same state is no change");
        badge.set_unread(3, &ConnectionState::Online);
        assert!(rx.has_changed().unwrap());
        assert_eq!(rx.borrow_and_update().total, 3);
        badge.set_presence(Presence::Busy);
        assert_eq!(rx.borrow_and_update().presence, Some(Presence::Busy));
        badge.set_presence(Presence::Busy);
        assert!(!rx.has_changed().unwrap());
    }
}
