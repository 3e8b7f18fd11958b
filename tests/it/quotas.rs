//! Apply at AWS's rate quotas: a private emulator with `DRIFTLESS_EMULATOR_QUOTAS`'s
//! mode on (POST /_driftless/quotas), an apply whose writes would overrun
//! PutMetricAlarm's 3 per second if sent at once, and the emulator's counters to show
//! that pacing kept the requests to the quota (adaptive pacing probes above AWS's
//! default to find raised quotas, so a few are throttled and retried: see
//! pacing_adaptive.rs and docs/design/pacing.md).

use serde_json::Value;

use crate::emulator::Emulator;
use crate::support::{driftless, Repo};

fn alarm(i: usize) -> String {
    format!(
        "---\napiVersion: driftless.dev/v1\nkind: MetricAlarm\nmetadata: {{name: quota-{i:02}}}\n\
         spec: {{namespace: AWS/EC2, metricName: CPUUtilization, statistic: Average, period: 300, \
         evaluationPeriods: 3, threshold: 80, comparisonOperator: GreaterThanThreshold}}\n"
    )
}

fn log_group(i: usize) -> String {
    format!(
        "---\napiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {{name: /quota/{i:02}}}\n\
         spec: {{retentionInDays: 14}}\n"
    )
}

#[test]
fn apply_of_30_alarms_under_aws_quotas_keeps_to_them() {
    let emulator = Emulator::private();
    let quotas: Value = serde_json::from_str(&emulator.control(
        "POST",
        "/_driftless/quotas",
        Some(r#"{"mode":"aws"}"#),
    ))
    .unwrap();
    assert_eq!(quotas["mode"], "aws");
    let docs: String = (0..30).map(alarm).chain((0..10).map(log_group)).collect();
    let repo = Repo::new(&[("all.yaml", &docs)]);
    let source = repo.dir.path().to_string_lossy().into_owned();
    let out = driftless(&repo.account, repo.state.path())
        .env("AWS_ENDPOINT_URL", emulator.endpoint())
        .args([
            "apply",
            "--auto-approve",
            "--source",
            &source,
            "--state-dir",
        ])
        .arg(repo.state.path())
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "apply failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("Apply complete"), "{stdout}");

    let calls: Value = serde_json::from_str(&emulator.control(
        "GET",
        &format!("/_driftless/calls?account={}", repo.account.account_id),
        None,
    ))
    .unwrap();
    // Without pacing 61 of 91 PutMetricAlarm calls were throttled (docs/benchmarks.md);
    // with it, only the probing above the default: each alarm written once, the
    // throttled calls few and retried.
    let puts = calls["calls"]["cloudwatch"]["PutMetricAlarm"]
        .as_u64()
        .unwrap();
    let throttled = calls["throttled"]["cloudwatch"]["PutMetricAlarm"]
        .as_u64()
        .unwrap_or(0);
    assert_eq!(puts - throttled, 30, "{calls}");
    assert!(throttled * 4 <= puts, "{calls}");
    assert_eq!(calls["calls"]["logs"]["CreateLogGroup"], 10, "{calls}");
    assert_eq!(calls["calls"]["logs"]["PutRetentionPolicy"], 10, "{calls}");
}
