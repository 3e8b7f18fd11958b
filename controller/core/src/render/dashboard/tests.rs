//! The dashboard's HTML: escaping, filters, what each page says, no inline script.

use super::*;
use crate::history::{ReconcileRecord, ReconcileResult};
use crate::plan::ChangedBy;

fn row(name: &str, state: TargetState) -> TargetRow {
    TargetRow {
        name: name.into(),
        account: Some("123456789012".into()),
        region: "eu-west-1".into(),
        shard: "0/1".into(),
        state,
        revision: Some(RevisionView {
            sha: "0123456789abcdef".into(),
            subject: Some("alarms: <b>tune</b>".into()),
            author: Some("Ana <ana@example.com>".into()),
            time: Some("2026-12-01T10:00:00Z".into()),
        }),
        drift_count: 0,
        last_reconcile: None,
        next_reconcile: None,
        message: String::new(),
    }
}

#[test]
fn escaping_covers_text_and_both_attribute_quotes() {
    assert_eq!(
        esc("<a href=\"x\" title='y'>&</a>"),
        "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
    );
    assert_eq!(esc("plain"), "plain");
}

#[test]
fn query_strings_decode_plus_and_percent_and_keep_bad_escapes() {
    assert_eq!(
        query_pairs("state=drifted&q=prod+eu%2Dwest&x"),
        vec![
            ("state".into(), "drifted".into()),
            ("q".into(), "prod eu-west".into()),
            ("x".into(), String::new())
        ]
    );
    assert_eq!(
        query_pairs("q=100%&r=%zz%4"),
        vec![("q".into(), "100%".into()), ("r".into(), "%zz%4".into())]
    );
}

#[test]
fn states_come_from_result_stall_and_drift() {
    assert_eq!(TargetState::of(None, false, 0), TargetState::Pending);
    assert_eq!(
        TargetState::of(Some("converged"), false, 0),
        TargetState::Converged
    );
    assert_eq!(
        TargetState::of(Some("converged"), false, 2),
        TargetState::Drifted
    );
    assert_eq!(
        TargetState::of(Some("failed"), false, 0),
        TargetState::Failed
    );
    assert_eq!(
        TargetState::of(Some("failed"), true, 0),
        TargetState::Stalled
    );
    assert_eq!(
        TargetState::of(Some("invalid"), true, 0),
        TargetState::Stalled
    );
    assert_eq!(
        TargetState::of(Some("suspended"), false, 0),
        TargetState::Suspended
    );
    for s in TargetState::ALL {
        assert_eq!(TargetState::parse(s.as_str()), Some(s));
    }
}

#[test]
fn home_filters_by_state_and_search_and_escapes_every_value() {
    let mut rows: Vec<TargetRow> = (0..1000)
        .map(|i| row(&format!("prod-{i:04}"), TargetState::Converged))
        .collect();
    rows[7].state = TargetState::Drifted;
    rows.insert(0, row("<script>alert(1)</script>", TargetState::Failed));
    let view = HomeView {
        rows,
        filter: Filter::from_query("state=drifted&q=PROD-00"),
        limit: 500,
        ..HomeView::default()
    };
    let html = home(&view);
    assert!(html.contains("1 of 1001 targets"), "{html}");
    assert!(html.contains("href=\"/targets/prod-0007\""));
    assert!(!html.contains("prod-0008<"));
    assert!(!html.contains("alert(1)"), "the failed row is filtered out");
    assert!(!html.contains("<script>alert"));
    // Counts per state are of every target, the search box keeps what was typed.
    assert!(html.contains("Drifted (1)"));
    assert!(html.contains("value=\"PROD-00\""));
    assert!(
        html.contains("&lt;b&gt;tune&lt;/b&gt;"),
        "the subject is escaped"
    );
    let all = home(&HomeView {
        filter: Filter::default(),
        ..view
    });
    assert!(all.contains("1001 of 1001 targets; the first 500 listed"));
    assert!(all.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_eq!(all.matches("<tr data-state").count(), 500);
}

#[test]
fn pages_load_only_their_own_script_and_style_and_nothing_inline() {
    let html = home(&HomeView::default());
    assert!(html.contains("<script src=\"/ui/app.js\" defer></script>"));
    assert_eq!(html.matches("<script").count(), 1);
    assert!(!html.contains(" style="));
    assert!(!html.contains("http://") && !html.contains("https://"));
    let handler = html.split(" on").skip(1).any(|rest| {
        let name = rest.trim_start_matches(|c: char| c.is_ascii_alphabetic());
        name.len() < rest.len() && name.starts_with('=')
    });
    assert!(!handler, "no inline event handler");
    let login = login(true);
    assert!(login.contains("action=\"/ui/login\"") && login.contains("type=\"password\""));
    let wait = too_many(42);
    assert!(wait.contains("Try again in 42 s") && wait.contains("role=\"alert\""));
}

fn changed_by() -> ChangedBy {
    ChangedBy {
        principal: "arn:aws:iam::123456789012:user/bob".into(),
        event_name: "PutRetentionPolicy".into(),
        event_time: "2026-12-01T09:00:00Z".into(),
        source_ip: "10.0.0.1".into(),
        user_agent: "console".into(),
    }
}

#[test]
fn a_target_page_shows_drift_field_by_field_and_failures_with_hints() {
    let view = TargetView {
        row: row("prod", TargetState::Stalled),
        drifts: vec![DriftView {
            resource: "LogGroup/app".into(),
            at: "2026-12-01T09:05:00Z".into(),
            corrected: true,
            fields: vec![FieldView {
                path: "retentionInDays".into(),
                live: "60".into(),
                git: "14".into(),
            }],
            changed_by: Some(changed_by()),
        }],
        failures: vec![FailureView::from_reason(
            "2026-12-01T09:06:00Z",
            "ssm DescribeMaintenanceWindows failed: denied; hint: grant `ssm:DescribeMaintenanceWindows`",
        )],
        reconciles: vec![ReconcileView {
            at: "2026-12-01T09:05:00Z".into(),
            revision: "0123456789abcdef".into(),
            result: "applied".into(),
            duration_ms: 42,
            changes: vec!["update LogGroup/app (ok)".into()],
            repeated: 3,
        }],
        guardrails: vec![("required-tags".into(), 2), ("log-retention".into(), 0)],
        findings: vec![
            finding("app", true, Some("logs.yaml:1")),
            finding("<by-hand>", false, None),
        ],
        findings_omitted: 1,
        charts: String::new(),
    };
    let html = target(&view);
    assert!(
        html.contains("<td class=\"live\"><code>60</code></td>"),
        "{html}"
    );
    assert!(html.contains("<td class=\"git\"><code>14</code></td>"));
    assert!(html.contains("arn:aws:iam::123456789012:user/bob (PutRetentionPolicy)"));
    assert!(html.contains("<strong>Hint:</strong> grant `ssm:DescribeMaintenanceWindows`"));
    assert!(!html.contains("; hint:"));
    assert!(html.contains("Stalled: needs a person"));
    assert!(html.contains("(×3)") && html.contains("42 ms"));
    // The findings: one row each, owned or not, escaped; the rest counted.
    assert!(html.contains(
        "2 findings on live resources at the last audit: <code>required-tags</code> (2)."
    ));
    assert!(html.contains(
        "<tr data-owned=\"true\"><th scope=\"row\">LogGroup/app<br><code class=\"arn\">arn:aws:logs:eu-west-1:123456789012:log-group:app</code></th>"
    ), "{html}");
    assert!(html.contains(
        "<td class=\"owned\">owned: <code>logs.yaml:1</code></td><td>tag `owner` is missing</td>"
    ));
    assert!(html.contains("<tr data-owned=\"false\"><th scope=\"row\">LogGroup/&lt;by-hand&gt;"));
    assert!(html.contains("<td class=\"owned\">not owned</td>"));
    assert!(html.contains("1 more not listed: <code>driftless audit --target prod</code>"));
    let quiet = target(&TargetView {
        guardrails: vec![("required-tags".into(), 0)],
        findings: vec![],
        findings_omitted: 0,
        ..view
    });
    assert!(quiet.contains("Every live resource complies with the 1 guardrail (last audit)."));
    assert!(!quiet.contains("class=\"findings\""));
}

fn finding(name: &str, owned: bool, spec: Option<&str>) -> crate::audit::ResourceEvaluation {
    crate::audit::ResourceEvaluation {
        target: "prod".into(),
        compliance: crate::audit::Compliance::NonCompliant,
        config: None,
        rule: crate::spec::guardrail::RuleName::RequiredTags,
        enforcement: crate::spec::guardrail::Enforcement::Warn,
        kind: crate::spec::Kind::LogGroup,
        name: name.into(),
        arn: Some(format!(
            "arn:aws:logs:eu-west-1:123456789012:log-group:{name}"
        )),
        owned,
        spec: spec.map(str::to_string),
        annotations: vec!["tag `owner` is missing".into()],
    }
}

fn record(at: i64, found: u32, corrected: u32) -> ReconcileRecord {
    ReconcileRecord {
        id: None,
        started_at_unix: at,
        duration_ms: 10,
        target: "t".into(),
        revision: "r".into(),
        result: ReconcileResult::Applied,
        changes: vec![],
        drift_found: found,
        drift_corrected: corrected,
        error: None,
        repeated: 1,
        last_at_unix: None,
        departure: None,
    }
}

#[test]
fn drift_is_counted_per_utc_day_and_drawn_as_bars() {
    let now = 20 * 86_400 + 3600;
    let days = DayDrift::per_day(
        &[
            record(now, 2, 1),
            record(now - 86_400, 1, 1),
            record(now - 30 * 86_400, 9, 9),
        ],
        now,
        14,
    );
    assert_eq!(days.len(), 14);
    assert_eq!(days[13].day, "1970-01-21");
    assert_eq!((days[13].found, days[13].corrected), (2, 1));
    assert_eq!((days[12].found, days[12].corrected), (1, 1));
    assert_eq!(days.iter().map(|d| d.found).sum::<u32>(), 3);
    let svg = drift_chart(&days);
    assert!(svg.contains("3 found, 2 corrected"));
    // The largest bar is full height, the others scaled.
    assert!(
        svg.contains("class=\"found\" x=\"520\" y=\"20\" width=\"19\" height=\"100\""),
        "{svg}"
    );
    assert!(!svg.contains(" style="));
    let d = durations_chart(&[("a".into(), 50), ("b".into(), 100)]);
    assert!(d.contains("height=\"50\"") && d.contains("height=\"100\""));
    assert!(d.contains("longest 100 ms"));
}

#[test]
fn the_schedule_lists_runs_by_day_and_marks_overlaps() {
    use crate::spec::SourceFile;
    let file = |name: &str, text: &str| SourceFile {
        relative: name.into(),
        display: name.into(),
        text: text.into(),
    };
    let files = vec![
        file("driftless.yaml", "targets:\n  - {name: prod, region: ap-northeast-1}\n"),
        file(
            "w.yaml",
            "apiVersion: driftless.dev/v1\nkind: MaintenanceWindow\nmetadata: {name: patch}\n\
             spec:\n  schedule: cron(0 18 ? * * *)\n  duration: 2\n  cutoff: 1\n  targets:\n\
             \x20   - {name: web, resourceType: INSTANCE, tags: {Patch Group: [web]}}\n",
        ),
        file(
            "b.yaml",
            "apiVersion: driftless.dev/v1\nkind: BackupPlan\nmetadata: {name: daily}\nspec:\n\
             \x20 externalVaults: [Default]\n  rules:\n    - name: nightly\n      targetVault: Default\n\
             \x20     schedule: cron(0 18 ? * * *)\n      completionWindowMinutes: 180\n  selections:\n\
             \x20   - {name: sel, iamRoleArn: \"arn:aws:iam::111111111111:role/backup\", tags: {Patch Group: web}}\n",
        ),
    ];
    let state = crate::spec::parse(&files)
        .unwrap_or_else(|d| panic!("{}", crate::spec::diagnostic::render_text(&d)));
    let from = crate::schedule::from_unix(1_767_225_600); // 2026-01-01T00:00:00Z
    let c =
        crate::schedule::calendar::calendar(&state, &[], from, from + chrono::Duration::days(14));
    let html = schedule(&c, None);
    assert!(html.contains("<h2>Thursday 2026-01-01</h2>"), "{html}");
    assert_eq!(html.matches("<h2>").count(), 14, "one heading a day");
    assert_eq!(
        html.matches("<strong class=\"overlap\">").count(),
        28,
        "both runs of each day"
    );
    assert!(html.contains("14 overlaps"));
    let empty = schedule(
        &crate::schedule::calendar::Calendar {
            from,
            until: from,
            runs: vec![],
            overlaps: vec![],
        },
        Some("no valid revision yet"),
    );
    assert!(empty.contains("No runs in this time.") && empty.contains("no valid revision yet"));
}
