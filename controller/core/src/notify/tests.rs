//! The dedup machine's behaviour, observation by observation, and the wording of
//! what it announces.

use super::*;
use NotificationKind as K;

const SHA: &str = "9f1c2e7aa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5";
const SHA2: &str = "abc1234aa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5";
const BAD: &str = "deadbeefa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5";
const BAD2: &str = "badc0dea0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d55";

/// A fresh observation of a clean reconcile, built up with the methods below.
fn obs(target: &str) -> Observation {
    Observation {
        target: target.into(),
        revision: SHA.into(),
        ..Observation::default()
    }
}

impl Observation {
    fn drift(mut self, names: &[&str]) -> Self {
        self.drift_detected = names.iter().map(|s| s.to_string()).collect();
        self
    }
    fn corrected(mut self, names: &[&str]) -> Self {
        self.drift_corrected = names.iter().map(|s| s.to_string()).collect();
        self
    }
    fn failed(mut self, reason: &str) -> Self {
        self.apply_failed = Some(reason.into());
        self
    }
    fn invalid(mut self, revision: &str, error: &str) -> Self {
        self.invalid_revision = Some((revision.into(), error.into()));
        self
    }
    fn at(mut self, revision: &str) -> Self {
        self.revision = revision.into();
        self
    }
    fn violations(mut self, found: &[&str]) -> Self {
        self.guardrail_violations = Some(found.iter().map(|s| s.to_string()).collect());
        self
    }
}

#[test]
fn a_guardrail_violation_is_announced_once_and_its_end_once() {
    let mut d = all();
    let bad = "cw-loggroup-retention-period-check LogGroup//app/x";
    let first = d.step(&obs("prod").violations(&[bad]));
    assert_eq!(kinds(&first), [K::GuardrailViolated]);
    assert_eq!(
        first[0].summary,
        format!(
            "driftless: guardrail broken on prod at {}: {bad}",
            &SHA[..7]
        )
    );
    assert_eq!(first[0].details, [bad]);
    // Still breaking it: silence. An audit that did not run decides nothing.
    assert!(d.step(&obs("prod").violations(&[bad])).is_empty());
    assert!(d.step(&obs("prod")).is_empty());
    assert!(d
        .step(&obs("prod").failed("throttled"))
        .iter()
        .all(|n| n.kind != K::GuardrailCompliant));
    // A second resource starts: only it is news.
    let other = "required-tags MetricAlarm/cpu";
    let more = d.step(&obs("prod").violations(&[bad, other]));
    assert_eq!(kinds(&more), [K::GuardrailViolated, K::ApplyRecovered]);
    assert_eq!(more[0].details, [other]);
    let fixed = d.step(&obs("prod").violations(&[other]));
    assert_eq!(kinds(&fixed), [K::GuardrailCompliant]);
    assert_eq!(fixed[0].details, [bad]);
    assert!(fixed[0].kind.is_recovery());
    // Remembered across restarts, and only when the event is on.
    let mut restarted = all();
    assert!(restarted.restore(&d.memory()));
    assert!(restarted.step(&obs("prod").violations(&[other])).is_empty());
    let mut off = Deduper::new(&[NotificationEvent::DriftDetected]);
    assert!(off.step(&obs("prod").violations(&[bad])).is_empty());
}

#[test]
fn a_memory_saved_before_guardrails_still_restores() {
    let mut d = all();
    let old = serde_json::json!({"targets": {"prod": {"drifting": ["LogGroup//a"], "failing": false}}, "invalid": null});
    assert!(d.restore(&old));
    let n = d.step(&obs("prod").violations(&["required-tags LogGroup//a"]));
    assert_eq!(kinds(&n), [K::DriftResolved, K::GuardrailViolated]);
}

fn all() -> Deduper {
    Deduper::new(&NotificationEvent::ALL)
}

fn kinds(ns: &[Notification]) -> Vec<K> {
    ns.iter().map(|n| n.kind).collect()
}

#[test]
fn a_persistent_drift_is_announced_once_and_its_resolution_once() {
    let mut d = all();
    let first = d.step(&obs("prod").drift(&["MetricAlarm/a"]));
    assert_eq!(kinds(&first), [K::DriftDetected]);
    assert_eq!(first[0].details, ["MetricAlarm/a"]);
    for _ in 0..3 {
        assert_eq!(d.step(&obs("prod").drift(&["MetricAlarm/a"])), []);
    }
    let resolved = d.step(&obs("prod"));
    assert_eq!(kinds(&resolved), [K::DriftResolved]);
    assert_eq!(resolved[0].details, ["MetricAlarm/a"]);
    assert_eq!(d.step(&obs("prod")), []);
}

#[test]
fn only_resources_that_start_drifting_are_announced() {
    let mut d = all();
    d.step(&obs("prod").drift(&["MetricAlarm/a"]));
    let more = d.step(&obs("prod").drift(&["MetricAlarm/a", "LogGroup/b"]));
    assert_eq!(kinds(&more), [K::DriftDetected]);
    assert_eq!(more[0].details, ["LogGroup/b"]);
    // `a` stops, `b` goes on: only `a` is resolved.
    let partly = d.step(&obs("prod").drift(&["LogGroup/b"]));
    assert_eq!(kinds(&partly), [K::DriftResolved]);
    assert_eq!(partly[0].details, ["MetricAlarm/a"]);
    // `a` drifting again is a new drift.
    let again = d.step(&obs("prod").drift(&["LogGroup/b", "MetricAlarm/a"]));
    assert_eq!(again[0].details, ["MetricAlarm/a"]);
}

#[test]
fn every_correction_is_announced_and_a_corrected_drift_is_never_resolved() {
    let mut d = all();
    let fixed = d.step(
        &obs("prod")
            .drift(&["MetricAlarm/a"])
            .corrected(&["MetricAlarm/a"]),
    );
    assert_eq!(kinds(&fixed), [K::DriftCorrected]);
    assert_eq!(
        fixed[0].summary,
        "driftless: drift corrected on prod at 9f1c2e7: MetricAlarm/a"
    );
    // Clean afterwards: the correction ended the drift, no "resolved".
    assert_eq!(d.step(&obs("prod")), []);
    // The same resource drifting and corrected again is announced again.
    let again = d.step(
        &obs("prod")
            .drift(&["MetricAlarm/a"])
            .corrected(&["MetricAlarm/a"]),
    );
    assert_eq!(kinds(&again), [K::DriftCorrected]);
    // With only driftDetected wanted, a drift fixed at once is still announced.
    let mut only_detected = Deduper::new(&[NotificationEvent::DriftDetected]);
    let fixed = only_detected.step(
        &obs("prod")
            .drift(&["MetricAlarm/a"])
            .corrected(&["MetricAlarm/a"]),
    );
    assert_eq!(kinds(&fixed), [K::DriftDetected]);
}

#[test]
fn correcting_a_known_drift_announces_the_correction_only() {
    let mut d = all();
    d.step(&obs("prod").drift(&["MetricAlarm/a"]));
    let fixed = d.step(
        &obs("prod")
            .drift(&["MetricAlarm/a"])
            .corrected(&["MetricAlarm/a"]),
    );
    assert_eq!(kinds(&fixed), [K::DriftCorrected]);
    assert_eq!(d.step(&obs("prod")), []);
}

#[test]
fn a_failed_reconcile_resolves_no_drift() {
    let mut d = all();
    d.step(&obs("prod").drift(&["MetricAlarm/a", "LogGroup/b"]));
    // The failed reconcile saw only part of the target: `b` is not resolved.
    let failed = d.step(&obs("prod").drift(&["MetricAlarm/a"]).failed("throttled"));
    assert_eq!(kinds(&failed), [K::ApplyFailed]);
    let ok = d.step(&obs("prod").drift(&["MetricAlarm/a", "LogGroup/b"]));
    assert_eq!(kinds(&ok), [K::ApplyRecovered]);
    // New drift seen during a failed reconcile is still announced, once.
    let mut d = all();
    let failed = d.step(&obs("prod").drift(&["MetricAlarm/a"]).failed("denied"));
    assert_eq!(kinds(&failed), [K::ApplyFailed, K::DriftDetected]);
    assert_eq!(
        d.step(&obs("prod").drift(&["MetricAlarm/a"]).failed("denied")),
        []
    );
}

#[test]
fn a_failing_target_is_announced_once_whatever_the_reason_then_recovers_once() {
    let mut d = all();
    assert_eq!(d.step(&obs("prod")), []);
    let failed = d.step(&obs("prod").failed("cloudwatch PutMetricAlarm failed: Throttling (1)"));
    assert_eq!(kinds(&failed), [K::ApplyFailed]);
    assert_eq!(
        failed[0].summary,
        "driftless: apply failed on prod at 9f1c2e7: cloudwatch PutMetricAlarm failed: Throttling (1)"
    );
    assert_eq!(
        d.step(&obs("prod").failed("cloudwatch PutMetricAlarm failed: Throttling (2)")),
        []
    );
    assert_eq!(d.step(&obs("prod").failed("something else entirely")), []);
    let back = d.step(&obs("prod").at(SHA2));
    assert_eq!(kinds(&back), [K::ApplyRecovered]);
    assert_eq!(
        back[0].summary,
        "driftless: prod reconciles again at abc1234"
    );
    assert_eq!(d.step(&obs("prod")), []);
    // Failing again after the recovery is a new failure.
    assert_eq!(kinds(&d.step(&obs("prod").failed("x"))), [K::ApplyFailed]);
}

#[test]
fn targets_are_remembered_apart() {
    let mut d = all();
    assert_eq!(kinds(&d.step(&obs("tokyo").failed("x"))), [K::ApplyFailed]);
    assert_eq!(kinds(&d.step(&obs("osaka").failed("x"))), [K::ApplyFailed]);
    assert_eq!(
        kinds(&d.step(&obs("tokyo").drift(&["MetricAlarm/a"]))),
        [K::DriftDetected, K::ApplyRecovered]
    );
    assert_eq!(
        kinds(&d.step(&obs("osaka").drift(&["MetricAlarm/a"]))),
        [K::DriftDetected, K::ApplyRecovered]
    );
    assert_eq!(d.step(&obs("tokyo").drift(&["MetricAlarm/a"])), []);
}

#[test]
fn an_invalid_revision_is_announced_once_for_all_targets_and_its_fix_once() {
    let mut d = all();
    let error = "alarms.yaml:3:5: error: unknown field `threshhold`";
    let first = d.step(&obs("tokyo").invalid(BAD, error));
    assert_eq!(kinds(&first), [K::RevisionInvalid]);
    assert_eq!(
        first[0].summary,
        "driftless: revision deadbee is invalid, not applied; tokyo stays at 9f1c2e7: alarms.yaml:3:5: error: unknown field `threshhold`"
    );
    assert_eq!(first[0].details[0], error);
    assert_eq!(first[0].revision, SHA);
    // The other target, and later passes, with the same invalid revision: nothing.
    assert_eq!(d.step(&obs("osaka").invalid(BAD, error)), []);
    assert_eq!(d.step(&obs("tokyo").invalid(BAD, error)), []);
    // Another invalid revision is announced.
    assert_eq!(
        kinds(&d.step(&obs("tokyo").invalid(BAD2, "other"))),
        [K::RevisionInvalid]
    );
    // A valid revision whose reconcile fails is not yet the fix.
    assert_eq!(
        kinds(&d.step(&obs("tokyo").at(SHA2).failed("x"))),
        [K::ApplyFailed]
    );
    let fixed = d.step(&obs("osaka").at(SHA2));
    assert_eq!(kinds(&fixed), [K::RevisionValid]);
    assert_eq!(
        fixed[0].summary,
        "driftless: valid revision abc1234 applied on osaka (revision badc0de was invalid)"
    );
    assert_eq!(kinds(&d.step(&obs("tokyo").at(SHA2))), [K::ApplyRecovered]);
    assert_eq!(d.step(&obs("osaka").at(SHA2)), []);
    // The first invalid revision coming back is announced again.
    assert_eq!(
        kinds(&d.step(&obs("tokyo").invalid(BAD, error))),
        [K::RevisionInvalid]
    );
}

#[test]
fn the_memory_survives_a_restart_and_a_bad_one_changes_nothing() {
    let mut before = all();
    let same = obs("prod")
        .drift(&["MetricAlarm/a"])
        .failed("throttled")
        .invalid(BAD, "x.yaml:1:1: error");
    assert_eq!(before.step(&same).len(), 3);
    let saved = before.memory();
    // A new process: nothing already announced is announced again...
    let mut after = all();
    assert!(after.restore(&saved));
    assert_eq!(after, before);
    assert_eq!(after.step(&same), []);
    // ...and the ends of those conditions are.
    assert_eq!(
        kinds(&after.step(&obs("prod"))),
        [K::DriftResolved, K::ApplyRecovered, K::RevisionValid]
    );
    // Unreadable memory: false, and the deduper is untouched.
    let mut fresh = all();
    assert!(!fresh.restore(&serde_json::json!({"targets": 3})));
    assert_eq!(fresh, all());
}

#[test]
fn only_enabled_events_are_sent_and_recoveries_follow_their_event() {
    let mut d = Deduper::new(&[NotificationEvent::DriftCorrected]);
    assert_eq!(d.step(&obs("prod").drift(&["MetricAlarm/a"])), []);
    assert_eq!(d.step(&obs("prod").failed("x")), []);
    assert_eq!(d.step(&obs("prod").invalid(BAD, "e")), []);
    // Recoveries of disabled events stay silent; the correction is sent.
    let ok = d.step(&obs("prod").at(SHA2).corrected(&["LogGroup/b"]));
    assert_eq!(kinds(&ok), [K::DriftCorrected]);
    // State was kept while disabled: nothing is announced twice after a
    // carry-over into a notifier that enables everything.
    let mut d2 = Deduper::new(&[NotificationEvent::DriftDetected]);
    d2.step(&obs("prod").drift(&["MetricAlarm/a"]));
    let mut all_events = all();
    all_events.remember_from(&d2);
    assert_eq!(all_events.step(&obs("prod").drift(&["MetricAlarm/a"])), []);
    assert_eq!(kinds(&all_events.step(&obs("prod"))), [K::DriftResolved]);

    let mut only_failures = Deduper::new(&[NotificationEvent::ApplyFailed]);
    assert_eq!(
        kinds(&only_failures.step(&obs("prod").failed("x").drift(&["MetricAlarm/a"]))),
        [K::ApplyFailed]
    );
    assert_eq!(
        kinds(&only_failures.step(&obs("prod"))),
        [K::ApplyRecovered]
    );
}

#[test]
fn drift_details_name_who_changed_each_resource_when_known() {
    let alice = ChangedBy {
        principal: "arn:aws:iam::123456789012:user/alice".into(),
        event_name: "PutMetricAlarm".into(),
        event_time: "2026-12-01T10:00:00Z".into(),
        source_ip: "10.0.0.1".into(),
        user_agent: "aws-cli/2".into(),
    };
    let mut d = Deduper::new(&[NotificationEvent::DriftDetected]);
    let mut o = obs("prod").drift(&["MetricAlarm/cpu", "LogGroup//a", "LogGroup//b"]);
    o.changed_by = BTreeMap::from([
        ("MetricAlarm/cpu".to_string(), alice.clone()),
        ("LogGroup//a".to_string(), ChangedBy::unknown()),
    ]);
    let sent = d.step(&o);
    assert_eq!(kinds(&sent), [K::DriftDetected]);
    assert_eq!(
        sent[0].details,
        [
            "LogGroup//a",
            "LogGroup//b",
            "MetricAlarm/cpu (changed by arn:aws:iam::123456789012:user/alice, PutMetricAlarm at 2026-12-01T10:00:00Z)",
        ]
    );
    assert!(sent[0].text().contains("user/alice, PutMetricAlarm"));
    // A correction names its author too.
    let mut d = all();
    let mut o = obs("prod")
        .drift(&["MetricAlarm/cpu"])
        .corrected(&["MetricAlarm/cpu"]);
    o.changed_by = BTreeMap::from([("MetricAlarm/cpu".to_string(), alice)]);
    let sent = d.step(&o);
    assert_eq!(kinds(&sent), [K::DriftCorrected]);
    assert!(
        sent[0]
            .slack_text()
            .contains("• MetricAlarm/cpu (changed by arn:aws:iam::123456789012:user/alice"),
        "{}",
        sent[0].slack_text()
    );
}

#[test]
fn summaries_name_a_few_resources_and_details_all_of_them() {
    let mut d = all();
    let names: Vec<String> = (1..=5).map(|i| format!("MetricAlarm/a{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let n = &d.step(&obs("prod").drift(&refs))[0];
    assert_eq!(
        n.summary,
        "driftless: drift detected on prod at 9f1c2e7: MetricAlarm/a1, MetricAlarm/a2, MetricAlarm/a3 and 2 more"
    );
    assert_eq!(n.details, names);
    let many: Vec<String> = (0..60).map(|i| format!("LogGroup/g{i:02}")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let n = &all().step(&obs("prod").drift(&refs))[0];
    assert_eq!(n.details.len(), DETAILS_MAX + 1);
    assert_eq!(n.details.last().unwrap(), "... and 10 more");
}

#[test]
fn subjects_are_short_ascii_and_texts_say_what_where_and_when() {
    let long = format!("{}é\nsecond line", "x".repeat(200));
    let n = &all().step(&obs("prod-tokyo").failed(&long))[0];
    let subject = n.subject();
    assert!(subject.len() < 100, "{subject}");
    assert!(subject.is_ascii() && !subject.chars().any(|c| c.is_ascii_control()));
    assert!(subject.starts_with("driftless: apply failed on prod-tokyo at 9f1c2e7: xxx"));
    assert!(subject.ends_with("..."));
    let text = n.text();
    assert!(
        text.contains("event: applyFailed\ntarget: prod-tokyo\n"),
        "{text}"
    );
    assert!(text.contains(&format!("revision: {SHA}")), "{text}");
    assert!(text.contains("second line"), "{text}");
    assert_eq!(
        Notification {
            kind: K::ApplyRecovered,
            target: "t".into(),
            revision: "local-0123456789abcdef".into(),
            summary: "s é".into(),
            details: vec![],
        }
        .subject(),
        "s ?"
    );
    assert_eq!(
        short_revision("local-0123456789abcdef"),
        "local-0123456789abcdef"
    );
    assert_eq!(short_revision(SHA), "9f1c2e7");
}

#[test]
fn slack_text_escapes_mrkdwn_control_characters() {
    let n = Notification {
        kind: K::DriftDetected,
        target: "prod".into(),
        revision: SHA.into(),
        summary: "driftless: drift detected on prod at 9f1c2e7: LogGroup/<a>&b".into(),
        details: vec!["LogGroup/<a>&b".into()],
    };
    assert_eq!(
        n.slack_text(),
        "driftless: drift detected on prod at 9f1c2e7: LogGroup/&lt;a&gt;&amp;b\n• LogGroup/&lt;a&gt;&amp;b"
    );
}
