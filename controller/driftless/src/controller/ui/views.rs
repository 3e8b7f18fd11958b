//! The dashboard's view models, filled from what the controller knows: the status
//! (`GET /status`), the last good revision (accounts, regions, schedules), the
//! history in the controller's state backend, and the commits in the local store.
//! Only fields that `/status` and `history` already show are copied: no secret.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::controller::http::Shared;
use crate::controller::status::{Status, TargetStatus};
use crate::history::{ChangeRecord, HistoryQuery, ReconcileRecord};
use crate::render::dashboard::{self as html, DayDrift};
use crate::state::{format_rfc3339_utc, Backend, Store};

/// Rows listed on the home page at most (the others are counted).
const ROWS_LISTED: usize = 1_000;
/// Days of drift on the charts, and of the schedule.
const DAYS: u32 = 14;
/// Reconciles read for the charts at most.
const RECORDS_READ: usize = 5_000;

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn status(shared: &Shared) -> (Status, bool) {
    let s = shared
        .status
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    (
        s,
        shared.suspended.load(std::sync::atomic::Ordering::SeqCst),
    )
}

fn revision(shared: &Shared) -> Option<Arc<crate::controller::run::Revision>> {
    shared
        .ui
        .revision
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

/// The 12 digits of a role ARN's account (`arn:aws:iam::123456789012:role/x`).
fn account_of_role(arn: &str) -> Option<String> {
    arn.split(':')
        .nth(4)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
}

/// Commits of the local store, read once per page.
struct Commits {
    store: Option<Store>,
    seen: BTreeMap<String, html::RevisionView>,
}

impl Commits {
    fn open(shared: &Shared) -> Commits {
        Commits {
            store: Store::open(&shared.ui.state_dir).ok(),
            seen: BTreeMap::new(),
        }
    }

    fn view(&mut self, sha: &str) -> html::RevisionView {
        if let Some(v) = self.seen.get(sha) {
            return v.clone();
        }
        let record = self
            .store
            .as_ref()
            .and_then(|s| s.revision(sha).ok().flatten());
        let view = html::RevisionView {
            sha: sha.to_string(),
            subject: record.as_ref().map(|c| c.message.clone()),
            author: record.as_ref().map(|c| c.author.clone()),
            time: record.map(|c| format_rfc3339_utc(c.committed_at_unix)),
        };
        self.seen.insert(sha.to_string(), view.clone());
        view
    }
}

/// Every target a person should see: those of the revision, and those with a status.
fn target_names(
    status: &Status,
    revision: Option<&crate::controller::run::Revision>,
) -> Vec<String> {
    let mut names: BTreeSet<String> = status.targets.keys().cloned().collect();
    if let Some(r) = revision {
        names.extend(r.targets.iter().cloned());
    }
    names.into_iter().collect()
}

fn row(
    shared: &Shared,
    name: &str,
    s: Option<&TargetStatus>,
    revision: Option<&crate::controller::run::Revision>,
    shard: &str,
    commits: &mut Commits,
) -> html::TargetRow {
    let config = revision.and_then(|r| r.loaded.state.config.target(name));
    let default = TargetStatus::default();
    let s = s.unwrap_or(&default);
    let stalled = s.condition("Stalled").is_some_and(|c| c.status);
    let resync = shared.ui.resync.as_secs() as i64;
    html::TargetRow {
        name: name.to_string(),
        account: config.and_then(|c| {
            c.account_id
                .clone()
                .or_else(|| c.role_arn.as_deref().and_then(account_of_role))
        }),
        region: config.map(|c| c.region.clone()).unwrap_or_default(),
        shard: shard.to_string(),
        state: html::TargetState::of(s.last_result.as_deref(), stalled, s.drift_count),
        revision: s.last_applied_revision.as_deref().map(|r| commits.view(r)),
        drift_count: s.drift_count,
        last_reconcile: s.last_reconcile_at.clone(),
        next_reconcile: s
            .last_reconcile_unix
            .filter(|_| s.last_result.as_deref() == Some("converged"))
            .map(|t| format!("≈ {}", format_rfc3339_utc(t + resync))),
        message: s
            .condition("Ready")
            .map(|c| c.message.clone())
            .unwrap_or_default(),
    }
}

/// The reconciles of `query`, from the controller's backend once it has one.
async fn history(shared: &Shared, query: HistoryQuery) -> Vec<ReconcileRecord> {
    let Some(backend) = shared.ui.state.as_ref().and_then(|s| s.chosen()) else {
        return Vec::new();
    };
    backend.history(&query).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "the dashboard could not read the history");
        Vec::new()
    })
}

fn charts(records: &[ReconcileRecord], now: i64) -> String {
    let durations: Vec<(String, u64)> = records
        .iter()
        .take(40)
        .rev()
        .map(|r| (format_rfc3339_utc(r.started_at_unix), r.duration_ms))
        .collect();
    format!(
        "<section aria-labelledby=\"charts\" class=\"charts\"><h2 id=\"charts\">Trends</h2>{}{}</section>",
        html::drift_chart(&DayDrift::per_day(records, now, DAYS)),
        html::durations_chart(&durations)
    )
}

fn shard_label(status: &Status) -> String {
    status
        .shard
        .as_ref()
        .map_or("0/1".into(), |s| format!("{}/{}", s.index, s.count))
}

/// The home page's view for the query string `query`.
pub(super) async fn home(shared: &Shared, query: &str) -> html::HomeView {
    let now = now_unix();
    let records = history(
        shared,
        HistoryQuery {
            target: None,
            since_unix: Some(now - i64::from(DAYS) * 86_400),
            limit: Some(RECORDS_READ),
        },
    )
    .await;
    let (status, suspended) = status(shared);
    let revision = revision(shared);
    let mut commits = Commits::open(shared);
    let shard = shard_label(&status);
    let rows = target_names(&status, revision.as_deref())
        .iter()
        .map(|n| {
            row(
                shared,
                n,
                status.targets.get(n),
                revision.as_deref(),
                &shard,
                &mut commits,
            )
        })
        .collect();
    let source = status.source.as_ref();
    html::HomeView {
        rows,
        source: html::SourceView {
            revision: source
                .and_then(|s| s.last_fetched_revision.as_deref())
                .map(|r| commits.view(r)),
            error: source.and_then(|s| s.last_error.clone()),
            suspended,
        },
        filter: html::Filter::from_query(query),
        charts: charts(&records, now),
        limit: ROWS_LISTED,
    }
}

/// `{path, live, desired}` of a recorded change.
fn fields(change: &ChangeRecord) -> Vec<html::FieldView> {
    let text = json_text;
    change
        .fields
        .as_array()
        .map(|list| {
            list.iter()
                .map(|f| html::FieldView {
                    path: f
                        .get("path")
                        .and_then(|p| p.as_str())
                        .unwrap_or("")
                        .to_string(),
                    live: text(f.get("live")),
                    git: text(f.get("desired")),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn field_views(fields: &[crate::plan::FieldChange]) -> Vec<html::FieldView> {
    fields
        .iter()
        .map(|f| html::FieldView {
            path: f.path.clone(),
            live: json_text(Some(&f.live)),
            git: json_text(Some(&f.desired)),
        })
        .collect()
}

fn json_text(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => "(absent)".to_string(),
        Some(v) => v.to_string(),
    }
}

/// The drift left in place at the last reconcile (in no history record), then what
/// the history holds, newest first.
fn drifts(shared: &Shared, name: &str, records: &[ReconcileRecord]) -> Vec<html::DriftView> {
    let seen = shared
        .ui
        .drift
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(name)
        .cloned()
        .unwrap_or_default();
    let left = seen
        .into_iter()
        .filter(|d| !d.corrected)
        .map(|d| html::DriftView {
            resource: d.resource,
            at: format_rfc3339_utc(d.at_unix),
            corrected: false,
            fields: field_views(&d.fields),
            changed_by: d.changed_by,
        });
    let recorded = records.iter().flat_map(|r| {
        r.changes
            .iter()
            .filter(|c| c.drift)
            .map(move |c| html::DriftView {
                resource: format!("{}/{}", c.kind, c.name),
                at: format_rfc3339_utc(r.started_at_unix),
                corrected: c.result == "ok",
                fields: fields(c),
                changed_by: c.changed_by.clone(),
            })
    });
    left.chain(recorded).take(20).collect()
}

fn failures(s: Option<&TargetStatus>, records: &[ReconcileRecord]) -> Vec<html::FailureView> {
    let mut out = Vec::new();
    if let Some(s) = s.filter(|s| {
        matches!(
            s.last_result.as_deref(),
            Some("failed" | "blocked" | "invalid")
        )
    }) {
        if let Some(c) = s.condition("Ready") {
            out.push(html::FailureView::from_reason(
                s.last_reconcile_at.as_deref().unwrap_or(""),
                &c.message,
            ));
        }
    }
    for r in records.iter().take(20) {
        let at = format_rfc3339_utc(r.started_at_unix);
        if let Some(e) = &r.error {
            out.push(html::FailureView::from_reason(&at, e));
        }
        for c in r.changes.iter().filter(|c| c.error.is_some()) {
            let e = c.error.as_deref().unwrap_or("");
            out.push(html::FailureView::from_reason(
                &at,
                &format!("{}/{}: {e}", c.kind, c.name),
            ));
        }
    }
    out.dedup_by(|a, b| a.message == b.message && a.hint == b.hint);
    out.truncate(10);
    out
}

fn reconciles(records: &[ReconcileRecord]) -> Vec<html::ReconcileView> {
    records
        .iter()
        .take(20)
        .map(|r| html::ReconcileView {
            at: format_rfc3339_utc(r.started_at_unix),
            revision: r.revision.clone(),
            result: r.result.to_string(),
            duration_ms: r.duration_ms,
            changes: r
                .changes
                .iter()
                .map(|c| format!("{} {}/{} ({})", c.action, c.kind, c.name, c.result))
                .collect(),
            repeated: r.repeated,
        })
        .collect()
}

/// A target's page, or `None` for a name the controller does not know.
pub(super) async fn target(shared: &Shared, name: &str) -> Option<html::TargetView> {
    let (status, _) = status(shared);
    let revision = revision(shared);
    if !target_names(&status, revision.as_deref())
        .iter()
        .any(|n| n == name)
    {
        return None;
    }
    let now = now_unix();
    let records = history(
        shared,
        HistoryQuery {
            target: Some(name.to_string()),
            since_unix: Some(now - i64::from(DAYS) * 86_400),
            limit: Some(RECORDS_READ),
        },
    )
    .await;
    let mut commits = Commits::open(shared);
    let s = status.targets.get(name);
    let row = row(
        shared,
        name,
        s,
        revision.as_deref(),
        &shard_label(&status),
        &mut commits,
    );
    Some(html::TargetView {
        row,
        drifts: drifts(shared, name, &records),
        failures: failures(s, &records),
        reconciles: reconciles(&records),
        guardrails: s
            .map(|s| {
                s.guardrail_non_compliant
                    .iter()
                    .map(|(k, v)| (k.clone(), *v))
                    .collect()
            })
            .unwrap_or_default(),
        findings: s.map(|s| s.guardrail_findings.clone()).unwrap_or_default(),
        findings_omitted: s.map_or(0, |s| s.guardrail_findings_omitted),
        charts: charts(&records, now),
    })
}

/// The schedule page: the next 14 days of the last good revision's targets of this
/// shard (none: an empty page saying so, never every target's runs).
pub(super) fn schedule(shared: &Shared) -> String {
    use crate::schedule::{calendar, from_unix, Duration};
    let from = from_unix(now_unix());
    let until = from + Duration::days(i64::from(DAYS));
    let empty = |note: &str| {
        let nothing = calendar::Calendar {
            from,
            until,
            runs: Vec::new(),
            overlaps: Vec::new(),
        };
        html::schedule(&nothing, Some(note))
    };
    match revision(shared) {
        // `calendar` reads an empty list as every target.
        Some(r) if r.targets.is_empty() => {
            let (status, _) = status(shared);
            empty(&format!(
                "This controller (shard {}) reconciles no target, so it has no runs to show; \
                 the other shards' dashboards show theirs.",
                shard_label(&status)
            ))
        }
        Some(r) => html::schedule(
            &calendar::calendar(&r.loaded.state, &r.targets, from, until),
            None,
        ),
        None => {
            empty("No valid revision yet: the schedule appears after the first successful fetch.")
        }
    }
}
