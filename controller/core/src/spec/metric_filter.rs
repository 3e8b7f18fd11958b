//! `MetricFilter`: a CloudWatch Logs metric filter (PutMetricFilter), which turns log
//! events of one log group into a CloudWatch metric. `metadata.name` is the filter
//! name. Metric filters cannot be tagged; who owns one is decided by the plan (a
//! filter on an owned log group, or one driftless recorded applying).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::alarm::StandardUnit;
use super::context::{At, Cx};
use super::log_group::check_log_group_name;
use super::rules::{self, Problem};

/// AWS allows this many dimensions per transformation (MetricTransformation,
/// `dimensions`: "as many as three").
pub const MAX_DIMENSIONS: usize = 3;
/// FilterPattern's `max` in the PutMetricFilter model.
pub const MAX_PATTERN: usize = 1024;
/// "a quota of two regular expression patterns within a single filter pattern"
/// (PutMetricFilter reference).
pub const MAX_REGEXES: usize = 2;

/// The desired state of one metric filter.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricFilterSpec {
    /// The log group the filter reads (it must exist when the filter is created).
    pub log_group_name: String,
    /// The filter pattern (CloudWatch Logs filter pattern syntax); empty or absent
    /// matches every event.
    #[serde(default)]
    #[schemars(length(max = 1024))]
    pub filter_pattern: String,
    /// How matching events become a metric; AWS takes exactly one.
    #[schemars(length(min = 1, max = 1))]
    pub metric_transformations: Vec<MetricTransformation>,
    /// Match the events as a log transformer rewrote them (absent: false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_on_transformed_logs: Option<bool>,
}

/// One MetricTransformation.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricTransformation {
    pub metric_name: String,
    pub metric_namespace: String,
    /// What is published per match: a number (`"1"`) or a field (`$.bytes`).
    pub metric_value: String,
    /// Published when an event does not match; not together with `dimensions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<f64>,
    /// Absent: AWS sets `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<StandardUnit>,
    /// Dimension name → field of the event (`$.requestId`, `$ip`); at most three,
    /// only with JSON or space-delimited patterns.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dimensions: BTreeMap<String, String>,
}

/// Filter names: 1-512 characters, no `:` or `*` (FilterName pattern `[^:*]*`).
pub fn check_filter_name(name: &str) -> rules::Check {
    rules::length("metric filter name", name, 1, 512)?;
    if let Some(bad) = name.chars().find(|c| *c == ':' || *c == '*') {
        return Err(Problem::new(format!(
            "metric filter name `{name}` contains `{bad}`, which AWS does not allow"
        ))
        .hint("use any characters but `:` and `*`"));
    }
    Ok(())
}

/// Metric names and namespaces: 1-255 characters, none of `:` `*` `$` (the model's
/// `[^:*$]*`; an empty one names no metric).
fn check_metric_word(what: &str, value: &str) -> rules::Check {
    rules::length(what, value, 1, 255)?;
    if let Some(bad) = value.chars().find(|c| matches!(c, ':' | '*' | '$')) {
        return Err(Problem::new(format!(
            "{what} `{value}` contains `{bad}`, which AWS does not allow"
        ))
        .hint("use any characters but `:`, `*` and `$`"));
    }
    Ok(())
}

/// The shape of a filter pattern AWS would refuse before looking at its terms: an
/// unterminated quote, unbalanced `{}`/`[]`/`()` outside quotes, more than two
/// `%regex%` terms.
pub fn check_pattern(pattern: &str) -> rules::Check {
    rules::length("filterPattern", pattern, 0, MAX_PATTERN)?;
    let mut open: Vec<char> = Vec::new();
    let (mut quoted, mut escaped, mut percents) = (false, false, 0usize);
    for c in pattern.chars() {
        if quoted {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => quoted = false,
                _ => escaped = false,
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            '%' => percents += 1,
            '{' | '[' | '(' => open.push(c),
            '}' | ']' | ')' => {
                let want = match c {
                    '}' => '{',
                    ']' => '[',
                    _ => '(',
                };
                if open.pop() != Some(want) {
                    return Err(Problem::new(format!(
                        "filterPattern has a `{c}` that closes nothing"
                    ))
                    .hint("balance the braces, brackets and parentheses of the pattern"));
                }
            }
            _ => {}
        }
    }
    if quoted {
        return Err(Problem::new("filterPattern has an unterminated `\"`")
            .hint("close the quoted term with `\"`"));
    }
    if let Some(c) = open.last() {
        return Err(
            Problem::new(format!("filterPattern has a `{c}` that is never closed"))
                .hint("balance the braces, brackets and parentheses of the pattern"),
        );
    }
    if percents / 2 > MAX_REGEXES {
        return Err(Problem::new(format!(
            "filterPattern has {} regular expressions; AWS allows {MAX_REGEXES} per pattern",
            percents / 2
        )));
    }
    Ok(())
}

/// JSON (`{ $.x = 1 }`) and space-delimited (`[ip, user, ...]`) patterns are the ones
/// AWS allows dimensions with ("The specified filter pattern does not support
/// dimensions" otherwise).
pub fn supports_dimensions(pattern: &str) -> bool {
    let p = pattern.trim_start();
    p.starts_with('{') || p.starts_with('[')
}

impl MetricFilterSpec {
    pub fn check(&self, name: &str, cx: &mut Cx<'_>) {
        let at = At::spec();
        cx.check(&At::root().k("metadata").k("name"), check_filter_name(name));
        cx.check(
            &at.k("logGroupName"),
            check_log_group_name("logGroupName", &self.log_group_name),
        );
        cx.check(&at.k("filterPattern"), check_pattern(&self.filter_pattern));
        let list = at.k("metricTransformations");
        if self.metric_transformations.len() != 1 {
            cx.report(
                &list,
                Problem::new(format!(
                    "metricTransformations has {} entries; AWS takes exactly one",
                    self.metric_transformations.len()
                ))
                .hint("make a MetricFilter per metric"),
            );
        }
        for (i, t) in self.metric_transformations.iter().enumerate() {
            t.check(&list.i(i), &self.filter_pattern, cx);
        }
    }
}

impl MetricTransformation {
    fn check(&self, at: &At<'_>, pattern: &str, cx: &mut Cx<'_>) {
        cx.check(
            &at.k("metricName"),
            check_metric_word("metricName", &self.metric_name),
        );
        cx.check(
            &at.k("metricNamespace"),
            check_metric_word("metricNamespace", &self.metric_namespace),
        );
        cx.check(
            &at.k("metricValue"),
            rules::length("metricValue", &self.metric_value, 1, 100),
        );
        if let Some(v) = self.default_value {
            if !v.is_finite() {
                cx.report(
                    &at.k("defaultValue"),
                    Problem::new("defaultValue must be a finite number"),
                );
            }
        }
        let dims = at.k("dimensions");
        if self.dimensions.is_empty() {
            return;
        }
        cx.check(
            &dims,
            rules::at_most("dimensions", self.dimensions.len(), MAX_DIMENSIONS),
        );
        if self.default_value.is_some() {
            cx.report(
                &at.k("defaultValue"),
                Problem::new("defaultValue and dimensions cannot be used together")
                    .hint("AWS refuses a transformation with both; drop one of them"),
            );
        }
        if !supports_dimensions(pattern) {
            cx.report(
                &dims,
                Problem::new("dimensions need a JSON (`{ ... }`) or space-delimited (`[ ... ]`) filterPattern")
                    .hint("AWS refuses dimensions on other patterns; drop them or change the pattern"),
            );
        }
        for (key, value) in &self.dimensions {
            cx.check(
                &dims.key_of(key),
                rules::length("dimension name", key, 1, 255),
            );
            cx.check(
                &dims.k(key),
                rules::length("dimension value", value, 1, 255),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_checked_for_shape() {
        assert!(check_pattern("").is_ok());
        assert!(check_pattern("ERROR").is_ok());
        assert!(check_pattern(
            "{ ($.errorCode = \"*UnauthorizedOperation\") || ($.errorCode = \"AccessDenied*\") }"
        )
        .is_ok());
        assert!(check_pattern("[ip, user, ..., status_code = 4*, size]").is_ok());
        assert!(check_pattern("\"a } b\"").is_ok());
        assert!(check_pattern("%ERROR%").is_ok());
        let err = check_pattern("{ $.x = 1").unwrap_err();
        assert_eq!(err.message, "filterPattern has a `{` that is never closed");
        let err = check_pattern("$.x = 1 }").unwrap_err();
        assert_eq!(err.message, "filterPattern has a `}` that closes nothing");
        let err = check_pattern("\"open").unwrap_err();
        assert_eq!(err.message, "filterPattern has an unterminated `\"`");
        assert!(check_pattern("%a% %b% %c%").is_err());
        assert!(check_pattern(&"x".repeat(1025)).is_err());
    }

    #[test]
    fn filter_names_refuse_colons_and_stars() {
        assert!(check_filter_name("root-usage").is_ok());
        assert!(check_filter_name("a:b").is_err());
        assert!(check_filter_name("a*").is_err());
        assert!(check_filter_name("").is_err());
    }

    #[test]
    fn dimensions_need_structured_patterns() {
        assert!(supports_dimensions(" { $.a = 1 }"));
        assert!(supports_dimensions("[a, b]"));
        assert!(!supports_dimensions("ERROR"));
    }
}
