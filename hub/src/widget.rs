//! The visitor web widget (`/widget`): a small page a person opens in a
//! browser to play the visitor during a demo. Static files, embedded.

use axum::{
    Router,
    http::{HeaderValue, header},
    response::{IntoResponse, Redirect},
    routing::get,
};

const INDEX: &str = include_str!("../widget/index.html");
const SCRIPT: &str = include_str!("../widget/widget.js");
const STYLE: &str = include_str!("../widget/widget.css");

/// Scripts only from the hub itself, no inline code, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
     img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

fn page(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        body,
    )
}

/// The widget's routes.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(|| async { Redirect::temporary("/widget") }))
        .route(
            "/widget",
            get(|| async { page("text/html; charset=utf-8", INDEX) }),
        )
        .route(
            "/widget/widget.js",
            get(|| async { page("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/widget/widget.css",
            get(|| async { page("text/css; charset=utf-8", STYLE) }),
        )
}
