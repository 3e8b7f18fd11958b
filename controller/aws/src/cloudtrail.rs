//! CloudTrail: who changed a drifted resource, from the event history.
//!
//! `LookupEvents` with the one lookup attribute `ResourceName = <the resource's AWS
//! name>` from the time driftless last applied the target (else CloudTrail's 90
//! days), one page of at most 50 events, newest first; the newest write event
//! (`ReadOnly` false) that succeeded is the change: CloudTrail also records writes
//! that failed or were refused, with an `errorCode` in the event's JSON ("If the
//! request returns an error, the event includes errorCode and errorMessage",
//! CloudTrail record contents), and those changed nothing. The principal is the event's
//! `userIdentity.arn` (else its user name), with `sourceIPAddress` and `userAgent`
//! from the event's JSON. CloudTrail allows 2 lookups a second per account and
//! region: the SDK's retry absorbs throttling, and [`MAX_LOOKUPS`] bounds the calls
//! per plan.
//!
//! Calls per plan: `LookupEvents: min(D, 20)` per target, D = drifted resources.

use std::time::{Duration, SystemTime};

use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};

use super::{AwsError, Clients};
use driftless_core::plan::ChangedBy;

/// Lookups per target per plan; later drifted resources get "unknown".
pub const MAX_LOOKUPS: usize = 20;

/// The newest write to the resource named `name` since `since` (Unix seconds), or
/// `None` when CloudTrail has none.
pub async fn who_changed(
    clients: &Clients,
    name: &str,
    since: Option<i64>,
) -> Result<Option<ChangedBy>, AwsError> {
    let mut request = clients
        .cloudtrail
        .lookup_events()
        .lookup_attributes(
            LookupAttribute::builder()
                .attribute_key(LookupAttributeKey::ResourceName)
                .attribute_value(name)
                .build()
                .map_err(|e| setup(clients, e))?,
        )
        .max_results(50);
    if let Some(since) = since.and_then(|s| u64::try_from(s).ok()) {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(since);
        request = request.start_time(aws_sdk_cloudtrail::primitives::DateTime::from(start));
    }
    let out = request.send().await.map_err(|e| {
        AwsError::from_sdk(&clients.target, "cloudtrail", "LookupEvents", Some(name), e)
    })?;
    let detail_of = |e: &aws_sdk_cloudtrail::types::Event| -> serde_json::Value {
        e.cloud_trail_event()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default()
    };
    let Some((event, detail)) = out
        .events()
        .iter()
        .filter(|e| e.read_only() != Some("true"))
        .map(|e| (e, detail_of(e)))
        .find(|(_, detail)| succeeded(detail))
    else {
        return Ok(None);
    };
    let text = |v: &serde_json::Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
    let unknown = || ChangedBy::UNKNOWN.to_string();
    Ok(Some(ChangedBy {
        principal: text(&detail["userIdentity"]["arn"])
            .or_else(|| event.username().map(str::to_string))
            .unwrap_or_else(unknown),
        event_name: event
            .event_name()
            .map(str::to_string)
            .unwrap_or_else(unknown),
        event_time: event
            .event_time()
            .and_then(|t| {
                t.fmt(aws_sdk_cloudtrail::primitives::DateTimeFormat::DateTime)
                    .ok()
            })
            .unwrap_or_else(unknown),
        source_ip: text(&detail["sourceIPAddress"]).unwrap_or_else(unknown),
        user_agent: text(&detail["userAgent"]).unwrap_or_else(unknown),
    }))
}

/// Whether an event's JSON records a call that succeeded (no `errorCode`).
fn succeeded(detail: &serde_json::Value) -> bool {
    detail
        .get("errorCode")
        .is_none_or(|code| code.is_null() || code.as_str() == Some(""))
}

fn setup(clients: &Clients, e: impl std::fmt::Display) -> AwsError {
    AwsError::Setup {
        target: clients.target.clone(),
        message: format!("building a CloudTrail lookup: {e}"),
        hint: "this is a bug in driftless; please report it".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::succeeded;
    use serde_json::json;

    #[test]
    fn a_write_that_failed_changed_nothing() {
        assert!(succeeded(&json!({"eventName": "PutMetricAlarm"})));
        assert!(succeeded(&json!({"errorCode": null})));
        assert!(!succeeded(
            &json!({"errorCode": "ValidationError", "errorMessage": "Invalid region"})
        ));
    }
}
