//! Metric alarm rules.
//!
//! * `cloudwatch-alarm-action-check`
//!   (<https://docs.aws.amazon.com/config/latest/developerguide/cloudwatch-alarm-action-check.html>):
//!   an action for each state whose `…ActionRequired` is true (alarm: true,
//!   insufficient data: true, OK: false by default); with `action1`…`action5`, one of
//!   those ARNs among them.
//! * `cloudwatch-alarm-action-enabled-check`
//!   (<https://docs.aws.amazon.com/config/latest/developerguide/cloudwatch-alarm-action-enabled-check.html>):
//!   `actionsEnabled` (AWS's default: true).
//! * `cloudwatch-alarm-settings-check`
//!   (<https://docs.aws.amazon.com/config/latest/developerguide/cloudwatch-alarm-settings-check.html>):
//!   alarms on `metricName` have the given threshold, evaluation periods, period
//!   (default 300), operator and statistic; alarms on other metrics (and metric-math
//!   alarms, which have no metric name) are not evaluated.

use super::params::Params;
use super::{Finding, Seg};
use crate::spec::{wire_name, MetricAlarmSpec};

pub(super) fn actions(p: Params<'_>, alarm: &MetricAlarmSpec) -> Vec<Finding> {
    let named: Vec<&str> = (1..=5)
        .filter_map(|n| p.text(&format!("action{n}")))
        .collect();
    let states: [(&str, &'static str, &[String]); 3] = [
        ("alarmActionRequired", "alarmActions", &alarm.alarm_actions),
        (
            "insufficientDataActionRequired",
            "insufficientDataActions",
            &alarm.insufficient_data_actions,
        ),
        ("okActionRequired", "okActions", &alarm.ok_actions),
    ];
    let mut out = Vec::new();
    for (param, field, actions) in states {
        if !p.bool(param) {
            continue;
        }
        if actions.is_empty() {
            out.push(
                Finding::new(
                    vec![Seg::Key(field)],
                    format!("no {field} ({param} is true)"),
                )
                .hint(format!("add an action (an SNS topic ARN) to `{field}`")),
            );
        } else if !named.is_empty() && !actions.iter().any(|a| named.contains(&a.as_str())) {
            out.push(
                Finding::new(
                    vec![Seg::Key(field)],
                    format!("none of the {field} is one of the guardrail's actions"),
                )
                .hint(format!("add one of {} to `{field}`", named.join(", "))),
            );
        }
    }
    out
}

pub(super) fn actions_enabled(alarm: &MetricAlarmSpec) -> Vec<Finding> {
    if alarm.actions_enabled.unwrap_or(true) {
        return Vec::new();
    }
    vec![
        Finding::new(vec![Seg::Key("actionsEnabled")], "actionsEnabled is false")
            .hint("set `actionsEnabled: true` (or remove it: AWS enables actions by default)"),
    ]
}

pub(super) fn settings(p: Params<'_>, alarm: &MetricAlarmSpec) -> Option<Vec<Finding>> {
    let metric = p.text("metricName")?;
    if alarm.metric_name.as_deref() != Some(metric) {
        return None;
    }
    let mut out = Vec::new();
    let mut expect = |field: &'static str, param: &str, live: Option<String>| {
        let Some(wanted) = p.text(param) else {
            return;
        };
        let same = match (&live, wanted.parse::<f64>()) {
            (Some(l), Ok(w)) => l.parse::<f64>().is_ok_and(|l| l == w),
            (Some(l), Err(_)) => l == wanted,
            (None, _) => false,
        };
        if !same {
            let shown = live.unwrap_or_else(|| "unset".into());
            out.push(
                Finding::new(
                    vec![Seg::Key(field)],
                    format!("{field} {shown} is not the required {wanted}"),
                )
                .hint(format!("set `{field}: {wanted}`")),
            );
        }
    };
    expect(
        "threshold",
        "threshold",
        alarm.threshold.map(|t| t.to_string()),
    );
    expect(
        "evaluationPeriods",
        "evaluationPeriods",
        Some(alarm.evaluation_periods.to_string()),
    );
    expect("period", "period", alarm.period.map(|t| t.to_string()));
    expect(
        "comparisonOperator",
        "comparisonOperator",
        Some(wire_name(&alarm.comparison_operator)),
    );
    expect(
        "statistic",
        "statistic",
        alarm.statistic.map(|s| wire_name(&s)),
    );
    Some(out)
}
