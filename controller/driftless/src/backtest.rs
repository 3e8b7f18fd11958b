//! `plan --backtest`: after a plan is made, fetch the metric history of its created
//! and changed metric alarms (GetMetricData through `driftless-aws`, concurrently per
//! target) and let the core replay them (`driftless_core::backtest`).
//!
//! A target whose history cannot be read (GetMetricData denied, throttled past the
//! SDK's retries) keeps its plan: its alarms carry no `backtest`, and the plan gets a
//! warning saying why (and what to grant, when access was denied).

use std::collections::BTreeMap;

use driftless_core::backtest::{self, MetricQuery, Points, Span};

use crate::engine::Planned;

/// The longest `--backtest`, in seconds.
pub const MAX_SECONDS: i64 = backtest::MAX_SECONDS;

/// `--backtest DURATION`: `14d`, `36h`, `90m` → seconds, at most 14 days.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let scale = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        _ => {
            return Err(format!(
                "`{text}` is not a duration: write a number and d, h or m, like 14d, 36h or 90m"
            ))
        }
    };
    let n: i64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: write a whole number, like 3d"))?;
    let seconds = n.saturating_mul(scale);
    if seconds <= 0 {
        return Err(format!("`{text}`: a backtest covers at least a minute"));
    }
    if seconds > MAX_SECONDS {
        return Err(format!(
            "`{text}` is more than 14 days: CloudWatch keeps one-minute datapoints 15 days and an alarm's first evaluation looks back up to a day; use 14d or less"
        ));
    }
    Ok(seconds)
}

/// Replays the plan's created and changed metric alarms over the `seconds` before
/// `now` (unix seconds) and writes `backtest` on their changes.
pub async fn annotate(planned: &mut Planned, seconds: i64, now: i64) {
    let span = Span { now, seconds };
    let subjects = backtest::subjects(
        &planned.plan,
        &planned.loaded.state.resources,
        &planned.live,
        span,
    );
    let mut tasks = tokio::task::JoinSet::new();
    for (target, clients) in &planned.clients {
        let fetches = backtest::fetches(&subjects, target, span);
        if fetches.is_empty() {
            continue;
        }
        let (target, clients) = (target.clone(), clients.clone());
        tasks.spawn(async move {
            let mut points: Vec<(MetricQuery, Points)> = Vec::new();
            for f in &fetches {
                match crate::aws::cloudwatch::metric_data::fetch_metric_data(&clients, f).await {
                    Ok(p) => points.extend(p),
                    Err(e) => return (target, Err(e)),
                }
            }
            (target, Ok(points))
        });
    }
    let mut fetched = BTreeMap::new();
    let mut failed = Vec::new();
    while let Some(Ok((target, result))) = tasks.join_next().await {
        match result {
            Ok(points) => {
                fetched.insert(target, points);
            }
            Err(e) => failed.push((target, e)),
        }
    }
    // A target whose alarms need no datapoints (none replayable) still says why.
    let readable: Vec<_> = subjects
        .into_iter()
        .filter(|s| !failed.iter().any(|(t, _)| *t == s.target))
        .collect();
    backtest::annotate(&mut planned.plan, &readable, &fetched, span);
    for (target, e) in failed {
        let denied = matches!(&e, crate::aws::AwsError::Call { code: Some(c), .. } if c.contains("AccessDenied"));
        let next = if denied {
            "grant cloudwatch:GetMetricData (`driftless iam-policy` includes it)".to_string()
        } else {
            e.hint()
                .unwrap_or_else(|| "plan again; the backtest does not change the plan".into())
        };
        planned
            .plan
            .warnings
            .push(format!("target {target}: no backtest: {e}; {next}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("14d"), Ok(14 * 86_400));
        assert_eq!(parse_duration("36h"), Ok(36 * 3_600));
        assert_eq!(parse_duration("90m"), Ok(5_400));
        let too_long = parse_duration("15d").unwrap_err();
        assert!(too_long.contains("more than 14 days"), "{too_long}");
        assert!(parse_duration("337h").is_err());
        assert!(parse_duration("3w").unwrap_err().contains("d, h or m"));
        assert!(parse_duration("0d").is_err());
        assert!(parse_duration("d").is_err());
    }
}
