//! Signed git webhooks: which deliveries to believe, and which branch they are about.
//!
//! Pure and synchronous so it can be tested without a server. A delivery is accepted
//! only with a valid signature for the configured secret (no secret: webhooks are
//! off), compared in constant time:
//!
//! - GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`;
//! - GitLab: `X-Gitlab-Token: <the secret itself>`;
//! - anything else: `X-Driftless-Signature: sha256=<hex HMAC-SHA256 of the body>`.
//!
//! Bodies over [`MAX_BODY_BYTES`] are refused before any of this runs.

use hmac::{KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The largest webhook body read.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Why a delivery was refused. The messages never include the secret or the
/// signature received.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("webhooks are disabled: no secret is configured (DRIFTLESS_WEBHOOK_SECRET or --webhook-secret-file)")]
    Disabled,
    #[error("no signature header (X-Hub-Signature-256, X-Gitlab-Token or X-Driftless-Signature)")]
    Unsigned,
    #[error("the signature header is malformed; expected `sha256=<64 hex digits>`")]
    Malformed,
    #[error("the signature does not match the configured secret")]
    Mismatch,
    #[error("the body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
}

/// The signature headers of one delivery (values as received).
#[derive(Debug, Clone, Default)]
pub struct Signatures<'a> {
    pub github: Option<&'a str>,
    pub gitlab: Option<&'a str>,
    pub generic: Option<&'a str>,
}

/// Checks a delivery against `secret`. `Ok` only for a valid signature.
pub fn verify(
    secret: Option<&[u8]>,
    body: &[u8],
    signatures: &Signatures<'_>,
) -> Result<(), WebhookError> {
    let secret = match secret {
        Some(s) if !s.is_empty() => s,
        _ => return Err(WebhookError::Disabled),
    };
    if body.len() > MAX_BODY_BYTES {
        return Err(WebhookError::TooLarge);
    }
    if let Some(header) = signatures.github.or(signatures.generic) {
        return verify_hmac(secret, body, header);
    }
    if let Some(token) = signatures.gitlab {
        let equal: bool = token.as_bytes().ct_eq(secret).into();
        return if equal {
            Ok(())
        } else {
            Err(WebhookError::Mismatch)
        };
    }
    Err(WebhookError::Unsigned)
}

fn verify_hmac(secret: &[u8], body: &[u8], header: &str) -> Result<(), WebhookError> {
    let hex = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or(WebhookError::Malformed)?;
    let expected = decode_hex(hex).ok_or(WebhookError::Malformed)?;
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(secret)
        .map_err(|_| WebhookError::Disabled)?;
    mac.update(body);
    // verify_slice compares in constant time.
    mac.verify_slice(&expected)
        .map_err(|_| WebhookError::Mismatch)
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// The signature a sender computes: `sha256=<hex>` (for tests and for documentation).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(secret)
        .expect("HMAC takes keys of any length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// The branch a push event is about (`refs/heads/<branch>` in GitHub's and GitLab's
/// payloads); `None` for other events or other kinds of refs.
pub fn pushed_branch(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value
        .get("ref")?
        .as_str()?
        .strip_prefix("refs/heads/")
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"It's a Secret to Everybody";
    const BODY: &[u8] = b"Hello, World!";

    #[test]
    fn github_signatures_match_the_documented_example() {
        // GitHub's documentation: this secret and payload give this signature.
        assert_eq!(
            sign(SECRET, BODY),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
        let sig = sign(SECRET, BODY);
        let ok = Signatures {
            github: Some(&sig),
            ..Default::default()
        };
        assert_eq!(verify(Some(SECRET), BODY, &ok), Ok(()));
    }

    #[test]
    fn a_wrong_or_missing_signature_is_refused() {
        let wrong = sign(b"another secret", BODY);
        let sigs = Signatures {
            github: Some(&wrong),
            ..Default::default()
        };
        assert_eq!(
            verify(Some(SECRET), BODY, &sigs),
            Err(WebhookError::Mismatch)
        );
        let tampered = sign(SECRET, b"Hello, World?");
        let sigs = Signatures {
            generic: Some(&tampered),
            ..Default::default()
        };
        assert_eq!(
            verify(Some(SECRET), BODY, &sigs),
            Err(WebhookError::Mismatch)
        );
        assert_eq!(
            verify(Some(SECRET), BODY, &Signatures::default()),
            Err(WebhookError::Unsigned)
        );
        let sigs = Signatures {
            github: Some("sha1=abc"),
            ..Default::default()
        };
        assert_eq!(
            verify(Some(SECRET), BODY, &sigs),
            Err(WebhookError::Malformed)
        );
    }

    #[test]
    fn without_a_secret_webhooks_are_off() {
        let sig = sign(SECRET, BODY);
        let sigs = Signatures {
            github: Some(&sig),
            ..Default::default()
        };
        assert_eq!(verify(None, BODY, &sigs), Err(WebhookError::Disabled));
        assert_eq!(verify(Some(b""), BODY, &sigs), Err(WebhookError::Disabled));
    }

    #[test]
    fn gitlab_tokens_are_compared_whole() {
        let ok = Signatures {
            gitlab: Some("It's a Secret to Everybody"),
            ..Default::default()
        };
        assert_eq!(verify(Some(SECRET), BODY, &ok), Ok(()));
        let prefix = Signatures {
            gitlab: Some("It's a Secret"),
            ..Default::default()
        };
        assert_eq!(
            verify(Some(SECRET), BODY, &prefix),
            Err(WebhookError::Mismatch)
        );
    }

    #[test]
    fn oversized_bodies_are_refused() {
        let body = vec![b'x'; MAX_BODY_BYTES + 1];
        let sig = sign(SECRET, &body);
        let sigs = Signatures {
            github: Some(&sig),
            ..Default::default()
        };
        assert_eq!(
            verify(Some(SECRET), &body, &sigs),
            Err(WebhookError::TooLarge)
        );
    }

    #[test]
    fn push_events_name_their_branch() {
        assert_eq!(
            pushed_branch(br#"{"ref": "refs/heads/main", "after": "abc"}"#),
            Some("main".into())
        );
        assert_eq!(pushed_branch(br#"{"ref": "refs/tags/v1"}"#), None);
        assert_eq!(pushed_branch(br#"{"zen": "ping"}"#), None);
        assert_eq!(pushed_branch(b"not json"), None);
    }

    #[test]
    fn errors_never_echo_secrets() {
        for e in [
            WebhookError::Mismatch,
            WebhookError::Malformed,
            WebhookError::Unsigned,
            WebhookError::Disabled,
        ] {
            assert!(!e.to_string().contains("Secret to Everybody"));
        }
    }
}
