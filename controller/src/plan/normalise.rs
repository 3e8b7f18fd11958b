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
//!   retention `never` = unset, timezone UTC = `Etc/UTC`, scheduleOffset 0 = unset).
//! - **Server-chosen values** the spec leaves unset are "don't care": the live value is
//!   taken (backup start/completion windows, backup schedule and timezone, a vault's
//!   AWS-managed key, `defaultForOperatingSystem: false`), see [`dont_care`].
//! - **Order-free collections** are sorted (actions, patch lists, filter values,
//!   instance ids, selection resources) or keyed by name (`rules[daily]`,
//!   `metrics[m1]`); maps are already ordered.
//! - **Numbers** are compared as numbers (80 and 80.0 are equal); **schedules** have
//!   their whitespace collapsed; **empty** lists, maps and strings equal absent.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value as J};

use crate::spec::context::OWNERSHIP_TAG;
use crate::spec::{
    BackupPlanSpec, BackupVaultSpec, LogGroupSpec, MaintenanceWindowSpec, MetricAlarmSpec,
    PatchBaselineSpec,
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

/// A log group.
pub fn log_group(spec: &LogGroupSpec, instance: Option<&str>) -> Normalised {
    let mut v = to_json(spec);
    if v.get("retentionInDays") == Some(&J::from("never")) {
        obj(&mut v).remove("retentionInDays");
    }
    default(&mut v, "logGroupClass", J::from("STANDARD"));
    own_tags(&mut v, instance);
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
            sort_list(&mut t, "instanceIds");
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
            prune_empty(&mut t);
            subs.insert(format!("tasks/{name}"), t);
        }
    }
    own_tags(&mut v, instance);
    prune_empty(&mut v);
    Normalised { main: v, subs }
}

/// A backup vault.
pub fn backup_vault(spec: &BackupVaultSpec, instance: Option<&str>) -> Normalised {
    let mut v = to_json(spec);
    own_tags(&mut v, instance);
    prune_empty(&mut v);
    Normalised {
        main: v,
        subs: BTreeMap::new(),
    }
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
            if let Some(J::Array(copies)) = obj(r).get_mut("copyActions") {
                copies.sort_by_key(|a| a.to_string());
            }
        }
    }
    key_by(&mut v, "rules", "name");
    let mut subs = BTreeMap::new();
    if let Some(J::Array(selections)) = obj(&mut v).remove("selections") {
        for mut s in selections {
            let name = obj(&mut s)
                .remove("name")
                .and_then(|n| n.as_str().map(str::to_string))
                .unwrap_or_default();
            sort_list(&mut s, "resources");
            sort_list(&mut s, "notResources");
            prune_empty(&mut s);
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
}
