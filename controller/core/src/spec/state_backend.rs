//! driftless.yaml `state:`: where driftless keeps what it last applied, the records
//! it writes ahead, the history and the per-target locks: local (SQLite under
//! `--state-dir`, the default) or `s3:` (a bucket and prefix shared by everyone who
//! applies the repository). `--state s3://BUCKET/PREFIX` and `DRIFTLESS_STATE` win
//! over the file. See docs/design/state.md.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::context::{At, Cx};
use super::rules::{self, Check, Problem};

/// The default lease of a target's lock, in seconds.
pub const DEFAULT_LOCK_LEASE_SECS: u64 = 120;
/// The shortest lease accepted, in seconds.
pub const MIN_LOCK_LEASE_SECS: u64 = 10;

/// driftless.yaml `state:`. Without `s3`, the state is local (SQLite under
/// `--state-dir`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StateConfig {
    /// Keep the state in an S3 bucket, shared by every machine that applies the
    /// repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3StateConfig>,
    /// How long a target's lock holds without renewal (`30s`, `2m`); default 2m, at
    /// least 10s. A lock whose lease ran out (its holder died) is taken over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_lease: Option<String>,
}

/// driftless.yaml `state.s3`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct S3StateConfig {
    /// The bucket (it must exist; versioning on is recommended).
    pub bucket: String,
    /// The key prefix everything driftless writes stays under, e.g. `ops/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// The bucket's region; default: the ambient one (AWS_REGION, the profile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// A role assumed (from the default credential chain) to reach the bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}

/// `s3://BUCKET/PREFIX` (the prefix may be empty): (bucket, prefix without slashes at
/// its ends).
pub fn parse_s3_url(url: &str) -> Result<(String, String), Problem> {
    let rest = url.strip_prefix("s3://").ok_or_else(|| {
        Problem::new(format!("`{url}` is not an s3:// URL"))
            .hint("write the state location as s3://BUCKET/PREFIX, or `local`")
    })?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    bucket_name(bucket)?;
    let prefix = prefix.trim_matches('/');
    prefix_check(prefix)?;
    Ok((bucket.to_string(), prefix.to_string()))
}

/// S3's general-purpose bucket naming rules: 3 to 63 lowercase letters, digits, `.`
/// and `-`, beginning and ending with a letter or digit, no `..`.
pub fn bucket_name(name: &str) -> Check {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    let ends = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if (3..=63).contains(&name.len())
        && ok_chars
        && ends(name.chars().next())
        && ends(name.chars().last())
        && !name.contains("..")
    {
        Ok(())
    } else {
        Err(Problem::new(format!("`{name}` is not an S3 bucket name")).hint(
            "bucket names are 3 to 63 lowercase letters, digits, `.` and `-`, beginning and ending with a letter or digit",
        ))
    }
}

fn prefix_check(prefix: &str) -> Check {
    if prefix.len() > 512 || prefix.split('/').any(|p| p == "." || p == "..") {
        return Err(Problem::new(format!("`{prefix}` is not a usable key prefix"))
            .hint("use up to 512 characters of path segments, e.g. `driftless/prod`, without `.` or `..` segments"));
    }
    Ok(())
}

/// `30s`, `2m`, `1h` (or plain seconds) → seconds.
pub fn parse_lease(text: &str) -> Result<u64, Problem> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let bad = || {
        Problem::new(format!("`{text}` is not a lease like 30s, 2m or 1h"))
            .hint("write a number of seconds, minutes or hours: `30s`, `2m`, `1h`")
    };
    let n: u64 = number.parse().map_err(|_| bad())?;
    let unit: u64 = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(bad()),
    };
    let secs = n.checked_mul(unit).ok_or_else(bad)?;
    if secs < MIN_LOCK_LEASE_SECS {
        return Err(
            Problem::new(format!("lockLease `{text}` is shorter than 10s"))
                .hint("a lease must outlast a renewal round trip: use at least 10s (default 2m)"),
        );
    }
    Ok(secs)
}

impl StateConfig {
    /// The lock lease in seconds (default 2 minutes).
    pub fn lease_secs(&self) -> u64 {
        self.lock_lease
            .as_deref()
            .and_then(|l| parse_lease(l).ok())
            .unwrap_or(DEFAULT_LOCK_LEASE_SECS)
    }

    /// Checks the block: the bucket's name, the prefix, region, role and lease.
    pub fn check(&self, cx: &mut Cx<'_>) {
        let at = At::root().k("state");
        if let Some(s3) = &self.s3 {
            let s3_at = at.k("s3");
            cx.check(&s3_at.k("bucket"), bucket_name(&s3.bucket));
            if let Some(prefix) = &s3.prefix {
                cx.check(&s3_at.k("prefix"), prefix_check(prefix.trim_matches('/')));
            }
            if let Some(region) = &s3.region {
                cx.check(&s3_at.k("region"), rules::region(region));
            }
            if let Some(role) = &s3.role_arn {
                cx.check(&s3_at.k("roleArn"), rules::role_arn(role, "roleArn"));
            }
        }
        if let Some(lease) = &self.lock_lease {
            cx.check(&at.k("lockLease"), parse_lease(lease).map(|_| ()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_give_a_bucket_and_a_trimmed_prefix() {
        assert_eq!(
            parse_s3_url("s3://acme-state/driftless/prod/").unwrap(),
            ("acme-state".into(), "driftless/prod".into())
        );
        assert_eq!(
            parse_s3_url("s3://acme-state").unwrap(),
            ("acme-state".into(), String::new())
        );
        assert!(parse_s3_url("https://acme-state/x").is_err());
        assert!(parse_s3_url("s3://Acme_State/x").is_err());
        assert!(parse_s3_url("s3://ab/x").is_err());
        assert!(parse_s3_url("s3://acme-state/a/../b").is_err());
    }

    #[test]
    fn leases_are_at_least_ten_seconds() {
        assert_eq!(parse_lease("2m").unwrap(), 120);
        assert_eq!(parse_lease("10").unwrap(), 10);
        assert!(parse_lease("9s").is_err());
        assert!(parse_lease("2 minutes").is_err());
        assert_eq!(StateConfig::default().lease_secs(), DEFAULT_LOCK_LEASE_SECS);
    }
}
