//! Canned responses in the composer: which ones a `/query` finds, and a
//! template filled in from the chat (protocol v2.1 `canned`: the server
//! stores templates as written; the console fills them in before sending).

use switchboard_protocol::Canned;

/// What a template's variables are in a chat.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Vars<'a> {
    /// `{{visitor.name}}`.
    pub visitor_name: Option<&'a str>,
    /// `{{visitor.email}}`.
    pub visitor_email: Option<&'a str>,
    /// `{{agent.name}}`: me.
    pub agent_name: Option<&'a str>,
    /// `{{chat.subject}}`.
    pub chat_subject: Option<&'a str>,
}

impl Vars<'_> {
    fn get(&self, name: &str) -> Option<Option<&str>> {
        let v = match name {
            "visitor.name" => self.visitor_name,
            "visitor.email" => self.visitor_email,
            "agent.name" => self.agent_name,
            "chat.subject" => self.chat_subject,
            _ => return None,
        };
        Some(v.map(str::trim).filter(|v| !v.is_empty()))
    }
}

/// What is wrong with a canned response being written, if anything
/// (protocol v2.1: a shortcut is 1–32 of `a-z`, `0-9`, `_` and `-`; a title
/// 1–100 characters; content 1 to the message limit), in the words the
/// manager shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The shortcut is empty, too long or has other characters.
    Shortcut,
    /// The title is empty or too long.
    Title,
    /// The text is empty or too long.
    Content,
    /// Another one of the same scope has this shortcut.
    Taken,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Shortcut => "a shortcut is 1 to 32 of a-z, 0-9, _ and -",
            Self::Title => "a title is 1 to 100 characters",
            Self::Content => "the text is 1 to 10,000 characters",
            Self::Taken => "another canned response has this shortcut",
        })
    }
}

/// Checks a canned response before it is queued; `others` are the ones
/// held (the one being edited, `editing`, does not count against itself).
pub fn check(
    shortcut: &str,
    title: &str,
    content: &str,
    scope: switchboard_protocol::CannedScope,
    others: &[Canned],
    editing: Option<&str>,
) -> Result<(), Problem> {
    let shortcut_ok = (1..=switchboard_protocol::MAX_SHORTCUT_CHARS).contains(&shortcut.len())
        && shortcut
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !shortcut_ok {
        return Err(Problem::Shortcut);
    }
    if !(1..=switchboard_protocol::MAX_CANNED_TITLE_CHARS).contains(&title.trim().chars().count()) {
        return Err(Problem::Title);
    }
    if content.trim().is_empty() || content.chars().count() > switchboard_protocol::MAX_CONTENT_CHARS {
        return Err(Problem::Content);
    }
    if others
        .iter()
        .any(|c| c.shortcut == shortcut && c.scope == scope && Some(c.id.as_str()) != editing)
    {
        return Err(Problem::Taken);
    }
    Ok(())
}

/// Fills a template: each `{{name}}` or `{{name|fallback}}` becomes the
/// chat's value, else the fallback. A known variable with no value and no
/// fallback stays as written (`{{visitor.email}}`), visible, for the agent
/// to edit before sending; anything else is left alone.
pub fn fill(template: &str, vars: &Vars<'_>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = &after[..end];
        let (name, fallback) = match inner.split_once('|') {
            Some((n, f)) => (n.trim(), Some(f)),
            None => (inner.trim(), None),
        };
        match (vars.get(name), fallback) {
            (Some(Some(value)), _) => out.push_str(value),
            (Some(None), Some(f)) => out.push_str(f),
            _ => {
                out.push_str("{{");
                out.push_str(inner);
                out.push_str("}}");
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The query of a composer that asks for a canned response: its text is
/// `/` and then a word (nothing else yet).
pub fn query(text: &str) -> Option<&str> {
    let q = text.strip_prefix('/')?;
    (!q.contains(char::is_whitespace)).then_some(q)
}

fn subsequence(needle: &str, hay: &str) -> bool {
    let mut hay = hay.chars();
    needle.chars().all(|c| hay.any(|h| h == c))
}

/// The canned responses a query finds, best first: a shortcut that starts
/// with it, then one that contains its letters in order, then a title that
/// contains it, then a title with its letters in order; at most `limit`.
pub fn find<'a>(list: &'a [Canned], q: &str, limit: usize) -> Vec<&'a Canned> {
    let q = q.to_lowercase();
    let mut scored: Vec<(u8, &Canned)> = list
        .iter()
        .filter_map(|c| {
            let (s, t) = (c.shortcut.to_lowercase(), c.title.to_lowercase());
            let score = if s.starts_with(&q) {
                0
            } else if subsequence(&q, &s) {
                1
            } else if t.contains(&q) {
                2
            } else if subsequence(&q, &t) {
                3
            } else {
                return None;
            };
            Some((score, c))
        })
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.shortcut.cmp(&b.1.shortcut)));
    scored.into_iter().take(limit).map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_protocol::CannedScope;

    fn canned(shortcut: &str, title: &str) -> Canned {
        Canned {
            id: shortcut.into(),
            shortcut: shortcut.into(),
            title: title.into(),
            content: String::new(),
            scope: CannedScope::Team,
            updated_at: String::new(),
        }
    }

    #[test]
    fn variables_fill_in_fall_back_or_stay_visible() {
        let vars = Vars {
            visitor_name: Some("Teresa"),
            visitor_email: None,
            agent_name: Some("Alex Agent"),
            chat_subject: Some("  "),
        };
        assert_eq!(
            fill("¡Hola, {{visitor.name|buenas}}! Soy {{agent.name}}.", &vars),
            "¡Hola, Teresa! Soy Alex Agent."
        );
        assert_eq!(
            fill("Sobre \"{{chat.subject|tu pregunta}}\"", &vars),
            "Sobre \"tu pregunta\""
        );
        assert_eq!(
            fill("Escríbenos a {{visitor.email}}", &vars),
            "Escríbenos a {{visitor.email}}"
        );
        assert_eq!(
            fill("Gracias, {{visitor.name|}}.", &Vars::default()),
            "Gracias, ."
        );
        assert_eq!(
            fill("{{unknown}} and {{ broken", &vars),
            "{{unknown}} and {{ broken"
        );
        assert_eq!(fill("no variables", &vars), "no variables");
    }

    #[test]
    fn a_slash_word_finds_by_shortcut_then_title() {
        assert_eq!(query("/hol"), Some("hol"));
        assert_eq!(query("/"), Some(""));
        assert_eq!(query("/hola que"), None, "a sentence is not a query");
        assert_eq!(query("hola"), None);
        let list = [
            canned("shipping", "Shipping times"),
            canned("hola", "Saludo"),
            canned("hi", "Greeting"),
            canned("gracias", "Despedida"),
        ];
        let ids = |q| {
            find(&list, q, 8)
                .into_iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids("h"), ["hi", "hola", "shipping"]);
        assert_eq!(ids("hl"), ["hola"]);
        assert_eq!(ids("desp"), ["gracias"], "by its title");
        assert_eq!(ids(""), ["gracias", "hi", "hola", "shipping"]);
        assert!(ids("zz").is_empty());
    }

    #[test]
    fn a_canned_response_is_checked_before_it_is_queued() {
        let held = [canned("hola", "Saludo")];
        let team = CannedScope::Team;
        assert_eq!(
            check("gracias", "Despedida", "¡Gracias!", team, &held, None),
            Ok(())
        );
        assert_eq!(check("Hola", "t", "x", team, &held, None), Err(Problem::Shortcut));
        assert_eq!(
            check("dos palabras", "t", "x", team, &held, None),
            Err(Problem::Shortcut)
        );
        assert_eq!(
            check(&"a".repeat(33), "t", "x", team, &held, None),
            Err(Problem::Shortcut)
        );
        assert_eq!(check("ok", "  ", "x", team, &held, None), Err(Problem::Title));
        assert_eq!(check("ok", "t", " \n", team, &held, None), Err(Problem::Content));
        assert_eq!(
            check("ok", "t", &"x".repeat(10_001), team, &held, None),
            Err(Problem::Content)
        );
        assert_eq!(check("hola", "t", "x", team, &held, None), Err(Problem::Taken));
        assert_eq!(
            check("hola", "t", "x", CannedScope::Personal, &held, None),
            Ok(()),
            "another scope"
        );
        assert_eq!(
            check("hola", "Nuevo", "x", team, &held, Some("hola")),
            Ok(()),
            "itself"
        );
    }
}
