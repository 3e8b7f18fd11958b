//! Log group rules.
//!
//! * `cw-loggroup-retention-period-check`
//!   (<https://docs.aws.amazon.com/config/latest/developerguide/cw-loggroup-retention-period-check.html>):
//!   NON_COMPLIANT when the retention is below `minRetentionTime` (default 365 days);
//!   "never expire" is COMPLIANT; `logGroupNames` (name prefixes) narrows the groups.
//!   A LogRetentionPolicy is held to it too, since it sets its groups' retention.
//! * `cloudwatch-log-group-encrypted`
//!   (<https://docs.aws.amazon.com/config/latest/developerguide/cloudwatch-log-group-encrypted.html>):
//!   NON_COMPLIANT without a KMS key, or with another key than `kmsKeyId`.

use super::params::Params;
use super::{Finding, Seg, Subject};
use crate::spec::log_group::Retention;
use crate::spec::LogGroupSpec;

pub(super) fn retention(p: Params<'_>, name: &str, subject: Subject<'_>) -> Option<Vec<Finding>> {
    let (retention, scope_name) = match subject {
        Subject::LogGroup(g) => (g.retention_in_days, name),
        Subject::LogRetentionPolicy(policy) => (
            Some(policy.retention_in_days),
            policy.log_group_name_prefix.as_str(),
        ),
        _ => return None,
    };
    let prefixes = p.csv("logGroupNames");
    // A policy's prefix is in scope when its groups can be: one prefix starts the other.
    let in_scope = prefixes.is_empty()
        || prefixes
            .iter()
            .any(|q| scope_name.starts_with(q) || q.starts_with(scope_name));
    if !in_scope {
        return None;
    }
    let min = p.int("minRetentionTime").unwrap_or(365);
    Some(match retention {
        Some(Retention::Days(days)) if u64::from(days) < min => vec![Finding::new(
            vec![Seg::Key("retentionInDays")],
            format!("retentionInDays {days} < minRetentionTime {min}"),
        )
        .hint(format!(
            "keep events at least {min} days (`retentionInDays: {min}` or more, or `never`)"
        ))],
        // Absent: AWS creates the group to never expire.
        _ => Vec::new(),
    })
}

pub(super) fn encrypted(p: Params<'_>, group: &LogGroupSpec) -> Vec<Finding> {
    let wanted = p.text("kmsKeyId");
    match (&group.kms_key_id, wanted) {
        (None, _) => vec![Finding::new(
            vec![Seg::Key("kmsKeyId")],
            "the log group is not encrypted with a KMS key",
        )
        .hint(match wanted {
            Some(key) => format!("set `kmsKeyId: {key}`"),
            None => "set `kmsKeyId` to a KMS key ARN".to_string(),
        })],
        (Some(key), Some(wanted)) if key != wanted => vec![Finding::new(
            vec![Seg::Key("kmsKeyId")],
            format!("kmsKeyId {key} is not the key the guardrail names, {wanted}"),
        )
        .hint(format!("set `kmsKeyId: {wanted}`"))],
        _ => Vec::new(),
    }
}
