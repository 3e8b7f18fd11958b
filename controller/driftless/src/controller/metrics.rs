//! The controller's Prometheus metrics, kept as plain counters and rendered in the
//! text exposition format for `GET /metrics`. Labels come from fixed sets (results,
//! kinds, services, operations), never from user input, so cardinality is bounded.

use std::collections::BTreeMap;
use std::fmt::Write;

/// Reconcile duration histogram buckets, seconds.
pub const DURATION_BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];

/// Everything `GET /metrics` shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    /// (target, result) → reconciles.
    pub reconciles: BTreeMap<(String, String), u64>,
    /// Durations in seconds: bucket counts (cumulative when rendered), sum, count.
    pub duration_buckets: Vec<u64>,
    pub duration_sum: f64,
    pub duration_count: u64,
    /// kind → drifted resources detected / corrected.
    pub drift_detected: BTreeMap<String, u64>,
    pub drift_corrected: BTreeMap<String, u64>,
    /// (service, operation, outcome) → AWS calls.
    pub aws_calls: BTreeMap<(String, String, String), u64>,
    /// target → unix time of the last successful sync.
    pub last_success: BTreeMap<String, i64>,
    /// (target, rule) → live resources breaking the guardrail, as of the target's
    /// last audit.
    pub guardrail_non_compliant: BTreeMap<(String, String), usize>,
    /// The revision being enforced.
    pub revision: Option<String>,
    /// (shard index, shard count, targets owned), once a revision was accepted.
    pub shard: Option<(u32, u32, usize)>,
}

impl Metrics {
    pub fn observe_reconcile(&mut self, target: &str, result: &str, seconds: f64) {
        *self
            .reconciles
            .entry((target.to_string(), result.to_string()))
            .or_default() += 1;
        if self.duration_buckets.len() != DURATION_BUCKETS.len() {
            self.duration_buckets = vec![0; DURATION_BUCKETS.len()];
        }
        if let Some(i) = DURATION_BUCKETS.iter().position(|b| seconds <= *b) {
            self.duration_buckets[i] += 1;
        }
        self.duration_sum += seconds;
        self.duration_count += 1;
    }

    /// The text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP driftless_reconciles_total Reconciles by target and result."
        );
        let _ = writeln!(out, "# TYPE driftless_reconciles_total counter");
        for ((target, result), n) in &self.reconciles {
            let _ = writeln!(
                out,
                "driftless_reconciles_total{{target=\"{}\",result=\"{}\"}} {n}",
                escape(target),
                escape(result)
            );
        }
        let _ = writeln!(
            out,
            "# HELP driftless_reconcile_duration_seconds How long reconciles take."
        );
        let _ = writeln!(out, "# TYPE driftless_reconcile_duration_seconds histogram");
        let mut cumulative = 0;
        for (i, bound) in DURATION_BUCKETS.iter().enumerate() {
            cumulative += self.duration_buckets.get(i).copied().unwrap_or(0);
            let _ = writeln!(
                out,
                "driftless_reconcile_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "driftless_reconcile_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            self.duration_count
        );
        let _ = writeln!(
            out,
            "driftless_reconcile_duration_seconds_sum {}",
            self.duration_sum
        );
        let _ = writeln!(
            out,
            "driftless_reconcile_duration_seconds_count {}",
            self.duration_count
        );
        for (name, help, map) in [
            (
                "driftless_drift_detected_total",
                "Drifted resources detected, by kind.",
                &self.drift_detected,
            ),
            (
                "driftless_drift_corrected_total",
                "Drifted resources put back, by kind.",
                &self.drift_corrected,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            for (kind, n) in map {
                let _ = writeln!(out, "{name}{{kind=\"{}\"}} {n}", escape(kind));
            }
        }
        let _ = writeln!(
            out,
            "# HELP driftless_aws_calls_total AWS calls by service, operation and outcome."
        );
        let _ = writeln!(out, "# TYPE driftless_aws_calls_total counter");
        for ((service, operation, outcome), n) in &self.aws_calls {
            let _ = writeln!(
                out,
                "driftless_aws_calls_total{{service=\"{}\",operation=\"{}\",outcome=\"{}\"}} {n}",
                escape(service),
                escape(operation),
                escape(outcome)
            );
        }
        let _ = writeln!(out, "# HELP driftless_last_successful_sync_timestamp_seconds Unix time of the last converged reconcile, by target.");
        let _ = writeln!(
            out,
            "# TYPE driftless_last_successful_sync_timestamp_seconds gauge"
        );
        for (target, t) in &self.last_success {
            let _ = writeln!(
                out,
                "driftless_last_successful_sync_timestamp_seconds{{target=\"{}\"}} {t}",
                escape(target)
            );
        }
        let _ = writeln!(out, "# HELP driftless_guardrail_noncompliant Live resources breaking a guardrail, by target and rule (as of the last reconcile).");
        let _ = writeln!(out, "# TYPE driftless_guardrail_noncompliant gauge");
        for ((target, rule), n) in &self.guardrail_non_compliant {
            let _ = writeln!(
                out,
                "driftless_guardrail_noncompliant{{target=\"{}\",rule=\"{}\"}} {n}",
                escape(target),
                escape(rule)
            );
        }
        let _ = writeln!(
            out,
            "# HELP driftless_revision_info The revision being enforced."
        );
        let _ = writeln!(out, "# TYPE driftless_revision_info gauge");
        if let Some(rev) = &self.revision {
            let _ = writeln!(
                out,
                "driftless_revision_info{{revision=\"{}\"}} 1",
                escape(rev)
            );
        }
        if let Some((index, count, owned)) = self.shard {
            let _ = writeln!(
                out,
                "# HELP driftless_shard_info This process's shard (--shard-index of --shard-count)."
            );
            let _ = writeln!(out, "# TYPE driftless_shard_info gauge");
            let _ = writeln!(
                out,
                "driftless_shard_info{{index=\"{index}\",count=\"{count}\"}} 1"
            );
            let _ = writeln!(
                out,
                "# HELP driftless_shard_targets Targets this shard reconciles."
            );
            let _ = writeln!(out, "# TYPE driftless_shard_targets gauge");
            let _ = writeln!(out, "driftless_shard_targets {owned}");
        }
        out
    }
}

/// Label values escape `\`, `"` and newlines.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histogram_and_gauges() {
        let mut m = Metrics::default();
        m.observe_reconcile("prod", "converged", 0.3);
        m.observe_reconcile("prod", "converged", 12.0);
        m.observe_reconcile("dr", "failed", 400.0);
        m.drift_detected.insert("LogGroup".into(), 2);
        m.drift_corrected.insert("LogGroup".into(), 1);
        m.aws_calls
            .insert(("logs".into(), "DescribeLogGroups".into(), "ok".into()), 3);
        m.last_success.insert("prod".into(), 1_790_000_000);
        m.revision = Some("9f1c2e7".into());
        assert!(!m.render().contains("driftless_shard_info"));
        m.shard = Some((1, 3, 4));
        let text = m.render();
        for line in [
            "driftless_reconciles_total{target=\"prod\",result=\"converged\"} 2",
            "driftless_reconcile_duration_seconds_bucket{le=\"0.5\"} 1",
            "driftless_reconcile_duration_seconds_bucket{le=\"30\"} 2",
            "driftless_reconcile_duration_seconds_bucket{le=\"+Inf\"} 3",
            "driftless_reconcile_duration_seconds_count 3",
            "driftless_drift_detected_total{kind=\"LogGroup\"} 2",
            "driftless_aws_calls_total{service=\"logs\",operation=\"DescribeLogGroups\",outcome=\"ok\"} 3",
            "driftless_last_successful_sync_timestamp_seconds{target=\"prod\"} 1790000000",
            "driftless_revision_info{revision=\"9f1c2e7\"} 1",
            "driftless_shard_info{index=\"1\",count=\"3\"} 1",
            "driftless_shard_targets 4",
        ] {
            assert!(text.lines().any(|l| l == line), "missing `{line}` in\n{text}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
