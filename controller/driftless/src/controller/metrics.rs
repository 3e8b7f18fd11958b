//! The controller's Prometheus metrics, kept as plain counters and rendered in the
//! text exposition format for `GET /metrics`. Labels come from fixed sets (results,
//! kinds, services, operations), never from user input, so cardinality is bounded.
//! Target names are the one exception, and bounded too: the families labelled by
//! target keep that label while the process has at most `per_target_limit` targets
//! (`--metrics-per-target`), and above it are summed over targets under the same
//! metric names (the last successful sync: the oldest), so 1,000 targets do not make
//! thousands of series unless asked for.
//!
//! The rendering is written here rather than with `prometheus-client`: that crate
//! writes OpenMetrics (`# EOF`, a different content type, help texts ending in a
//! period it adds) and formats bucket bounds as `le="30.0"` where this format, and
//! the tests that read it, have `le="30"`; the AWS call counts are also a snapshot
//! taken at scrape time, which its counters cannot be set to.

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
    /// (target, rule) → resources AWS Config judges differently from driftless under
    /// the deployed guardrail, as of the target's last audit.
    pub guardrail_config_disagreements: BTreeMap<(String, String), usize>,
    /// The revision being enforced.
    pub revision: Option<String>,
    /// (shard index, shard count, targets owned), once a revision was accepted.
    pub shard: Option<(u32, u32, usize)>,
    /// The most targets rendered with a `target` label (`None`: no limit).
    pub per_target_limit: Option<usize>,
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

    /// The text exposition format (version 0.0.4): one family after another, in a
    /// fixed order; the shard's families only once a revision was accepted.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_reconciles(&mut out);
        self.render_duration(&mut out);
        self.render_drift(&mut out);
        self.render_aws_calls(&mut out);
        self.render_last_success(&mut out);
        self.render_guardrails(&mut out);
        self.render_revision(&mut out);
        self.render_shard(&mut out);
        out
    }

    /// Whether the families labelled by target keep that label.
    fn per_target(&self) -> bool {
        let targets: std::collections::BTreeSet<&str> = (self.reconciles.keys().map(|k| &k.0))
            .chain(self.last_success.keys())
            .chain(self.guardrail_non_compliant.keys().map(|k| &k.0))
            .map(String::as_str)
            .collect();
        self.per_target_limit
            .is_none_or(|limit| targets.len() <= limit)
    }

    fn render_reconciles(&self, out: &mut String) {
        let name = "driftless_reconciles_total";
        if !self.per_target() {
            family(
                out,
                name,
                "Reconciles by result (summed over targets).",
                "counter",
            );
            for (result, n) in summed(self.reconciles.iter().map(|((_, r), n)| (r, *n))) {
                sample(out, name, &[("result", result)], n);
            }
            return;
        }
        family(out, name, "Reconciles by target and result.", "counter");
        for ((target, result), n) in &self.reconciles {
            sample(out, name, &[("target", target), ("result", result)], n);
        }
    }

    /// The histogram: cumulative buckets, `+Inf`, sum and count.
    fn render_duration(&self, out: &mut String) {
        let name = "driftless_reconcile_duration_seconds";
        family(out, name, "How long reconciles take.", "histogram");
        let mut cumulative = 0;
        for (i, bound) in DURATION_BUCKETS.iter().enumerate() {
            cumulative += self.duration_buckets.get(i).copied().unwrap_or(0);
            let le = bound.to_string();
            sample(out, &format!("{name}_bucket"), &[("le", &le)], cumulative);
        }
        let count = self.duration_count;
        sample(out, &format!("{name}_bucket"), &[("le", "+Inf")], count);
        sample(out, &format!("{name}_sum"), &[], self.duration_sum);
        sample(out, &format!("{name}_count"), &[], count);
    }

    fn render_drift(&self, out: &mut String) {
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
            family(out, name, help, "counter");
            for (kind, n) in map {
                sample(out, name, &[("kind", kind)], n);
            }
        }
    }

    fn render_aws_calls(&self, out: &mut String) {
        let name = "driftless_aws_calls_total";
        let help = "AWS calls by service, operation and outcome.";
        family(out, name, help, "counter");
        for ((service, operation, outcome), n) in &self.aws_calls {
            let labels = [
                ("service", service.as_str()),
                ("operation", operation),
                ("outcome", outcome),
            ];
            sample(out, name, &labels, n);
        }
    }

    fn render_last_success(&self, out: &mut String) {
        let name = "driftless_last_successful_sync_timestamp_seconds";
        if !self.per_target() {
            let help =
                "Unix time of the last converged reconcile of the target synced longest ago.";
            family(out, name, help, "gauge");
            if let Some(oldest) = self.last_success.values().min() {
                sample(out, name, &[], oldest);
            }
            return;
        }
        let help = "Unix time of the last converged reconcile, by target.";
        family(out, name, help, "gauge");
        for (target, t) in &self.last_success {
            sample(out, name, &[("target", target)], t);
        }
    }

    fn render_guardrails(&self, out: &mut String) {
        let name = "driftless_guardrail_noncompliant";
        if !self.per_target() {
            let help = "Live resources breaking a guardrail, by rule, summed over targets (as of their last reconciles).";
            family(out, name, help, "gauge");
            let counts = self.guardrail_non_compliant.iter();
            for (rule, n) in summed(counts.map(|((_, r), n)| (r, *n as u64))) {
                sample(out, name, &[("rule", rule)], n);
            }
            return;
        }
        let help =
            "Live resources breaking a guardrail, by target and rule (as of the last reconcile).";
        family(out, name, help, "gauge");
        for ((target, rule), n) in &self.guardrail_non_compliant {
            sample(out, name, &[("target", target), ("rule", rule)], n);
        }
        if self.guardrail_config_disagreements.is_empty() {
            return;
        }
        let name = "driftless_guardrail_config_disagreements";
        let help = "Resources AWS Config judges differently from driftless under a deployed guardrail, by target and rule (as of the last reconcile).";
        family(out, name, help, "gauge");
        for ((target, rule), n) in &self.guardrail_config_disagreements {
            sample(out, name, &[("target", target), ("rule", rule)], n);
        }
    }

    fn render_revision(&self, out: &mut String) {
        let name = "driftless_revision_info";
        family(out, name, "The revision being enforced.", "gauge");
        if let Some(rev) = &self.revision {
            sample(out, name, &[("revision", rev)], 1);
        }
    }

    fn render_shard(&self, out: &mut String) {
        let Some((index, count, owned)) = self.shard else {
            return;
        };
        let name = "driftless_shard_info";
        let help = "This process's shard (--shard-index of --shard-count).";
        family(out, name, help, "gauge");
        let (index, count) = (index.to_string(), count.to_string());
        sample(out, name, &[("index", &index), ("count", &count)], 1);
        let name = "driftless_shard_targets";
        family(out, name, "Targets this shard reconciles.", "gauge");
        sample(out, name, &[], owned);
    }
}

/// Counts summed by key.
fn summed<'a>(counts: impl Iterator<Item = (&'a String, u64)>) -> BTreeMap<&'a str, u64> {
    let mut sums = BTreeMap::new();
    for (key, n) in counts {
        *sums.entry(key.as_str()).or_default() += n;
    }
    sums
}

/// A family's `# HELP` and `# TYPE` lines.
fn family(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// One sample line: `name{label="value",...} value`, label values escaped.
fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
    out.push_str(name);
    if !labels.is_empty() {
        let labels: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
            .collect();
        let _ = write!(out, "{{{}}}", labels.join(","));
    }
    let _ = writeln!(out, " {value}");
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
    fn past_the_limit_target_families_are_summed_under_the_same_names() {
        let mut m = Metrics {
            per_target_limit: Some(2),
            ..Metrics::default()
        };
        for (i, t) in ["a", "b", "c"].iter().enumerate() {
            m.observe_reconcile(t, "converged", 0.1);
            m.last_success.insert(t.to_string(), 100 + i as i64);
            m.guardrail_non_compliant
                .insert((t.to_string(), "rule-x".into()), i + 1);
        }
        m.observe_reconcile("a", "failed", 0.1);
        let text = m.render();
        for line in [
            "driftless_reconciles_total{result=\"converged\"} 3",
            "driftless_reconciles_total{result=\"failed\"} 1",
            "driftless_last_successful_sync_timestamp_seconds 100",
            "driftless_guardrail_noncompliant{rule=\"rule-x\"} 6",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing `{line}` in\n{text}"
            );
        }
        assert!(!text.contains("target="), "{text}");
        // At the limit, every series keeps its target.
        m.reconciles.retain(|(t, _), _| t != "c");
        m.last_success.remove("c");
        m.guardrail_non_compliant.retain(|(t, _), _| t != "c");
        let text = m.render();
        assert!(text.contains("driftless_reconciles_total{target=\"a\",result=\"failed\"} 1"));
        assert!(text.contains("driftless_last_successful_sync_timestamp_seconds{target=\"b\"} 101"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
