//! The dashboard over HTTP (issue 24): strict security headers on every answer, the
//! viewer token (bearer or the login form's cookie) enforced when set and wrong
//! tokens held back (429), `/status` unchanged, a shard's schedule limited to its
//! own targets, and `--ui=false` turning it off. What a person sees is tested in a
//! real browser by tests/browser.

use crate::cli::LOG_GROUP;
use crate::support::{http, http_with_head, origin_repo, start_controller_with, wait_until, Repo};

const TOKEN: &str = "v1ewer-t0ken";

/// The value of `name` in a response head (case-insensitive name).
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn assert_strict(head: &str, what: &str) {
    let csp = header(head, "content-security-policy").unwrap_or_else(|| panic!("{what}: {head}"));
    assert!(csp.contains("script-src 'self'"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(csp.contains("default-src 'none'"), "{what}: {csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{what}: {csp}"
    );
    assert_eq!(
        header(head, "x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        header(head, "referrer-policy"),
        Some("no-referrer"),
        "{what}"
    );
    assert_eq!(header(head, "x-frame-options"), Some("DENY"), "{what}");
}

#[test]
fn the_dashboard_sends_strict_headers_and_requires_the_viewer_token() {
    let repo = Repo::new(&[]);
    let (_origin, url) = origin_repo(&[("a.yaml", LOG_GROUP)], "first");
    let (mut child, addr) = with_token(&repo, &url);
    wait_until("the first reconcile", &|| {
        http(&addr, "GET", "/status", &[], b"")
            .1
            .contains("\"lastResult\"")
    });

    // Without the token: the login form, with the same headers.
    let (code, head, body) = http_with_head(&addr, "GET", "/", &[], b"");
    assert_eq!(code, 401, "{head}");
    assert_strict(&head, "GET / unsigned");
    assert!(
        body.contains("action=\"/ui/login\"") && !body.contains("/targets/default"),
        "{body}"
    );
    for path in ["/targets/default", "/schedule"] {
        assert_eq!(http(&addr, "GET", path, &[], b"").0, 401, "{path}");
    }
    let (code, head, _) = http_with_head(&addr, "GET", "/ui/app.js", &[], b"");
    assert_eq!(code, 200);
    assert_strict(&head, "the script");
    assert!(header(&head, "content-type")
        .unwrap()
        .starts_with("text/javascript"));

    // The bearer token.
    let bearer = format!("Bearer {TOKEN}");
    let (code, head, body) = http_with_head(&addr, "GET", "/", &[("Authorization", &bearer)], b"");
    assert_eq!(code, 200, "{body}");
    assert_strict(&head, "GET / with the token");
    assert!(body.contains("href=\"/targets/default\""), "{body}");
    assert!(!body.contains(TOKEN) && !body.contains(crate::secrets::WEBHOOK_SECRET));
    let wrong = http(
        &addr,
        "GET",
        "/",
        &[("Authorization", "Bearer v1ewer-t0ke")],
        b"",
    );
    assert_eq!(wrong.0, 401);

    // The login form: a wrong token is refused, the right one sets a strict cookie.
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let (code, _, body) = http_with_head(&addr, "POST", "/ui/login", &form, b"token=nope");
    assert_eq!(code, 401);
    assert!(body.contains("not the viewer token"));
    let (code, head, _) = http_with_head(
        &addr,
        "POST",
        "/ui/login",
        &form,
        format!("token={TOKEN}").as_bytes(),
    );
    assert_eq!(code, 303, "{head}");
    let cookie = header(&head, "set-cookie").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(
        !cookie.contains(TOKEN),
        "the cookie is not the token: {cookie}"
    );
    let session = cookie.split(';').next().unwrap();
    let (code, body) = http(
        &addr,
        "GET",
        "/targets/default",
        &[("Cookie", session)],
        b"",
    );
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("<h1>default</h1>"), "{body}");

    // /status keeps answering as before (probes and scripts).
    assert_eq!(http(&addr, "GET", "/status", &[], b"").0, 200);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn ui_false_turns_the_dashboard_off() {
    let repo = Repo::new(&[]);
    let (_origin, url) = origin_repo(&[("a.yaml", LOG_GROUP)], "first");
    let (mut child, addr) = start_controller_with(&repo, &url, "1h", &["--ui=false"]);
    for path in ["/", "/ui/app.js", "/schedule"] {
        assert_eq!(http(&addr, "GET", path, &[], b"").0, 404, "{path}");
    }
    assert_eq!(http(&addr, "GET", "/healthz", &[], b"").0, 200);
    child.kill().unwrap();
    child.wait().unwrap();
}

fn with_token(repo: &Repo, url: &str) -> (std::process::Child, String) {
    let token_file = repo.state.path().join("ui-token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let token_arg = token_file.to_string_lossy().into_owned();
    start_controller_with(repo, url, "1h", &["--ui-token-file", &token_arg])
}

#[test]
fn wrong_viewer_tokens_are_held_back_with_429_and_retry_after() {
    let repo = Repo::new(&[]);
    let (_origin, url) = origin_repo(&[("a.yaml", LOG_GROUP)], "first");
    let (mut child, addr) = with_token(&repo, &url);
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    // Opening pages without a credential (the login form) counts nothing.
    for _ in 0..12 {
        assert_eq!(http(&addr, "GET", "/", &[], b"").0, 401);
    }
    // Five wrong tokens within a minute: the form, a bearer token, a cookie.
    for _ in 0..3 {
        let (code, _) = http(&addr, "POST", "/ui/login", &form, b"token=guess");
        assert_eq!(code, 401);
    }
    assert_eq!(
        http(&addr, "GET", "/", &[("Authorization", "Bearer guess")], b"").0,
        401
    );
    let (code, head, _) = http_with_head(
        &addr,
        "GET",
        "/targets/default",
        &[("Cookie", "driftless_ui=forged")],
        b"",
    );
    assert_eq!(code, 401, "{head}");
    let cleared = header(&head, "set-cookie").unwrap_or_else(|| panic!("{head}"));
    assert!(
        cleared.starts_with("driftless_ui=;") && cleared.contains("Max-Age=0"),
        "a wrong cookie is cleared: {cleared}"
    );
    // Now even the right token waits, with the time to wait, and strict headers.
    let right = format!("token={TOKEN}");
    let (code, head, body) = http_with_head(&addr, "POST", "/ui/login", &form, right.as_bytes());
    assert_eq!(code, 429, "{head}");
    assert_strict(&head, "429");
    let wait: u64 = header(&head, "retry-after")
        .unwrap_or_else(|| panic!("{head}"))
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(body.contains(&format!("Try again in {wait} s")), "{body}");
    assert!(header(&head, "set-cookie").is_none(), "no session: {head}");
    let bearer = format!("Bearer {TOKEN}");
    assert_eq!(
        http(&addr, "GET", "/", &[("Authorization", &bearer)], b"").0,
        429
    );
    // The probes, /status and the static files are not held back.
    for path in ["/status", "/healthz", "/ui/style.css"] {
        assert_eq!(http(&addr, "GET", path, &[], b"").0, 200, "{path}");
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Two targets with a daily maintenance window each.
fn two_windows() -> Vec<(&'static str, String)> {
    let window = |name: &str, target: &str| {
        format!(
            "apiVersion: driftless.dev/v1\nkind: MaintenanceWindow\n\
             metadata: {{name: {name}, targets: [{target}]}}\nspec:\n\
             \x20 schedule: cron(0 18 ? * * *)\n  duration: 2\n  cutoff: 1\n"
        )
    };
    vec![
        (
            "driftless.yaml",
            "targets:\n  - {name: alpha, region: eu-west-1}\n  - {name: beta, region: us-east-1}\n"
                .to_string(),
        ),
        ("alpha.yaml", window("window-of-alpha", "alpha")),
        ("beta.yaml", window("window-of-beta", "beta")),
    ]
}

/// The schedule page of shard `index` of 3.
fn schedule_of_shard(url: &str, index: u32) -> String {
    let repo = Repo::new(&[]);
    let index_arg = index.to_string();
    let (mut child, addr) = start_controller_with(
        &repo,
        url,
        "1h",
        &["--shard-count", "3", "--shard-index", &index_arg],
    );
    wait_until("the shard's targets in /status", &|| {
        http(&addr, "GET", "/status", &[], b"")
            .1
            .contains("\"shard\"")
    });
    let (code, body) = http(&addr, "GET", "/schedule", &[], b"");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(code, 200, "{body}");
    body
}

#[test]
fn a_shards_schedule_shows_its_own_targets_and_an_empty_shard_says_so() {
    let files = two_windows();
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let (_origin, url) = origin_repo(&files, "two windows");
    let owners = driftless::controller::shard::assign(&["alpha", "beta"], 3);
    let alpha = owners[0];
    let empty = (0..3).find(|i| !owners.contains(i)).unwrap();
    assert_ne!(
        alpha, owners[1],
        "two targets, three shards: one each at most"
    );
    let page = schedule_of_shard(&url, alpha);
    assert!(page.contains("window-of-alpha"), "{page}");
    assert!(!page.contains("window-of-beta"), "{page}");
    let page = schedule_of_shard(&url, empty);
    assert!(
        page.contains(&format!(
            "This controller (shard {empty}/3) reconciles no target"
        )),
        "{page}"
    );
    assert!(
        !page.contains("window-of-"),
        "no other shard's runs: {page}"
    );
    assert!(page.contains("No runs in this time."), "{page}");
}
