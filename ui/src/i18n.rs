//! The UI's words in English and Spanish, and the time formats. The
//! language follows the OS unless the agent picks one.

use switchboard_model::{ConnectionState, InboxTab};
use switchboard_protocol::{ChatStatus, Presence};

/// A language of the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Spanish.
    Es,
}

impl Lang {
    /// From a BCP 47 tag (`es-ES`, `en_US.UTF-8`…); anything not Spanish is English.
    pub fn from_tag(tag: &str) -> Self {
        if tag.to_ascii_lowercase().starts_with("es") {
            Self::Es
        } else {
            Self::En
        }
    }

    /// The short code.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Es => "es",
        }
    }

    /// Picks the English or the Spanish text.
    pub fn pick(self, en: &'static str, es: &'static str) -> &'static str {
        match self {
            Self::En => en,
            Self::Es => es,
        }
    }

    /// A tab's name.
    pub fn tab(self, tab: InboxTab) -> &'static str {
        match tab {
            InboxTab::Mine => self.pick("Mine", "Míos"),
            InboxTab::Queue => self.pick("Queue", "Cola"),
            InboxTab::All => self.pick("All", "Todos"),
            InboxTab::Closed => self.pick("Closed", "Cerrados"),
        }
    }

    /// A chat status.
    pub fn status(self, s: ChatStatus) -> &'static str {
        match s {
            ChatStatus::Pending => self.pick("Pending", "Pendiente"),
            ChatStatus::InProgress => self.pick("In progress", "En curso"),
            ChatStatus::Closed => self.pick("Closed", "Cerrado"),
        }
    }

    /// A presence.
    pub fn presence(self, p: Presence) -> &'static str {
        match p {
            Presence::Online => self.pick("Online", "Disponible"),
            Presence::Away => self.pick("Away", "Ausente"),
            Presence::Busy => self.pick("Busy", "Ocupado"),
            Presence::Offline => self.pick("Offline", "Desconectado"),
        }
    }

    /// The link's state, as the header shows it.
    pub fn connection(self, s: &ConnectionState) -> String {
        match s {
            ConnectionState::Connecting => self.pick("Connecting…", "Conectando…").to_owned(),
            ConnectionState::Online => self.pick("Online", "En línea").to_owned(),
            ConnectionState::Reconnecting { next_in_ms, .. } => {
                let secs = next_in_ms.div_ceil(1000);
                match self {
                    Self::En => format!("Reconnecting in {secs} s"),
                    Self::Es => format!("Reconectando en {secs} s"),
                }
            }
            ConnectionState::Offline => self.pick("Offline", "Sin conexión").to_owned(),
            ConnectionState::NeedsLogin => self.pick("Session expired", "La sesión ha caducado").to_owned(),
        }
    }

    /// "Sam is writing a note…": a colleague's internal note (agents only).
    pub fn writing_note(self, who: &str) -> String {
        match self {
            Self::En => format!("{who} is writing a note…"),
            Self::Es => format!("{who} está escribiendo una nota…"),
        }
    }

    /// "Ana is typing…"
    pub fn typing(self, who: &str) -> String {
        match self {
            Self::En => format!("{who} is typing…"),
            Self::Es => format!("{who} está escribiendo…"),
        }
    }

    /// The composer's warning in a chat a colleague holds: in reply mode
    /// it says the visitor reads it too; a note stays among agents.
    pub fn held_by(self, who: &str, note: bool) -> String {
        match (self, note) {
            (Self::En, false) => {
                format!("{who} is handling this chat. What you send goes to the visitor too.")
            }
            (Self::En, true) => format!("{who} is handling this chat."),
            (Self::Es, false) => {
                format!("{who} está atendiendo este chat. Lo que envíes también le llega al visitante.")
            }
            (Self::Es, true) => format!("{who} está atendiendo este chat."),
        }
    }

    /// The "jump to latest" button's count: "3 new".
    pub fn newer(self, n: usize) -> String {
        match self {
            Self::En => format!("{n} new"),
            Self::Es => format!("{n} nuevos"),
        }
    }

    /// A chat's unsent text in the inbox: "Draft: …" ("Draft note: …").
    pub fn draft_prefix(self, note: bool) -> &'static str {
        if note {
            self.pick("Draft note: ", "Nota en borrador: ")
        } else {
            self.pick("Draft: ", "Borrador: ")
        }
    }

    /// A server's system line in this language: the hub writes them in
    /// English ("Alex closed the chat"); one it does not know stays as sent.
    pub fn system_line(self, line: &str) -> String {
        if self == Self::En {
            return line.to_owned();
        }
        let ends = [
            (" closed the chat", " cerró el chat"),
            (" joined the chat", " se unió al chat"),
            (" reopened the chat", " reabrió el chat"),
            (" returned the chat to the queue", " devolvió el chat a la cola"),
        ];
        for (en, es) in ends {
            if let Some(who) = line.strip_suffix(en).filter(|w| !w.is_empty()) {
                return format!("{who}{es}");
            }
        }
        // The hub's v2.1 transfer line: "Ana transferred the chat to Luis".
        if let Some((from, to)) = line
            .split_once(" transferred the chat to ")
            .filter(|(f, t)| !f.is_empty() && !t.is_empty())
        {
            return format!("{from} transfirió el chat a {to}");
        }
        // The seeds' older wording, from a plain v2 backend.
        if let Some(who) = line.strip_prefix("Chat closed by ").filter(|w| !w.is_empty()) {
            return format!("{who} cerró el chat");
        }
        line.to_owned()
    }

    /// A colleague's load in the transfer list: " · 2 open", or with a
    /// capacity for automatic assignment, " · 2/5 open".
    pub fn open_chats(self, open: u32, max: u32) -> String {
        let word = self.pick("open", "abiertos");
        if max > 0 {
            format!(" · {open}/{max} {word}")
        } else {
            format!(" · {open} {word}")
        }
    }

    /// "7 new messages in 3 chats"
    pub fn caught_up(self, messages: u64, chats: u64) -> String {
        match self {
            Self::En => format!(
                "{messages} new message{} in {chats} chat{} while you were away",
                plural(messages),
                plural(chats)
            ),
            Self::Es => format!(
                "{messages} mensaje{} nuevo{} en {chats} chat{} mientras no estabas",
                plural(messages),
                plural(messages),
                plural(chats)
            ),
        }
    }

    /// A time relative to now, for the inbox ("now", "5 min", "3 h", a date).
    pub fn relative(self, at_ms: i64, now_ms: i64) -> String {
        let secs = (now_ms - at_ms).max(0) / 1000;
        match secs {
            0..=44 => self.pick("now", "ahora").to_owned(),
            45..=3599 => format!("{} min", (secs + 30) / 60),
            3600..=86_399 => format!("{} h", secs / 3600),
            _ => {
                let days = secs / 86_400;
                match self {
                    Self::En => format!("{days} d"),
                    Self::Es => format!("{days} d"),
                }
            }
        }
    }

    /// How long a visitor has waited in the queue ("waiting 3 min").
    pub fn waiting(self, since_ms: i64, now_ms: i64) -> String {
        let mins = (now_ms - since_ms).max(0) / 60_000;
        let span = match mins {
            0 => "<1 min".to_owned(),
            1..=59 => format!("{mins} min"),
            _ => format!("{} h {} min", mins / 60, mins % 60),
        };
        match self {
            Self::En => format!("waiting {span}"),
            Self::Es => format!("esperando {span}"),
        }
    }

    /// A day separator's label for a local day, given today's.
    pub fn day(self, day: CivilDay, today: CivilDay) -> String {
        if day == today {
            return self.pick("Today", "Hoy").to_owned();
        }
        if day.next() == today {
            return self.pick("Yesterday", "Ayer").to_owned();
        }
        const EN: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        const ES: [&str; 12] = [
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ];
        let m = (day.month - 1) as usize;
        match self {
            Self::En => format!("{} {}, {}", EN[m], day.day, day.year),
            Self::Es => format!("{} de {} de {}", day.day, ES[m], day.year),
        }
    }

    /// A file size.
    pub fn size(self, bytes: u64) -> String {
        match bytes {
            0..1024 => format!("{bytes} B"),
            1024..1_048_576 => format!("{:.0} KB", bytes as f64 / 1024.0),
            _ => format!("{:.1} MB", bytes as f64 / 1_048_576.0),
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A calendar day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CivilDay {
    /// Year.
    pub year: i64,
    /// 1–12.
    pub month: u32,
    /// 1–31.
    pub day: u32,
}

impl CivilDay {
    /// The day of a Unix time in milliseconds at a UTC offset (minutes east).
    pub fn of(ms: i64, offset_minutes: i64) -> Self {
        let days = (ms + offset_minutes * 60_000).div_euclid(86_400_000);
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Self { year, month, day }
    }

    fn next(self) -> Self {
        let days_in = match self.month {
            2 if (self.year % 4 == 0 && self.year % 100 != 0) || self.year % 400 == 0 => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if self.day < days_in {
            Self {
                day: self.day + 1,
                ..self
            }
        } else if self.month < 12 {
            Self {
                month: self.month + 1,
                day: 1,
                ..self
            }
        } else {
            Self {
                year: self.year + 1,
                month: 1,
                day: 1,
            }
        }
    }
}

/// `HH:MM` of a Unix time in milliseconds at a UTC offset (minutes east).
pub fn clock(ms: i64, offset_minutes: i64) -> String {
    let mins = (ms + offset_minutes * 60_000).div_euclid(60_000).rem_euclid(1440);
    format!("{:02}:{:02}", mins / 60, mins % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_follows_the_tag() {
        assert_eq!(Lang::from_tag("es-ES"), Lang::Es);
        assert_eq!(Lang::from_tag("es_MX.UTF-8"), Lang::Es);
        assert_eq!(Lang::from_tag("en-GB"), Lang::En);
        assert_eq!(Lang::from_tag("fr"), Lang::En);
    }

    #[test]
    fn relative_times_read_naturally() {
        let now = 1_000_000_000_000;
        assert_eq!(Lang::En.relative(now - 10_000, now), "now");
        assert_eq!(Lang::Es.relative(now - 10_000, now), "ahora");
        assert_eq!(Lang::En.relative(now - 5 * 60_000, now), "5 min");
        assert_eq!(Lang::En.relative(now - 3 * 3_600_000, now), "3 h");
        assert_eq!(Lang::En.relative(now - 49 * 3_600_000, now), "2 d");
        // A server clock slightly ahead is "now", not negative.
        assert_eq!(Lang::En.relative(now + 5_000, now), "now");
    }

    #[test]
    fn days_and_clocks_use_the_local_offset() {
        // 2026-11-23T23:30:00Z
        let ms = 1_795_476_600_000;
        assert_eq!(
            CivilDay::of(ms, 0),
            CivilDay {
                year: 2026,
                month: 11,
                day: 23
            }
        );
        assert_eq!(CivilDay::of(ms, 60).day, 24, "Madrid is already on the 24th");
        assert_eq!(clock(ms, 0), "23:30");
        assert_eq!(clock(ms, 60), "00:30");
        let today = CivilDay::of(ms, 0);
        assert_eq!(Lang::En.day(today, today), "Today");
        assert_eq!(Lang::Es.day(CivilDay::of(ms - 86_400_000, 0), today), "Ayer");
        assert_eq!(
            Lang::Es.day(CivilDay::of(ms - 5 * 86_400_000, 0), today),
            "18 de noviembre de 2026"
        );
        let new_year = CivilDay {
            year: 2026,
            month: 12,
            day: 31,
        };
        assert_eq!(
            Lang::En.day(
                new_year,
                CivilDay {
                    year: 2027,
                    month: 1,
                    day: 1
                }
            ),
            "Yesterday"
        );
    }

    #[test]
    fn connection_states_say_what_happens() {
        assert_eq!(
            Lang::En.connection(&ConnectionState::Reconnecting {
                attempt: 2,
                next_in_ms: 2500
            }),
            "Reconnecting in 3 s"
        );
        assert_eq!(
            Lang::Es.caught_up(7, 3),
            "7 mensajes nuevos en 3 chats mientras no estabas"
        );
        assert_eq!(
            Lang::En.caught_up(1, 1),
            "1 new message in 1 chat while you were away"
        );
    }

    #[test]
    fn system_lines_read_as_a_person_would_write_them() {
        assert_eq!(
            Lang::En.system_line("Alex Agent closed the chat"),
            "Alex Agent closed the chat"
        );
        assert_eq!(
            Lang::Es.system_line("Alex Agent closed the chat"),
            "Alex Agent cerró el chat"
        );
        assert_eq!(Lang::Es.system_line("Sam joined the chat"), "Sam se unió al chat");
        assert_eq!(Lang::Es.system_line("Chat closed by Ana"), "Ana cerró el chat");
        assert_eq!(
            Lang::Es.system_line("Sam Second transferred the chat to Alex Agent"),
            "Sam Second transfirió el chat a Alex Agent"
        );
        assert_eq!(
            Lang::Es.system_line("Sam returned the chat to the queue"),
            "Sam devolvió el chat a la cola"
        );
        assert_eq!(
            Lang::Es.system_line(" closed the chat"),
            " closed the chat",
            "nobody named"
        );
        assert_eq!(Lang::Es.system_line("Wartung um 18 Uhr"), "Wartung um 18 Uhr");
    }

    #[test]
    fn waiting_times_count_whole_minutes() {
        assert_eq!(Lang::En.waiting(0, 59_999), "waiting <1 min");
        assert_eq!(Lang::En.waiting(0, 3 * 60_000 + 59_000), "waiting 3 min");
        assert_eq!(Lang::Es.waiting(0, 61 * 60_000), "esperando 1 h 1 min");
        assert_eq!(
            Lang::En.waiting(10_000, 0),
            "waiting <1 min",
            "a clock behind the server"
        );
    }
}
