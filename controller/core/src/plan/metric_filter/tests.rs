use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::live::Live;
use crate::spec::{LogGroupSpec, MetricFilterSpec};

const TARGET: &str = "default";

fn spec(group: &str, pattern: &str) -> MetricFilterSpec {
    serde_json::from_value(json!({
        "logGroupName": group, "filterPattern": pattern,
        "metricTransformations": [{"metricName": "m", "metricNamespace": "CIS", "metricValue": "1"}]
    }))
    .unwrap()
}

fn resource(name: &str, s: MetricFilterSpec, adopt: bool) -> Resource {
    Resource {
        metadata: serde_json::from_value(json!({"name": name, "adopt": adopt})).unwrap(),
        spec: ResourceSpec::MetricFilter(s),
        targets: vec![TARGET.into()],
        origin: crate::spec::Origin {
            path: "f.yaml".into(),
            line: 1,
        },
        template: None,
    }
}

fn live_filter(name: &str, s: MetricFilterSpec) -> LiveMetricFilter {
    LiveMetricFilter {
        filter: Live {
            name: name.into(),
            spec: s,
            arn: None,
            id: None,
            sub_ids: BTreeMap::new(),
            tags_known: false,
            unrepresented: Vec::new(),
        },
        field_selection_criteria: None,
        emit_system_field_dimensions: Vec::new(),
    }
}

fn group(name: &str, owned: bool) -> Live<LogGroupSpec> {
    let mut tags = BTreeMap::new();
    if owned {
        tags.insert(
            crate::spec::context::OWNERSHIP_TAG.to_string(),
            "driftless".to_string(),
        );
    }
    Live {
        name: name.into(),
        spec: LogGroupSpec {
            tags,
            ..LogGroupSpec::default()
        },
        arn: None,
        id: None,
        sub_ids: BTreeMap::new(),
        tags_known: true,
        unrepresented: Vec::new(),
    }
}

fn options(records: &[(&str, &str)]) -> PlanOptions {
    PlanOptions {
        instance: "driftless".into(),
        max_deletes: 10,
        prune: true,
        last_applied: records
            .iter()
            .map(|(name, group)| {
                (
                    record_key(TARGET, Kind::MetricFilter, name),
                    json!({"logGroupName": group}),
                )
            })
            .collect(),
        ..PlanOptions::default()
    }
}

fn run(
    desired: &[Resource],
    live: &LiveTarget,
    options: &PlanOptions,
) -> (TargetPlan, Vec<Change>) {
    let refs: Vec<&Resource> = desired.iter().collect();
    let mut plan = TargetPlan::default();
    let mut deletes = Vec::new();
    plan_metric_filters(TARGET, &refs, live, options, &mut plan, &mut deletes);
    (plan, deletes)
}

#[test]
fn a_new_filter_is_created_and_an_equal_owned_one_is_no_change() {
    let want = resource("root", spec("/trail", "ERROR"), false);
    let (plan, _) = run(
        std::slice::from_ref(&want),
        &LiveTarget::default(),
        &options(&[]),
    );
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(plan.changes[0].action, Action::Create);
    let live = LiveTarget {
        log_groups: vec![group("/trail", true)],
        metric_filters: vec![live_filter("root", spec("/trail", "ERROR"))],
        ..LiveTarget::default()
    };
    let (plan, deletes) = run(&[want], &live, &options(&[]));
    assert!(plan.changes.is_empty() && deletes.is_empty());
    assert_eq!(plan.noop, 1);
}

#[test]
fn a_namesake_on_an_unowned_group_is_a_conflict_unless_recorded_or_adopted() {
    let want = resource("root", spec("/trail", "ERROR"), false);
    let live = LiveTarget {
        log_groups: vec![group("/trail", false)],
        metric_filters: vec![live_filter("root", spec("/trail", "WARN"))],
        ..LiveTarget::default()
    };
    let (plan, _) = run(std::slice::from_ref(&want), &live, &options(&[]));
    assert_eq!(plan.changes[0].action, Action::Conflict);
    assert!(plan.changes[0]
        .reason
        .as_deref()
        .unwrap()
        .contains("did not create"));
    // Recorded as applied there by driftless: an update of the pattern only.
    let (plan, _) = run(
        std::slice::from_ref(&want),
        &live,
        &options(&[("root", "/trail")]),
    );
    assert_eq!(plan.changes[0].action, Action::Update);
    assert_eq!(plan.changes[0].fields.len(), 1);
    assert_eq!(plan.changes[0].fields[0].path, "filterPattern");
    assert!(!plan.changes[0].adopt);
    // Recorded on another group: not this one.
    let (plan, _) = run(
        std::slice::from_ref(&want),
        &live,
        &options(&[("root", "/other")]),
    );
    assert_eq!(plan.changes[0].action, Action::Conflict);
    let adopting = resource("root", spec("/trail", "ERROR"), true);
    let (plan, _) = run(&[adopting], &live, &options(&[]));
    assert_eq!(plan.changes[0].action, Action::Update);
    assert!(plan.changes[0].adopt);
    // Adopting an equal filter is still a change: applying it records it as ours.
    let equal = resource("root", spec("/trail", "WARN"), true);
    let (plan, _) = run(std::slice::from_ref(&equal), &live, &options(&[]));
    assert_eq!(
        (plan.changes[0].action, plan.changes[0].adopt),
        (Action::Update, true)
    );
    assert!(plan.changes[0].fields.is_empty());
    // Once recorded, the same spec plans no change.
    let (plan, _) = run(&[equal], &live, &options(&[("root", "/trail")]));
    assert!(plan.changes.is_empty());
    assert_eq!(plan.noop, 1);
}

#[test]
fn owned_filters_that_left_the_repository_are_deleted_and_unowned_ones_never() {
    let live = LiveTarget {
        log_groups: vec![group("/mine", true), group("/theirs", false)],
        metric_filters: vec![
            live_filter("a", spec("/mine", "")),
            live_filter("b", spec("/theirs", "")),
            live_filter("c", spec("/theirs", "")),
        ],
        ..LiveTarget::default()
    };
    let (_, deletes) = run(&[], &live, &options(&[("c", "/theirs")]));
    let names: Vec<&str> = deletes.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["a", "c"]);
    assert!(deletes.iter().all(|c| c.action == Action::Delete));
}

#[test]
fn a_filter_moved_to_another_group_is_replaced() {
    let want = resource("root", spec("/new", "ERROR"), false);
    let live = LiveTarget {
        log_groups: vec![group("/old", true)],
        metric_filters: vec![live_filter("root", spec("/old", "ERROR"))],
        ..LiveTarget::default()
    };
    let (plan, deletes) = run(&[want], &live, &options(&[]));
    assert_eq!(plan.changes[0].action, Action::Replace);
    assert_eq!(plan.changes[0].fields[0].path, "logGroupName");
    assert!(deletes.is_empty());
}

#[test]
fn a_filter_on_a_group_being_replaced_is_created_again() {
    let want = resource("root", spec("/trail", "ERROR"), false);
    let live = LiveTarget {
        log_groups: vec![group("/trail", true)],
        metric_filters: vec![live_filter("root", spec("/trail", "ERROR"))],
        ..LiveTarget::default()
    };
    let refs = [&want];
    let mut plan = TargetPlan::default();
    plan.changes.push(Change::new(
        TARGET,
        Kind::LogGroup,
        "/trail",
        Action::Replace,
    ));
    let mut deletes = Vec::new();
    plan_metric_filters(TARGET, &refs, &live, &options(&[]), &mut plan, &mut deletes);
    assert_eq!(plan.changes[1].action, Action::Create);
}
