//! The controller's HTTP interface (axum): `POST /hooks/git` (signed push events
//! trigger a fetch at once), `GET /status`, `GET /healthz`, `GET /readyz` (ready after
//! the first successful fetch), `GET /metrics` (Prometheus), and `POST /suspend` /
//! `POST /resume` (with the admin bearer token, never the webhook signature; a
//! suspended controller still plans and reports, but writes nothing).
//!
//! Handlers only read and flip shared state; the reconcile loop owns the work.
//!
//! Hostile clients are bounded: at most [`MAX_CONNECTIONS`] connections are served at
//! once (more wait in the listen backlog), request headers must arrive within
//! [`HEADER_READ_TIMEOUT`] (hyper closes the connection otherwise, idle keep-alive
//! connections too), a whole request, body included, is answered within
//! [`REQUEST_TIMEOUT`] (408 otherwise: a slowly trickled body cannot hold a
//! connection), and bodies are capped at [`MAX_BODY_BYTES`] (413).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::{Notify, Semaphore};
use tower::ServiceExt;

use super::admin::{self, AdminError};
use super::metrics::Metrics;
use super::status::Status;
use super::webhook::{self, Signatures, WebhookError, MAX_BODY_BYTES};

/// State shared between the HTTP handlers and the reconcile loop.
#[derive(Debug, Default)]
pub struct Shared {
    pub status: Mutex<Status>,
    pub metrics: Mutex<Metrics>,
    /// Set after the first successful fetch.
    pub ready: AtomicBool,
    pub suspended: AtomicBool,
    /// Woken by an accepted webhook: fetch now.
    pub trigger: Arc<Notify>,
    /// Woken by `POST /resume`: reconcile every target now.
    pub resync: Arc<Notify>,
    /// The webhook secret; `None` disables webhooks.
    pub secret: Option<Vec<u8>>,
    /// The control endpoints' bearer token; `None` disables suspend/resume.
    pub admin_token: Option<Vec<u8>>,
    /// The branch the controller follows; pushes to others are ignored.
    pub branch: String,
    /// The dashboard's settings (`GET /`).
    pub ui: super::ui::Ui,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn check(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<(), Response> {
    let signatures = Signatures {
        github: header(headers, "x-hub-signature-256"),
        gitlab: header(headers, "x-gitlab-token"),
        generic: header(headers, "x-driftless-signature"),
    };
    webhook::verify(shared.secret.as_deref(), body, &signatures).map_err(|e| {
        let code = match e {
            WebhookError::Disabled => StatusCode::NOT_FOUND,
            WebhookError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::UNAUTHORIZED,
        };
        (code, format!("{e}\n")).into_response()
    })
}

async fn hook(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refused) = check(&shared, &headers, &body) {
        return refused;
    }
    if serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err() {
        return (StatusCode::BAD_REQUEST, "the body is not JSON\n").into_response();
    }
    match webhook::pushed_branch(&body) {
        Some(branch) if branch == shared.branch => {
            shared.trigger.notify_one();
            (StatusCode::ACCEPTED, "fetching now\n").into_response()
        }
        Some(other) => (
            StatusCode::OK,
            format!("ignored: a push to {other}, not {}\n", shared.branch),
        )
            .into_response(),
        // Pings and other events: acknowledged, nothing to do.
        None => (StatusCode::OK, "ignored: not a push to a branch\n").into_response(),
    }
}

async fn set_suspended(shared: Arc<Shared>, headers: HeaderMap, value: bool) -> Response {
    if let Err(e) = admin::authorize(
        shared.admin_token.as_deref(),
        header(&headers, "authorization"),
    ) {
        let code = match e {
            AdminError::Disabled => StatusCode::FORBIDDEN,
            AdminError::Missing | AdminError::Mismatch => StatusCode::UNAUTHORIZED,
        };
        return (code, format!("{e}\n")).into_response();
    }
    shared.suspended.store(value, Ordering::SeqCst);
    if !value {
        // Write what was held back without waiting for the resync.
        shared.resync.notify_one();
    }
    let text = if value {
        "suspended: reporting only, no writes\n"
    } else {
        "resumed\n"
    };
    (StatusCode::OK, text).into_response()
}

async fn suspend(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    set_suspended(shared, headers, true).await
}

async fn resume(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    set_suspended(shared, headers, false).await
}

async fn status(State(shared): State<Arc<Shared>>) -> Response {
    let status = shared
        .status
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let mut value = serde_json::to_value(&status).unwrap_or_default();
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "suspended".into(),
            shared.suspended.load(Ordering::SeqCst).into(),
        );
    }
    Json(value).into_response()
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(shared): State<Arc<Shared>>) -> Response {
    if shared.ready.load(Ordering::SeqCst) {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: no successful fetch yet\n",
        )
            .into_response()
    }
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let text = {
        let mut metrics = shared.metrics.lock().unwrap_or_else(|e| e.into_inner());
        metrics.aws_calls = crate::aws::calls::snapshot();
        metrics.render()
    };
    ([("content-type", "text/plain; version=0.0.4")], text).into_response()
}

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 512;
/// Time a client has to send a request's headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Time a request (body included) has to be answered.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The routes, with bodies capped at [`MAX_BODY_BYTES`] and requests answered within
/// [`REQUEST_TIMEOUT`].
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/hooks/git", post(hook))
        .route("/suspend", post(suspend))
        .route("/resume", post(resume))
        .route("/status", get(status))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(super::ui::routes(&shared))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(within_request_timeout))
        .with_state(shared)
}

/// 413 at once for a body announced larger than [`MAX_BODY_BYTES`] (without waiting
/// for it), 408 for a request not answered in time (a body trickled in slowly).
async fn within_request_timeout(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let announced = header(request.headers(), "content-length").and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("{}\n", WebhookError::TooLarge),
        )
            .into_response();
    }
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (StatusCode::REQUEST_TIMEOUT, "the request took too long\n").into_response(),
    }
}

/// Binds `addr` and serves until `shutdown` resolves.
pub async fn serve(
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let handle = tokio::spawn(accept(listener, router(shared), shutdown));
    Ok((local, handle))
}

/// Accepts connections (at most [`MAX_CONNECTIONS`] at once) until `shutdown`, then
/// lets the open ones finish their requests.
async fn accept(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let limit = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let (closing, closed) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = limit.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: wait instead of spinning.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // The peer's address, for the dashboard's limit on wrong viewer tokens.
        let service = TowerToHyperService::new(app.clone().map_request(
            move |mut r: hyper::Request<hyper::body::Incoming>| {
                r.extensions_mut().insert(ConnectInfo(peer));
                r
            },
        ));
        let mut closed = closed.clone();
        connections.spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = closed.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
        // Reap finished connections so the set stays as small as the open ones.
        while connections.try_join_next().is_some() {}
    }
    let _ = closing.send(true);
    while connections.join_next().await.is_some() {}
}
