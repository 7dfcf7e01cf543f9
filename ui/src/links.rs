//! Web links in a message's text: found here, rendered as text that opens
//! the system browser (never as markup, never navigating the webview).

/// A piece of a message's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Plain text.
    Text(String),
    /// An http or https link.
    Link(String),
}

/// Splits `text` into plain text and http(s) links. A link ends at white
/// space, `<`, `>` or `"`; punctuation that ends a sentence is not part of it, nor a closing
/// bracket it did not open.
pub fn segments(text: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = find_link_start(rest) {
        let (before, from) = rest.split_at(start);
        // Not valid in a link unencoded: white space, angle brackets, quotes.
        let end = from
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
            .unwrap_or(from.len());
        let link = trim_link(&from[..end]);
        // A scheme alone ("https://") is no link.
        if link.len() <= "https://".len() || !link.contains("://") || link.ends_with("://") {
            push_text(&mut out, &rest[..start + end]);
            rest = &from[end..];
            continue;
        }
        push_text(&mut out, before);
        out.push(Segment::Link(link.to_owned()));
        rest = &from[link.len()..];
    }
    push_text(&mut out, rest);
    out
}

fn find_link_start(s: &str) -> Option<usize> {
    let lower = s.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("http") {
        let at = from + i;
        let tail = &lower[at..];
        let boundary = at == 0 || !s[..at].chars().next_back().is_some_and(char::is_alphanumeric);
        if boundary && (tail.starts_with("http://") || tail.starts_with("https://")) {
            return Some(at);
        }
        from = at + 4;
    }
    None
}

fn trim_link(mut link: &str) -> &str {
    loop {
        let Some(last) = link.chars().next_back() else {
            return link;
        };
        let unbalanced = |open: char, close: char| {
            last == close && link.matches(open).count() < link.matches(close).count()
        };
        if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '"' | '»' | '…')
            || unbalanced('(', ')')
            || unbalanced('[', ']')
            || unbalanced('{', '}')
        {
            link = &link[..link.len() - last.len_utf8()];
        } else {
            return link;
        }
    }
}

fn push_text(out: &mut Vec<Segment>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(Segment::Text(t)) = out.last_mut() {
        t.push_str(text);
    } else {
        out.push(Segment::Text(text.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Segment {
        Segment::Text(s.to_owned())
    }
    fn l(s: &str) -> Segment {
        Segment::Link(s.to_owned())
    }

    #[test]
    fn links_are_found_and_sentence_punctuation_is_left_out() {
        assert_eq!(
            segments("Mira https://shop.example.com/pedido?id=7, y dime."),
            [
                t("Mira "),
                l("https://shop.example.com/pedido?id=7"),
                t(", y dime.")
            ]
        );
        assert_eq!(
            segments("(see http://example.com/a_(b)) now"),
            [t("(see "), l("http://example.com/a_(b)"), t(") now")]
        );
        assert_eq!(segments("HTTPS://EXAMPLE.COM"), [l("HTTPS://EXAMPLE.COM")]);
        assert_eq!(
            segments("a https://x.io\nb https://y.io"),
            [t("a "), l("https://x.io"), t("\nb "), l("https://y.io")]
        );
    }

    #[test]
    fn other_schemes_and_lookalikes_stay_text() {
        for s in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "ftp://example.com",
            "nothttps://example.com",
            "https://",
            "https://.",
            "no links here",
            "",
        ] {
            assert!(
                segments(s).iter().all(|x| matches!(x, Segment::Text(_))),
                "{s}: {:?}",
                segments(s)
            );
        }
        assert_eq!(
            segments("<b>https://x.io</b>"),
            [t("<b>"), l("https://x.io"), t("</b>")]
        );
    }
}
