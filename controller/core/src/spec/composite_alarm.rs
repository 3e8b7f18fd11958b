//! `CompositeAlarm`: a CloudWatch composite alarm (PutCompositeAlarm, lowerCamelCase),
//! whose state is a rule over other alarms' states.
//!
//! The rule's syntax is checked by [`super::alarm_rule`], located inside the rule where
//! the YAML scalar allows it. The alarms it names are checked against the repository
//! in [`check_references`]: an alarm defined here must go to every target the
//! composite goes to, and one defined nowhere in the repository must be listed in
//! `externalAlarms` (alarms managed elsewhere; AWS refuses a rule naming an alarm
//! that does not exist). A cycle of composite alarms can never be created in order, so
//! it is an error too.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::alarm_rule::{self, RuleError};
use super::context::{At, Cx};
use super::diagnostic::Diagnostic;
use super::rules;
use super::yaml::Node;

/// The desired state of one composite alarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompositeAlarmSpec {
    /// ALARM(name), OK(name), INSUFFICIENT_DATA(name), TRUE and FALSE combined with AND,
    /// OR, NOT and parentheses; names may be quoted, and may be alarm ARNs.
    pub alarm_rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Defaults to true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alarm_actions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ok_actions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub insufficient_data_actions: Vec<String>,
    /// Suppress actions while another alarm is in ALARM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions_suppressor: Option<ActionsSuppressor>,
    /// Alarms the rule or the suppressor may name that no MetricAlarm or
    /// CompositeAlarm document of the repository manages (names or ARNs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_alarms: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// ActionsSuppressor with its two periods (the API wants both with the alarm).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActionsSuppressor {
    /// The suppressor alarm's name or ARN.
    pub alarm: String,
    /// Seconds to wait for the suppressor to go into ALARM.
    pub wait_period: u32,
    /// Seconds to keep suppressing after the suppressor leaves ALARM.
    pub extension_period: u32,
}

impl CompositeAlarmSpec {
    /// alarmActions, okActions and insufficientDataActions.
    pub fn action_lists(&self) -> super::alarm::ActionLists<'_> {
        [
            ("alarmActions", &self.alarm_actions),
            ("okActions", &self.ok_actions),
            ("insufficientDataActions", &self.insufficient_data_actions),
        ]
    }

    /// The alarms the spec depends on: those its rule names and its suppressor (alarm
    /// names; an ARN gives its name). Empty when the rule does not parse.
    pub fn named_alarms(&self) -> BTreeSet<String> {
        let mut names = alarm_rule::parse(&self.alarm_rule)
            .map(|r| r.alarm_names())
            .unwrap_or_default();
        if let Some(s) = &self.actions_suppressor {
            names.insert(alarm_rule::alarm_name(&s.alarm).to_string());
        }
        names
    }

    pub fn check(&self, name: &str, cx: &mut Cx<'_>) {
        let at = At::spec();
        cx.check(
            &At::root().k("metadata").k("name"),
            rules::name_free("alarm name", name, 255),
        );
        if let Err(e) = alarm_rule::parse(&self.alarm_rule) {
            report_rule_error(cx, &e);
        }
        if let Some(d) = &self.description {
            cx.check(&at.k("description"), rules::max_len("description", d, 1024));
        }
        for (field, actions) in [
            ("alarmActions", &self.alarm_actions),
            ("okActions", &self.ok_actions),
            ("insufficientDataActions", &self.insufficient_data_actions),
        ] {
            cx.check(&at.k(field), rules::at_most(field, actions.len(), 5));
            for (i, action) in actions.iter().enumerate() {
                cx.check(&at.k(field).i(i), rules::length("action", action, 1, 1024));
                cx.check(&at.k(field).i(i), rules::parse_arn(action).map(|_| ()));
            }
        }
        if let Some(s) = &self.actions_suppressor {
            let sat = at.k("actionsSuppressor").k("alarm");
            cx.check(
                &sat,
                rules::length("actionsSuppressor.alarm", &s.alarm, 1, 1600),
            );
            if alarm_rule::alarm_name(&s.alarm) == name {
                cx.error(&sat, "a composite alarm cannot suppress its own actions");
            }
        }
        if self.named_alarms().contains(name) {
            cx.error(
                &at.k("alarmRule"),
                format!("the rule of `{name}` names `{name}` itself"),
            );
        }
        cx.check_tags(&at.k("tags"), &self.tags);
    }
}

/// A rule error at its place: inside the rule when the scalar is on one line and
/// written as is (plain, or quoted without escapes), else at the rule's start; the
/// message always says the character.
fn report_rule_error(cx: &mut Cx<'_>, e: &RuleError) {
    let message = format!("alarmRule, character {}: {}", e.offset + 1, e.message);
    let mut p = rules::Problem::new(message);
    p.hint = e.hint.clone();
    report_in_rule(cx, &At::spec().k("alarmRule"), Some(e.offset), p);
}

/// Reports `problem` at `at`, moved to the rule's `offset`th character when `at` is
/// the rule and the scalar allows it (see [`offset_in_source`]).
pub fn report_in_rule(
    cx: &mut Cx<'_>,
    at: &At<'_>,
    offset: Option<usize>,
    problem: rules::Problem,
) {
    let mut span = cx.span(at);
    let node = cx.root.get("spec").and_then(|s| s.get("alarmRule"));
    if let (Some(node), Some(offset)) = (node, offset) {
        if span == node.span {
            if let Some(shift) = offset_in_source(node, offset) {
                span.column += shift;
            }
        }
    }
    cx.out
        .push(Diagnostic::new(cx.path, span, problem.message).with_opt_hint(problem.hint));
}

/// How far after the scalar's start the rule's `offset`th character is written, when
/// that can be known from the value alone.
fn offset_in_source(node: &Node, offset: usize) -> Option<usize> {
    let super::yaml::Value::Scalar { text, plain } = &node.value else {
        return None;
    };
    if text.contains('\n') || text.contains('\\') {
        return None;
    }
    Some(if *plain { offset } else { offset + 1 })
}

/// An alarm as the cross-document check sees it: its kind's name, targets and, for
/// composites, the alarms it names.
pub struct AlarmDoc<'a> {
    pub name: &'a str,
    pub targets: &'a [String],
    pub composite: Option<&'a CompositeAlarmSpec>,
}

/// The repository-wide rules of composite alarms: every alarm a composite names is
/// defined for each of its targets or listed in `externalAlarms`, and composites name
/// each other without a cycle. A problem of `docs[i]` is reported as `report(i, at,
/// offset, problem)`, `offset` being where in the rule the alarm is named.
pub fn check_references(
    docs: &[AlarmDoc<'_>],
    mut report: impl FnMut(usize, &At<'_>, Option<usize>, rules::Problem),
) {
    let mut by_name: BTreeMap<&str, Vec<&AlarmDoc<'_>>> = BTreeMap::new();
    for d in docs {
        by_name.entry(d.name).or_default().push(d);
    }
    for (i, d) in docs.iter().enumerate() {
        let Some(spec) = d.composite else {
            continue;
        };
        let external: BTreeSet<&str> = spec
            .external_alarms
            .iter()
            .map(|e| alarm_rule::alarm_name(e))
            .collect();
        for named in spec.named_alarms() {
            if external.contains(named.as_str()) || named == d.name {
                continue;
            }
            let (at, offset) = field_naming(spec, &named);
            let Some(defined) = by_name.get(named.as_str()) else {
                let names = by_name.keys().copied();
                let p = rules::Problem::new(format!(
                    "`{named}` is named here, but no MetricAlarm or CompositeAlarm document defines it"
                ));
                let p = match super::diagnostic::did_you_mean(&named, names) {
                    Some(s) => p.hint(format!("did you mean `{s}`? (an alarm managed elsewhere goes in `externalAlarms`)")),
                    None => p.hint("add the alarm's document, or list it in `externalAlarms` if it is managed elsewhere"),
                };
                report(i, &at, offset, p);
                continue;
            };
            for target in d.targets {
                if !defined.iter().any(|a| a.targets.contains(target)) {
                    report(
                        i,
                        &at,
                        offset,
                        rules::Problem::new(format!(
                            "alarm `{named}` is not deployed to target `{target}`, where this composite alarm goes"
                        ))
                        .hint("give the alarm and the composite alarm the same metadata.targets"),
                    );
                }
            }
        }
    }
    check_cycles(docs, &mut report);
}

/// Where a named alarm is written: the suppressor when it is that, else the rule and
/// the offset of its first mention there.
fn field_naming<'s>(spec: &'s CompositeAlarmSpec, named: &str) -> (At<'s>, Option<usize>) {
    let in_rule = alarm_rule::parse(&spec.alarm_rule).ok().and_then(|r| {
        r.references
            .iter()
            .find(|x| alarm_rule::alarm_name(&x.alarm) == named)
            .map(|x| x.offset)
    });
    match (&spec.actions_suppressor, in_rule) {
        (Some(s), None) if alarm_rule::alarm_name(&s.alarm) == named => {
            (At::spec().k("actionsSuppressor").k("alarm"), None)
        }
        (_, offset) => (At::spec().k("alarmRule"), offset),
    }
}

/// Composites naming each other in a cycle (per target): reported on each member.
fn check_cycles(
    docs: &[AlarmDoc<'_>],
    report: &mut impl FnMut(usize, &At<'_>, Option<usize>, rules::Problem),
) {
    let targets: BTreeSet<&String> = docs.iter().flat_map(|d| d.targets.iter()).collect();
    let mut reported = BTreeSet::new();
    for target in targets {
        let here: BTreeMap<&str, (usize, BTreeSet<String>)> = docs
            .iter()
            .enumerate()
            .filter(|(_, d)| d.targets.contains(target))
            .filter_map(|(i, d)| Some((d.name, (i, d.composite?.named_alarms()))))
            .collect();
        for (name, (i, _)) in &here {
            if reported.contains(i) {
                continue;
            }
            if let Some(path) = cycle_from(name, &here) {
                reported.insert(*i);
                let next = docs[*i].composite.map(|c| field_naming(c, &path[1]));
                let (at, offset) = next.unwrap_or((At::spec().k("alarmRule"), None));
                report(
                    *i,
                    &at,
                    offset,
                    rules::Problem::new(format!(
                        "composite alarms name each other in a cycle: {}",
                        path.join(" → ")
                    ))
                    .hint("AWS cannot create (nor delete) alarms in a cycle; break it by removing one reference"),
                );
            }
        }
    }
}

/// A path of names from `start` back to itself, if there is one (depth-first, bounded
/// by the number of composites).
fn cycle_from(
    start: &str,
    graph: &BTreeMap<&str, (usize, BTreeSet<String>)>,
) -> Option<Vec<String>> {
    let mut stack: Vec<(String, Vec<String>)> = vec![(start.to_string(), vec![start.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        let Some((_, children)) = graph.get(node.as_str()) else {
            continue;
        };
        for child in children {
            if child == start {
                let mut path = path.clone();
                path.push(start.to_string());
                return Some(path);
            }
            if seen.insert(child.clone()) && path.len() <= graph.len() {
                let mut next = path.clone();
                next.push(child.clone());
                stack.push((child.clone(), next));
            }
        }
    }
    None
}
