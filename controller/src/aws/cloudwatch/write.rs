//! CloudWatch writes: PutMetricAlarm (tags in the call; AWS ignores them when the
//! alarm exists, so apply changes tags with TagResource/UntagResource), DeleteAlarms.

use std::collections::BTreeMap;

use crate::aws::{AwsError, Clients};
use crate::spec::MetricAlarmSpec;

fn pending(clients: &Clients, op: &'static str) -> AwsError {
    AwsError::Setup {
        target: clients.target.clone(),
        message: format!("cloudwatch {op} is not implemented yet"),
        hint: "this build of driftless cannot write alarms".into(),
    }
}

/// Creates or replaces the alarm `name` as `spec` says, with `tags` (used by AWS only
/// when the alarm is new).
pub async fn put_alarm(clients: &Clients, name: &str, spec: &MetricAlarmSpec, tags: &BTreeMap<String, String>) -> Result<(), AwsError> {
    let _ = (name, spec, tags);
    Err(pending(clients, "PutMetricAlarm"))
}

/// Adds or changes `add` and removes `remove` on the alarm `arn`.
pub async fn retag_alarm(clients: &Clients, arn: &str, add: &BTreeMap<String, String>, remove: &[String]) -> Result<(), AwsError> {
    let _ = (arn, add, remove);
    Err(pending(clients, "TagResource"))
}

pub async fn delete_alarm(clients: &Clients, name: &str) -> Result<(), AwsError> {
    let _ = name;
    Err(pending(clients, "DeleteAlarms"))
}
