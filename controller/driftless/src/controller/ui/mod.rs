//! The dashboard served by `driftless run` on its listener (`GET /`, `/targets/{name}`,
//! `/schedule`, `/ui/*`), read-only, turned off by `--ui=false`. This module is the
//! HTTP side: routes, the optional viewer credential ([`access`]) and its brake on
//! wrong tokens ([`limit`]), the security headers, the two static files; [`views`]
//! fills the core's view models (`driftless_core::render::dashboard`) from the
//! status, the history and the last good revision. Pages show what `/status` and
//! `history` show, never a secret.

pub mod access;
pub mod limit;
mod views;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};

use super::http::Shared;
use super::run::{Revision, StateChoice};
use crate::plan::{ChangedBy, FieldChange};
use crate::render::dashboard as html;

/// The dashboard's settings and what it reads besides the status.
#[derive(Debug, Default)]
pub struct Ui {
    /// `--ui` (on by default for `driftless run`).
    pub enabled: bool,
    /// The viewer token (`DRIFTLESS_UI_TOKEN` / `--ui-token-file`); `None`: open.
    pub token: Option<Vec<u8>>,
    /// Where the history is (the controller's backend, once chosen).
    pub state: Option<Arc<StateChoice>>,
    /// The local store, where fetched commits are recorded.
    pub state_dir: PathBuf,
    /// `--resync`: the next reconcile of a converged target.
    pub resync: Duration,
    /// The last good revision (targets' accounts and regions, the schedule).
    pub revision: Mutex<Option<Arc<Revision>>>,
    /// Per target, the drift its last reconcile saw (drift left in place is in no
    /// history record's changes).
    pub drift: Mutex<BTreeMap<String, Vec<SeenDrift>>>,
    /// Wrong viewer tokens per client address (429 past a few a minute).
    pub limiter: limit::Limiter,
}

/// One drifted resource seen by a target's last reconcile.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenDrift {
    /// `Kind/name`.
    pub resource: String,
    pub at_unix: i64,
    /// Put back (else left in place: reported, or suspended).
    pub corrected: bool,
    pub fields: Vec<FieldChange>,
    pub changed_by: Option<ChangedBy>,
}

impl Ui {
    /// Keeps what a target's last reconcile saw drift on.
    pub fn saw_drift(&self, target: &str, drift: Vec<SeenDrift>) {
        let mut all = self.drift.lock().unwrap_or_else(|e| e.into_inner());
        if drift.is_empty() {
            all.remove(target);
        } else {
            all.insert(target.to_string(), drift);
        }
    }
}

/// The Content-Security-Policy of every dashboard answer: only driftless's own
/// script, style and connections; no inline script or style; no framing.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                       connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const APP_JS: &str = include_str!("assets/app.js");
const STYLE_CSS: &str = include_str!("assets/style.css");

/// The dashboard's routes, or none with `--ui=false`.
pub fn routes(shared: &Arc<Shared>) -> Router<Arc<Shared>> {
    if !shared.ui.enabled {
        return Router::new();
    }
    Router::new()
        .route("/", get(home))
        .route("/targets/{name}", get(target))
        .route("/schedule", get(schedule))
        .route(
            "/ui/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/ui/style.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE_CSS) }),
        )
        .route("/ui/login", get(login_form).post(login))
        .route("/ui/logout", post(logout))
        .layer(axum::middleware::from_fn_with_state(shared.clone(), guard))
        .layer(axum::middleware::from_fn(security_headers))
}

fn asset(content_type: &'static str, text: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        text,
    )
        .into_response()
}

fn page(code: StatusCode, text: String) -> Response {
    (
        code,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        text,
    )
        .into_response()
}

/// Strict headers on every dashboard answer, errors and the login page included.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// The address a request came from (the TCP peer: behind an ingress, the ingress).
#[derive(Debug, Clone, Copy)]
struct Client(IpAddr);

/// Pages need the viewer credential when one is set; the login form and the static
/// files do not (they hold nothing). A client that offered too many wrong tokens
/// gets 429 until its wait is over, and a wrong session cookie is cleared (a
/// browser holding one of an old token then stops offering it).
async fn guard(State(shared): State<Arc<Shared>>, mut request: Request, next: Next) -> Response {
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    request.extensions_mut().insert(Client(client));
    let token = shared.ui.token.as_deref().filter(|t| !t.is_empty());
    if token.is_none() || request.uri().path().starts_with("/ui/") {
        return next.run(request).await;
    }
    if let Some(wait) = shared.ui.limiter.blocked(client, Instant::now()) {
        return too_many(wait);
    }
    match access::check(token, request.headers()) {
        access::Access::Allowed => next.run(request).await,
        access::Access::Missing => page(StatusCode::UNAUTHORIZED, html::login(false)),
        access::Access::Wrong => {
            shared.ui.limiter.failed(client, Instant::now());
            tracing::info!(client = %client, "dashboard request refused: wrong viewer token");
            let cleared = access::cleared_cookie(access::https(request.headers()));
            let mut response = page(StatusCode::UNAUTHORIZED, html::login(false));
            if let Ok(v) = HeaderValue::from_str(&cleared) {
                response.headers_mut().insert(header::SET_COOKIE, v);
            }
            response
        }
    }
}

/// 429 with `Retry-After` (whole seconds, at least 1).
fn too_many(wait: Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    let mut response = page(StatusCode::TOO_MANY_REQUESTS, html::too_many(seconds));
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

async fn login_form() -> Response {
    page(StatusCode::OK, html::login(false))
}

/// `POST /ui/login` (form `token=`): the session cookie, or the form again; 429
/// while the client is held back.
async fn login(
    State(shared): State<Arc<Shared>>,
    Extension(Client(client)): Extension<Client>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(token) = shared.ui.token.as_deref().filter(|t| !t.is_empty()) else {
        return redirect_home(None);
    };
    if let Some(wait) = shared.ui.limiter.blocked(client, Instant::now()) {
        return too_many(wait);
    }
    let offered = html::query_pairs(&String::from_utf8_lossy(&body))
        .into_iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v)
        .unwrap_or_default();
    if !access::same(offered.trim().as_bytes(), token) {
        shared.ui.limiter.failed(client, Instant::now());
        tracing::info!(client = %client, "dashboard sign-in refused: wrong viewer token");
        return page(StatusCode::UNAUTHORIZED, html::login(true));
    }
    redirect_home(Some(access::session_cookie(token, access::https(&headers))))
}

async fn logout(headers: HeaderMap) -> Response {
    redirect_home(Some(access::cleared_cookie(access::https(&headers))))
}

fn redirect_home(cookie: Option<String>) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(header::SET_COOKIE, c);
    }
    response
}

async fn home(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let view = views::home(&shared, query.as_deref().unwrap_or("")).await;
    page(StatusCode::OK, html::home(&view))
}

async fn target(State(shared): State<Arc<Shared>>, Path(name): Path<String>) -> Response {
    match views::target(&shared, &name).await {
        Some(view) => page(StatusCode::OK, html::target(&view)),
        None => page(
            StatusCode::NOT_FOUND,
            html::layout(
                "Not found",
                html::Nav::None,
                &format!(
                    "<h1>No target {}</h1><p><a href=\"/\">All targets</a></p>",
                    html::esc(&name)
                ),
            ),
        ),
    }
}

async fn schedule(State(shared): State<Arc<Shared>>) -> Response {
    page(StatusCode::OK, views::schedule(&shared))
}
