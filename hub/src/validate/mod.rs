//! Turning untrusted JSON and query strings into checked requests, with a
//! clear 400 for every way they can be wrong.

use std::collections::HashMap;

use serde_json::{Map, Value};
use switchboard_protocol::{
    Attachment, ChatStatus, MAX_CLIENT_MESSAGE_ID_CHARS, MAX_PAGE_LIMIT, MessageType, SendMessageRequest,
    time::parse_millis,
};

use crate::error::ApiError;

mod v21;
pub use v21::*;

type Result<T> = std::result::Result<T, ApiError>;

/// Parses a request body as a JSON object.
pub fn object(body: &[u8]) -> Result<Map<String, Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::bad_request("the body must be a JSON object")),
        Err(e) => Err(ApiError::bad_request(format!("the body is not valid JSON: {e}"))),
    }
}

/// Checks that an id is a UUID (malformed ids are 400, unknown ones 404).
pub fn id<'a>(what: &str, s: &'a str) -> Result<&'a str> {
    if uuid::Uuid::try_parse(s).is_ok() {
        Ok(s)
    } else {
        Err(ApiError::bad_request(format!("{what} must be a UUID")))
    }
}

/// A required string field.
pub fn string<'a>(m: &'a Map<String, Value>, key: &str) -> Result<&'a str> {
    match m.get(key) {
        Some(Value::String(s)) => Ok(s),
        None | Some(Value::Null) => Err(ApiError::bad_request(format!("{key} is required"))),
        Some(_) => Err(ApiError::bad_request(format!("{key} must be a string"))),
    }
}

/// An optional string field.
pub fn opt_string<'a>(m: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::bad_request(format!("{key} must be a string"))),
    }
}

fn opt_bool(m: &Map<String, Value>, key: &str) -> Result<bool> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(ApiError::bad_request(format!("{key} must be a boolean"))),
    }
}

/// A person's display name: trimmed, 1 to 100 characters.
pub fn name(m: &Map<String, Value>, key: &str) -> Result<String> {
    let n = string(m, key)?.trim();
    if n.is_empty() {
        return Err(ApiError::bad_request(format!("{key} must not be empty")));
    }
    if n.chars().count() > 100 {
        return Err(ApiError::bad_request(format!(
            "{key} is longer than 100 characters"
        )));
    }
    Ok(n.to_owned())
}

/// An optional e-mail address.
pub fn email(m: &Map<String, Value>, key: &str) -> Result<Option<String>> {
    match opt_string(m, key)?.map(str::trim) {
        None | Some("") => Ok(None),
        Some(e) if e.len() <= 254 && e.contains('@') && !e.contains(char::is_whitespace) => {
            Ok(Some(e.to_owned()))
        }
        Some(_) => Err(ApiError::bad_request(format!("{key} must be an e-mail address"))),
    }
}

fn attachment(v: &Value) -> Result<Attachment> {
    let Value::Object(m) = v else {
        return Err(ApiError::bad_request("attachment must be an object"));
    };
    let url = string(m, "url")?;
    let file_name = string(m, "fileName")?;
    let mime_type = string(m, "mimeType")?;
    let file_size = m
        .get("fileSize")
        .and_then(Value::as_u64)
        .ok_or_else(|| ApiError::bad_request("attachment.fileSize must be a non-negative integer"))?;
    if url.is_empty() || file_name.is_empty() || mime_type.is_empty() {
        return Err(ApiError::bad_request(
            "attachment url, fileName and mimeType must not be empty",
        ));
    }
    Ok(Attachment {
        url: url.to_owned(),
        file_name: file_name.to_owned(),
        file_size,
        mime_type: mime_type.to_owned(),
    })
}

/// The body of `POST /v2/messages`.
pub fn send_message(body: &[u8], max_content_chars: usize) -> Result<SendMessageRequest> {
    let m = object(body)?;
    let chat_id = id("chatId", string(&m, "chatId")?)?.to_owned();
    let content = opt_string(&m, "content")?.unwrap_or("").to_owned();
    let kind = match opt_string(&m, "type")? {
        None => MessageType::Text,
        Some(t) => MessageType::parse(t)
            .ok_or_else(|| ApiError::bad_request("type must be one of text, image, file"))?,
    };
    let is_internal = opt_bool(&m, "isInternal")?;
    let client_message_id = match opt_string(&m, "clientMessageId")? {
        Some("") => return Err(ApiError::bad_request("clientMessageId must not be empty")),
        Some(c) if c.chars().count() > MAX_CLIENT_MESSAGE_ID_CHARS => {
            return Err(ApiError::bad_request(format!(
                "clientMessageId is longer than {MAX_CLIENT_MESSAGE_ID_CHARS} characters"
            )));
        }
        c => c.map(str::to_owned),
    };
    let attachment = match m.get("attachment") {
        None | Some(Value::Null) => None,
        Some(v) => Some(attachment(v)?),
    };
    if content.chars().count() > max_content_chars {
        return Err(ApiError::bad_request(format!(
            "content is longer than {max_content_chars} characters"
        )));
    }
    match kind {
        MessageType::Text if content.trim().is_empty() => {
            return Err(ApiError::bad_request("content must not be empty"));
        }
        MessageType::Image | MessageType::File if attachment.is_none() => {
            return Err(ApiError::bad_request(
                "an image or file message needs an attachment",
            ));
        }
        _ => {}
    }
    Ok(SendMessageRequest {
        chat_id,
        content,
        kind,
        is_internal,
        attachment,
        client_message_id,
    })
}

/// A parsed query string.
#[derive(Debug)]
pub struct Query(HashMap<String, String>);

impl Query {
    /// Wraps the pairs axum decoded.
    pub fn new(map: HashMap<String, String>) -> Self {
        Self(map)
    }

    /// A timestamp parameter (ISO 8601) in ms.
    pub fn time(&self, key: &str) -> Result<Option<i64>> {
        match self.0.get(key).map(String::as_str) {
            None | Some("") => Ok(None),
            Some(s) => parse_millis(s)
                .map(Some)
                .ok_or_else(|| ApiError::bad_request(format!("{key} must be an ISO 8601 timestamp"))),
        }
    }

    /// A `limit` parameter: a positive integer, capped at `max`.
    pub fn limit(&self, default: u32, max: u32) -> Result<u32> {
        match self.0.get("limit").map(String::as_str) {
            None | Some("") => Ok(default),
            Some(s) => match s.parse::<u64>() {
                Ok(n) if n >= 1 => Ok(n.min(u64::from(max)) as u32),
                _ => Err(ApiError::bad_request("limit must be a positive integer")),
            },
        }
    }

    /// A boolean flag (`true`/`false`/`1`/`0`).
    pub fn flag(&self, key: &str) -> Result<bool> {
        match self.0.get(key).map(String::as_str) {
            None | Some("") | Some("false") | Some("0") => Ok(false),
            Some("true") | Some("1") => Ok(true),
            Some(_) => Err(ApiError::bad_request(format!("{key} must be true or false"))),
        }
    }

    /// A chat `status` filter.
    pub fn status(&self) -> Result<Option<ChatStatus>> {
        match self.0.get("status").map(String::as_str) {
            None | Some("") => Ok(None),
            Some(s) => ChatStatus::parse(s)
                .map(Some)
                .ok_or_else(|| ApiError::bad_request("status must be one of PENDING, IN_PROGRESS, CLOSED")),
        }
    }

    /// A raw parameter.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
}

/// The history page limit's bounds, re-exported for the routes.
pub const PAGE_MAX: u32 = MAX_PAGE_LIMIT;

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    const CHAT: &str = "6f1c9a4e-4a57-4f4c-9a53-0d6c1c2d7e11";

    fn send(json: &str) -> Result<SendMessageRequest> {
        send_message(json.as_bytes(), 10_000)
    }

    #[test]
    fn accepts_a_plain_text_message() {
        let r = send(&format!(
            r#"{{"chatId":"{CHAT}","content":"hola","type":"text"}}"#
        ))
        .unwrap();
        assert_eq!(r.content, "hola");
        assert!(!r.is_internal);
    }

    #[test]
    fn rejects_each_bad_field_with_400() {
        let long = "x".repeat(10_001);
        let cmid = "k".repeat(101);
        for body in [
            "not json".to_owned(),
            "[1]".to_owned(),
            r#"{"chatId":"nope","content":"x"}"#.to_owned(),
            format!(r#"{{"chatId":"{CHAT}","content":""}}"#),
            format!(r#"{{"chatId":"{CHAT}","content":"   "}}"#),
            format!(r#"{{"chatId":"{CHAT}","content":"{long}"}}"#),
            format!(r#"{{"chatId":"{CHAT}","content":"x","type":"video"}}"#),
            format!(r#"{{"chatId":"{CHAT}","content":"x","isInternal":"yes"}}"#),
            format!(r#"{{"chatId":"{CHAT}","content":"x","clientMessageId":"{cmid}"}}"#),
            format!(r#"{{"chatId":"{CHAT}","content":"","type":"image"}}"#),
            format!(r#"{{"chatId":"{CHAT}","content":7}}"#),
        ] {
            let e = send(&body).unwrap_err();
            assert_eq!(e.status, StatusCode::BAD_REQUEST, "{body}");
        }
    }

    #[test]
    fn content_limit_counts_characters_not_bytes() {
        let wide = "ñ".repeat(10_000);
        assert!(send(&format!(r#"{{"chatId":"{CHAT}","content":"{wide}"}}"#)).is_ok());
    }

    #[test]
    fn empty_caption_is_fine_with_an_attachment() {
        let r = send(&format!(
            r#"{{"chatId":"{CHAT}","content":"","type":"image","attachment":{{"url":"/v2/files/x","fileName":"a.png","fileSize":3,"mimeType":"image/png"}}}}"#
        ))
        .unwrap();
        assert_eq!(r.attachment.unwrap().file_size, 3);
    }

    #[test]
    fn limit_is_capped_and_checked() {
        let q = |v: &str| Query::new(HashMap::from([("limit".to_owned(), v.to_owned())]));
        assert_eq!(q("900").limit(50, 500).unwrap(), 500);
        assert_eq!(q("7").limit(50, 500).unwrap(), 7);
        assert!(q("0").limit(50, 500).is_err());
        assert!(q("abc").limit(50, 500).is_err());
    }
}
