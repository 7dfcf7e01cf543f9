//! The routes of protocol v2.1: capabilities, transfer, reopen, tags,
//! canned responses, a visitor's earlier chats and `maxChats`. Every one but
//! capabilities is an agent route: a visitor's cookie is `403`.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    response::IntoResponse,
    routing::{get, post, put},
};
use switchboard_protocol::{CannedList, Capabilities, ChatList, PROTOCOL_VERSION_21, TagList, feature};

use super::{AppState, Caller, Result, agent_only};
use crate::validate;

/// The v2.1 routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2/capabilities", get(capabilities))
        .route("/v2/chats/{chat_id}/transfer", post(transfer))
        .route("/v2/chats/{chat_id}/reopen", post(reopen))
        .route("/v2/chats/{chat_id}/tags", put(set_tags))
        .route("/v2/tags", get(tags))
        .route("/v2/canned", get(canned).post(create_canned))
        .route("/v2/canned/{id}", put(update_canned).delete(delete_canned))
        .route("/v2/visitors/{visitor_id}/chats", get(visitor_chats))
        .route("/v2/agents/me", put(set_me))
}

async fn capabilities() -> impl IntoResponse {
    Json(Capabilities {
        version: PROTOCOL_VERSION_21.to_owned(),
        features: feature::ALL.iter().map(|f| (*f).to_owned()).collect(),
    })
}

async fn transfer(
    State(core): State<AppState>,
    Caller(who): Caller,
    Path(chat_id): Path<String>,
    body: Bytes,
) -> Result<impl IntoResponse> {
    agent_only(&who)?;
    let to = validate::transfer_target(&body)?;
    Ok(Json(core.transfer(&who, &chat_id, to.as_deref())?))
}

async fn reopen(
    State(core): State<AppState>,
    Caller(who): Caller,
    Path(chat_id): Path<String>,
) -> Result<impl IntoResponse> {
    agent_only(&who)?;
    Ok(Json(core.reopen(&who, &chat_id)?))
}

async fn set_tags(
    State(core): State<AppState>,
    Caller(who): Caller,
    Path(chat_id): Path<String>,
    body: Bytes,
) -> Result<impl IntoResponse> {
    agent_only(&who)?;
    let tags = validate::tags(&body)?;
    Ok(Json(core.set_tags(&who, &chat_id, tags)?))
}

async fn tags(State(core): State<AppState>, Caller(who): Caller) -> Result<impl IntoResponse> {
    agent_only(&who)?;
    Ok(Json(TagList {
        tags: core.db().tag_counts()?,
    }))
}

async fn canned(State(core): State<AppState>, Caller(who): Caller) -> Result<impl IntoResponse> {
    let agent = agent_only(&who)?;
    Ok(Json(CannedList {
        canned: core.canned(agent)?,
    }))
}

async fn create_canned(
    State(core): State<AppState>,
    Caller(who): Caller,
    body: Bytes,
) -> Result<impl IntoResponse> {
    let agent = agent_only(&who)?;
    let new = validate::new_canned(&body, core.limits().max_content_chars)?;
    Ok((StatusCode::CREATED, Json(core.create_canned(agent, new)?)))
}

async fn update_canned(
    State(core): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<impl IntoResponse> {
    let agent = agent_only(&who)?;
    validate::id("id", &id)?;
    let patch = validate::canned_patch(&body, core.limits().max_content_chars)?;
    Ok(Json(core.update_canned(agent, &id, patch)?))
}

async fn delete_canned(
    State(core): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse> {
    let agent = agent_only(&who)?;
    core.delete_canned(agent, &id)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn visitor_chats(
    State(core): State<AppState>,
    Caller(who): Caller,
    Path(visitor_id): Path<String>,
) -> Result<impl IntoResponse> {
    agent_only(&who)?;
    Ok(Json(ChatList {
        chats: core.visitor_history(&who, &visitor_id)?,
    }))
}

async fn set_me(State(core): State<AppState>, Caller(who): Caller, body: Bytes) -> Result<impl IntoResponse> {
    let agent = agent_only(&who)?;
    let max = validate::max_chats(&body)?;
    Ok(Json(core.set_max_chats(agent, max)?))
}
