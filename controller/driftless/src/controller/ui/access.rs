//! The dashboard's optional viewer credential: `Authorization: Bearer <token>`, or
//! the session cookie the login form sets (HttpOnly, SameSite=Strict, Secure behind
//! HTTPS). The cookie holds an HMAC of a fixed label under the token, not the token;
//! changing the token signs everyone out. Compared as SHA-256 digests in constant
//! time (as the admin token is). Pure.

use axum::http::HeaderMap;
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The session cookie's name.
pub const COOKIE: &str = "driftless_ui";

/// Whether `a` and `b` are equal, in time independent of their content and length.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    !a.is_empty() && bool::from(Sha256::digest(a).ct_eq(&Sha256::digest(b)))
}

fn session_value(token: &[u8]) -> String {
    let mut mac =
        <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(token).expect("HMAC takes any key");
    mac.update(b"driftless dashboard session v1");
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether the request came through HTTPS (a TLS-terminating ingress says so).
pub fn https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

fn attributes(secure: bool) -> &'static str {
    if secure {
        "; Path=/; HttpOnly; SameSite=Strict; Secure"
    } else {
        "; Path=/; HttpOnly; SameSite=Strict"
    }
}

/// The `Set-Cookie` value of a signed-in viewer (a session cookie: gone with the
/// browser).
pub fn session_cookie(token: &[u8], secure: bool) -> String {
    format!("{COOKIE}={}{}", session_value(token), attributes(secure))
}

/// The `Set-Cookie` value that signs out.
pub fn cleared_cookie(secure: bool) -> String {
    format!("{COOKIE}={}; Max-Age=0", attributes(secure))
}

/// What a request's credential is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token is set, or the bearer token or the session cookie is right.
    Allowed,
    /// Neither a bearer token nor a session cookie was offered.
    Missing,
    /// One was offered and none is right (counts against the client's address).
    Wrong,
}

/// Whether a request may see the dashboard: always without a token; else with the
/// bearer token or the session cookie.
pub fn check(token: Option<&[u8]>, headers: &HeaderMap) -> Access {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Access::Allowed;
    };
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|h| {
            let (scheme, value) = h.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| value.trim())
        });
    if bearer.is_some_and(|b| same(b.as_bytes(), token)) {
        return Access::Allowed;
    }
    let expected = session_value(token);
    let cookies: Vec<&str> = headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .filter(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v)
        .collect();
    if cookies
        .iter()
        .any(|v| same(v.as_bytes(), expected.as_bytes()))
    {
        Access::Allowed
    } else if bearer.is_some() || !cookies.is_empty() {
        Access::Wrong
    } else {
        Access::Missing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: &str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
        h
    }

    #[test]
    fn without_a_token_everyone_may_look() {
        assert_eq!(check(None, &HeaderMap::new()), Access::Allowed);
        assert_eq!(
            check(Some(b""), &with("cookie", "driftless_ui=x")),
            Access::Allowed
        );
    }

    #[test]
    fn a_token_needs_the_bearer_or_the_session_cookie() {
        let t = Some(&b"v1ewer"[..]);
        assert_eq!(check(t, &HeaderMap::new()), Access::Missing);
        assert_eq!(check(t, &with("cookie", "other=1")), Access::Missing);
        assert_eq!(
            check(t, &with("authorization", "Bearer v1ewer")),
            Access::Allowed
        );
        assert_eq!(
            check(t, &with("authorization", "Bearer v1ewe")),
            Access::Wrong
        );
        assert_eq!(
            check(t, &with("authorization", "Basic v1ewer")),
            Access::Missing
        );
        let cookie = session_cookie(b"v1ewer", false);
        assert!(cookie.contains("HttpOnly; SameSite=Strict") && !cookie.contains("v1ewer"));
        assert!(session_cookie(b"v1ewer", true).ends_with("; Secure"));
        let value = cookie.split(';').next().unwrap();
        assert_eq!(
            check(t, &with("cookie", &format!("a=b; {value}"))),
            Access::Allowed
        );
        // The cookie of another token, or the token itself as a cookie, is wrong.
        let other = session_cookie(b"other", false);
        assert_eq!(
            check(t, &with("cookie", other.split(';').next().unwrap())),
            Access::Wrong
        );
        assert_eq!(
            check(t, &with("cookie", "driftless_ui=v1ewer")),
            Access::Wrong
        );
        assert!(!same(b"", b""));
    }
}
