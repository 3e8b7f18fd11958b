//! Unit tests of the state store: the database file, its rebuild and migration, the
//! last-applied values and the reconcile history.

use super::*;
use serde_json::json;

fn reconcile(target: &str, at: i64, result: ReconcileResult) -> ReconcileRecord {
    ReconcileRecord {
        id: None,
        started_at_unix: at,
        duration_ms: 250,
        target: target.into(),
        revision: format!("rev-{at}"),
        result,
        changes: vec![
            ChangeRecord {
                kind: "MetricAlarm".into(),
                name: "web-cpu-high".into(),
                action: "update".into(),
                fields: json!([{"path": "threshold", "live": 80, "desired": 90}]),
                drift: true,
                result: "ok".into(),
                error: None,
                changed_by: None,
            },
            ChangeRecord {
                kind: "LogGroup".into(),
                name: "/app/web".into(),
                action: "create".into(),
                fields: json!(null),
                drift: false,
                result: "failed".into(),
                error: Some("AccessDenied".into()),
                changed_by: None,
            },
        ],
        drift_found: 1,
        drift_corrected: 1,
        error: None,
        repeated: 1,
        last_at_unix: None,
        departure: None,
    }
}

fn records() -> BTreeMap<String, J> {
    BTreeMap::from([
        (
            "default/LogGroup//a".to_string(),
            json!({"retentionInDays": 14}),
        ),
        (
            "prod/MetricAlarm/cpu".to_string(),
            json!({"threshold": 90.5, "tags": ["x"]}),
        ),
    ])
}

#[test]
fn opens_and_creates_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("nested/state");
    let store = Store::open(&state).unwrap();
    assert!(state.join(DB_FILE).exists());
    assert_eq!(store.path(), state.join(DB_FILE));
    assert!(store.warnings().is_empty());
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let mode: String = store
        .conn_for_tests()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert!(store.last_applied().unwrap().is_empty());
    assert!(store.history(&HistoryQuery::default()).unwrap().is_empty());
}

#[test]
fn migration_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.replace_last_applied(&records()).unwrap();
    store
        .record_reconcile(&reconcile("t", 10, ReconcileResult::Applied))
        .unwrap();
    drop(store);
    for _ in 0..3 {
        let store = Store::open(dir.path()).unwrap();
        assert!(store.warnings().is_empty());
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(store.last_applied().unwrap(), records());
        assert_eq!(store.history(&HistoryQuery::default()).unwrap().len(), 1);
    }
}

#[test]
fn a_departure_is_kept_with_its_account_targets_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut departed = reconcile("org-t", 30, ReconcileResult::Departed);
    departed.changes.clear();
    departed.drift_found = 0;
    departed.drift_corrected = 0;
    departed.departure = Some(driftless_core::history::Departure {
        account: "222222222222".into(),
        targets: vec!["org-t".into()],
        reason: "out-of-scope".into(),
    });
    store
        .record_reconcile(&reconcile("org-t", 10, ReconcileResult::Applied))
        .unwrap();
    store.record_reconcile(&departed).unwrap();
    let back = store.history(&HistoryQuery::default()).unwrap();
    assert_eq!(back.len(), 2);
    assert_eq!(back[0].result, ReconcileResult::Departed);
    assert_eq!(back[0].departure, departed.departure);
    assert_eq!(back[1].departure, None);
}

#[test]
fn a_version_3_history_reads_after_migrating_and_keeps_who_drifted_from_then_on() {
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
        for sql in &db::MIGRATIONS[..3] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
        conn.execute_batch(
            "INSERT INTO reconciles VALUES (1, 10, 5, 't', 'r', 'applied', 1, 1, NULL);
             INSERT INTO changes VALUES (1, 0, 'MetricAlarm', 'cpu', 'update', '[]', 1, 'ok', NULL);",
        )
        .unwrap();
    }
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let old = store.history(&HistoryQuery::default()).unwrap();
    assert_eq!(old[0].changes[0].name, "cpu");
    assert_eq!(old[0].changes[0].changed_by, None);
    let mut new = reconcile("t", 20, ReconcileResult::Applied);
    new.changes[0].changed_by = Some(driftless_core::plan::ChangedBy {
        principal: "arn:aws:iam::123456789012:user/alice".into(),
        ..driftless_core::plan::ChangedBy::unknown()
    });
    store.record_reconcile(&new).unwrap();
    let back = store.history(&HistoryQuery::default()).unwrap();
    assert_eq!(back[0].changes, new.changes);
}

#[test]
fn refuses_a_newer_schema_without_touching_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .conn_for_tests()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(store);
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, StateError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1));
    assert!(dir.path().join(DB_FILE).exists());
    let warning = LastApplied::load(dir.path()).warning.unwrap();
    assert!(warning.contains("newer"), "{warning}");
}

#[test]
fn last_applied_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing there: empty, and nothing is created.
    assert_eq!(LastApplied::load(dir.path()), LastApplied::default());
    assert!(!dir.path().join(DB_FILE).exists());
    let mut state = LastApplied {
        records: records(),
        warning: None,
        pending: Default::default(),
    };
    state.save(dir.path()).unwrap();
    assert_eq!(LastApplied::load(dir.path()), state);
    // Save replaces the whole set.
    state.records.remove("prod/MetricAlarm/cpu");
    state
        .records
        .insert("prod/LogGroup//b".into(), json!({"retentionInDays": 30}));
    state.save(dir.path()).unwrap();
    assert_eq!(LastApplied::load(dir.path()).records, state.records);
    LastApplied::default().save(dir.path()).unwrap();
    assert!(LastApplied::load(dir.path()).records.is_empty());
}

#[test]
fn saving_one_target_leaves_the_others_alone() {
    let dir = tempfile::tempdir().unwrap();
    LastApplied {
        records: records(),
        warning: None,
        pending: Default::default(),
    }
    .save(dir.path())
    .unwrap();
    // Another worker's view, stale for `default` and changed for `prod` (and a target
    // whose name is a prefix of another's must not take its records along).
    let mut mine = BTreeMap::from([
        ("default/LogGroup//stale".to_string(), json!({})),
        (
            "prod/LogGroup//b".to_string(),
            json!({"retentionInDays": 30}),
        ),
        (
            "prod-2/LogGroup//c".to_string(),
            json!({"retentionInDays": 1}),
        ),
    ]);
    LastApplied {
        records: mine.clone(),
        warning: None,
        pending: Default::default(),
    }
    .save_target(dir.path(), "prod")
    .unwrap();
    let stored = LastApplied::load(dir.path()).records;
    mine.remove("default/LogGroup//stale");
    mine.remove("prod-2/LogGroup//c");
    mine.insert(
        "default/LogGroup//a".to_string(),
        json!({"retentionInDays": 14}),
    );
    assert_eq!(stored, mine);
}

#[test]
fn revisions_are_recorded_once_with_their_first_fetch() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let first = RevisionRecord {
        sha: "9f1c2e7".into(),
        author: "Ops <ops@example.com>".into(),
        message: "raise the CPU threshold".into(),
        committed_at_unix: 1_700_000_000,
        fetched_at_unix: 1_700_000_100,
    };
    store.record_revision(&first).unwrap();
    store
        .record_revision(&RevisionRecord {
            fetched_at_unix: 1_700_000_999,
            ..first.clone()
        })
        .unwrap();
    assert_eq!(store.revision("9f1c2e7").unwrap(), Some(first));
    assert_eq!(store.revision("other").unwrap(), None);
}

#[test]
fn named_values_round_trip_and_replace() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(store.value("notifications").unwrap(), None);
    store
        .set_value("notifications", &json!({"invalid": "abc"}))
        .unwrap();
    store
        .set_value("notifications", &json!({"invalid": null}))
        .unwrap();
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.value("notifications").unwrap(),
        Some(json!({"invalid": null}))
    );
}

#[test]
fn imports_the_legacy_json_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join(LEGACY_JSON_FILE);
    std::fs::write(
        &json_path,
        serde_json::to_string_pretty(&records()).unwrap(),
    )
    .unwrap();
    let loaded = LastApplied::load(dir.path());
    assert_eq!(loaded.warning, None);
    assert_eq!(loaded.records, records());
    assert!(!json_path.exists());
    assert!(dir.path().join("last-applied.json.imported").exists());
    // Not again: a later save wins over the imported file, which stays aside.
    LastApplied::default().save(dir.path()).unwrap();
    assert!(LastApplied::load(dir.path()).records.is_empty());
}

#[test]
fn a_corrupt_legacy_json_file_is_set_aside_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(LEGACY_JSON_FILE), "{not json").unwrap();
    let broken = LastApplied::load(dir.path());
    assert!(broken.records.is_empty());
    assert!(broken.warning.unwrap().contains("corrupt"));
    assert!(!dir.path().join(LEGACY_JSON_FILE).exists());
    // Reported once, not on every open.
    assert_eq!(LastApplied::load(dir.path()).warning, None);
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_corrupt_database_is_rebuilt_and_kept_aside() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = "this is not a database\n".repeat(300);
    std::fs::write(dir.path().join(DB_FILE), &garbage).unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let warning = store.warnings().join("\n");
    assert!(warning.contains("rebuilt"), "{warning}");
    assert!(warning.contains("driftless.db.corrupt-"), "{warning}");
    let aside: Vec<String> = entries(dir.path())
        .into_iter()
        .filter(|n| n.starts_with("driftless.db.corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join(&aside[0])).unwrap(),
        garbage
    );
    // The fresh database works, and the next open has nothing to report.
    store
        .record_reconcile(&reconcile("t", 1, ReconcileResult::Applied))
        .unwrap();
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert!(store.warnings().is_empty());
    assert_eq!(store.history(&HistoryQuery::default()).unwrap().len(), 1);
}

#[test]
fn a_damaged_database_page_is_rebuilt_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    for i in 0..200 {
        store
            .record_reconcile(&reconcile("t", i, ReconcileResult::Applied))
            .unwrap();
    }
    store
        .conn_for_tests()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")
        .unwrap();
    drop(store);
    // Scribble over every page after the first: the header stays valid.
    let path = dir.path().join(DB_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 8192);
    for b in &mut bytes[4096..] {
        *b = 0xA5;
    }
    std::fs::write(&path, bytes).unwrap();
    let state = LastApplied::load(dir.path());
    assert!(state.records.is_empty());
    assert!(state.warning.unwrap().contains("rebuilt"));
    let store = Store::open(dir.path()).unwrap();
    assert!(store.warnings().is_empty());
    assert!(store.history(&HistoryQuery::default()).unwrap().is_empty());
}

#[test]
fn history_round_trips_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut a1 = reconcile("a", 100, ReconcileResult::Applied);
    a1.error = Some("partial".into());
    let b1 = reconcile("b", 150, ReconcileResult::NoChanges);
    let a2 = reconcile("a", 200, ReconcileResult::Failed);
    let ids: Vec<i64> = [&a1, &b1, &a2]
        .iter()
        .map(|r| store.record_reconcile(r).unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));

    let all = store.history(&HistoryQuery::default()).unwrap();
    let times: Vec<i64> = all.iter().map(|r| r.started_at_unix).collect();
    assert_eq!(times, [200, 150, 100]);
    let mut expected = a1.clone();
    expected.id = Some(ids[0]);
    assert_eq!(all[2], expected);

    let only_a = store
        .history(&HistoryQuery {
            target: Some("a".into()),
            ..HistoryQuery::default()
        })
        .unwrap();
    assert_eq!(
        only_a.iter().map(|r| r.id.unwrap()).collect::<Vec<_>>(),
        [ids[2], ids[0]]
    );

    let since = store
        .history(&HistoryQuery {
            since_unix: Some(150),
            ..HistoryQuery::default()
        })
        .unwrap();
    assert_eq!(
        since.iter().map(|r| r.started_at_unix).collect::<Vec<_>>(),
        [200, 150]
    );

    let both = store
        .history(&HistoryQuery {
            target: Some("a".into()),
            since_unix: Some(150),
            limit: None,
        })
        .unwrap();
    assert_eq!(both.len(), 1);
    assert_eq!(both[0].result, ReconcileResult::Failed);

    let limited = store
        .history(&HistoryQuery {
            limit: Some(1),
            ..HistoryQuery::default()
        })
        .unwrap();
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0].started_at_unix, 200);
    assert!(store
        .history(&HistoryQuery {
            target: Some("nope".into()),
            ..HistoryQuery::default()
        })
        .unwrap()
        .is_empty());
}

#[test]
fn history_orders_ties_by_insertion_and_prunes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let first = store
        .record_reconcile(&reconcile("t", 50, ReconcileResult::Applied))
        .unwrap();
    let second = store
        .record_reconcile(&reconcile("t", 50, ReconcileResult::NoChanges))
        .unwrap();
    // Recorded out of order: still newest first by start time.
    let older = store
        .record_reconcile(&reconcile("t", 10, ReconcileResult::Invalid))
        .unwrap();
    let ids: Vec<i64> = store
        .history(&HistoryQuery::default())
        .unwrap()
        .iter()
        .map(|r| r.id.unwrap())
        .collect();
    assert_eq!(ids, [second, first, older]);
    assert_eq!(store.prune_history(50).unwrap(), 1);
    assert_eq!(store.history(&HistoryQuery::default()).unwrap().len(), 2);
    let orphans: i64 = store
        .conn_for_tests()
        .query_row(
            "SELECT count(*) FROM changes WHERE reconcile_id = ?1",
            [older],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0, "changes are deleted with their reconcile");
}

#[test]
fn stores_large_durations_and_empty_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut r = reconcile("t", 1, ReconcileResult::ReportedOnly);
    r.changes.clear();
    r.duration_ms = u64::MAX;
    store.record_reconcile(&r).unwrap();
    let back = &store.history(&HistoryQuery::default()).unwrap()[0];
    assert!(back.changes.is_empty());
    assert_eq!(back.duration_ms, i64::MAX as u64);
}

fn quiet(target: &str, at: i64) -> ReconcileRecord {
    let mut r = reconcile(target, at, ReconcileResult::NoChanges);
    r.revision = "rev".into();
    r.changes.clear();
    r.drift_found = 0;
    r.drift_corrected = 0;
    r
}

#[test]
fn consecutive_quiet_reconciles_are_one_row_that_counts_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let first = store.record_reconcile(&quiet("t", 100)).unwrap();
    assert_eq!(store.record_reconcile(&quiet("t", 102)).unwrap(), first);
    assert_eq!(store.record_reconcile(&quiet("t", 104)).unwrap(), first);
    // Another target's reconciles are its own.
    let other = store.record_reconcile(&quiet("u", 105)).unwrap();
    assert_ne!(other, first);
    // A change is kept in full, and the quiet reconciles after it start a new row.
    let mut changed = reconcile("t", 106, ReconcileResult::Applied);
    changed.revision = "rev".into();
    let applied = store.record_reconcile(&changed).unwrap();
    let after = store.record_reconcile(&quiet("t", 108)).unwrap();
    assert_eq!(store.record_reconcile(&quiet("t", 110)).unwrap(), after);
    let t = HistoryQuery {
        target: Some("t".into()),
        ..HistoryQuery::default()
    };
    let rows = store.history(&t).unwrap();
    let seen: Vec<_> = rows
        .iter()
        .map(|r| (r.id.unwrap(), r.repeated, r.last_at_unix))
        .collect();
    assert_eq!(
        seen,
        [
            (after, 2, Some(110)),
            (applied, 1, None),
            (first, 3, Some(104))
        ]
    );
    assert_eq!(
        rows.iter().map(|r| r.repeated).sum::<u32>(),
        6,
        "every reconcile counts"
    );
    // `--since` finds a collapsed row that ran on past it.
    let since = HistoryQuery {
        target: Some("t".into()),
        since_unix: Some(103),
        ..HistoryQuery::default()
    };
    assert_eq!(store.history(&since).unwrap().len(), 3);
}

#[test]
fn pruning_goes_by_the_last_reconcile_a_row_stands_for() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store
        .record_reconcile(&reconcile("t", 10, ReconcileResult::Applied))
        .unwrap();
    let old_quiet = store.record_reconcile(&quiet("t", 20)).unwrap();
    store.record_reconcile(&quiet("t", 30)).unwrap();
    let running = store.record_reconcile(&quiet("u", 20)).unwrap();
    store.record_reconcile(&quiet("u", 60)).unwrap();
    // Cutoff 50: t's rows ended before it; u's quiet row started before it but its
    // last reconcile is after, so it stays.
    assert_eq!(store.prune_history(50).unwrap(), 2);
    let left: Vec<i64> = store
        .history(&HistoryQuery::default())
        .unwrap()
        .iter()
        .map(|r| r.id.unwrap())
        .collect();
    assert_eq!(left, [running]);
    assert_ne!(old_quiet, running);
}

#[test]
fn the_backend_prunes_by_retention_when_it_writes_history() {
    let dir = tempfile::tempdir().unwrap();
    let now = super::db::now_unix();
    {
        let mut store = Store::open(dir.path()).unwrap();
        store
            .record_reconcile(&reconcile(
                "t",
                now - 100 * 86_400,
                ReconcileResult::Applied,
            ))
            .unwrap();
        store
            .record_reconcile(&reconcile("t", now - 10 * 86_400, ReconcileResult::Applied))
            .unwrap();
    }
    let backend = StateBackend::local(dir.path())
        .with_history_retention(Some(std::time::Duration::from_secs(90 * 86_400)));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(backend.record_reconcile(&reconcile("t", now, ReconcileResult::Applied)))
        .unwrap();
    let starts: Vec<i64> = rt
        .block_on(backend.history(&HistoryQuery::default()))
        .unwrap()
        .iter()
        .map(|r| r.started_at_unix)
        .collect();
    assert_eq!(starts, [now, now - 10 * 86_400]);
    // Without a retention nothing is pruned.
    let forever = StateBackend::local(dir.path()).with_history_retention(None);
    {
        let mut store = Store::open(dir.path()).unwrap();
        store
            .record_reconcile(&reconcile("t", 5, ReconcileResult::Applied))
            .unwrap();
    }
    rt.block_on(forever.record_reconcile(&reconcile("t", now, ReconcileResult::Applied)))
        .unwrap();
    assert_eq!(
        rt.block_on(forever.history(&HistoryQuery::default()))
            .unwrap()
            .len(),
        4
    );
}
