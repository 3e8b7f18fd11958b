//! The control endpoints' credential (`POST /suspend`, `POST /resume`): a bearer
//! token of their own (`DRIFTLESS_ADMIN_TOKEN` or `--admin-token-file`), never the
//! webhook secret, so a captured push delivery replayed there is refused. Pure.
//!
//! Tokens are compared as SHA-256 digests in constant time, so neither the content
//! nor the length of the configured token leaks through timing. Without a token the
//! endpoints are disabled.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Why a control request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    #[error("the control endpoints are disabled: no admin token is configured (set DRIFTLESS_ADMIN_TOKEN or --admin-token-file)")]
    Disabled,
    #[error("missing `Authorization: Bearer <token>`")]
    Missing,
    #[error("the bearer token does not match the admin token")]
    Mismatch,
}

/// Checks an `Authorization` header value against the configured token.
pub fn authorize(token: Option<&[u8]>, authorization: Option<&str>) -> Result<(), AdminError> {
    let token = match token {
        Some(t) if !t.is_empty() => t,
        _ => return Err(AdminError::Disabled),
    };
    let offered = authorization
        .and_then(|h| {
            let (scheme, value) = h.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| value.trim())
        })
        .filter(|v| !v.is_empty())
        .ok_or(AdminError::Missing)?;
    let equal: bool = Sha256::digest(offered.as_bytes())
        .ct_eq(&Sha256::digest(token))
        .into();
    if equal {
        Ok(())
    } else {
        Err(AdminError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_admin_token_is_accepted() {
        let token = Some(&b"adm1n-t0ken"[..]);
        assert_eq!(authorize(token, Some("Bearer adm1n-t0ken")), Ok(()));
        assert_eq!(authorize(token, Some("bearer  adm1n-t0ken ")), Ok(()));
        assert_eq!(
            authorize(token, Some("Bearer adm1n-t0ke")),
            Err(AdminError::Mismatch)
        );
        assert_eq!(
            authorize(token, Some("Bearer adm1n-t0kenX")),
            Err(AdminError::Mismatch)
        );
        assert_eq!(
            authorize(token, Some("Basic adm1n-t0ken")),
            Err(AdminError::Missing)
        );
        assert_eq!(authorize(token, Some("Bearer ")), Err(AdminError::Missing));
        assert_eq!(authorize(token, None), Err(AdminError::Missing));
    }

    #[test]
    fn without_a_token_the_endpoints_are_disabled() {
        assert_eq!(authorize(None, Some("Bearer x")), Err(AdminError::Disabled));
        assert_eq!(
            authorize(Some(b""), Some("Bearer ")),
            Err(AdminError::Disabled)
        );
    }
}
