//! The HTTP API of PROTOCOL.md on axum: auth, chats, messages, files,
//! visitors, presence, notifications and stats, every failure a NestJS-style
//! JSON error.

use std::{collections::HashMap, sync::Arc};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, FromRequestParts, Multipart, Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use switchboard_protocol::{
    AgentList, ChatList, CreateVisitorResponse, DEFAULT_PAGE_LIMIT, MessagePage, NotificationList,
    VISITOR_COOKIE,
};

use crate::{
    auth::{Principal, session_from_cookie_header},
    core::Core,
    error::ApiError,
    store::PageQuery,
    validate,
};

mod v21;

type Result<T> = std::result::Result<T, ApiError>;
type AppState = Arc<Core>;

/// The routes, with `core` as state. v2.1's are mounted only when the hub
/// speaks it, so a `--protocol v2` hub answers them `404` as a v2 one would.
pub fn router(core: AppState) -> Router {
    let upload_cap = core.limits().max_upload_bytes as usize;
    let v21 = if core.v21() { v21::routes() } else { Router::new() };
    Router::new()
        .merge(v21)
        .route("/v2/auth/login", post(login))
        .route("/v2/auth/me", get(me))
        .route("/v2/visitors", post(create_visitor))
        .route("/v2/chats", get(list_chats).post(open_chat))
        .route("/v2/chats/{chat_id}/accept", post(accept))
        .route("/v2/chats/{chat_id}/close", post(close))
        .route("/v2/messages", post(send_message))
        .route("/v2/messages/chat/{chat_id}", get(history))
        .route(
            "/v2/files/upload",
            post(upload).layer(DefaultBodyLimit::max(upload_cap.saturating_add(64 * 1024))),
        )
        .route("/v2/files/{file_id}", get(download))
        .route("/v2/agents", get(agents))
        .route("/v2/notifications", get(notifications))
        .route("/v2/stats", get(stats))
        .route(
            "/health",
            get(|| async { Json(serde_json::json!({"status": "ok"})) }),
        )
        .merge(crate::widget::router())
        .fallback(|| async { ApiError::not_found("no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError {
                status: StatusCode::METHOD_NOT_ALLOWED,
                message: "method not allowed".to_owned(),
                retry_after: None,
            }
        })
        .with_state(core)
}

/// The authenticated caller of a request: a bearer token (agent) decides
/// when present; otherwise the `visitor_session` cookie.
#[derive(Debug)]
pub(crate) struct Caller(Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, core: &AppState) -> Result<Self> {
        if let Some(h) = parts.headers.get(header::AUTHORIZATION) {
            let token = h
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or_else(|| ApiError::unauthorized("malformed Authorization header"))?;
            return core
                .agent_for_token(token.trim())?
                .map(|a| Caller(Principal::Agent(a)))
                .ok_or_else(|| ApiError::unauthorized("invalid or expired token"));
        }
        let session = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|h| h.to_str().ok())
            .find_map(session_from_cookie_header);
        if let Some(session) = session {
            return core
                .visitor_for_session(session)?
                .map(|v| Caller(Principal::Visitor(v)))
                .ok_or_else(|| ApiError::unauthorized("unknown visitor session"));
        }
        Err(ApiError::unauthorized("authentication required"))
    }
}

pub(crate) fn agent_only(who: &Principal) -> Result<&switchboard_protocol::Agent> {
    who.agent().ok_or_else(|| ApiError::forbidden("agents only"))
}

async fn login(State(core): State<AppState>, body: Bytes) -> Result<impl IntoResponse> {
    let m = validate::object(&body)?;
    let email = validate::string(&m, "email")?;
    let password = validate::string(&m, "password")?;
    if email.trim().is_empty() || password.is_empty() {
        return Err(ApiError::bad_request("email and password are required"));
    }
    Ok(Json(core.login(email, password).await?))
}

async fn me(Caller(who): Caller) -> Result<impl IntoResponse> {
    Ok(Json(agent_only(&who)?.clone()))
}

async fn create_visitor(State(core): State<AppState>, body: Bytes) -> Result<Response> {
    let m = validate::object(&body)?;
    let name = validate::name(&m, "name")?;
    let email = validate::email(&m, "email")?;
    // A v2 hub ignores the context, as a v2 server ignores unknown fields.
    let context = if core.v21() {
        validate::visitor_context(&m)?
    } else {
        None
    };
    let (visitor, token) = core.create_visitor(name, email, context)?;
    let cookie = format!("{VISITOR_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000");
    let mut res = (
        StatusCode::CREATED,
        Json(CreateVisitorResponse {
            visitor_id: visitor.id,
        }),
    )
        .into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|_| ApiError::internal())?,
    );
    Ok(res)
}

async fn open_chat(
    State(core): State<AppState>,
    Caller(who): Caller,
    body: Bytes,
) -> Result<impl IntoResponse> {
    let m = validate::object(&body)?;
    let subject = validate::opt_string(&m, "subject")?;
    Ok((StatusCode::CREATED, Json(core.open_chat(&who, subject)?)))
}

async fn list_chats(
    State(core): State<AppState>,
    Caller(who): Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<impl IntoResponse> {
    // An agent route: a visitor's cookie is 403 (PROTOCOL.md).
    agent_only(&who)?;
    let q = validate::Query::new(q);
    let tag = q.get("tag").map(str::trim).filter(|t| !t.is_empty());
    let chats = core.list_chats(
        &who,
        q.status()?,
        q.time("updatedSince")?,
        tag,
        q.limit(1000, 5000)?,
    )?;
    Ok(Json(ChatList { chats }))
}

async fn accept(
    State(core): State<AppState>,
    Caller(who): Caller,
    Path(chat_id): Path<String>,
) -> Result<impl IntoResponse> {
    agent_only(&who)?;
    Ok(Json(core.accept(&who, &chat_id)?))
}

async fn close(
    State(core): State<AppState>,
    Caller(who): Caller,
    Path(chat_id): Path<String>,
) -> Result<impl IntoResponse> {
    agent_only(&who)?;
    Ok(Json(core.close(&who, &chat_id)?))
}

async fn send_message(
    State(core): State<AppState>,
    Caller(who): Caller,
    body: Bytes,
) -> Result<impl IntoResponse> {
    let req = validate::send_message(&body, core.limits().max_content_chars)?;
    let (m, created) = core.send_message(&who, req)?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(m)))
}

async fn history(
    State(core): State<AppState>,
    Caller(who): Caller,
    Path(chat_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<impl IntoResponse> {
    let q = validate::Query::new(q);
    let page = PageQuery {
        limit: q.limit(DEFAULT_PAGE_LIMIT, validate::PAGE_MAX)?,
        date_from: q.time("dateFrom")?,
        before: q.time("before")?,
        include_internal: false,
    };
    let (messages, has_more) = core.history(&who, &chat_id, page)?;
    Ok(Json(MessagePage { messages, has_more }))
}

fn clean_file_name(name: Option<&str>) -> String {
    let base = name
        .unwrap_or("")
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(255)
        .collect::<String>();
    let base = base.trim();
    if base.is_empty() || base == "." || base == ".." {
        "file".to_owned()
    } else {
        base.to_owned()
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large("the file is larger than the upload limit")
    } else {
        ApiError::bad_request(format!("malformed multipart body: {}", e.body_text()))
    }
}

async fn upload(
    State(core): State<AppState>,
    Caller(who): Caller,
    mut form: Multipart,
) -> Result<impl IntoResponse> {
    let cap = core.limits().max_upload_bytes;
    let mut chat_id = None;
    let mut file: Option<(String, String, Vec<u8>)> = None;
    while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("chatId") => chat_id = Some(field.text().await.map_err(multipart_error)?),
            Some("file") => {
                let name = clean_file_name(field.file_name());
                let mime = field
                    .content_type()
                    .filter(|m| !m.is_empty() && m.parse::<HeaderValue>().is_ok())
                    .map(str::to_owned)
                    .unwrap_or_else(|| switchboard_protocol::mime_for_file_name(&name).to_owned());
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    if (bytes.len() + chunk.len()) as u64 > cap {
                        return Err(ApiError::too_large(format!(
                            "the file is larger than {cap} bytes"
                        )));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some((name, mime, bytes));
            }
            _ => {}
        }
    }
    let chat_id = chat_id.ok_or_else(|| ApiError::bad_request("chatId is required"))?;
    let (name, mime, bytes) = file.ok_or_else(|| ApiError::bad_request("file is required"))?;
    let attachment = core.upload(&who, chat_id.trim(), &name, &mime, &bytes)?;
    Ok((StatusCode::CREATED, Json(attachment)))
}

/// Types a browser may show inline; anything else is served as a download
/// so that an uploaded page or script can never run on the hub's origin.
const INLINE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

async fn download(State(core): State<AppState>, Path(file_id): Path<String>) -> Result<Response> {
    validate::id("file id", &file_id)?;
    let f = core
        .db()
        .file(&file_id)?
        .ok_or_else(|| ApiError::not_found("file not found"))?;
    let inline = INLINE_TYPES.contains(&f.mime_type.as_str());
    let mut headers = HeaderMap::new();
    let content_type = if inline {
        f.mime_type.as_str()
    } else {
        "application/octet-stream"
    };
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type).map_err(|_| ApiError::internal())?,
    );
    let ascii_name: String = f
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "{}; filename=\"{ascii_name}\"",
        if inline { "inline" } else { "attachment" }
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    Ok((headers, f.bytes).into_response())
}

async fn agents(State(core): State<AppState>, Caller(who): Caller) -> Result<impl IntoResponse> {
    agent_only(&who)?;
    Ok(Json(AgentList {
        agents: core.agents_presence()?,
    }))
}

async fn notifications(
    State(core): State<AppState>,
    Caller(who): Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<impl IntoResponse> {
    let agent = agent_only(&who)?;
    let q = validate::Query::new(q);
    let (unread_only, limit) = (q.flag("unread")?, q.limit(50, 500)?);
    let db = core.db();
    Ok(Json(NotificationList {
        notifications: db.notifications(&agent.id, unread_only, limit)?,
        unread: db.unread_notifications(&agent.id)?,
    }))
}

async fn stats(State(core): State<AppState>, Caller(who): Caller) -> Result<impl IntoResponse> {
    agent_only(&who)?;
    Ok(Json(core.stats()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_reduced_to_a_safe_base_name() {
        assert_eq!(clean_file_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(clean_file_name(Some("C:\\x\\photo.png")), "photo.png");
        assert_eq!(clean_file_name(Some("..")), "file");
        assert_eq!(clean_file_name(None), "file");
        assert_eq!(clean_file_name(Some("a\u{0}b.txt")), "ab.txt");
    }
}
