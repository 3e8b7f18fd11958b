//! Schedules of parsed repositories: runs, overlaps on shared instances, the overlap
//! guardrail's diagnostics, `nextRuns` on plan changes, and the iCalendar output.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::calendar::{calendar, runs};
use super::overlap::overlaps;
use crate::live::{Live, LiveTarget};
use crate::plan::{Action, Change, Plan, TargetPlan};
use crate::spec::{DesiredState, Kind, MaintenanceWindowSpec, ResourceSpec, SourceFile};

const CONFIG: &str = "targets:\n  - {name: prod, region: ap-northeast-1}\n";

const WINDOW: &str = "apiVersion: driftless.dev/v1
kind: MaintenanceWindow
metadata: {name: patch-tuesday}
spec:
  schedule: cron(0 3 ? * TUE#2 *)
  scheduleTimezone: Asia/Tokyo
  duration: 4
  cutoff: 1
  targets:
    - {name: web, resourceType: INSTANCE, tags: {Patch Group: [web, api]}}
    - {name: pinned, resourceType: INSTANCE, instanceIds: [i-0123456789abcdef0]}
";

fn backup(schedule: &str, selection: &str) -> String {
    format!(
        "apiVersion: driftless.dev/v1
kind: BackupPlan
metadata: {{name: daily}}
spec:
  externalVaults: [Default]
  rules:
    - name: nightly
      targetVault: Default
      schedule: {schedule}
      completionWindowMinutes: 180
  selections:
    - {{name: sel, iamRoleArn: \"arn:aws:iam::111111111111:role/backup\", {selection}}}
"
    )
}

fn files(config: &str, docs: &[&str]) -> Vec<SourceFile> {
    let mut out = vec![SourceFile {
        relative: "driftless.yaml".into(),
        display: "driftless.yaml".into(),
        text: config.into(),
    }];
    for (i, d) in docs.iter().enumerate() {
        out.push(SourceFile {
            relative: format!("{i}.yaml"),
            display: format!("{i}.yaml"),
            text: d.to_string(),
        });
    }
    out
}

fn parse(files: &[SourceFile]) -> DesiredState {
    crate::spec::parse(files)
        .unwrap_or_else(|d| panic!("{}", crate::spec::diagnostic::render_text(&d)))
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// 18:00 UTC is 03:00 in Tokyo the next day: the second Tuesday's window.
const OVERLAPPING: &str = "cron(0 18 ? * * *)";

#[test]
fn runs_are_per_target_sorted_in_utc_with_their_zone() {
    let state = parse(&files(
        CONFIG,
        &[WINDOW, &backup(OVERLAPPING, "tags: {Patch Group: web}")],
    ));
    let all = runs(
        &state,
        &[],
        at("2026-01-12T00:00:00Z"),
        at("2026-01-14T00:00:00Z"),
    );
    let shown: Vec<String> = all
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r.kind,
                r.name,
                r.start.to_rfc3339(),
                r.timezone.name()
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            "MaintenanceWindow patch-tuesday 2026-01-12T18:00:00+00:00 Asia/Tokyo",
            "BackupPlan daily/rules/nightly 2026-01-12T18:00:00+00:00 Etc/UTC",
            "BackupPlan daily/rules/nightly 2026-01-13T18:00:00+00:00 Etc/UTC",
        ]
    );
    assert_eq!(all[0].end, at("2026-01-12T22:00:00Z"), "duration 4 hours");
    assert_eq!(
        all[1].end,
        at("2026-01-12T21:00:00Z"),
        "completion window 180 minutes"
    );
}

#[test]
fn a_backup_overlaps_a_window_on_shared_tags_or_ids() {
    let from = at("2026-01-01T00:00:00Z");
    let until = from + Duration::days(31);
    for (selection, shared) in [
        ("tags: {Patch Group: web}", Some("tag Patch Group=web")),
        (
            "conditions: {stringLike: {Patch Group: \"a*\"}}",
            Some("tag Patch Group=api"),
        ),
        (
            "anyOfTags: {Patch Group: [db, api]}",
            Some("tag Patch Group=api"),
        ),
        (
            "resources: [\"arn:aws:ec2:*:*:instance/i-0123456789abcdef0\"]",
            Some("instance i-0123456789abcdef0"),
        ),
        ("tags: {Patch Group: db}", None),
        ("tags: {Team: web}", None),
        (
            "tags: {Patch Group: web}, conditions: {stringNotEquals: {Patch Group: web}}",
            None,
        ),
        (
            "resources: [\"arn:aws:rds:*:*:db:*\"], tags: {Patch Group: web}",
            None,
        ),
    ] {
        let state = parse(&files(CONFIG, &[WINDOW, &backup(OVERLAPPING, selection)]));
        let all = runs(&state, &[], from, until);
        let found = overlaps(&state, &all, Duration::zero());
        assert_eq!(
            found.first().map(|o| o.shared.as_str()),
            shared,
            "{selection}"
        );
        if shared.is_some() {
            assert_eq!(found.len(), 1, "only the second Tuesday: {found:?}");
            assert_eq!(found[0].window_run.0, at("2026-01-12T18:00:00Z"));
        }
    }
}

#[test]
fn a_minimum_gap_counts_runs_close_to_a_window_as_overlapping() {
    // 22:30 UTC starts half an hour after the window ends (22:00 UTC).
    let state = parse(&files(
        CONFIG,
        &[
            WINDOW,
            &backup("cron(30 22 ? * * *)", "tags: {Patch Group: web}"),
        ],
    ));
    let from = at("2026-01-01T00:00:00Z");
    let all = runs(&state, &[], from, from + Duration::days(31));
    assert!(overlaps(&state, &all, Duration::minutes(30)).is_empty());
    assert_eq!(overlaps(&state, &all, Duration::minutes(31)).len(), 1);
}

#[test]
fn the_guardrail_denies_or_warns_at_the_rule_schedule() {
    let deny = format!("{CONFIG}guardrails:\n  - rule: maintenance-backup-overlap-check\n");
    let fs = files(
        &deny,
        &[WINDOW, &backup(OVERLAPPING, "tags: {Patch Group: web}")],
    );
    let mut state = parse(&fs);
    let errors = super::guardrail::check(&mut state, &fs, at("2026-01-01T00:00:00Z"));
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    assert_eq!(
        (e.path.as_str(), e.line, e.column),
        ("1.yaml", 9, 17),
        "{e:?}"
    );
    assert_eq!(e.rule.as_deref(), Some("maintenance-backup-overlap-check"));
    assert!(
        e.message
            .contains("rule `nightly` runs 2026-01-12T18:00:00Z"),
        "{}",
        e.message
    );
    let report = state.guardrails.iter().find(|r| r.non_compliant.len() == 1);
    assert!(report.is_some(), "{:?}", state.guardrails);
    // Counted like every guardrail: resources per target, of the guardrail's kinds.
    let report = report.unwrap();
    assert_eq!((report.evaluated, report.non_compliant_resources), (2, 1));
    let plans_only = format!("{deny}    kinds: [BackupPlan]\n");
    let fs = files(
        &plans_only,
        &[WINDOW, &backup(OVERLAPPING, "tags: {Patch Group: web}")],
    );
    let mut state = parse(&fs);
    super::guardrail::check(&mut state, &fs, at("2026-01-01T00:00:00Z"));
    assert_eq!(state.guardrails[0].evaluated, 1, "{:?}", state.guardrails);

    let warn = format!("{deny}    enforcement: warn\n");
    let fs = files(
        &warn,
        &[WINDOW, &backup(OVERLAPPING, "tags: {Patch Group: web}")],
    );
    let mut state = parse(&fs);
    assert!(super::guardrail::check(&mut state, &fs, at("2026-01-01T00:00:00Z")).is_empty());
    assert_eq!(state.warnings.len(), 1);

    // Apart by more than the gap: compliant.
    let gap = format!("{deny}    parameters: {{minimumGapMinutes: \"60\"}}\n");
    let fs = files(
        &gap,
        &[
            WINDOW,
            &backup("cron(0 0 ? * * *)", "tags: {Patch Group: web}"),
        ],
    );
    let mut state = parse(&fs);
    assert!(super::guardrail::check(&mut state, &fs, at("2026-01-01T00:00:00Z")).is_empty());
}

#[test]
fn a_schedule_that_never_fires_is_reported_at_its_field() {
    let bad = WINDOW.replace("cron(0 3 ? * TUE#2 *)", "cron(0 0 30 2 ? *)");
    let errors = crate::spec::parse(&files(CONFIG, &[&bad])).unwrap_err();
    let e = errors
        .iter()
        .find(|d| d.message.contains("never fires"))
        .unwrap();
    assert_eq!(
        (e.path.as_str(), e.line, e.column),
        ("0.yaml", 5, 13),
        "{e:?}"
    );
}

fn change(kind: Kind, name: &str, action: Action) -> Change {
    Change {
        target: "prod".into(),
        kind,
        name: name.into(),
        action,
        fields: Vec::new(),
        drift: false,
        reason: None,
        adopt: false,
        report_only: false,
        changed_by: None,
        next_runs: Vec::new(),
        backtest: None,
        work: Default::default(),
    }
}

#[test]
fn next_runs_after_a_change_and_before_it() {
    let state = parse(&files(
        CONFIG,
        &[WINDOW, &backup(OVERLAPPING, "tags: {Patch Group: web}")],
    ));
    let ResourceSpec::MaintenanceWindow(desired) = &state.resources[0].spec else {
        panic!("the window first")
    };
    let mut live_window: MaintenanceWindowSpec = desired.clone();
    live_window.schedule = "cron(0 3 ? * 3 *)".into();
    let mut live = LiveTarget::default();
    live.maintenance_windows.push(Live {
        name: "patch-tuesday".into(),
        spec: live_window,
        arn: None,
        id: None,
        sub_ids: BTreeMap::new(),
        tags_known: true,
        unrepresented: Vec::new(),
    });
    let mut target = TargetPlan::default();
    for (kind, name, action) in [
        (Kind::MaintenanceWindow, "patch-tuesday", Action::Update),
        (Kind::BackupPlan, "daily", Action::Create),
        (
            Kind::MaintenanceWindow,
            "patch-tuesday/targets/web",
            Action::Update,
        ),
    ] {
        target.changes.push(change(kind, name, action));
    }
    let mut plan = Plan::new("rev", vec![target]);
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    super::next_runs::annotate(
        &mut plan,
        &state.resources,
        &BTreeMap::from([("prod".to_string(), live)]),
        now,
    );
    let window = &plan
        .changes
        .iter()
        .find(|c| c.name == "patch-tuesday")
        .unwrap()
        .next_runs[0];
    assert_eq!(
        window.times[..2],
        ["2026-01-13T03:00:00+09:00", "2026-02-10T03:00:00+09:00"]
    );
    assert_eq!(window.times.len(), 5);
    let before = window.before.as_ref().expect("the schedule moved");
    assert_eq!(before.times[0], "2026-01-06T03:00:00+09:00");
    let backup = &plan
        .changes
        .iter()
        .find(|c| c.name == "daily")
        .unwrap()
        .next_runs[0];
    assert_eq!(
        (backup.name.as_str(), backup.times[0].as_str()),
        ("nightly", "2026-01-01T18:00:00Z")
    );
    assert!(backup.before.is_none());
    let sub = plan.changes.iter().find(|c| c.name.contains('/')).unwrap();
    assert!(sub.next_runs.is_empty(), "sub-resources carry no runs");
    // A saved plan made at another time still matches.
    let mut later = plan.clone();
    later.changes[0].next_runs.clear();
    assert_eq!(crate::plan::saved_plan_mismatch(&plan, &later), None);
}

#[test]
fn ics_has_one_event_per_run_in_utc_folded_and_escaped() {
    let state = parse(&files(
        CONFIG,
        &[WINDOW, &backup(OVERLAPPING, "tags: {Patch Group: web}")],
    ));
    let c = calendar(
        &state,
        &[],
        at("2026-01-12T00:00:00Z"),
        at("2026-01-13T00:00:00Z"),
    );
    let ics = crate::render::schedule::ics(&c, at("2026-01-01T00:00:00Z"));
    assert!(
        ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"),
        "{ics}"
    );
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2);
    assert!(
        ics.contains("DTSTART:20260112T180000Z\r\nDTEND:20260112T220000Z\r\n"),
        "{ics}"
    );
    assert!(ics.contains("UID:prod.MaintenanceWindow.patch-tuesday.20260112T180000Z@driftless"));
    assert!(ics.lines().all(|l| l.len() <= 76), "folded at 75 octets");
    assert!(ics.contains("SUMMARY:BackupPlan daily/rules/nightly (prod)"));
    let unfolded = ics.replace("\r\n ", "");
    assert!(
        unfolded.contains("overlaps MaintenanceWindow patch-tuesday"),
        "the overlap is in the description: {unfolded}"
    );
}
