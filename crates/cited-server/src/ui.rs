//! The web UI: three static files embedded in the binary, served at `/` with a Content-Security-Policy
//! that allows no inline script or style, so a document's text can never run as code even if a bug put it
//! into the page as markup. `server.ui_dir` serves the files from disk instead, for UI development.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ApiError;

/// Sent with every response: the API's JSON and the UI's files alike.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The UI's files: name, content type, embedded bytes.
const ASSETS: [(&str, &str, &str); 3] = [
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../ui/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../ui/app.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../ui/app.css"),
    ),
];

fn asset(state: &AppState, name: &str) -> Result<Response, ApiError> {
    let Some((name, content_type, embedded)) = ASSETS.iter().find(|(n, _, _)| *n == name) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such file",
        ));
    };
    let body = match &state.engine.config().server.ui_dir {
        Some(dir) => std::fs::read_to_string(dir.join(name)).map_err(|e| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("server.ui_dir: {name}: {e}"),
            )
        })?,
        None => (*embedded).to_string(),
    };
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response())
}

/// `GET /`: the page.
pub async fn index(State(state): State<AppState>) -> Result<Response, ApiError> {
    asset(&state, "index.html")
}

/// `GET /ui/{file}`: its script and style.
pub async fn file(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    asset(&state, &name)
}
