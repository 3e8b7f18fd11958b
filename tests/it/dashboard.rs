//! The dashboard over HTTP (issue 24): strict security headers on every answer, the
//! viewer token (bearer or the login form's cookie) enforced when set, `/status`
//! unchanged, and `--ui=false` turning it off. What a person sees is tested in a
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
    let token_file = repo.state.path().join("ui-token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let token_arg = token_file.to_string_lossy().into_owned();
    let (mut child, addr) =
        start_controller_with(&repo, &url, "1h", &["--ui-token-file", &token_arg]);
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
