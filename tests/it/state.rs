//! The state database across "processes": data survives a store being dropped (or
//! leaked without a clean close, as a killed process would), and two stores on one
//! file (WAL mode) write concurrently without corrupting it.

use std::collections::BTreeMap;

use driftless::state::{
    ChangeRecord, HistoryQuery, LastApplied, ReconcileRecord, ReconcileResult, Store,
};
use serde_json::json;

fn record(target: &str, at: i64, n: usize) -> ReconcileRecord {
    ReconcileRecord {
        id: None,
        started_at_unix: at,
        duration_ms: 10,
        target: target.into(),
        revision: format!("{at:040x}"),
        result: ReconcileResult::Applied,
        changes: (0..n)
            .map(|i| ChangeRecord {
                kind: "MetricAlarm".into(),
                name: format!("alarm-{i}"),
                action: "update".into(),
                fields: json!([{"path": "threshold", "live": i, "desired": i + 1}]),
                drift: i % 2 == 0,
                result: "ok".into(),
                error: None,
                changed_by: None,
            })
            .collect(),
        drift_found: 0,
        drift_corrected: 0,
        error: None,
        repeated: 1,
        last_at_unix: None,
        departure: None,
    }
}

#[test]
fn data_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let records = BTreeMap::from([(
        "prod/LogGroup//a".to_string(),
        json!({"retentionInDays": 7}),
    )]);
    {
        let mut store = Store::open(dir.path()).unwrap();
        store.replace_last_applied(&records).unwrap();
        store.record_reconcile(&record("prod", 100, 3)).unwrap();
    }
    // A store that is never closed, as when the process is killed: the WAL is left
    // behind un-checkpointed, and the next open must still see every commit.
    let mut leaked = Store::open(dir.path()).unwrap();
    leaked.record_reconcile(&record("prod", 200, 1)).unwrap();
    std::mem::forget(leaked);

    let store = Store::open(dir.path()).unwrap();
    assert!(store.warnings().is_empty(), "{:?}", store.warnings());
    assert_eq!(store.last_applied().unwrap(), records);
    let history = store.history(&HistoryQuery::default()).unwrap();
    assert_eq!(
        history
            .iter()
            .map(|r| r.started_at_unix)
            .collect::<Vec<_>>(),
        [200, 100]
    );
    assert_eq!(history[1].changes.len(), 3);
    assert_eq!(LastApplied::load(dir.path()).records, records);
}

#[test]
fn two_stores_on_one_file_do_not_corrupt_it() {
    let dir = tempfile::tempdir().unwrap();
    // Both open (and migrate) at once.
    let writers: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|target| {
            let path = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let mut store = Store::open(&path).unwrap();
                for i in 0..50 {
                    store.record_reconcile(&record(target, i, 4)).unwrap();
                    let mut last = BTreeMap::new();
                    last.insert(format!("{target}/LogGroup//x"), json!(i));
                    store.replace_last_applied(&last).unwrap();
                    // Read while the other writes.
                    let seen = store
                        .history(&HistoryQuery {
                            target: Some(target.into()),
                            limit: Some(1),
                            ..HistoryQuery::default()
                        })
                        .unwrap();
                    assert_eq!(seen[0].started_at_unix, i);
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert!(store.warnings().is_empty(), "{:?}", store.warnings());
    for target in ["a", "b"] {
        let history = store
            .history(&HistoryQuery {
                target: Some(target.into()),
                ..HistoryQuery::default()
            })
            .unwrap();
        assert_eq!(history.len(), 50);
        assert!(history.iter().all(|r| r.changes.len() == 4));
        assert!(history
            .windows(2)
            .all(|w| w[0].started_at_unix > w[1].started_at_unix));
    }
    // The last writer's whole set, never a mix of the two.
    let last = store.last_applied().unwrap();
    assert_eq!(last.len(), 1);
    assert_eq!(last.values().next(), Some(&json!(49)));
}
