//! Adaptive pacing per account and Region against a private emulator whose
//! PutMetricAlarm quota is overridden to a rate the client does not know
//! (`POST /_driftless/quotas`): a raised quota is found, a lowered one is backed off
//! from without a failure, and two targets of one account and Region share one
//! bucket. The verdicts are the emulator's counts (calls, throttled calls) and the
//! process's buckets (`driftless::aws::pace::rates`), never wall-clock times.

use std::sync::Arc;

use driftless::aws::{pace, Clients};
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::emulator::Emulator;

/// An emulator with AWS's quotas on and PutMetricAlarm at `rate` a second (AWS's
/// bucket holding a second's worth, as the emulator's default ones).
fn emulator_with_put_metric_alarm_at(rate: f64) -> Emulator {
    let emulator = Emulator::private();
    let body = format!(
        r#"{{"mode":"aws","overrides":{{"cloudwatch.PutMetricAlarm":{{"rate":{rate},"burst":{rate}}}}}}}"#
    );
    let quotas: Value =
        serde_json::from_str(&emulator.control("POST", "/_driftless/quotas", Some(&body))).unwrap();
    assert_eq!(quotas["mode"], "aws", "{quotas}");
    emulator
}

/// `n` PutMetricAlarm calls per client, eight at a time per client (an apply's bound),
/// all clients at once; the number that failed after the SDK's retries.
async fn put_alarms(clients: &[Clients], n: usize) -> usize {
    let mut tasks = tokio::task::JoinSet::new();
    for c in clients {
        let limit = Arc::new(Semaphore::new(8));
        for i in 0..n {
            let (cw, limit, target) = (c.cloudwatch.clone(), limit.clone(), c.target.clone());
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await.unwrap();
                cw.put_metric_alarm()
                    .alarm_name(format!("pace-{target}-{i:03}"))
                    .namespace("AWS/EC2")
                    .metric_name("CPUUtilization")
                    .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
                    .period(300)
                    .evaluation_periods(3)
                    .threshold(80.0)
                    .comparison_operator(
                        aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold,
                    )
                    .send()
                    .await
                    .is_err()
            });
        }
    }
    let mut failed = 0;
    while let Some(result) = tasks.join_next().await {
        failed += usize::from(result.unwrap());
    }
    failed
}

/// The clients of target `name` in `account` and `region`, with an apply's five
/// attempts per call.
fn clients(emulator: &Emulator, name: &str, account: &str, region: &str) -> Clients {
    let config = emulator
        .sdk_config(account, region)
        .into_builder()
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(5))
        .build();
    Clients::from_sdk_config(name, &config)
}

/// (PutMetricAlarm calls, of which throttled) the emulator counted for `account`.
fn put_counts(emulator: &Emulator, account: &str) -> (u64, u64) {
    let calls = emulator.calls_of(account);
    let body: Value = serde_json::from_str(&emulator.control(
        "GET",
        &format!("/_driftless/calls?account={account}"),
        None,
    ))
    .unwrap();
    let throttled = body["throttled"]["cloudwatch"]["PutMetricAlarm"]
        .as_u64()
        .unwrap_or(0);
    (calls.get("cloudwatch", "PutMetricAlarm"), throttled)
}

/// The bucket of PutMetricAlarm in `account` and `region`: (rate, ceiling), and how
/// many buckets of it the process holds.
fn put_bucket(account: &str, region: &str) -> (f64, Option<f64>, usize) {
    let all: Vec<_> = pace::rates()
        .into_iter()
        .filter(|(k, _, _)| {
            &*k.account == account
                && k.region == region
                && k.service == "cloudwatch"
                && k.operation == "PutMetricAlarm"
        })
        .collect();
    let (_, rate, ceiling) = all.first().cloned().expect("a PutMetricAlarm bucket");
    (rate, ceiling, all.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_raised_quota_is_found() {
    // The default is 3 a second; this account allows 9.
    let emulator = emulator_with_put_metric_alarm_at(9.0);
    let (account, region) = ("210000000101", "eu-west-1");
    let c = clients(&emulator, "raised", account, region);
    assert_eq!(put_alarms(&[c], 120).await, 0);
    let (calls, throttled) = put_counts(&emulator, account);
    let (rate, _, buckets) = put_bucket(account, region);
    assert_eq!(buckets, 1);
    // Grown past the default the client started from.
    assert!(rate > 4.5, "rate {rate}");
    assert!(calls >= 120, "{calls}");
    assert!(throttled * 5 <= calls, "{throttled} of {calls} throttled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lowered_quota_is_backed_off_from_without_a_failure() {
    // The default is 3 a second; other tools leave this account 1.5.
    let emulator = emulator_with_put_metric_alarm_at(1.5);
    let (account, region) = ("210000000102", "eu-west-1");
    let c = clients(&emulator, "lowered", account, region);
    assert_eq!(put_alarms(&[c], 60).await, 0, "no write failed");
    let (calls, throttled) = put_counts(&emulator, account);
    let (rate, ceiling, _) = put_bucket(account, region);
    assert!(ceiling.is_some(), "a throttle was seen and cut the rate");
    assert!(rate < 2.5, "backed off below the default: {rate}");
    // A fixed 3 a second would see about half its calls throttled.
    assert!(throttled * 5 <= calls, "{throttled} of {calls} throttled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_targets_of_one_account_and_region_share_one_bucket() {
    // Exactly the default: one bucket per target would send twice the quota.
    let emulator = emulator_with_put_metric_alarm_at(3.0);
    let (account, region) = ("210000000103", "eu-west-1");
    let a = clients(&emulator, "prod-a", account, region);
    let b = clients(&emulator, "prod-b", account, region);
    // Another account in the same Region has a bucket of its own.
    let other = clients(&emulator, "other", "210000000104", region);
    // Sixteen requests queue for one bucket (waits above the SDK's 5 s upload stall
    // grace: it must not call a paced request a stalled upload).
    assert_eq!(put_alarms(&[a, b, other], 30).await, 0);
    let (_, _, buckets) = put_bucket(account, region);
    assert_eq!(buckets, 1, "one bucket for both targets");
    let (calls, throttled) = put_counts(&emulator, account);
    assert!(calls >= 60, "{calls}");
    // Together they keep to the account's quota. A bucket per target would send twice
    // the quota (about half the calls throttled); one shared bucket sees only its
    // own probing above the quota (a handful of throttles, a fixed number whatever
    // the apply's size: 16 % of 178 calls in tests/bench/pacing.sh's shared case).
    assert!(throttled * 4 <= calls, "{throttled} of {calls} throttled");
    let (other_calls, other_throttled) = put_counts(&emulator, "210000000104");
    assert!(other_calls >= 30 && other_throttled * 4 <= other_calls);
}
