//! Plan decisions on in-memory desired and live state.

use super::*;
use crate::live::{Live, LiveVault, LogGroupRetention};
use crate::spec::context::OWNERSHIP_TAG;
use crate::spec::log_group::Retention;
use crate::spec::{DesiredState, SourceFile};

fn desired(yaml: &str) -> DesiredState {
    let files = vec![SourceFile {
        relative: "a.yaml".into(),
        display: "a.yaml".into(),
        text: yaml.into(),
    }];
    crate::spec::parse(&files)
        .unwrap_or_else(|d| panic!("{}", crate::spec::diagnostic::render_text(&d)))
}

fn options() -> PlanOptions {
    PlanOptions {
        instance: "driftless".into(),
        prune: false,
        max_deletes: 10,
        allow_empty: false,
        last_applied: BTreeMap::new(),
        pending: BTreeMap::new(),
    }
}

fn plan(state: &DesiredState, live: &LiveTarget, options: &PlanOptions) -> TargetPlan {
    let resources: Vec<&Resource> = state.resources.iter().collect();
    plan_target("default", &resources, live, options)
}

fn owned<S: Clone>(
    name: &str,
    spec: &S,
    tags: impl Fn(&mut S) -> &mut BTreeMap<String, String>,
) -> Live<S> {
    let mut spec = spec.clone();
    tags(&mut spec).insert(OWNERSHIP_TAG.into(), "driftless".into());
    Live {
        name: name.into(),
        spec,
        arn: None,
        id: Some(format!("id-{name}")),
        sub_ids: BTreeMap::new(),
        tags_known: true,
        unrepresented: Vec::new(),
    }
}

const EVERY_KIND: &str = r#"
apiVersion: driftless.dev/v1
kind: MetricAlarm
metadata: {name: cpu}
spec: {namespace: AWS/EC2, metricName: CPUUtilization, statistic: Average, period: 300, evaluationPeriods: 3, threshold: 80, comparisonOperator: GreaterThanThreshold, alarmActions: [arn:aws:sns:us-east-1:111111111111:b, arn:aws:sns:us-east-1:111111111111:a]}
---
apiVersion: driftless.dev/v1
kind: LogGroup
metadata: {name: /app/web}
spec: {retentionInDays: 30, tags: {team: web}}
---
apiVersion: driftless.dev/v1
kind: PatchBaseline
metadata: {name: al2023}
spec:
  operatingSystem: AMAZON_LINUX_2023
  approvalRules: [{patchFilters: {CLASSIFICATION: [Security]}, approveAfterDays: 7}]
  patchGroups: [web]
---
apiVersion: driftless.dev/v1
kind: MaintenanceWindow
metadata: {name: weekly}
spec:
  schedule: rate(7 days)
  duration: 2
  cutoff: 1
  targets: [{name: web, resourceType: INSTANCE, tags: {Role: web}}]
  tasks: [{name: scan, type: RUN_COMMAND, taskArn: AWS-RunPatchBaseline, targets: [web], maxConcurrency: "1", maxErrors: "0"}]
---
apiVersion: driftless.dev/v1
kind: BackupVault
metadata: {name: vault}
spec: {}
---
apiVersion: driftless.dev/v1
kind: BackupPlan
metadata: {name: daily}
spec:
  rules: [{name: daily, targetVault: vault}]
  selections: [{name: tagged, iamRoleArn: "arn:aws:iam::111111111111:role/backup", tags: {Backup: daily}}]
"#;

/// Live state exactly as apply would leave it for EVERY_KIND, with AWS's defaults
/// filled in the way AWS reports them.
fn live_of(state: &DesiredState) -> LiveTarget {
    let mut live = LiveTarget::default();
    for r in &state.resources {
        match &r.spec {
            ResourceSpec::MetricAlarm(s) => {
                let mut s = s.clone();
                s.treat_missing_data = Some(crate::spec::alarm::TreatMissingData::Missing);
                s.datapoints_to_alarm = Some(s.evaluation_periods);
                s.alarm_actions.reverse();
                live.alarms.push(owned(r.name(), &s, |s| &mut s.tags));
            }
            ResourceSpec::LogGroup(s) => live.log_groups.push(owned(r.name(), s, |s| &mut s.tags)),
            ResourceSpec::PatchBaseline(s) => live
                .patch_baselines
                .push(owned(r.name(), s, |s| &mut s.tags)),
            ResourceSpec::MaintenanceWindow(s) => {
                live.maintenance_windows
                    .push(owned(r.name(), s, |s| &mut s.tags))
            }
            ResourceSpec::BackupVault(s) => {
                let mut s = s.clone();
                s.encryption_key_arn =
                    Some("arn:aws:kms:us-east-1:111111111111:key/aws-managed".into());
                live.backup_vaults.push(LiveVault {
                    vault: owned(r.name(), &s, |s| &mut s.tags),
                    recovery_points: 3,
                });
            }
            ResourceSpec::BackupPlan(s) => {
                let mut s = s.clone();
                for rule in &mut s.rules {
                    rule.schedule = Some("cron(0 5 ? * * *)".into());
                    rule.start_window_minutes = Some(480);
                    rule.completion_window_minutes = Some(10080);
                }
                live.backup_plans.push(owned(r.name(), &s, |s| &mut s.tags));
            }
            ResourceSpec::CompositeAlarm(s) => {
                let mut s = s.clone();
                s.actions_enabled = Some(true);
                s.external_alarms.clear();
                live.composite_alarms
                    .push(owned(r.name(), &s, |s| &mut s.tags));
            }
            ResourceSpec::ConfigurationAggregator(s) => {
                live.config_aggregators
                    .push(owned(r.name(), s, |s| &mut s.tags))
            }
            ResourceSpec::ConfigRule(s) => {
                live.config_rules.push(owned(r.name(), s, |s| &mut s.tags))
            }
            ResourceSpec::ConformancePack(s) => {
                live.conformance_packs
                    .push(owned(r.name(), s, |s| &mut s.tags))
            }
            ResourceSpec::LogRetentionPolicy(_)
            | ResourceSpec::MetricFilter(_)
            | ResourceSpec::ConfigurationRecorder(_) => {}
            ResourceSpec::Association(s) => {
                let mut s = s.clone();
                s.document_version = Some("$DEFAULT".into());
                live.associations.push(owned(r.name(), &s, |s| &mut s.tags));
            }
        }
    }
    live
}

#[test]
fn nothing_live_creates_every_resource_and_sub_resource() {
    let state = desired(EVERY_KIND);
    let p = plan(&state, &LiveTarget::default(), &options());
    let names: Vec<(Action, &str)> = p
        .changes
        .iter()
        .map(|c| (c.action, c.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            (Action::Create, "cpu"),
            (Action::Create, "/app/web"),
            (Action::Create, "al2023"),
            (Action::Create, "al2023/patchGroups/web"),
            (Action::Create, "weekly"),
            (Action::Create, "weekly/targets/web"),
            (Action::Create, "weekly/tasks/scan"),
            (Action::Create, "vault"),
            (Action::Create, "daily"),
            (Action::Create, "daily/selections/tagged"),
        ]
    );
    let lg = &p.changes[1];
    let fields: Vec<&str> = lg.fields.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        fields,
        [
            "logGroupClass",
            "retentionInDays",
            "tags[\"driftless.dev/managed-by\"]",
            "tags.team"
        ]
    );
    assert!(lg.fields.iter().all(|f| f.live.is_null()));
}

#[test]
fn live_state_as_applied_plans_no_changes_for_every_kind() {
    let state = desired(EVERY_KIND);
    let p = plan(&state, &live_of(&state), &options());
    assert_eq!(p.changes, [], "{:#?}", p.changes);
    // 6 resources + patch group + window target + task + selection.
    assert_eq!(p.noop, 10);
}

#[test]
fn a_changed_field_is_an_update_of_that_field_only() {
    let state = desired(EVERY_KIND);
    let mut live = live_of(&state);
    live.log_groups[0].spec.retention_in_days = Some(Retention::Days(60));
    live.alarms[0].spec.threshold = Some(90.0);
    let p = plan(&state, &live, &options());
    let got: Vec<(String, String, J, J)> = p
        .changes
        .iter()
        .flat_map(|c| {
            c.fields.iter().map(move |f| {
                (
                    c.name.clone(),
                    f.path.clone(),
                    f.live.clone(),
                    f.desired.clone(),
                )
            })
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "cpu".into(),
                "threshold".into(),
                J::from(90.0),
                J::from(80.0)
            ),
            (
                "/app/web".into(),
                "retentionInDays".into(),
                J::from(60),
                J::from(30)
            ),
        ]
    );
    assert!(p
        .changes
        .iter()
        .all(|c| c.action == Action::Update && !c.adopt));
}

#[test]
fn an_unowned_namesake_is_a_conflict_unless_adopted() {
    let state = desired(EVERY_KIND);
    let mut live = live_of(&state);
    live.log_groups[0].spec.tags.remove(OWNERSHIP_TAG);
    let p = plan(&state, &live, &options());
    assert_eq!(p.changes.len(), 1);
    assert_eq!(p.changes[0].action, Action::Conflict);
    assert!(p.changes[0]
        .reason
        .as_ref()
        .unwrap()
        .contains("adopt: true"));

    let adopted = EVERY_KIND.replace(
        "metadata: {name: /app/web}",
        "metadata: {name: /app/web, adopt: true}",
    );
    let state = desired(&adopted);
    let p = plan(&state, &live, &options());
    assert_eq!(p.changes.len(), 1);
    let c = &p.changes[0];
    assert_eq!((c.action, c.adopt), (Action::Update, true));
    assert_eq!(c.fields[0].path, "tags[\"driftless.dev/managed-by\"]");
}

#[test]
fn another_instance_does_not_own_it() {
    let state = desired(EVERY_KIND);
    let mut live = live_of(&state);
    live.alarms[0]
        .spec
        .tags
        .insert(OWNERSHIP_TAG.into(), "other-team".into());
    let p = plan(&state, &live, &options());
    assert_eq!(p.changes[0].action, Action::Conflict);
}

#[test]
fn owned_resources_that_left_the_repo_are_deleted_only_with_prune() {
    let state = desired(EVERY_KIND);
    let mut live = live_of(&state);
    let mut extra = live.log_groups[0].clone();
    extra.name = "/app/old".into();
    live.log_groups.push(extra);
    let mut unowned = live.log_groups[0].clone();
    unowned.name = "/app/someone-elses".into();
    unowned.spec.tags.clear();
    live.log_groups.push(unowned);

    let p = plan(&state, &live, &options());
    assert!(p.changes.is_empty());
    assert_eq!(p.would_delete_with_prune.len(), 1);
    assert_eq!(p.would_delete_with_prune[0].name, "/app/old");

    let prune = PlanOptions {
        prune: true,
        ..options()
    };
    let p = plan(&state, &live, &prune);
    assert_eq!(p.changes.len(), 1);
    assert_eq!(
        (p.changes[0].action, p.changes[0].name.as_str()),
        (Action::Delete, "/app/old")
    );
}

#[test]
fn too_many_deletes_delete_nothing_and_say_why() {
    let state = desired(EVERY_KIND);
    let mut live = live_of(&state);
    for i in 0..3 {
        let mut extra = live.log_groups[0].clone();
        extra.name = format!("/app/old-{i}");
        live.log_groups.push(extra);
    }
    let guarded = PlanOptions {
        prune: true,
        max_deletes: 2,
        ..options()
    };
    let p = plan(&state, &live, &guarded);
    assert!(p.changes.is_empty());
    assert_eq!(p.would_delete_with_prune.len(), 3);
    assert!(
        p.warnings[0].contains("3 deletes exceed --max-deletes 2"),
        "{:?}",
        p.warnings
    );
}

#[test]
fn an_empty_repository_never_deletes_everything_unless_allowed() {
    let state = desired(EVERY_KIND);
    let live = live_of(&state);
    let none = DesiredState {
        resources: Vec::new(),
        ..state.clone()
    };
    let prune = PlanOptions {
        prune: true,
        max_deletes: 100,
        ..options()
    };
    let p = plan(&none, &live, &prune);
    assert!(p.changes.is_empty());
    assert!(p.warnings[0].contains("--allow-empty"));
    let allowed = PlanOptions {
        allow_empty: true,
        ..prune
    };
    let p = plan(&none, &live, &allowed);
    assert_eq!(p.changes.len(), 6);
    let vault = p
        .changes
        .iter()
        .find(|c| c.kind == Kind::BackupVault)
        .unwrap();
    assert!(vault.reason.as_ref().unwrap().contains("3 recovery points"));
}

#[test]
fn immutable_fields_replace() {
    let state = desired(EVERY_KIND);
    let mut live = live_of(&state);
    live.patch_baselines[0].spec.operating_system =
        crate::spec::patch_baseline::OperatingSystem::AmazonLinux2;
    let p = plan(&state, &live, &options());
    assert_eq!(p.changes.len(), 1);
    assert_eq!(p.changes[0].action, Action::Replace);
    assert_eq!(
        p.changes[0].reason.as_deref(),
        Some("operatingSystem cannot change in place")
    );
}

#[test]
fn sub_resources_are_created_updated_replaced_and_deleted_by_name() {
    let state = desired(EVERY_KIND);
    let mut live = live_of(&state);
    live.maintenance_windows[0].spec.targets[0].name = "old".into();
    live.maintenance_windows[0].spec.tasks[0].priority = Some(5);
    live.backup_plans[0].spec.selections[0]
        .tags
        .insert("Extra".into(), "x".into());
    let p = plan(&state, &live, &options());
    let got: Vec<(Action, &str)> = p
        .changes
        .iter()
        .map(|c| (c.action, c.name.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (Action::Delete, "weekly/targets/old"),
            (Action::Create, "weekly/targets/web"),
            (Action::Update, "weekly/tasks/scan"),
            (Action::Replace, "daily/selections/tagged"),
        ]
    );
    assert_eq!(p.changes[2].fields[0].path, "priority");
}

#[test]
fn patch_groups_registered_to_an_unowned_baseline_conflict() {
    let state = desired(EVERY_KIND);
    let mut live = live_of(&state);
    live.patch_baselines[0].spec.patch_groups.clear();
    live.patch_group_registrations.insert(
        "web".into(),
        vec![(
            crate::spec::patch_baseline::OperatingSystem::AmazonLinux2023,
            "pb-someone".into(),
        )],
    );
    let p = plan(&state, &live, &options());
    assert_eq!(p.changes.len(), 1);
    assert_eq!(
        (p.changes[0].action, p.changes[0].name.as_str()),
        (Action::Conflict, "al2023/patchGroups/web")
    );
}

#[test]
fn two_owned_windows_of_one_name_conflict() {
    let state = desired(EVERY_KIND);
    let mut live = live_of(&state);
    let twin = live.maintenance_windows[0].clone();
    live.maintenance_windows.push(twin);
    let p = plan(&state, &live, &options());
    assert_eq!(p.changes[0].action, Action::Conflict);
    assert!(p.changes[0]
        .reason
        .as_ref()
        .unwrap()
        .starts_with("2 resources named `weekly`"));
}

#[test]
fn retention_policies_set_groups_under_their_prefix() {
    let state = desired(
        r#"
apiVersion: driftless.dev/v1
kind: LogRetentionPolicy
metadata: {name: lambda}
spec: {logGroupNamePrefix: /aws/lambda/, retentionInDays: 14, exclude: [/aws/lambda/audit-]}
---
apiVersion: driftless.dev/v1
kind: LogRetentionPolicy
metadata: {name: lambda-payments}
spec: {logGroupNamePrefix: /aws/lambda/pay, retentionInDays: 90, onlyWhereUnset: true}
---
apiVersion: driftless.dev/v1
kind: LogGroup
metadata: {name: /aws/lambda/owned}
spec: {retentionInDays: 7}
"#,
    );
    let group = |name: &str, days: Option<u32>| LogGroupRetention {
        name: name.into(),
        retention: days.map(Retention::Days),
        fixed: false,
    };
    let mut live = LiveTarget {
        retention_candidates: vec![
            group("/aws/lambda/a", None),
            group("/aws/lambda/b", Some(14)),
            group("/aws/lambda/audit-x", None),
            group("/aws/lambda/owned", Some(7)),
            group("/aws/lambda/pay-1", None),
            group("/aws/lambda/pay-2", Some(30)),
        ],
        ..LiveTarget::default()
    };
    live.log_groups.push(owned(
        "/aws/lambda/owned",
        &crate::spec::LogGroupSpec {
            retention_in_days: Some(Retention::Days(7)),
            ..Default::default()
        },
        |s| &mut s.tags,
    ));
    let p = plan(&state, &live, &options());
    type Fields<'a> = Vec<(&'a str, &'a J, &'a J)>;
    let got: Vec<(&str, Fields)> = p
        .changes
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.fields
                    .iter()
                    .map(|f| (f.path.as_str(), &f.live, &f.desired))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "lambda",
                vec![(
                    "logGroups[\"/aws/lambda/a\"].retentionInDays",
                    &J::Null,
                    &J::from(14)
                )]
            ),
            (
                "lambda-payments",
                vec![(
                    "logGroups[\"/aws/lambda/pay-1\"].retentionInDays",
                    &J::Null,
                    &J::from(90)
                )]
            ),
        ]
    );
}

#[test]
fn report_only_resources_are_marked() {
    let state = desired(&EVERY_KIND.replace(
        "metadata: {name: /app/web}",
        "metadata: {name: /app/web, driftPolicy: report}",
    ));
    let p = plan(&state, &LiveTarget::default(), &options());
    let lg = p.changes.iter().find(|c| c.name == "/app/web").unwrap();
    assert!(lg.report_only);
}

#[test]
fn plans_merge_sorted_and_counted() {
    let state = desired(EVERY_KIND);
    let a = plan(&state, &LiveTarget::default(), &options());
    let mut b = plan(&state, &live_of(&state), &options());
    b.changes.push(Change::new(
        "b-target",
        Kind::LogGroup,
        "/x",
        Action::Delete,
    ));
    let whole = Plan::new("abc123", vec![b, a]);
    assert_eq!(
        whole.summary,
        Summary {
            create: 10,
            update: 0,
            replace: 0,
            delete: 1,
            conflict: 0,
            noop: 10
        }
    );
    assert_eq!(whole.changes.last().unwrap().target, "default");
    assert_eq!(whole.changes[0].target, "b-target");
}

#[test]
fn a_live_value_that_differs_from_the_last_applied_one_is_drift() {
    let state = desired(EVERY_KIND);
    let applied = live_of(&state);
    let mut recorded = options();
    for r in &state.resources {
        let n = normalise_desired(r, "driftless", None);
        recorded
            .last_applied
            .insert(record_key("default", r.kind(), r.name()), n.main);
    }
    // Someone changed the retention in the console: drift.
    let mut live = applied.clone();
    live.log_groups[0].spec.retention_in_days = Some(Retention::Days(60));
    let p = plan(&state, &live, &recorded);
    assert_eq!(p.changes.len(), 1);
    assert!(p.changes[0].drift);
    // The same difference without a record is a change from git, not drift.
    let p = plan(&state, &live, &options());
    assert!(!p.changes[0].drift);
}

#[test]
fn a_value_written_ahead_and_never_confirmed_is_a_second_candidate_for_drift() {
    let state = desired(EVERY_KIND);
    let applied = live_of(&state);
    let group = &applied.log_groups[0];
    let key = record_key("default", Kind::LogGroup, &group.name);
    // An apply was about to set retention 30 over a recorded 14, and was killed.
    let mut recorded = options();
    let mut old = normalise_desired(
        state
            .resources
            .iter()
            .find(|r| r.name() == group.name)
            .unwrap(),
        "driftless",
        None,
    )
    .main;
    let mut intended = old.clone();
    old["retentionInDays"] = serde_json::json!(14);
    intended["retentionInDays"] = serde_json::json!(30);
    recorded.last_applied.insert(key.clone(), old);
    recorded.pending.insert(key.clone(), intended);
    let with = |days: u32, recorded: &PlanOptions| {
        let mut live = applied.clone();
        live.log_groups[0].spec.retention_in_days = Some(Retention::Days(days));
        plan(&state, &live, recorded)
    };
    // The write happened (30) or did not (14): either way not drift.
    assert!(with(30, &recorded).changes.iter().all(|c| !c.drift));
    assert!(with(14, &recorded).changes.iter().all(|c| !c.drift));
    // Neither: changed by hand after the crash.
    let p = with(60, &recorded);
    assert!(p.changes.iter().any(|c| c.drift), "{:#?}", p.changes);
    // A crashed create: only the pending value, and a hand change to it is drift.
    recorded.last_applied.clear();
    let p = with(60, &recorded);
    assert!(p.changes.iter().any(|c| c.drift), "{:#?}", p.changes);
}

#[test]
fn adopting_with_only_the_ownership_tag_to_add_is_tag_only_work_on_the_unowned_one() {
    use super::work::{Calls, Chosen};
    let adopted = EVERY_KIND.replace(
        "metadata: {name: cpu}",
        "metadata: {name: cpu, adopt: true}",
    );
    let state = desired(&adopted);
    let mut live = live_of(&state);
    live.alarms[0].spec.tags.remove(OWNERSHIP_TAG);
    live.alarms[0].arn = Some("arn:aws:cloudwatch:us-east-1:111111111111:alarm:cpu".into());
    let p = plan(&state, &live, &options());
    assert_eq!(p.changes.len(), 1, "{:#?}", p.changes);
    let c = &p.changes[0];
    assert_eq!((c.action, c.adopt), (Action::Update, true));
    let Calls::Update { writes, tags } = &c.work.calls else {
        panic!("{:?}", c.work.calls)
    };
    assert!(writes.is_empty(), "no PutMetricAlarm: {writes:?}");
    assert_eq!(
        tags.add.iter().collect::<Vec<_>>(),
        [(&OWNERSHIP_TAG.to_string(), &"driftless".to_string())]
    );
    assert!(tags.remove.is_empty());
    assert_eq!(
        c.work.live,
        Some(Chosen {
            index: 0,
            id: Some("id-cpu".into()),
            arn: live.alarms[0].arn.clone(),
        })
    );
    // The work is never part of the JSON, nor of a saved plan's comparison.
    let json = serde_json::to_string(c).unwrap();
    assert!(!json.contains("work"), "{json}");
}

#[test]
fn the_owned_namesake_is_chosen_and_a_setting_change_writes_the_definition() {
    use super::work::{Calls, Write};
    let state = desired(EVERY_KIND);
    let mut live = live_of(&state);
    let mut stranger = live.alarms[0].clone();
    stranger.spec.tags.clear();
    live.alarms.insert(0, stranger);
    live.alarms[1].spec.threshold = Some(90.0);
    let p = plan(&state, &live, &options());
    assert_eq!(p.changes.len(), 1, "{:#?}", p.changes);
    let work = &p.changes[0].work;
    assert_eq!(work.live.as_ref().map(|l| l.index), Some(1));
    assert_eq!(
        work.calls,
        Calls::Update {
            writes: [Write::Definition].into(),
            tags: Default::default(),
        }
    );
}

#[test]
fn deletes_and_sub_resources_name_the_live_ones_they_touch() {
    use super::work::Calls;
    let state = desired(EVERY_KIND);
    let mut live = live_of(&state);
    let w = live
        .maintenance_windows
        .iter()
        .position(|w| !w.spec.tasks.is_empty())
        .expect("EVERY_KIND has a window with a task");
    let task = live.maintenance_windows[w].spec.tasks[0].name.clone();
    live.maintenance_windows[w]
        .sub_ids
        .insert(format!("tasks/{task}"), "task-id".into());
    live.maintenance_windows[w].spec.tasks[0].task_arn = "AWS-RunShellScript".into();
    let prune = PlanOptions {
        prune: true,
        ..options()
    };
    let mut extra = live.log_groups[0].clone();
    extra.name = "/app/old".into();
    live.log_groups.push(extra);
    let p = plan(&state, &live, &prune);
    let delete = p.changes.iter().find(|c| c.name == "/app/old").unwrap();
    assert_eq!(delete.work.calls, Calls::Delete);
    assert_eq!(
        delete.work.live.as_ref().map(|l| l.index),
        Some(live.log_groups.len() - 1)
    );
    let update = p
        .changes
        .iter()
        .find(|c| c.name.ends_with(&format!("/tasks/{task}")))
        .unwrap();
    assert!(
        matches!(update.work.calls, Calls::UpdateTask { .. }),
        "{:?}",
        update.work.calls
    );
    let chosen = update.work.live.as_ref().unwrap();
    assert_eq!((chosen.index, chosen.id.as_deref()), (w, Some("task-id")));
}
