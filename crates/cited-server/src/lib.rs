//! The HTTP API of Cited (axum on tokio): routes under `/v1` behind bearer tokens with roles, health
//! checks, JSON errors with the engine's stable codes, a request id on every response and log line,
//! bounded concurrency for asks (503 + Retry-After beyond it), a per-request timeout and graceful
//! shutdown. The engine does the work; its blocking calls run off the async runtime.

mod admin;
mod audit;
mod auth;
mod error;
mod metrics;
mod openapi;
mod routes;
mod stream;
mod ui;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{delete, get, post};
use cited_engine::{Engine, EngineError};
use tokio::sync::Semaphore;
use tracing::Instrument;

pub use auth::Caller;
pub use error::ApiError;
pub use metrics::Metrics;
pub use openapi::openapi;
pub use ui::CONTENT_SECURITY_POLICY;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The engine: many readers at once, one writer.
    pub engine: Arc<Engine>,
    /// Permits for asks answered at once.
    pub asks: Arc<Semaphore>,
    /// Per-request time limit.
    pub timeout: Duration,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Upload ingest jobs.
    pub jobs: Arc<admin::Jobs>,
}

impl AppState {
    /// State for `engine` with the limits of its configuration.
    pub fn new(engine: Arc<Engine>) -> Self {
        let server = &engine.config().server;
        Self {
            asks: Arc::new(Semaphore::new(server.max_concurrent_asks)),
            timeout: Duration::from_secs(server.request_timeout_secs),
            metrics: Arc::new(Metrics::default()),
            jobs: Arc::new(admin::Jobs::default()),
            engine,
        }
    }

    /// Runs `work` on the blocking pool under the request time limit.
    pub(crate) async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Engine) -> Result<T, EngineError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let engine = self.engine.clone();
        let task = tokio::task::spawn_blocking(move || work(&engine));
        match tokio::time::timeout(self.timeout, task).await {
            Ok(Ok(result)) => result.map_err(ApiError::from),
            Ok(Err(_)) => Err(ApiError::from(EngineError::Internal(
                "a request's task failed".into(),
            ))),
            Err(_) => Err(ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                "timeout",
                format!(
                    "no answer within {} s (server.request_timeout_secs)",
                    self.timeout.as_secs()
                ),
            )),
        }
    }
}

/// The id of a request (in its extensions), for the audit trail.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Header carrying the request id on every response.
pub const REQUEST_ID: &str = "x-request-id";

/// Gives each request an id (on its response and on every log line of its span) and counts it by route
/// pattern and status.
async fn request_id(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |m| m.as_str())
        .to_string();
    let id = uuid::Uuid::new_v4().simple().to_string();
    let span = tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path());
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).instrument(span).await;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(REQUEST_ID, value);
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(ui::CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    state
        .metrics
        .request(&route, response.status().as_u16(), started.elapsed());
    response
}

/// `GET /metrics`: Prometheus text.
async fn metrics(State(state): State<AppState>) -> Result<String, ApiError> {
    let depth = state.blocking(|engine| engine.pending_reviews()).await.ok();
    Ok(state.metrics.render(depth, state.jobs.active()))
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

/// The whole API and the web UI.
pub fn app(state: AppState) -> Router {
    let config = state.engine.config();
    let body_limit = config.server.max_body_bytes;
    // An upload carries a document, not a question: it gets the ingest size limit plus room for metadata.
    let upload_limit = usize::try_from(config.ingest.max_file_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(64 * 1024);
    Router::new()
        .route("/", get(ui::index))
        .route("/ui/{file}", get(ui::file))
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(routes::readyz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi::document))
        .route("/v1/me", get(routes::me))
        .route("/v1/ask", post(routes::ask))
        .route("/v1/search", get(routes::search))
        .route(
            "/v1/documents",
            get(routes::documents)
                .post(admin::upload)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/v1/documents/{id}/versions/{version}",
            get(routes::document_version),
        )
        .route("/v1/documents/{id}/compare", get(routes::compare))
        .route("/v1/reviews", get(routes::reviews))
        .route("/v1/reviews/{id}", get(routes::review))
        .route("/v1/reviews/{id}/decision", post(routes::decide))
        .route("/v1/jobs/{id}", get(admin::job))
        .route("/v1/tokens", get(admin::tokens).post(admin::create_token))
        .route("/v1/tokens/{id}", delete(admin::revoke_token))
        .route("/v1/audit", get(audit::records))
        .route("/v1/audit/verify", get(audit::verify))
        .route("/v1/audit/head", get(audit::head))
        .route("/v1/audit/impact", get(audit::impact))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            request_id,
        ))
        .with_state(state)
}

/// Loads the model (so the first question is not slow), then serves on `listener` until `shutdown`
/// resolves; requests in flight are finished first.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let engine = state.engine.clone();
    if !engine.config().audit.record_asks {
        tracing::warn!(
            "audit.record_asks is off: asks are NOT recorded in the audit trail (for measuring its cost only)"
        );
    }
    match tokio::task::spawn_blocking(move || engine.embedder().map(|_| ())).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::error!(error = %e, "the embedding model did not load; asks will fail")
        }
        Err(e) => tracing::error!(error = %e, "model loading task failed"),
    }
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
