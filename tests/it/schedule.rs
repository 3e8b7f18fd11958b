//! `driftless schedule` (JSON, iCalendar, text), the overlap guardrail at validate
//! time, and `nextRuns` on plan changes, end to end: the real binary, the plans
//! against the emulator.

use serde_json::Value;

use crate::support::{driftless, repo_root, Repo};

/// `driftless validate --output json` on the repository: exit code and JSON.
fn validate(repo: &Repo) -> (i32, Value) {
    let out = driftless(&repo.account, repo.state.path())
        .args(["validate", "--output", "json"])
        .arg(repo.dir.path())
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap_or(-1), json)
}

fn overlap_fixture() -> Repo {
    Repo::from_folder(&repo_root().join("tests/fixtures/valid/schedule-overlap"))
}

#[test]
fn schedule_json_lists_every_run_per_target_in_utc_and_in_its_zone_with_overlaps() {
    let repo = overlap_fixture();
    let run = repo.run(&[
        "schedule",
        "--from",
        "2026-03-01",
        "--days",
        "12",
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.json();
    assert_eq!(out["from"], "2026-03-01T00:00:00Z");
    assert_eq!(out["until"], "2026-03-13T00:00:00Z");
    let runs = out["runs"].as_array().unwrap();
    // Sydney: a window and a backup every day; Tokyo: a backup every day and the
    // window the day after the second Tuesday (scheduleOffset 1).
    assert_eq!(runs.len(), 12 * 2 + 12 + 1, "{out:#}");
    let window = runs
        .iter()
        .find(|r| r["name"] == "patch-tuesday")
        .expect("the Tokyo window runs once");
    let expected = serde_json::json!({
        "target": "prod-tokyo", "kind": "MaintenanceWindow", "name": "patch-tuesday",
        "rule": "cron(0 3 ? * TUE#2 *)", "timezone": "Asia/Tokyo",
        "start": "2026-03-10T18:00:00Z", "end": "2026-03-10T22:00:00Z",
        "localStart": "2026-03-11T03:00:00+09:00", "localEnd": "2026-03-11T07:00:00+09:00",
    });
    assert_eq!(window, &expected);
    // Sorted per target, then by start.
    let keys: Vec<(String, String)> = runs
        .iter()
        .map(|r| (r["target"].to_string(), r["start"].to_string()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let overlaps = out["overlaps"].as_array().unwrap();
    assert_eq!(overlaps.len(), 1, "{out:#}");
    assert_eq!(overlaps[0]["target"], "prod-tokyo");
    assert_eq!(overlaps[0]["backupRule"], "daily/rules/nightly");
    assert_eq!(overlaps[0]["window"], "patch-tuesday");
    assert_eq!(overlaps[0]["shared"], "tag Patch Group=web");
    assert_eq!(overlaps[0]["backupRun"]["start"], "2026-03-10T18:00:00Z");

    let only = repo.run(&[
        "schedule",
        "--from",
        "2026-03-01",
        "--days",
        "12",
        "--output",
        "json",
        "--target",
        "prod-sydney",
    ]);
    let runs = only.json()["runs"].as_array().unwrap().clone();
    assert!(runs.iter().all(|r| r["target"] == "prod-sydney") && runs.len() == 24);

    let text = repo.run(&["schedule", "--from", "2026-03-01", "--days", "12"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(text.stdout.contains("Wed 2026-03-11 03:00 → 2026-03-11 07:00 +09:00 Asia/Tokyo (UTC 2026-03-10 18:00 → 2026-03-10 22:00)"), "{}", text.stdout);
    assert!(
        text.stdout.contains("37 runs, 1 overlap."),
        "{}",
        text.stdout
    );
}

#[test]
fn schedule_ics_is_a_calendar_with_one_event_per_run() {
    let repo = overlap_fixture();
    let run = repo.run(&[
        "schedule",
        "--from",
        "2026-03-01",
        "--days",
        "12",
        "--output",
        "ics",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ics = &run.stdout;
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"));
    assert_eq!(ics.matches("BEGIN:VEVENT\r\n").count(), 37);
    assert_eq!(ics.matches("END:VEVENT\r\n").count(), 37);
    assert!(
        ics.contains("DTSTART:20260310T180000Z\r\nDTEND:20260310T220000Z\r\n"),
        "{ics}"
    );
    assert!(ics.split("\r\n").all(|l| l.len() <= 75), "lines are folded");
    // Stable UIDs: the same run has the same UID in tomorrow's calendar.
    let again = repo.run(&[
        "schedule",
        "--from",
        "2026-03-01",
        "--days",
        "12",
        "--output",
        "ics",
    ]);
    let uids = |s: &str| {
        s.lines()
            .filter(|l| l.starts_with("UID:"))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(uids(ics), uids(&again.stdout));
}

#[test]
fn schedule_refuses_an_invalid_repository_like_validate() {
    let repo = overlap_fixture();
    repo.write("bad.yaml", "apiVersion: driftless.dev/v1\nkind: MaintenanceWindow\nmetadata: {name: never}\nspec:\n  schedule: cron(0 0 30 2 ? *)\n  duration: 2\n  cutoff: 1\n");
    let run = repo.run(&["schedule"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("bad.yaml:5:13: error: schedule `cron(0 0 30 2 ? *)`: never fires"),
        "{}",
        run.stderr
    );
    let unknown = overlap_fixture().run(&["schedule", "--target", "nowhere"]);
    assert_eq!(unknown.code, 1, "{}", unknown.stderr);
}

#[test]
fn the_overlap_guardrail_denies_at_validate_with_the_rule_and_the_place() {
    let repo = overlap_fixture();
    let config = std::fs::read_to_string(repo.dir.path().join("driftless.yaml")).unwrap();
    repo.write(
        "driftless.yaml",
        &config.replace("    enforcement: warn\n", ""),
    );
    let (code, out) = validate(&repo);
    assert_eq!(code, 1, "{out:#}");
    let errors = out["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{out:#}");
    assert_eq!(errors[0]["rule"], "maintenance-backup-overlap-check");
    assert!(errors[0]["path"].as_str().unwrap().ends_with("backup.yaml"));
    assert_eq!(
        (errors[0]["line"].as_u64(), errors[0]["column"].as_u64()),
        (Some(9), Some(17))
    );
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.contains("MaintenanceWindow patch-tuesday"),
        "{message}"
    );
    assert!(message.contains("tag Patch Group=web"), "{message}");

    // As a warning, the revision is valid and says so.
    let warn = overlap_fixture();
    let (code, out) = validate(&warn);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["errors"][0]["severity"], "warning");
}

const WINDOW: &str = "apiVersion: driftless.dev/v1
kind: MaintenanceWindow
metadata: {name: sched-window}
spec:
  schedule: cron(0 3 ? * TUE#2 *)
  scheduleTimezone: Europe/London
  duration: 3
  cutoff: 1
---
apiVersion: driftless.dev/v1
kind: BackupVault
metadata: {name: sched-vault}
spec: {}
---
apiVersion: driftless.dev/v1
kind: BackupPlan
metadata: {name: sched-plan}
spec:
  rules:
    - {name: nightly, targetVault: sched-vault, schedule: cron(0 1 ? * * *), scheduleTimezone: America/New_York}
";

fn change<'a>(plan: &'a Value, name: &str) -> &'a Value {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no change {name}: {plan:#}"))
}

#[test]
fn plans_show_the_next_runs_of_created_and_changed_schedules() {
    let repo = Repo::new(&[("ops.yaml", WINDOW)]);
    let first = repo.plan();
    assert_eq!(first.code, 2, "{}", first.stderr);
    let plan = first.json();
    let runs = &change(&plan, "sched-window")["nextRuns"][0];
    assert_eq!(runs["name"], "sched-window");
    assert_eq!(runs["rule"], "cron(0 3 ? * TUE#2 *)");
    assert_eq!(runs["timezone"], "Europe/London");
    let times = runs["times"].as_array().unwrap();
    assert_eq!(times.len(), 5);
    for t in times {
        let t = t.as_str().unwrap();
        assert!(
            t.ends_with("T03:00:00Z") || t.ends_with("T03:00:00+01:00"),
            "{t}"
        );
    }
    let backup = &change(&plan, "sched-plan")["nextRuns"][0];
    assert_eq!(backup["name"], "nightly");
    assert_eq!(backup["times"].as_array().unwrap().len(), 5);
    assert!(change(&plan, "sched-vault").get("nextRuns").is_none());

    // Text and markdown say it too.
    let text = repo.run(&["plan"]);
    assert!(
        text.stdout
            .contains("# next runs: cron(0 3 ? * TUE#2 *) in Europe/London: Tue "),
        "{}",
        text.stdout
    );
    let md = repo.run(&["plan", "--output", "markdown"]);
    assert!(
        md.stdout
            .contains("`next runs of rule nightly: cron(0 1 ? * * *) in America/New_York: "),
        "{}",
        md.stdout
    );

    // A saved plan applies although its next runs were counted earlier.
    let out = repo
        .dir
        .path()
        .join("plan.json")
        .to_string_lossy()
        .into_owned();
    repo.run(&["plan", "--out", &out]);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let mut edited = saved.clone();
    edited["changes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .for_each(|c| {
            if let Some(o) = c.as_object_mut() {
                o.remove("nextRuns");
            }
        });
    std::fs::write(&out, serde_json::to_string(&edited).unwrap()).unwrap();
    repo.apply(&[&out]);

    // Moving the schedule: the runs after and before the change.
    repo.write(
        "ops.yaml",
        &WINDOW.replace("cron(0 3 ? * TUE#2 *)", "cron(0 3 ? * 3 *)"),
    );
    let moved = repo.plan().json();
    let runs = &change(&moved, "sched-window")["nextRuns"][0];
    assert_eq!(change(&moved, "sched-window")["action"], "update");
    assert_eq!(runs["rule"], "cron(0 3 ? * 3 *)");
    assert_eq!(runs["before"]["rule"], "cron(0 3 ? * TUE#2 *)");
    assert_ne!(runs["times"], runs["before"]["times"]);
}
