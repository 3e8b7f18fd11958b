//! Normalisation: the one place where desired and live specs are put in a canonical
//! JSON form, so that an immediate re-plan after apply is empty (invariant 9).
//!
//! Each kind's function takes a spec (desired or live, same type) and returns a
//! [`Normalised`] value: the resource's own fields and its sub-resources (window targets
//! and tasks, backup selections, patch-group registrations), each as canonical JSON.
//! The rules, each with a unit test below:
//!
//! - **AWS defaults** are written out on both sides when AWS documents them
//!   (treatMissingData `missing`, datapointsToAlarm = evaluationPeriods, actionsEnabled
//!   true, enabled true, priority 1, cutoffBehavior CONTINUE_TASK, compliance levels
//!   UNSPECIFIED, rejectedPatchesAction ALLOW_AS_DEPENDENCY, logGroupClass STANDARD,
//!   retention `never` = unset, timezone UTC = `Etc/UTC`, scheduleOffset 0 = unset,
//!   a DELIVERY group's retention 1, a lifecycle's archive opt-in `false` = unset).
//! - **Equivalent spellings** are one: a selection's `tags` are its
//!   `conditions.stringEquals`, an `anyOfTags` value is a list, an access policy is
//!   compared by meaning ([`policy`]); a vault lock's `changeableForDays` is not
//!   compared (AWS does not return it).
//! - **Server-chosen values** the spec leaves unset are "don't care": the live value is
//!   taken (backup start/completion windows, backup schedule and timezone, a vault's
//!   AWS-managed key, `defaultForOperatingSystem: false`), see [`dont_care`]; so are
//!   a window task's settings-block fields the spec leaves unset (a console-set Run
//!   Command timeout), see [`window_task_dont_care`].
//! - **Window tasks**: a task without targets has no limits (AWS's placeholder `1`);
//!   a Lambda payload or Step Functions input is the JSON it holds; window dates are
//!   spelled canonically (`dates::canonical`).
//! - **Order-free collections** are sorted (actions, patch lists, filter values,
//!   instance ids, selection resources) or keyed by name (`rules[daily]`,
//!   `metrics[m1]`); maps are already ordered.
//! - **Numbers** are compared as numbers (80 and 80.0 are equal); **schedules** have
//!   their whitespace collapsed; **empty** lists, maps and strings equal absent.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value as J};

use crate::spec::backup_plan::tag_key;
use crate::spec::context::OWNERSHIP_TAG;
use crate::spec::{
    AssociationSpec, BackupPlanSpec, BackupVaultSpec, CompositeAlarmSpec,
    ConfigurationAggregatorSpec, LogGroupSpec, MaintenanceWindowSpec, MetricAlarmSpec,
    MetricFilterSpec, PatchBaselineSpec,
};

/// A resource in canonical form: its own fields and its sub-resources.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Normalised {
    pub main: J,
    /// Sub-resources by path below the resource (`targets/web`, `tasks/patch`,
    /// `selections/daily`, `patchGroups/prod-web`).
    pub subs: BTreeMap<String, J>,
}

fn to_json<T: Serialize>(v: &T) -> J {
    serde_json::to_value(v).unwrap_or(J::Null)
}

fn obj(v: &mut J) -> &mut Map<String, J> {
    if !v.is_object() {
        *v = J::Object(Map::new());
    }
    v.as_object_mut().expect("just made an object")
}

/// Sets `key` to `value` when it is absent.
fn default(v: &mut J, key: &str, value: J) {
    obj(v).entry(key.to_string()).or_insert(value);
}

/// Sorts and dedups a list of strings under `key`.
fn sort_list(v: &mut J, key: &str) {
    if let Some(J::Array(items)) = obj(v).get_mut(key) {
        items.sort_by_key(|a| a.to_string());
        items.dedup();
    }
}

/// Turns a list of objects into a map keyed by `[<key field>]`, removing the field.
fn key_by(v: &mut J, list: &str, field: &str) {
    if let Some(J::Array(items)) = obj(v).remove(list) {
        let mut keyed = Map::new();
        for mut item in items {
            let key = obj(&mut item)
                .remove(field)
                .and_then(|k| k.as_str().map(str::to_string))
                .unwrap_or_default();
            keyed.insert(format!("[{key}]"), item);
        }
        obj(v).insert(list.to_string(), J::Object(keyed));
    }
}

/// Maps of tags, whose empty values are values (AWS tag values are 0 to 256
/// characters): a removed `team: ""` tag is a change, not "absent equals empty".
const TAG_MAPS: &[&str] = &["tags", "recoveryPointTags", "anyOfTags"];

/// Removes empty strings, lists and maps and nulls, recursively: they equal absent.
/// Inside tag maps ([`TAG_MAPS`]) only an empty map is removed, never an empty value.
pub fn prune_empty(v: &mut J) {
    match v {
        J::Object(map) => {
            for (key, value) in map.iter_mut() {
                if !(TAG_MAPS.contains(&key.as_str()) && value.is_object()) {
                    prune_empty(value);
                }
            }
            map.retain(|_, value| !is_empty(value));
        }
        J::Array(items) => items.iter_mut().for_each(prune_empty),
        _ => {}
    }
}

fn is_empty(v: &J) -> bool {
    match v {
        J::Null => true,
        J::String(s) => s.is_empty(),
        J::Array(a) => a.is_empty(),
        J::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Collapses runs of whitespace in a schedule expression.
pub fn schedule_spelling(s: &str) -> String {
    let inner = s.split_whitespace().collect::<Vec<_>>().join(" ");
    inner.replace("( ", "(").replace(" )", ")")
}

fn normalise_schedule(v: &mut J, key: &str) {
    if let Some(J::String(s)) = obj(v).get_mut(key) {
        *s = schedule_spelling(s);
    }
}

fn normalise_timezone(v: &mut J, key: &str) {
    if let Some(J::String(s)) = obj(v).get_mut(key) {
        if matches!(
            s.as_str(),
            "UTC" | "Etc/UTC" | "Etc/GMT" | "GMT" | "Etc/Universal" | "Universal" | "Zulu"
        ) {
            *s = "Etc/UTC".into();
        }
    }
}

/// Adds the ownership tag to desired tags (live tags already carry it when owned).
fn own_tags(v: &mut J, instance: Option<&str>) {
    if let Some(instance) = instance {
        let tags = obj(v)
            .entry("tags")
            .or_insert_with(|| J::Object(Map::new()));
        obj(tags).insert(OWNERSHIP_TAG.to_string(), J::String(instance.to_string()));
    }
}

/// For the server-chosen fields listed, a value the desired side leaves unset takes
/// the live value ("don't care"), so it never shows as a change.
pub fn dont_care(desired: &mut J, live: &J, keys: &[&str]) {
    for key in keys {
        let absent = desired.get(*key).is_none_or(is_empty);
        if absent {
            if let Some(value) = live.get(*key) {
                obj(desired).insert(key.to_string(), value.clone());
            }
        }
    }
}

/// A metric alarm. `instance` is set for the desired side (adds the ownership tag).
pub fn alarm(spec: &MetricAlarmSpec, instance: Option<&str>) -> Normalised {
    let mut v = to_json(spec);
    default(&mut v, "treatMissingData", J::from("missing"));
    default(
        &mut v,
        "datapointsToAlarm",
        J::from(spec.evaluation_periods),
    );
    default(&mut v, "actionsEnabled", J::Bool(true));
    for list in ["alarmActions", "okActions", "insufficientDataActions"] {
        sort_list(&mut v, list);
    }
    if let Some(J::Array(queries)) = obj(&mut v).get_mut("metrics") {
        for q in queries.iter_mut() {
            default(q, "returnData", J::Bool(true));
        }
    }
    key_by(&mut v, "metrics", "id");
    if let Some(t) = v.get_mut("threshold") {
        if let Some(f) = t.as_f64() {
            *t = J::from(f);
        }
    }
    own_tags(&mut v, instance);
    prune_empty(&mut v);
    Normalised {
        main: v,
        subs: BTreeMap::new(),
    }
}

/// The metric alarm to write over `live`: PutMetricAlarm replaces the whole alarm, so
/// each field the spec leaves unset whose live value is the default [`alarm`] fills
/// in (treatMissingData `missing`, datapointsToAlarm = evaluationPeriods,
/// actionsEnabled true, a query's returnData true, matched by id) is sent as AWS has
/// it: the same alarm either way, and an unrelated edit leaves AWS's copy as it was.
pub fn alarm_to_write(desired: &MetricAlarmSpec, live: &MetricAlarmSpec) -> MetricAlarmSpec {
    use crate::spec::alarm::TreatMissingData;
    let mut out = desired.clone();
    if out.treat_missing_data.is_none()
        && live.treat_missing_data == Some(TreatMissingData::Missing)
    {
        out.treat_missing_data.clone_from(&live.treat_missing_data);
    }
    if out.datapoints_to_alarm.is_none() && live.datapoints_to_alarm == Some(out.evaluation_periods)
    {
        out.datapoints_to_alarm = live.datapoints_to_alarm;
    }
    if out.actions_enabled.is_none() && live.actions_enabled == Some(true) {
        out.actions_enabled = Some(true);
    }
    let live_queries = live.metrics.as_deref().unwrap_or_default();
    for q in out.metrics.iter_mut().flatten() {
        let was = live_queries.iter().find(|l| l.id == q.id);
        if q.return_data.is_none() && was.is_some_and(|l| l.return_data == Some(true)) {
            q.return_data = Some(true);
        }
    }
    out
}

/// The composite alarm to write over `live`: an unset actionsEnabled is sent as AWS
/// has it when that is its default, true (see [`alarm_to_write`]).
pub fn composite_alarm_to_write(
    desired: &CompositeAlarmSpec,
    live: &CompositeAlarmSpec,
) -> CompositeAlarmSpec {
    let mut out = desired.clone();
    if out.actions_enabled.is_none() && live.actions_enabled == Some(true) {
        out.actions_enabled = Some(true);
    }
    out
}

/// A composite alarm: actionsEnabled defaults to true, actions are sorted, the rule is
/// compared in its canonical spelling (keyword case, quotes and spaces do not matter),
/// and `externalAlarms` (driftless's own, never sent) is left out.
pub fn composite_alarm(spec: &CompositeAlarmSpec, instance: Option<&str>) -> Normalised {
    let mut v = to_json(spec);
    let rule = crate::spec::alarm_rule::canonical_or_trimmed(&spec.alarm_rule);
    obj(&mut v).insert("alarmRule".into(), J::String(rule));
    obj(&mut v).remove("externalAlarms");
    default(&mut v, "actionsEnabled", J::Bool(true));
    for list in ["alarmActions", "okActions", "insufficientDataActions"] {
        sort_list(&mut v, list);
    }
    own_tags(&mut v, instance);
    prune_empty(&mut v);
    Normalised {
        main: v,
        subs: BTreeMap::new(),
    }
}

/// A config rule: message types and resource types sorted (their order means
/// nothing to AWS), `automatic: false` is absent.
pub fn config_rule(spec: &crate::spec::ConfigRuleSpec, instance: Option<&str>) -> Normalised {
    let mut v = to_json(spec);
    if let Some(source) = obj(&mut v).get_mut("source") {
        sort_list(source, "messageTypes");
    }
    if let Some(scope) = obj(&mut v).get_mut("scope") {
        sort_list(scope, "resourceTypes");
        prune_empty(scope);
    }
    own_tags(&mut v, instance);
    prune_empty(&mut v);
    Normalised {
        main: v,
        subs: BTreeMap::new(),
    }
}

/// A conformance pack: its fields, and in place of the template the rules it
/// deploys (`rules`: name → properties with parameters resolved,
/// [`crate::spec::conformance_pack::template::deployed_rules`]). AWS returns no
/// template, only the rules a pack made, so that is what both sides are compared
/// by: formatting, comments, key order and anything that deploys nothing never
/// show as a change.
pub fn conformance_pack(
    spec: &crate::spec::ConformancePackSpec,
    instance: Option<&str>,
) -> Normalised {
    use crate::spec::conformance_pack::template;
    let mut v = to_json(spec);
    let o = obj(&mut v);
    o.remove("template");
    o.remove("templateFile");
    if let Some(t) = &spec.template {
        let rules = template::deployed_rules(t, &spec.input_parameters);
        o.insert("rules".into(), J::Object(rules));
    }
    own_tags(&mut v, instance);
    prune_empty(&mut v);
    Normalised {
        main: v,
        subs: BTreeMap::new(),
    }
}

/// A pack's rule without `MaximumExecutionFrequency` takes the live rule's (AWS's
/// default for a periodic rule).
pub fn conformance_pack_dont_care(desired: &mut J, live: &J) {
    let Some(J::Object(rules)) = desired.get_mut("rules") else {
        return;
    };
    for (name, rule) in rules.iter_mut() {
        if let Some(l) = live.get("rules").and_then(|r| r.get(name)) {
            dont_care(rule, l, &["MaximumExecutionFrequency"]);
        }
    }
}

/// A State Manager association: documentVersion `$DEFAULT`, complianceSeverity
/// UNSPECIFIED and syncCompliance AUTO when unset (AWS's defaults), the schedule's
/// whitespace collapsed, targets order-free (values sorted, then the targets);
/// parameter values keep their order (a script's commands run in it).
pub fn association(spec: &AssociationSpec, instance: Option<&str>) -> Normalised {
    let mut v = to_json(spec);
    default(&mut v, "documentVersion", J::from("$DEFAULT"));
    default(&mut v, "complianceSeverity", J::from("UNSPECIFIED"));
    default(&mut v, "syncCompliance", J::from("AUTO"));
    normalise_schedule(&mut v, "scheduleExpression");
    if let Some(J::Array(targets)) = obj(&mut v).get_mut("targets") {
        targets.iter_mut().for_each(|t| sort_list(t, "values"));
        targets.sort_by_key(|t| t.to_string());
    }
    own_tags(&mut v, instance);
    prune_empty(&mut v);
    Normalised {
        main: v,
        subs: BTreeMap::new(),
    }
}

/// What AWS Config chooses when a rule leaves it unset: a periodic rule's frequency,
/// a remediation's attempts, retry seconds and document version.
pub fn config_rule_dont_care(desired: &mut J, live: &J) {
    dont_care(desired, live, &["maximumExecutionFrequency"]);
    if let (Some(d), Some(l)) = (desired.get_mut("remediation"), live.get("remediation")) {
        dont_care(
            d,
            l,
            &[
                "maximumAutomaticAttempts",
                "retryAttemptSeconds",
                "targetVersion",
            ],
        );
    }
}

/// A log group.
pub fn log_group(spec: &LogGroupSpec, instance: Option<&str>) -> Normalised {
    let mut v = to_json(spec);
    if v.get("retentionInDays") == Some(&J::from("never")) {
        obj(&mut v).remove("retentionInDays");
    }
    default(&mut v, "logGroupClass", J::from("STANDARD"));
    if v.get("logGroupClass") == Some(&J::from("DELIVERY")) {
        // AWS keeps a DELIVERY group's events one day, whatever was asked.
        obj(&mut v).insert(
            "retentionInDays".into(),
            J::from(crate::spec::log_group::DELIVERY_RETENTION_DAYS),
        );
    }
    own_tags(&mut v, instance);
    prune_empty(&mut v);
    Normalised {
        main: v,
        subs: BTreeMap::new(),
    }
}

/// A metric filter: `applyOnTransformedLogs` false and a transformation's `unit`
/// `None` when unset (what AWS returns for them), numbers as numbers. No tags: metric
/// filters have none.
pub fn metric_filter(spec: &MetricFilterSpec) -> Normalised {
    let mut v = to_json(spec);
    default(&mut v, "applyOnTransformedLogs", J::Bool(false));
    if let Some(J::Array(transformations)) = obj(&mut v).get_mut("metricTransformations") {
        for t in transformations.iter_mut() {
            default(t, "unit", J::from("None"));
            if let Some(d) = t.get_mut("defaultValue") {
                if let Some(f) = d.as_f64() {
                    *d = J::from(f);
                }
            }
        }
    }
    // Keyed by position, so a change reads `metricTransformations[0].unit`.
    if let Some(J::Array(items)) = obj(&mut v).remove("metricTransformations") {
        let keyed: Map<String, J> = items
            .into_iter()
            .enumerate()
            .map(|(i, t)| (format!("[{i}]"), t))
            .collect();
        obj(&mut v).insert("metricTransformations".into(), J::Object(keyed));
    }
    prune_empty(&mut v);
    Normalised {
        main: v,
        subs: BTreeMap::new(),
    }
}

fn normalise_filters(v: &mut J, key: &str) {
    if let Some(J::Object(filters)) = obj(v).get_mut(key) {
        for values in filters.values_mut() {
            if let J::Array(items) = values {
                items.sort_by_key(|a| a.to_string());
                items.dedup();
            }
        }
    }
}

/// A patch baseline; its patch-group registrations become sub-resources.
pub fn patch_baseline(spec: &PatchBaselineSpec, instance: Option<&str>) -> Normalised {
    let mut v = to_json(spec);
    default(
        &mut v,
        "approvedPatchesComplianceLevel",
        J::from("UNSPECIFIED"),
    );
    default(
        &mut v,
        "rejectedPatchesAction",
        J::from("ALLOW_AS_DEPENDENCY"),
    );
    default(&mut v, "approvedPatchesEnableNonSecurity", J::Bool(false));
    sort_list(&mut v, "approvedPatches");
    sort_list(&mut v, "rejectedPatches");
    normalise_filters(&mut v, "globalFilters");
    if let Some(J::Array(rules)) = obj(&mut v).remove("approvalRules") {
        let mut rules: Vec<J> = rules
            .into_iter()
            .map(|mut r| {
                default(&mut r, "complianceLevel", J::from("UNSPECIFIED"));
                default(&mut r, "enableNonSecurity", J::Bool(false));
                normalise_filters(&mut r, "patchFilters");
                r
            })
            .collect();
        // Rules have no names and AWS applies all of them, so their order is not
        // meaningful: sort by content and key by position in that order.
        rules.sort_by_key(|a| a.to_string());
        let keyed: Map<String, J> = rules
            .into_iter()
            .enumerate()
            .map(|(i, r)| (format!("[{i}]"), r))
            .collect();
        obj(&mut v).insert("approvalRules".into(), J::Object(keyed));
    }
    if let Some(J::Array(sources)) = obj(&mut v).get("sources").cloned() {
        let mut s = J::Object(Map::new());
        obj(&mut s).insert("sources".into(), J::Array(sources));
        key_by(&mut s, "sources", "name");
        obj(&mut v).insert("sources".into(), s["sources"].clone());
    }
    let mut subs = BTreeMap::new();
    if let Some(J::Array(groups)) = obj(&mut v).remove("patchGroups") {
        for g in groups.iter().filter_map(J::as_str) {
            subs.insert(format!("patchGroups/{g}"), J::Object(Map::new()));
        }
    }
    if v.get("defaultForOperatingSystem") != Some(&J::Bool(true)) {
        obj(&mut v).remove("defaultForOperatingSystem");
    }
    own_tags(&mut v, instance);
    prune_empty(&mut v);
    Normalised { main: v, subs }
}

/// A maintenance window; its targets and tasks become sub-resources.
pub fn maintenance_window(spec: &MaintenanceWindowSpec, instance: Option<&str>) -> Normalised {
    let mut v = to_json(spec);
    normalise_schedule(&mut v, "schedule");
    normalise_timezone(&mut v, "scheduleTimezone");
    if v.get("scheduleOffset") == Some(&J::from(0)) {
        obj(&mut v).remove("scheduleOffset");
    }
    default(&mut v, "enabled", J::Bool(true));
    default(&mut v, "allowUnassociatedTargets", J::Bool(false));
    for key in ["startDate", "endDate"] {
        if let Some(J::String(d)) = obj(&mut v).get_mut(key) {
            *d = crate::spec::maintenance_window::dates::canonical(d);
        }
    }
    let mut subs = BTreeMap::new();
    if let Some(J::Array(targets)) = obj(&mut v).remove("targets") {
        for mut t in targets {
            let name = obj(&mut t)
                .remove("name")
                .and_then(|n| n.as_str().map(str::to_string))
                .unwrap_or_default();
            if let Some(J::Object(tags)) = obj(&mut t).get_mut("tags") {
                for value in tags.values_mut() {
                    let mut values: Vec<J> = match value.take() {
                        J::Array(items) => items,
                        single => vec![single],
                    };
                    values.sort_by_key(|a| a.to_string());
                    values.dedup();
                    *value = J::Array(values);
                }
            }
            for list in ["instanceIds", "tagKeys", "resourceTypeFilters"] {
                sort_list(&mut t, list);
            }
            prune_empty(&mut t);
            subs.insert(format!("targets/{name}"), t);
        }
    }
    if let Some(J::Array(tasks)) = obj(&mut v).remove("tasks") {
        for mut t in tasks {
            let name = obj(&mut t)
                .remove("name")
                .and_then(|n| n.as_str().map(str::to_string))
                .unwrap_or_default();
            default(&mut t, "priority", J::from(1));
            default(&mut t, "cutoffBehavior", J::from("CONTINUE_TASK"));
            sort_list(&mut t, "targets");
            sort_list(&mut t, "instanceIds");
            window_task(&mut t);
            prune_empty(&mut t);
            subs.insert(format!("tasks/{name}"), t);
        }
    }
    own_tags(&mut v, instance);
    prune_empty(&mut v);
    Normalised { main: v, subs }
}

/// A task's own rules: a task without targets has no limits (AWS reports a
/// placeholder `1` for them); a Lambda payload or Step Functions input is compared as
/// the JSON it holds (`'{"a": 1}'` equals `{a: 1}`), as compact JSON text; Run
/// Command's CloudWatch output is off unless enabled; notification events are a set.
fn window_task(t: &mut J) {
    let has_targets = ["targets", "instanceIds"]
        .iter()
        .any(|k| t.get(*k).is_some_and(|v| !is_empty(v)));
    if !has_targets {
        obj(t).remove("maxConcurrency");
        obj(t).remove("maxErrors");
    }
    for (block, key) in [("lambda", "payload"), ("stepFunctions", "input")] {
        if let Some(value) = t.get_mut(block).and_then(|b| b.get_mut(key)) {
            let parsed = match &*value {
                J::String(s) => serde_json::from_str::<J>(s).ok(),
                other => Some(other.clone()),
            };
            if let Some(parsed) = parsed {
                *value = J::String(parsed.to_string());
            }
        }
    }
    if let Some(r) = t.get_mut("runCommand") {
        if let Some(c) = r.get_mut("cloudWatchOutputConfig") {
            default(c, "cloudWatchOutputEnabled", J::Bool(false));
            if c.get("cloudWatchOutputEnabled") == Some(&J::Bool(false))
                && c.get("cloudWatchLogGroupName").is_none()
            {
                obj(r).remove("cloudWatchOutputConfig");
            }
        }
        if let Some(n) = r.get_mut("notificationConfig") {
            sort_list(n, "notificationEvents");
        }
    }
}

/// The settings blocks of a task (`runCommand`, `automation`, `lambda`,
/// `stepFunctions`): a setting the spec is silent about is the live task's, so a
/// timeout or output bucket set in the console is neither a difference nor erased.
pub const TASK_SETTINGS_BLOCKS: &[&str] = &["runCommand", "automation", "lambda", "stepFunctions"];

/// Fills each settings block of a desired task with the live task's settings it
/// leaves unset (see [`TASK_SETTINGS_BLOCKS`]); the task type is the same on both
/// sides (a change of type replaces the task).
pub fn window_task_dont_care(desired: &mut J, live: &J) {
    if desired.get("type") != live.get("type") {
        return;
    }
    for block in TASK_SETTINGS_BLOCKS {
        let Some(J::Object(live_block)) = live.get(*block) else {
            continue;
        };
        let keys: Vec<&str> = live_block.keys().map(String::as_str).collect();
        let mine = obj(desired)
            .entry(block.to_string())
            .or_insert_with(|| J::Object(Map::new()));
        dont_care(mine, &live[*block], &keys);
    }
}

/// An AWS Config aggregator: account ids and regions are order-free (sorted),
/// `allRegions: false` equals absent.
pub fn config_aggregator(spec: &ConfigurationAggregatorSpec, instance: Option<&str>) -> Normalised {
    let mut v = to_json(spec);
    if let Some(J::Array(sources)) = obj(&mut v).get_mut("accounts") {
        for source in sources {
            sort_list(source, "accountIds");
            sort_list(source, "regions");
        }
    }
    if let Some(org) = obj(&mut v).get_mut("organization") {
        sort_list(org, "regions");
    }
    own_tags(&mut v, instance);
    prune_empty(&mut v);
    Normalised {
        main: v,
        subs: BTreeMap::new(),
    }
}

/// A configuration recorder with its delivery channel: an absent recording group is
/// `allSupported: true` and an absent recording mode `CONTINUOUS` (AWS's defaults),
/// resource types are order-free (sorted), `includeGlobalResourceTypes: false`
/// equals absent. No tags: recorders are owned through the state store.
pub fn config_recorder(spec: &crate::spec::ConfigurationRecorderSpec) -> Normalised {
    let mut v = to_json(spec);
    default(
        &mut v,
        "recordingGroup",
        serde_json::json!({"allSupported": true}),
    );
    default(
        &mut v,
        "recordingMode",
        serde_json::json!({"recordingFrequency": "CONTINUOUS"}),
    );
    if let Some(group) = obj(&mut v).get_mut("recordingGroup") {
        sort_list(group, "resourceTypes");
        sort_list(group, "exclusionByResourceTypes");
    }
    if let Some(J::Array(overrides)) = obj(&mut v)
        .get_mut("recordingMode")
        .map(obj)
        .and_then(|m| m.get_mut("recordingModeOverrides"))
    {
        overrides
            .iter_mut()
            .for_each(|o| sort_list(o, "resourceTypes"));
    }
    prune_empty(&mut v);
    Normalised {
        main: v,
        subs: BTreeMap::new(),
    }
}

/// What AWS chooses when a recorder's spec is silent: the channel's delivery
/// frequency, and the whole channel of a recorder that leaves it out (`recording:
/// false`, the channel not managed).
pub fn config_recorder_dont_care(desired: &mut J, live: &J) {
    dont_care(desired, live, &["deliveryChannel"]);
    if let (Some(d), Some(l)) = (
        obj(desired).get_mut("deliveryChannel"),
        live.get("deliveryChannel"),
    ) {
        dont_care(d, l, &["deliveryFrequency"]);
    }
}

/// A backup vault. The lock's `changeableForDays` is not compared (AWS returns only
/// the lock date it led to); notification events are order-free; the access policy is
/// compared by meaning ([`policy`]).
pub fn backup_vault(spec: &BackupVaultSpec, instance: Option<&str>) -> Normalised {
    let mut v = to_json(spec);
    if let Some(lock) = obj(&mut v).get_mut("lock") {
        obj(lock).remove("changeableForDays");
    }
    if let Some(n) = obj(&mut v).get_mut("notifications") {
        sort_list(n, "events");
    }
    if let Some(p) = obj(&mut v).get_mut("accessPolicy") {
        *p = policy(p);
    }
    own_tags(&mut v, instance);
    prune_empty(&mut v);
    Normalised {
        main: v,
        subs: BTreeMap::new(),
    }
}

/// An IAM policy in a canonical form, so two spellings of one policy compare equal:
/// a policy given as JSON text is parsed; a single statement, action, resource,
/// principal or condition value becomes a one-item list; lists of strings are sorted
/// and deduplicated; statements are sorted. Keys are already ordered (serde_json's map).
pub fn policy(p: &J) -> J {
    let mut p = match p {
        J::String(text) => serde_json::from_str(text).unwrap_or_else(|_| p.clone()),
        other => other.clone(),
    };
    let Some(map) = p.as_object_mut() else {
        return p;
    };
    if let Some(statements) = map.get_mut("Statement") {
        let mut list = match statements.take() {
            J::Array(items) => items,
            one => vec![one],
        };
        for st in &mut list {
            policy_statement(st);
        }
        list.sort_by_key(|a| a.to_string());
        *statements = J::Array(list);
    }
    p
}

/// A string or list of strings as a sorted, deduplicated list.
fn string_set(v: &mut J) {
    let mut items = match v.take() {
        J::Array(items) => items,
        one => vec![one],
    };
    items.sort_by_key(|a| a.to_string());
    items.dedup();
    *v = J::Array(items);
}

fn policy_statement(st: &mut J) {
    let Some(map) = st.as_object_mut() else {
        return;
    };
    for key in ["Action", "NotAction", "Resource", "NotResource"] {
        if let Some(v) = map.get_mut(key) {
            string_set(v);
        }
    }
    for key in ["Principal", "NotPrincipal"] {
        if let Some(J::Object(principals)) = map.get_mut(key) {
            principals.values_mut().for_each(string_set);
        }
    }
    if let Some(J::Object(operators)) = map.get_mut("Condition") {
        for keys in operators.values_mut() {
            if let J::Object(keys) = keys {
                keys.values_mut().for_each(string_set);
            }
        }
    }
}

/// A lifecycle's `optInToArchiveForSupportedResources: false` is AWS's default and
/// equals unset.
fn normalise_lifecycle(v: &mut J) {
    if let Some(lc) = obj(v).get_mut("lifecycle") {
        if lc.get("optInToArchiveForSupportedResources") == Some(&J::Bool(false)) {
            obj(lc).remove("optInToArchiveForSupportedResources");
        }
    }
}

/// A selection: `tags` merged into `conditions.stringEquals` (its shorthand), each
/// `anyOfTags` value a sorted list, resource lists sorted.
fn normalise_selection(s: &mut J) {
    sort_list(s, "resources");
    sort_list(s, "notResources");
    if let Some(J::Object(tags)) = obj(s).remove("tags") {
        let conditions = obj(s)
            .entry("conditions")
            .or_insert_with(|| J::Object(Map::new()));
        let equals = obj(conditions)
            .entry("stringEquals")
            .or_insert_with(|| J::Object(Map::new()));
        for (k, value) in tags {
            obj(equals).entry(k).or_insert(value);
        }
    }
    if let Some(J::Object(any_of)) = obj(s).remove("anyOfTags") {
        obj(s).insert("anyOfTags".into(), J::Object(any_of_by_tag(any_of)));
    }
    prune_empty(s);
}

/// `anyOfTags` keyed by the tag each key names (`backup` and `aws:ResourceTag/backup`
/// are one tag: AWS accepts either ListOfTags key, and the writer sends the spec's),
/// each value a sorted set.
fn any_of_by_tag(any_of: Map<String, J>) -> Map<String, J> {
    let mut out: Map<String, J> = Map::new();
    for (k, v) in any_of {
        let values = match v {
            J::Array(vs) => vs,
            other => vec![other],
        };
        let entry = out
            .entry(tag_key(&k).to_string())
            .or_insert_with(|| J::Array(Vec::new()));
        if let J::Array(all) = entry {
            all.extend(values);
        }
    }
    out.values_mut().for_each(string_set);
    out
}

/// Rule fields AWS Backup fills in when a rule leaves them unset.
pub const BACKUP_RULE_SERVER_CHOSEN: &[&str] = &[
    "schedule",
    "scheduleTimezone",
    "startWindowMinutes",
    "completionWindowMinutes",
    "enableContinuousBackup",
];

/// A backup plan; its selections become sub-resources (AWS cannot update a selection,
/// so any change to one replaces it).
pub fn backup_plan(spec: &BackupPlanSpec, instance: Option<&str>) -> Normalised {
    let mut v = to_json(spec);
    obj(&mut v).remove("externalVaults");
    if let Some(J::Array(rules)) = obj(&mut v).get_mut("rules") {
        for r in rules.iter_mut() {
            normalise_schedule(r, "schedule");
            normalise_timezone(r, "scheduleTimezone");
            if r.get("enableContinuousBackup") == Some(&J::Bool(false)) {
                obj(r).remove("enableContinuousBackup");
            }
            normalise_lifecycle(r);
            if let Some(J::Array(copies)) = obj(r).get_mut("copyActions") {
                copies.iter_mut().for_each(normalise_lifecycle);
                copies.sort_by_key(|a| a.to_string());
            }
        }
    }
    key_by(&mut v, "rules", "name");
    key_by(&mut v, "advancedBackupSettings", "resourceType");
    let mut subs = BTreeMap::new();
    if let Some(J::Array(selections)) = obj(&mut v).remove("selections") {
        for mut s in selections {
            let name = obj(&mut s)
                .remove("name")
                .and_then(|n| n.as_str().map(str::to_string))
                .unwrap_or_default();
            normalise_selection(&mut s);
            subs.insert(format!("selections/{name}"), s);
        }
    }
    own_tags(&mut v, instance);
    prune_empty(&mut v);
    Normalised { main: v, subs }
}

/// Applies "don't care" for a backup plan's server-chosen rule fields, rule by rule.
pub fn backup_plan_dont_care(desired: &mut J, live: &J) {
    let Some(live_rules) = live.get("rules").and_then(J::as_object) else {
        return;
    };
    if let Some(J::Object(rules)) = desired.get_mut("rules") {
        for (name, rule) in rules.iter_mut() {
            if let Some(live_rule) = live_rules.get(name) {
                dont_care(rule, live_rule, BACKUP_RULE_SERVER_CHOSEN);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::alarm::{ComparisonOperator, TreatMissingData};
    use crate::spec::log_group::Retention;
    use serde_json::json;

    /// Shrunk from the convergence property (tests/it/properties): removing a tag
    /// whose value is empty was no change, since empty strings were pruned as absent.
    #[test]
    fn empty_tag_values_are_kept_and_empty_tag_maps_dropped() {
        let mut v = json!({
            "description": "",
            "tags": {"K": "", "J": "v"},
            "rules": [{"recoveryPointTags": {"a": ""}, "name": ""}],
            "selections": [{"anyOfTags": {}}]
        });
        prune_empty(&mut v);
        assert_eq!(
            v,
            json!({
                "tags": {"K": "", "J": "v"},
                "rules": [{"recoveryPointTags": {"a": ""}}],
                "selections": [{}]
            })
        );
    }

    fn alarm_spec() -> MetricAlarmSpec {
        serde_json::from_value(json!({
            "namespace": "AWS/EC2", "metricName": "CPUUtilization", "statistic": "Average",
            "period": 300, "evaluationPeriods": 3, "threshold": 80,
            "comparisonOperator": "GreaterThanThreshold",
            "alarmActions": ["arn:aws:sns:us-east-1:111111111111:b", "arn:aws:sns:us-east-1:111111111111:a"]
        }))
        .unwrap()
    }

    #[test]
    fn an_alarm_written_over_a_live_one_keeps_aws_spelling_of_its_defaults_only() {
        let spec = |v: J| -> MetricAlarmSpec { serde_json::from_value(v).unwrap() };
        let query = json!([{"id": "m", "metricStat": {"metric": {"namespace": "n", "metricName": "x"}, "period": 60, "stat": "Sum"}}]);
        let desired = spec(
            json!({"metrics": query, "evaluationPeriods": 2, "threshold": 9,
            "comparisonOperator": "GreaterThanThreshold"}),
        );
        let mut defaults = desired.clone();
        defaults.treat_missing_data = Some(TreatMissingData::Missing);
        defaults.datapoints_to_alarm = Some(2);
        defaults.actions_enabled = Some(true);
        defaults.metrics.as_mut().unwrap()[0].return_data = Some(true);
        assert_eq!(alarm_to_write(&desired, &defaults), defaults);
        assert_eq!(
            alarm(&desired, None),
            alarm(&defaults, None),
            "the same alarm"
        );
        // Values that are not the defaults are the spec's to change.
        let mut other = defaults.clone();
        other.treat_missing_data = Some(TreatMissingData::Breaching);
        other.datapoints_to_alarm = Some(1);
        other.actions_enabled = Some(false);
        other.metrics.as_mut().unwrap()[0].return_data = Some(false);
        assert_eq!(alarm_to_write(&desired, &other), desired);
    }

    #[test]
    fn composite_alarm_rule_spelling_defaults_and_external_alarms() {
        let desired: CompositeAlarmSpec = serde_json::from_value(json!({
            "alarmRule": "alarm(a)  or\n ALARM(\"b\")\n",
            "okActions": ["arn:aws:sns:us-east-1:111111111111:b", "arn:aws:sns:us-east-1:111111111111:a"],
            "externalAlarms": ["b"]
        }))
        .unwrap();
        let live: CompositeAlarmSpec = serde_json::from_value(json!({
            "alarmRule": "ALARM(\"a\") OR ALARM(\"b\")",
            "actionsEnabled": true,
            "okActions": ["arn:aws:sns:us-east-1:111111111111:a", "arn:aws:sns:us-east-1:111111111111:b"]
        }))
        .unwrap();
        assert_eq!(
            composite_alarm(&desired, None).main,
            composite_alarm(&live, None).main
        );
        let changed = CompositeAlarmSpec {
            alarm_rule: "ALARM(a) AND ALARM(b)".into(),
            ..live.clone()
        };
        assert_ne!(
            composite_alarm(&changed, None).main,
            composite_alarm(&live, None).main
        );
    }

    #[test]
    fn alarm_defaults_are_written_out() {
        let n = alarm(&alarm_spec(), None).main;
        assert_eq!(n["treatMissingData"], "missing");
        assert_eq!(n["datapointsToAlarm"], 3);
        assert_eq!(n["actionsEnabled"], true);
        let mut explicit = alarm_spec();
        explicit.treat_missing_data = Some(TreatMissingData::Missing);
        explicit.datapoints_to_alarm = Some(3);
        explicit.actions_enabled = Some(true);
        assert_eq!(alarm(&explicit, None), alarm(&alarm_spec(), None));
    }

    #[test]
    fn alarm_actions_are_order_free_and_numbers_compare_as_numbers() {
        let mut reordered = alarm_spec();
        reordered.alarm_actions.reverse();
        reordered.threshold = Some(80.0);
        assert_eq!(alarm(&reordered, None), alarm(&alarm_spec(), None));
        assert_eq!(alarm(&alarm_spec(), None).main["threshold"], json!(80.0));
    }

    #[test]
    fn desired_side_carries_the_ownership_tag() {
        let n = alarm(&alarm_spec(), Some("driftless")).main;
        assert_eq!(n["tags"][OWNERSHIP_TAG], "driftless");
        assert!(alarm(&alarm_spec(), None).main.get("tags").is_none());
    }

    #[test]
    fn metric_math_queries_are_keyed_by_id_with_return_data_default() {
        let mut spec = alarm_spec();
        spec.namespace = None;
        spec.metric_name = None;
        spec.statistic = None;
        spec.period = None;
        spec.metrics =
            Some(serde_json::from_value(json!([{"id": "e1", "expression": "m1 * 2"}])).unwrap());
        let n = alarm(&spec, None).main;
        assert_eq!(n["metrics"]["[e1]"]["returnData"], true);
        assert_eq!(
            spec.comparison_operator,
            ComparisonOperator::GreaterThanThreshold
        );
    }

    #[test]
    fn log_group_never_equals_unset_and_class_defaults_to_standard() {
        let never = LogGroupSpec {
            retention_in_days: Some(Retention::Never),
            ..Default::default()
        };
        assert_eq!(
            log_group(&never, None),
            log_group(&LogGroupSpec::default(), None)
        );
        assert_eq!(log_group(&never, None).main["logGroupClass"], "STANDARD");
    }

    #[test]
    fn empty_lists_maps_and_strings_equal_absent() {
        let mut v = json!({"a": [], "b": {}, "c": "", "d": null, "e": {"f": []}, "g": 0});
        prune_empty(&mut v);
        assert_eq!(v, json!({"g": 0}));
    }

    #[test]
    fn schedules_and_time_zones_are_spelled_one_way() {
        assert_eq!(
            schedule_spelling(" cron( 0  3 ? * TUE * ) "),
            "cron(0 3 ? * TUE *)"
        );
        let mut v = json!({"scheduleTimezone": "UTC"});
        normalise_timezone(&mut v, "scheduleTimezone");
        assert_eq!(v["scheduleTimezone"], "Etc/UTC");
    }

    fn baseline(json: J) -> PatchBaselineSpec {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn patch_baseline_rules_filters_and_lists_are_order_free() {
        let a = baseline(json!({
            "operatingSystem": "AMAZON_LINUX_2023",
            "approvalRules": [
                {"patchFilters": {"CLASSIFICATION": ["Security", "Bugfix"]}, "approveAfterDays": 7},
                {"patchFilters": {"SEVERITY": ["Low"]}, "approveAfterDays": 14}
            ],
            "rejectedPatches": ["b", "a"],
            "patchGroups": ["web", "api"]
        }));
        let b = baseline(json!({
            "operatingSystem": "AMAZON_LINUX_2023",
            "approvalRules": [
                {"patchFilters": {"SEVERITY": ["Low"]}, "approveAfterDays": 14, "complianceLevel": "UNSPECIFIED"},
                {"patchFilters": {"CLASSIFICATION": ["Bugfix", "Security"]}, "approveAfterDays": 7}
            ],
            "rejectedPatches": ["a", "b"],
            "rejectedPatchesAction": "ALLOW_AS_DEPENDENCY",
            "patchGroups": ["api", "web"]
        }));
        assert_eq!(patch_baseline(&a, None), patch_baseline(&b, None));
        let n = patch_baseline(&a, None);
        assert_eq!(
            n.subs.keys().collect::<Vec<_>>(),
            ["patchGroups/api", "patchGroups/web"]
        );
    }

    #[test]
    fn default_for_os_false_is_not_managed() {
        let a = baseline(json!({"operatingSystem": "UBUNTU", "defaultForOperatingSystem": false}));
        let b = baseline(json!({"operatingSystem": "UBUNTU", "defaultForOperatingSystem": true}));
        assert!(patch_baseline(&a, None)
            .main
            .get("defaultForOperatingSystem")
            .is_none());
        assert_eq!(
            patch_baseline(&b, None).main["defaultForOperatingSystem"],
            true
        );
    }

    fn window(json: J) -> MaintenanceWindowSpec {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn window_defaults_and_sub_resources() {
        let w = window(json!({
            "schedule": "cron(0 3 ? * TUE *)", "duration": 3, "cutoff": 1, "scheduleOffset": 0,
            "targets": [{"name": "web", "resourceType": "INSTANCE", "tags": {"Env": "prod"}}],
            "tasks": [{"name": "patch", "type": "RUN_COMMAND", "taskArn": "AWS-RunPatchBaseline", "targets": ["web"]}]
        }));
        let n = maintenance_window(&w, None);
        assert_eq!(n.main["enabled"], true);
        assert!(n.main.get("scheduleOffset").is_none());
        assert_eq!(n.subs["targets/web"]["tags"]["Env"], json!(["prod"]));
        assert_eq!(n.subs["tasks/patch"]["priority"], 1);
        assert_eq!(n.subs["tasks/patch"]["cutoffBehavior"], "CONTINUE_TASK");
    }

    #[test]
    fn window_dates_and_task_settings_compare_as_aws_returns_them() {
        let w = |dates: J, task: J| {
            let mut v =
                json!({"schedule": "rate(1 day)", "duration": 2, "cutoff": 1, "tasks": [task]});
            v.as_object_mut()
                .unwrap()
                .extend(dates.as_object().unwrap().clone());
            maintenance_window(&window(v), None)
        };
        let desired = w(
            json!({"startDate": "2026-01-31T09:00+00:00", "endDate": "2027-01-01"}),
            json!({"name": "l", "type": "LAMBDA", "taskArn": "arn:aws:lambda:us-east-1:111111111111:function:f",
                   "lambda": {"payload": {"b": [1, 2], "a": "x"}}}),
        );
        // As read back: the payload's JSON text, AWS's placeholder limits.
        let live = w(
            json!({"startDate": "2026-01-31T09:00:00Z", "endDate": "2027-01-01T00:00:00"}),
            json!({"name": "l", "type": "LAMBDA", "taskArn": "arn:aws:lambda:us-east-1:111111111111:function:f",
                   "maxConcurrency": "1", "maxErrors": "1",
                   "lambda": {"payload": "{\"a\":\"x\",\"b\":[1,2]}"}}),
        );
        assert_eq!(desired, live);
        assert_eq!(desired.main["startDate"], "2026-01-31T09:00:00Z");
        let text = |payload: J| {
            w(json!({}), json!({"name": "l", "type": "LAMBDA", "taskArn": "arn:aws:lambda:us-east-1:111111111111:function:f",
                "lambda": {"payload": payload}}))
            .subs["tasks/l"]["lambda"]["payload"]
            .clone()
        };
        assert_eq!(text(json!("not json")), "not json");
        assert_eq!(text(json!("7")), text(json!(7)));
        let rc = |config: J| {
            w(
                json!({}),
                json!({"name": "r", "type": "RUN_COMMAND", "taskArn": "AWS-RunShellScript",
                "targets": ["web"], "maxConcurrency": "1", "maxErrors": "1",
                "runCommand": {"timeoutSeconds": 60, "cloudWatchOutputConfig": config,
                  "notificationConfig": {"notificationEvents": ["Success", "Failed"]}}}),
            )
            .subs["tasks/r"]
                .clone()
        };
        let t = rc(json!({"cloudWatchOutputEnabled": false}));
        assert!(
            t["runCommand"].get("cloudWatchOutputConfig").is_none(),
            "{t}"
        );
        assert_eq!(
            t["maxConcurrency"], "1",
            "a task with targets keeps its limits"
        );
        assert_eq!(
            t["runCommand"]["notificationConfig"]["notificationEvents"],
            json!(["Failed", "Success"])
        );
        let t = rc(json!({"cloudWatchLogGroupName": "/ssm"}));
        assert_eq!(
            t["runCommand"]["cloudWatchOutputConfig"]["cloudWatchOutputEnabled"],
            false
        );
    }

    #[test]
    fn task_settings_the_spec_leaves_unset_are_the_live_tasks() {
        let mut desired = json!({"type": "RUN_COMMAND", "description": "d",
            "runCommand": {"comment": "git"}});
        let live = json!({"type": "RUN_COMMAND", "description": "old", "priority": 4,
            "runCommand": {"comment": "console", "timeoutSeconds": 900},
            "lambda": {"qualifier": "x"}});
        window_task_dont_care(&mut desired, &live);
        assert_eq!(
            desired,
            json!({"type": "RUN_COMMAND", "description": "d",
                "runCommand": {"comment": "git", "timeoutSeconds": 900},
                "lambda": {"qualifier": "x"}}),
            "only the blocks' settings; the task's own fields stay the spec's"
        );
        let mut other = json!({"type": "LAMBDA"});
        window_task_dont_care(&mut other, &live);
        assert_eq!(
            other,
            json!({"type": "LAMBDA"}),
            "a change of type replaces the task"
        );
    }

    #[test]
    fn any_of_tags_keys_with_or_without_the_resource_tag_prefix_are_one_tag() {
        let plan = |any_of: J| -> BackupPlanSpec {
            serde_json::from_value(json!({"rules": [],
                "selections": [{"name": "s", "iamRoleArn": "arn:aws:iam::111111111111:role/r",
                    "anyOfTags": any_of}]}))
            .unwrap()
        };
        let sub = |any_of: J| backup_plan(&plan(any_of), None).subs["selections/s"].clone();
        assert_eq!(
            sub(json!({"backup": "daily"})),
            sub(json!({"aws:ResourceTag/backup": "daily"}))
        );
        assert_eq!(
            sub(json!({"backup": "daily", "aws:ResourceTag/backup": "weekly"})),
            sub(json!({"backup": ["weekly", "daily"]}))
        );
        assert_ne!(
            sub(json!({"backup": "daily"})),
            sub(json!({"aws:ResourceTag/Backup": "daily"}))
        );
    }

    #[test]
    fn backup_plan_rules_by_name_and_server_chosen_fields_are_dont_care() {
        let desired: BackupPlanSpec = serde_json::from_value(json!({
            "rules": [{"name": "daily", "targetVault": "v"}],
            "selections": [{"name": "s", "iamRoleArn": "arn:aws:iam::111111111111:role/r", "resources": ["b", "a"]}],
            "externalVaults": ["v"]
        }))
        .unwrap();
        let live: BackupPlanSpec = serde_json::from_value(json!({
            "rules": [{"name": "daily", "targetVault": "v", "schedule": "cron(0 5 ? * * *)", "startWindowMinutes": 480, "completionWindowMinutes": 10080}],
        }))
        .unwrap();
        let mut d = backup_plan(&desired, None);
        let l = backup_plan(&live, None);
        backup_plan_dont_care(&mut d.main, &l.main);
        assert_eq!(d.main, l.main);
        assert_eq!(d.subs["selections/s"]["resources"], json!(["a", "b"]));
    }

    #[test]
    fn dont_care_only_fills_absent_fields() {
        let mut d = json!({"a": 1});
        dont_care(&mut d, &json!({"a": 2, "b": 3}), &["a", "b"]);
        assert_eq!(d, json!({"a": 1, "b": 3}));
    }

    #[test]
    fn aggregator_accounts_and_regions_are_order_free() {
        let a: ConfigurationAggregatorSpec = serde_json::from_value(json!({
            "accounts": [{"accountIds": ["222222222222", "111111111111"],
                          "regions": ["us-east-1", "ap-northeast-1"]}]
        }))
        .unwrap();
        let b: ConfigurationAggregatorSpec = serde_json::from_value(json!({
            "accounts": [{"accountIds": ["111111111111", "222222222222"],
                          "regions": ["ap-northeast-1", "us-east-1"]}]
        }))
        .unwrap();
        assert_eq!(
            config_aggregator(&a, None).main,
            config_aggregator(&b, None).main
        );
        let mut c = b.clone();
        c.accounts[0].regions.pop();
        assert_ne!(
            config_aggregator(&c, None).main,
            config_aggregator(&b, None).main
        );
    }

    #[test]
    fn metric_filter_unset_unit_and_transformed_flag_equal_what_aws_returns() {
        let desired: MetricFilterSpec = serde_json::from_value(json!({
            "logGroupName": "/trail", "filterPattern": "{ $.x = 1 }",
            "metricTransformations": [{"metricName": "m", "metricNamespace": "ns", "metricValue": "1", "defaultValue": 0}]
        }))
        .unwrap();
        let live: MetricFilterSpec = serde_json::from_value(json!({
            "logGroupName": "/trail", "filterPattern": "{ $.x = 1 }", "applyOnTransformedLogs": false,
            "metricTransformations": [{"metricName": "m", "metricNamespace": "ns", "metricValue": "1", "defaultValue": 0.0, "unit": "None"}]
        }))
        .unwrap();
        assert_eq!(metric_filter(&desired).main, metric_filter(&live).main);
        let mut counted = desired.clone();
        counted.metric_transformations[0].unit = Some(crate::spec::alarm::StandardUnit::Count);
        assert_ne!(metric_filter(&counted).main, metric_filter(&live).main);
    }

    #[test]
    fn access_policies_compare_by_meaning_not_text() {
        let written = json!({"Version": "2012-10-17", "Statement": {
            "Effect": "Deny", "Principal": {"AWS": "*"},
            "Action": ["backup:B", "backup:A", "backup:A"], "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": "111111111111"}}}});
        let returned = J::String(
            json!({"Statement": [{"Resource": ["*"], "Action": ["backup:A", "backup:B"],
                "Principal": {"AWS": ["*"]}, "Effect": "Deny",
                "Condition": {"StringEquals": {"aws:PrincipalAccount": ["111111111111"]}}}],
                "Version": "2012-10-17"})
            .to_string(),
        );
        assert_eq!(policy(&written), policy(&returned));
        let other = json!({"Version": "2012-10-17", "Statement": {
            "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "backup:A", "Resource": "*"}});
        assert_ne!(policy(&written), policy(&other));
    }

    #[test]
    fn vault_lock_days_to_change_are_not_compared_and_events_are_order_free() {
        let vault = |v: J| -> BackupVaultSpec { serde_json::from_value(v).unwrap() };
        let desired = vault(json!({
            "lock": {"minRetentionDays": 7, "changeableForDays": 3},
            "notifications": {"snsTopicArn": "arn:aws:sns:us-east-1:111111111111:t",
                "events": ["COPY_JOB_FAILED", "BACKUP_JOB_FAILED"]}}));
        let live = vault(json!({
            "lock": {"minRetentionDays": 7},
            "notifications": {"snsTopicArn": "arn:aws:sns:us-east-1:111111111111:t",
                "events": ["BACKUP_JOB_FAILED", "COPY_JOB_FAILED"]}}));
        assert_eq!(backup_vault(&desired, None), backup_vault(&live, None));
        let changed = vault(json!({"lock": {"minRetentionDays": 8}}));
        assert_ne!(
            backup_vault(&changed, None).main["lock"],
            backup_vault(&live, None).main["lock"]
        );
    }

    #[test]
    fn selection_tags_are_string_equals_any_of_values_lists_and_opt_in_false_is_unset() {
        let plan = |v: J| -> BackupPlanSpec { serde_json::from_value(v).unwrap() };
        let role = "arn:aws:iam::111111111111:role/r";
        let a = plan(json!({
            "rules": [{"name": "d", "targetVault": "vv", "lifecycle": {"deleteAfterDays": 35}}],
            "selections": [{"name": "s", "iamRoleArn": role, "tags": {"Backup": "daily"},
                "anyOfTags": {"Tier": "1"}}]}));
        let b = plan(json!({
            "rules": [{"name": "d", "targetVault": "vv", "lifecycle": {"deleteAfterDays": 35,
                "optInToArchiveForSupportedResources": false}}],
            "selections": [{"name": "s", "iamRoleArn": role,
                "conditions": {"stringEquals": {"Backup": "daily"}},
                "anyOfTags": {"Tier": ["1"]}}]}));
        assert_eq!(backup_plan(&a, None), backup_plan(&b, None));
        let opted_in = plan(json!({
            "rules": [{"name": "d", "targetVault": "vv", "lifecycle": {"deleteAfterDays": 35,
                "optInToArchiveForSupportedResources": true}}]}));
        assert_ne!(
            backup_plan(&a, None).main,
            backup_plan(&opted_in, None).main
        );
    }

    #[test]
    fn a_delivery_group_keeps_events_one_day() {
        let spec: LogGroupSpec =
            serde_json::from_value(json!({"logGroupClass": "DELIVERY"})).unwrap();
        assert_eq!(log_group(&spec, None).main["retentionInDays"], 1);
    }
}
