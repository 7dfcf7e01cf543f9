//! The checks of protocol v2.1's bodies: visitor context, tags, transfer
//! targets, canned responses and `maxChats`.

use serde_json::{Map, Value};
use switchboard_protocol::{
    self as proto, CannedScope, MAX_CANNED_TITLE_CHARS, MAX_CONTEXT_CHARS, MAX_MAX_CHATS, MAX_SHORTCUT_CHARS,
    MAX_TAG_CHARS, MAX_TAGS, VisitorContext,
};

use super::{Result, object, opt_string, string};
use crate::{core::CannedPatch, error::ApiError};

/// `context` of `POST /v2/visitors`: an object of optional strings, each at
/// most 2,000 characters; unknown keys are ignored, empty values dropped.
pub fn visitor_context(m: &Map<String, Value>) -> Result<Option<VisitorContext>> {
    let c = match m.get("context") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(c)) => c,
        Some(_) => return Err(ApiError::bad_request("context must be an object")),
    };
    let field = |key: &str| -> Result<Option<String>> {
        match opt_string(c, key)? {
            Some(s) if s.chars().count() > MAX_CONTEXT_CHARS => Err(ApiError::bad_request(format!(
                "context.{key} is longer than {MAX_CONTEXT_CHARS} characters"
            ))),
            Some(s) if !s.trim().is_empty() => Ok(Some(s.trim().to_owned())),
            _ => Ok(None),
        }
    };
    let context = VisitorContext {
        page: field("page")?,
        referrer: field("referrer")?,
        user_agent: field("userAgent")?,
        locale: field("locale")?,
        timezone: field("timezone")?,
    };
    Ok((!context.is_empty()).then_some(context))
}

/// `PUT /v2/chats/{id}/tags {tags}`: each trimmed, 1–40 characters, at
/// most 20, no two alike ignoring case.
pub fn tags(body: &[u8]) -> Result<Vec<String>> {
    let m = object(body)?;
    let Some(Value::Array(items)) = m.get("tags") else {
        return Err(ApiError::bad_request("tags must be an array of strings"));
    };
    if items.len() > MAX_TAGS {
        return Err(ApiError::bad_request(format!(
            "a chat has at most {MAX_TAGS} tags"
        )));
    }
    let mut tags: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let Value::String(t) = item else {
            return Err(ApiError::bad_request("tags must be an array of strings"));
        };
        let t = t.trim();
        let n = t.chars().count();
        if n == 0 || n > MAX_TAG_CHARS {
            return Err(ApiError::bad_request(format!(
                "each tag is 1 to {MAX_TAG_CHARS} characters"
            )));
        }
        if t.chars().any(char::is_control) {
            return Err(ApiError::bad_request("a tag may not hold control characters"));
        }
        if tags.iter().any(|o| o.to_lowercase() == t.to_lowercase()) {
            return Err(ApiError::bad_request(format!("the tag {t:?} is there twice")));
        }
        tags.push(t.to_owned());
    }
    Ok(tags)
}

/// `POST /v2/chats/{id}/transfer {toAgentId}`: an id, or `null` for the queue.
pub fn transfer_target(body: &[u8]) -> Result<Option<String>> {
    let m = object(body)?;
    match m.get("toAgentId") {
        None => Err(ApiError::bad_request(
            "toAgentId is required (an agent's id, or null for the queue)",
        )),
        Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(ApiError::bad_request("toAgentId must be a string or null")),
    }
}

fn shortcut(s: &str) -> Result<String> {
    let ok = (1..=MAX_SHORTCUT_CHARS).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(ApiError::bad_request(format!(
            "shortcut must be 1 to {MAX_SHORTCUT_CHARS} of a-z, 0-9, _ and -"
        )))
    }
}

fn title(s: &str) -> Result<String> {
    let t = s.trim();
    match t.chars().count() {
        1..=MAX_CANNED_TITLE_CHARS => Ok(t.to_owned()),
        _ => Err(ApiError::bad_request(format!(
            "title must be 1 to {MAX_CANNED_TITLE_CHARS} characters"
        ))),
    }
}

fn content(s: &str, max: usize) -> Result<String> {
    if s.trim().is_empty() || s.chars().count() > max {
        return Err(ApiError::bad_request(format!(
            "content must be 1 to {max} characters"
        )));
    }
    Ok(s.to_owned())
}

fn scope(m: &Map<String, Value>) -> Result<Option<CannedScope>> {
    match opt_string(m, "scope")? {
        None => Ok(None),
        Some("team") => Ok(Some(CannedScope::Team)),
        Some("personal") => Ok(Some(CannedScope::Personal)),
        Some(_) => Err(ApiError::bad_request("scope must be team or personal")),
    }
}

/// `POST /v2/canned`.
pub fn new_canned(body: &[u8], max_content_chars: usize) -> Result<proto::NewCanned> {
    let m = object(body)?;
    Ok(proto::NewCanned {
        shortcut: shortcut(string(&m, "shortcut")?)?,
        title: title(string(&m, "title")?)?,
        content: content(string(&m, "content")?, max_content_chars)?,
        scope: scope(&m)?.unwrap_or_default(),
    })
}

/// `PUT /v2/canned/{id}`: any of the fields.
pub fn canned_patch(body: &[u8], max_content_chars: usize) -> Result<CannedPatch> {
    let m = object(body)?;
    Ok(CannedPatch {
        shortcut: opt_string(&m, "shortcut")?.map(shortcut).transpose()?,
        title: opt_string(&m, "title")?.map(title).transpose()?,
        content: opt_string(&m, "content")?
            .map(|c| content(c, max_content_chars))
            .transpose()?,
        scope: scope(&m)?,
    })
}

/// `PUT /v2/agents/me {maxChats}`: an integer from 0 to 100.
pub fn max_chats(body: &[u8]) -> Result<u32> {
    let m = object(body)?;
    match m.get("maxChats").and_then(Value::as_u64) {
        Some(n) if n <= u64::from(MAX_MAX_CHATS) => Ok(n as u32),
        _ => Err(ApiError::bad_request(format!(
            "maxChats must be an integer from 0 to {MAX_MAX_CHATS}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags_of(json: &str) -> Result<Vec<String>> {
        tags(json.as_bytes())
    }

    #[test]
    fn tags_are_trimmed_kept_in_order_and_unique_ignoring_case() {
        assert_eq!(
            tags_of(r#"{"tags":[" vip ","Billing"]}"#).unwrap(),
            ["vip", "Billing"]
        );
        assert_eq!(tags_of(r#"{"tags":[]}"#).unwrap(), Vec::<String>::new());
        let many = format!(
            r#"{{"tags":[{}]}}"#,
            (0..21).map(|i| format!("\"t{i}\"")).collect::<Vec<_>>().join(",")
        );
        let long = format!(r#"{{"tags":["{}"]}}"#, "x".repeat(41));
        for bad in [
            r#"{"tags":["VIP","vip"]}"#,
            r#"{"tags":[""]}"#,
            r#"{"tags":["  "]}"#,
            r#"{"tags":[1]}"#,
            r#"{"tags":"vip"}"#,
            r#"{}"#,
            &many,
            &long,
        ] {
            assert!(tags_of(bad).is_err(), "{bad}");
        }
        let forty = format!(r#"{{"tags":["{}"]}}"#, "ñ".repeat(40));
        assert!(tags_of(&forty).is_ok(), "characters, not bytes");
    }

    #[test]
    fn shortcuts_are_lowercase_words() {
        assert!(shortcut("hola_2-x").is_ok());
        for bad in ["", "Hola", "a b", "ñ", &"a".repeat(33)] {
            assert!(shortcut(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn max_chats_is_a_small_whole_number() {
        assert_eq!(max_chats(br#"{"maxChats":0}"#).unwrap(), 0);
        assert_eq!(max_chats(br#"{"maxChats":100}"#).unwrap(), 100);
        for bad in [
            r#"{"maxChats":101}"#,
            r#"{"maxChats":-1}"#,
            r#"{"maxChats":1.5}"#,
            r#"{"maxChats":"3"}"#,
            "{}",
        ] {
            assert!(max_chats(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn context_fields_are_strings_of_bounded_length() {
        let m = |json: &str| match serde_json::from_str::<Value>(json).unwrap() {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let c = visitor_context(&m(
            r#"{"context":{"page":"/p","locale":"es-ES","extra":1,"timezone":""}}"#,
        ))
        .unwrap()
        .unwrap();
        assert_eq!(c.page.as_deref(), Some("/p"));
        assert_eq!(c.timezone, None);
        assert_eq!(visitor_context(&m("{}")).unwrap(), None);
        let long = format!(r#"{{"context":{{"page":"{}"}}}}"#, "x".repeat(2001));
        for bad in [r#"{"context":"x"}"#, r#"{"context":{"page":3}}"#, &long] {
            assert!(visitor_context(&m(bad)).is_err(), "{bad}");
        }
    }
}
