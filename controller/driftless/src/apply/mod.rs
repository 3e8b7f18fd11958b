//! Apply: make AWS match a [`Plan`], through the per-service writers in `aws/`.
//!
//! The plan decides *what*, down to the calls: each change carries its work
//! (`plan::work`: create, delete, replace, an update's writes and tag changes, a task's
//! merged update) and the live resource it chose, and apply makes exactly those calls,
//! never deciding them again (a tag-only change, an adoption say, only tags). Apply
//! decides *in which order* and *how safely*:
//!
//! - **Units.** The changes of one resource and its sub-resources form a unit, applied
//!   by the kind's module in dependency order (parent before children on create and
//!   update, children before parent on delete). Units run concurrently, bounded per
//!   target and AWS service ([`MAX_CONCURRENT_UNITS`] each), so alarms waiting for
//!   CloudWatch's quota never hold up log groups; every request is paced at AWS's
//!   default rate for its operation (`aws::pace`).
//! - **Phases.** Backup vaults are created before plans name them and deleted after
//!   the plans that use them: vault writes, then every other non-delete unit, then
//!   deletes, then vault deletes.
//! - **Never written:** conflicts, `driftPolicy: report` resources, deletes of vaults
//!   with recovery points or log groups holding data without `--allow-data-loss`.
//! - **Idempotent creates.** Every create carries a client token derived from the
//!   instance, target, resource and its desired value ([`client_token`]), so a retry or
//!   a restart never creates a duplicate; ownership tags go in the create call.
//! - **Failures** are per unit: one failed change does not stop independent ones.
//!   Cancellation (Ctrl-C, SIGTERM) stops new units from starting; calls in flight
//!   finish.
//! - **Records before writes.** Before a unit's first call its records are written
//!   ahead to the state backend (`Backend::intend`: the value about to be written);
//!   after its last, they are confirmed (`Backend::confirm`: the normalised desired
//!   value becomes the last-applied record, which later plans use to mark drift). A
//!   unit whose record cannot be written ahead is not written. See
//!   docs/design/state.md.

mod alarm;
mod association;
mod backup;
mod config;
mod config_recorder;
mod config_rule;
mod logs;
mod metric_filter;
mod patch;
mod window;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use serde_json::Value as J;
use tokio::sync::Semaphore;

use crate::aws::{AwsError, Clients};
use crate::engine::Planned;
use crate::live::LiveTarget;
use crate::plan::work::Calls;
use crate::plan::{self, Action, Change};
use crate::spec::context::OWNERSHIP_TAG;
use crate::spec::{Kind, Resource};
use crate::state::{Backend, StateBackend, StateError};

/// Units applied at the same time, per target and AWS service.
pub const MAX_CONCURRENT_UNITS: usize = 8;

/// Units applied at the same time over every target: 1,000 targets do not send
/// 1,000 x services requests (and open as many connections) at once.
pub const MAX_UNITS_IN_FLIGHT: usize = 32;

/// The AWS service a kind's units write to (the key of their concurrency bound).
fn service_of(kind: Kind) -> &'static str {
    match kind {
        Kind::MetricAlarm | Kind::CompositeAlarm => "cloudwatch",
        Kind::LogGroup | Kind::LogRetentionPolicy | Kind::MetricFilter => "logs",
        Kind::PatchBaseline | Kind::MaintenanceWindow => "ssm",
        Kind::BackupVault | Kind::BackupPlan => "backup",
        Kind::ConfigurationAggregator => "config",
        Kind::ConfigRule => "config",
        Kind::ConfigurationRecorder => "config",
        Kind::Association => "ssm",
        Kind::ConformancePack => "config",
    }
}

/// Apply settings from flags.
#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    /// Allow deleting (or replacing) a vault with recovery points or a log group that
    /// holds data.
    pub allow_data_loss: bool,
    /// Counts the units applied (drawn on a terminal by `driftless apply`).
    pub progress: crate::progress::Progress,
}

/// Why one change was not made.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{0}")]
    Aws(Box<AwsError>),
    /// Apply refused to make the change; the text says what to do.
    #[error("refused: {0}")]
    Refused(String),
    /// Not attempted (cancelled, or an earlier step of its unit failed).
    #[error("not attempted: {0}")]
    Skipped(String),
}

impl From<AwsError> for ApplyError {
    fn from(e: AwsError) -> ApplyError {
        ApplyError::Aws(Box::new(e))
    }
}

/// The result of one change.
#[derive(Debug)]
pub struct Outcome {
    pub change: Change,
    pub result: Result<(), ApplyError>,
}

/// Everything apply did.
#[derive(Debug, Default)]
pub struct ApplyReport {
    pub outcomes: Vec<Outcome>,
    /// Confirmations the state backend refused: their records stay pending (written
    /// ahead), which the next plan resolves by what it reads.
    pub state_errors: Vec<StateError>,
}

impl ApplyReport {
    pub fn failed(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| o.result.is_err())
    }

    pub fn succeeded(&self) -> usize {
        self.outcomes.iter().filter(|o| o.result.is_ok()).count()
    }
}

/// Set when apply should stop starting new units (Ctrl-C, SIGTERM).
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// A client token for an idempotent create: the same instance, target, resource and
/// desired value (at the same revision) always give the same token, so a retried or
/// restarted create is recognised by AWS instead of making a duplicate.
pub fn client_token(parts: &[&str], desired: &J) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.update(desired.to_string().as_bytes());
    let digest = h.finalize();
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// One resource's changes, with what its kind module needs.
pub(crate) struct Unit<'a> {
    pub target: &'a str,
    pub kind: Kind,
    pub name: &'a str,
    pub changes: Vec<&'a Change>,
    pub resource: Option<&'a Resource>,
    pub live: &'a LiveTarget,
    pub clients: &'a Clients,
    pub instance: &'a str,
    pub revision: &'a str,
    pub options: &'a ApplyOptions,
    record: &'a Mutex<BTreeMap<String, J>>,
    /// Where records are written ahead and confirmed (`None`: in memory only).
    state: Option<&'a StateBackend>,
    state_errors: &'a Mutex<Vec<StateError>>,
}

impl<'a> Unit<'a> {
    /// The change of the resource itself, if any.
    pub fn parent(&self) -> Option<&'a Change> {
        self.changes.iter().copied().find(|c| c.name == self.name)
    }

    /// The calls the plan decided for the resource itself (none: its sub-resources
    /// alone change).
    pub fn calls(&self) -> &'a Calls {
        const NOTHING: &Calls = &Calls::Nothing;
        self.parent().map_or(NOTHING, |c| &c.work.calls)
    }

    /// The live resource the plan chose for the unit (`None`: nothing of the name is
    /// live, or it is being created), from its kind's list of the target's live state.
    pub fn chosen<S>(&self, items: &'a [S]) -> Option<&'a S> {
        let chosen = self.changes.iter().find_map(|c| c.work.live.as_ref())?;
        items.get(chosen.index)
    }

    /// The changes of sub-resources, with their path below the resource
    /// (`targets/web`).
    pub fn subs(&self) -> Vec<(&'a Change, &'a str)> {
        let prefix = format!("{}/", self.name);
        self.changes
            .iter()
            .filter_map(|c| c.name.strip_prefix(prefix.as_str()).map(|rest| (*c, rest)))
            .collect()
    }

    /// The desired resource's tags plus the ownership tag.
    pub fn desired_tags(&self, tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut t = tags.clone();
        t.insert(OWNERSHIP_TAG.to_string(), self.instance.to_string());
        t
    }

    /// A client token for creating `sub` (empty: the resource itself) with `desired`.
    pub fn token(&self, sub: &str, desired: &J) -> String {
        client_token(
            &[
                self.instance,
                self.target,
                self.kind.as_str(),
                self.name,
                sub,
                self.revision,
            ],
            desired,
        )
    }

    /// The records of the resource and its sub-resources once the unit is written:
    /// the normalised desired values.
    fn desired_records(&self) -> BTreeMap<String, J> {
        let Some(resource) = self.resource else {
            return BTreeMap::new();
        };
        let n = plan::normalise_desired(resource, self.instance, None);
        let mut out = BTreeMap::from([(self.key(), n.main)]);
        for (sub, value) in n.subs {
            out.insert(
                plan::record_key(self.target, self.kind, &format!("{}/{sub}", self.name)),
                value,
            );
        }
        out
    }

    /// The unit's record key.
    fn key(&self) -> String {
        plan::record_key(self.target, self.kind, self.name)
    }

    /// Whether the kind has sub-resources recorded under `key/` (log group and alarm
    /// names may contain `/`: a key under theirs is another resource's).
    fn has_subs(&self) -> bool {
        matches!(
            self.kind,
            Kind::MaintenanceWindow | Kind::BackupPlan | Kind::PatchBaseline
        )
    }

    /// The unit's records as they are in memory now: its key and, for kinds with
    /// sub-resources, the keys under it.
    fn own_records(&self) -> BTreeMap<String, J> {
        use std::ops::Bound;
        let key = self.key();
        let prefix = format!("{key}/");
        let record = self.record.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: BTreeMap<String, J> = record
            .get(&key)
            .map(|v| (key.clone(), v.clone()))
            .into_iter()
            .collect();
        if self.has_subs() {
            out.extend(
                record
                    .range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
                    .take_while(|(k, _)| k.starts_with(&prefix))
                    .map(|(k, v)| (k.clone(), v.clone())),
            );
        }
        out
    }

    /// What the unit is about to record (written ahead before its first call): the
    /// desired values, or for a retention policy its record with the groups it sets;
    /// nothing for a delete (the record stays until the delete is confirmed).
    fn intended(&self) -> BTreeMap<String, J> {
        let Some(parent) = self.parent() else {
            return self.desired_records();
        };
        match (self.kind, parent.action) {
            (_, Action::Delete) => BTreeMap::new(),
            (Kind::LogRetentionPolicy, _) => {
                let mut recorded = match self.own_records().remove(&self.key()) {
                    Some(J::Object(m)) => m,
                    _ => serde_json::Map::new(),
                };
                for f in &parent.fields {
                    recorded.insert(f.path.clone(), f.desired.clone());
                }
                BTreeMap::from([(self.key(), J::Object(recorded))])
            }
            _ => self.desired_records(),
        }
    }

    /// Writes the unit's records ahead; an error means nothing may be written.
    async fn write_ahead(&self) -> Result<(), StateError> {
        let Some(state) = self.state else {
            return Ok(());
        };
        let intended = self.intended();
        if intended.is_empty() {
            return Ok(());
        }
        state.intend(self.target, &intended).await
    }

    /// Confirms the unit's records as they are in memory now, if they changed from
    /// `before`; a refusal is kept for the report (the records stay pending).
    async fn confirm(&self, before: &BTreeMap<String, J>) {
        let Some(state) = self.state else {
            return;
        };
        let now = self.own_records();
        if &now == before {
            return;
        }
        if let Err(e) = state
            .confirm(self.target, &self.key(), self.has_subs(), &now)
            .await
        {
            self.state_errors
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(e);
        }
    }

    /// Records the normalised desired value of the resource and its sub-resources.
    pub fn record_desired(&self) {
        if self.resource.is_none() {
            return;
        }
        let desired = self.desired_records();
        let mut record = self.record.lock().unwrap_or_else(|e| e.into_inner());
        if self.has_subs() {
            let prefix = plan::record_key(self.target, self.kind, &format!("{}/", self.name));
            remove_prefixed(&mut record, &prefix);
        }
        record.extend(desired);
    }

    /// Merges `fields` into the resource's recorded object: retention policies record
    /// each group they set, and the groups earlier applies set stay recorded (a later
    /// out-of-band change to one of them is drift).
    pub fn record_fields(&self, fields: serde_json::Map<String, J>) {
        let mut record = self.record.lock().unwrap_or_else(|e| e.into_inner());
        let entry = record
            .entry(plan::record_key(self.target, self.kind, self.name))
            .or_insert_with(|| J::Object(serde_json::Map::new()));
        match entry {
            J::Object(recorded) => recorded.extend(fields),
            other => *other = J::Object(fields),
        }
    }

    /// Records a successful unit (or forgets a deleted resource) and gives every
    /// change its outcome.
    pub fn finish(&self, result: Result<(), (String, ApplyError)>) -> Vec<Outcome> {
        if result.is_ok() {
            match self.parent().map(|c| c.action) {
                Some(Action::Delete) => self.forget(),
                _ => self.record_desired(),
            }
        }
        outcomes(self, result)
    }

    /// Forgets the resource and its sub-resources (after a delete).
    pub fn forget(&self) {
        let key = self.key();
        let prefix = format!("{key}/");
        let mut record = self.record.lock().unwrap_or_else(|e| e.into_inner());
        record.remove(&key);
        if self.has_subs() {
            remove_prefixed(&mut record, &prefix);
        }
    }
}

/// Removes the record's keys under `prefix`: a range of the ordered map, so a unit
/// touches its own keys only, never the whole record.
fn remove_prefixed(record: &mut BTreeMap<String, J>, prefix: &str) {
    use std::ops::Bound;
    let keys: Vec<String> = record
        .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
        .take_while(|(k, _)| k.starts_with(prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for k in keys {
        record.remove(&k);
    }
}

/// Maps an AWS error to the failure of the change named `name`.
pub(crate) fn failed(name: &str) -> impl Fn(AwsError) -> (String, ApplyError) {
    let name = name.to_string();
    move |e| (name.clone(), ApplyError::from(e))
}

/// Outcomes for every change of a unit: all made when `result` is Ok; otherwise the
/// error for the change that failed and "skipped" for the others (some of which may
/// have been made before the failure: the next plan shows what is left).
pub(crate) fn outcomes(unit: &Unit<'_>, result: Result<(), (String, ApplyError)>) -> Vec<Outcome> {
    match result {
        Ok(()) => unit
            .changes
            .iter()
            .map(|c| Outcome {
                change: (*c).clone(),
                result: Ok(()),
            })
            .collect(),
        Err((failed_name, error)) => {
            let mut error = Some(error);
            unit.changes
                .iter()
                .map(|c| {
                    let result = if c.name == failed_name {
                        Err(error
                            .take()
                            .unwrap_or_else(|| ApplyError::Skipped("failed".into())))
                    } else {
                        Err(ApplyError::Skipped(format!("`{failed_name}` failed first")))
                    };
                    Outcome {
                        change: (*c).clone(),
                        result,
                    }
                })
                .collect()
        }
    }
}

/// The last phase.
const LAST_PHASE: u16 = 501;

/// The phase a change's unit runs in (lowest first): vault writes, other writes,
/// composite-alarm writes by depth (2..=102), metric filter writes (their log groups
/// exist by then), composite-alarm deletes deepest first (300..=400), metric filter
/// deletes, other deletes (log groups after their filters), vault deletes (see
/// `alarm::CompositeOrder`).
fn unit_phase(c: &Change, order: &alarm::CompositeOrder) -> u16 {
    match (c.kind, c.action) {
        (Kind::CompositeAlarm, Action::Delete) => 300 + order.delete_rank(&c.target, root_name(c)),
        (Kind::CompositeAlarm, _) => 2 + order.write_depth(&c.target, root_name(c)),
        _ => phase(c),
    }
}

/// The phase of every other change: see [`unit_phase`].
fn phase(c: &Change) -> u16 {
    match (c.kind, c.action) {
        (Kind::BackupVault, Action::Delete) => LAST_PHASE,
        (Kind::BackupVault, _) => 0,
        (Kind::MetricFilter, Action::Delete) => 450,
        (Kind::MetricFilter, _) => 200,
        // After the recorder's writes, before its delete (deletes in reverse).
        (Kind::ConfigRule, Action::Delete) => 460,
        (Kind::ConfigRule, _) => 210,
        // A pack's rules are rules: the same phases.
        (Kind::ConformancePack, Action::Delete) => 460,
        (Kind::ConformancePack, _) => 210,
        // Before the rules' writes (phase 1), after their deletes.
        (Kind::ConfigurationRecorder, Action::Delete) => 480,
        (_, Action::Delete) => 500,
        _ => 1,
    }
}

/// The resource a change belongs to. Only kinds with sub-resources have `/` in change
/// names for them (`window/targets/web`), and their AWS names cannot contain `/`; log
/// group and alarm names can, so theirs are taken whole.
fn root_name(c: &Change) -> &str {
    match c.kind {
        Kind::MaintenanceWindow | Kind::BackupPlan | Kind::PatchBaseline => {
            c.name.split('/').next().unwrap_or(&c.name)
        }
        _ => &c.name,
    }
}

/// Applies every writable change of `planned`; returns what happened to each, and
/// updates `record` (the last-applied values) for the successful ones. With `state`,
/// each unit's records are written ahead there and confirmed after it.
pub async fn apply(
    planned: &Planned,
    options: &ApplyOptions,
    cancel: &Cancel,
    record: &mut BTreeMap<String, J>,
    state: Option<&StateBackend>,
) -> ApplyReport {
    let mut report = ApplyReport::default();
    let units = units(planned);
    let resources = desired_resources(planned);
    let shared_record = Mutex::new(std::mem::take(record));
    let state_errors = Mutex::new(Vec::new());
    let mut limits: BTreeMap<(&str, &str), Arc<Semaphore>> = BTreeMap::new();
    let empty = LiveTarget::default();
    let phases: std::collections::BTreeSet<u16> = units.keys().map(|k| k.0).collect();
    options.progress.stage("units applied", units.len());
    for current_phase in phases {
        let mut prepared = Vec::new();
        for (index, ((_, target, kind, name), changes)) in in_turns(&units, current_phase) {
            let Some(clients) = planned.clients.get(target) else {
                continue;
            };
            let resource = resources
                .get(&(target.as_str(), *kind, name.as_str()))
                .copied();
            let unit = Unit {
                target,
                kind: *kind,
                name,
                changes: changes.clone(),
                resource,
                live: planned.live.get(target).unwrap_or(&empty),
                clients,
                instance: planned.loaded.state.config.instance(),
                revision: &planned.loaded.revision,
                options,
                record: &shared_record,
                state,
                state_errors: &state_errors,
            };
            let limit = limits
                .entry((target.as_str(), service_of(*kind)))
                .or_insert_with(|| Arc::new(Semaphore::new(MAX_CONCURRENT_UNITS)))
                .clone();
            prepared.push((index, unit, limit));
        }
        report.outcomes.extend(run_phase(prepared, cancel).await);
    }
    *record = shared_record
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    report.state_errors = state_errors.into_inner().unwrap_or_else(|e| e.into_inner());
    report
}

/// Applies one phase's units, at most [`MAX_UNITS_IN_FLIGHT`] at once; their outcomes
/// in the units' order, whatever order they finished in.
async fn run_phase(
    prepared: Vec<(usize, Unit<'_>, Arc<Semaphore>)>,
    cancel: &Cancel,
) -> Vec<Outcome> {
    // A unit's future is made when it starts, not all up front: 7,000 waiting futures
    // were most of a 1,000-target apply's memory.
    let mut prepared = prepared.into_iter();
    let mut running = futures_util::stream::FuturesUnordered::new();
    let mut done = Vec::new();
    loop {
        while running.len() < MAX_UNITS_IN_FLIGHT {
            let Some((index, unit, limit)) = prepared.next() else {
                break;
            };
            running.push(run_unit(index, unit, limit, cancel));
        }
        match running.next().await {
            Some(finished) => done.push(finished),
            None => break,
        }
    }
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().flat_map(|(_, o)| o).collect()
}

/// Applies one unit once its target and service have room: its outcomes, with the
/// unit's index.
async fn run_unit(
    index: usize,
    unit: Unit<'_>,
    limit: Arc<Semaphore>,
    cancel: &Cancel,
) -> (usize, Vec<Outcome>) {
    let _permit = limit.acquire_owned().await;
    if cancel.is_cancelled() {
        return (index, interrupted(&unit));
    }
    let outcomes = apply_unit(&unit).await;
    unit.options.progress.tick();
    (index, outcomes)
}

/// The units of `phase`, each with its index in `units`, taking one unit of each
/// target in turn: the units in flight then belong to many targets, so one target's
/// per-service bound does not hold up the others'.
fn in_turns<'u, 'p>(
    units: &'u BTreeMap<UnitKey, Vec<&'p Change>>,
    phase: u16,
) -> Vec<(usize, (&'u UnitKey, &'u Vec<&'p Change>))> {
    let mut by_target: BTreeMap<&str, Vec<_>> = BTreeMap::new();
    for (index, unit) in units.iter().enumerate().filter(|(_, (k, _))| k.0 == phase) {
        by_target
            .entry(unit.0 .1.as_str())
            .or_default()
            .push((index, unit));
    }
    let mut queues: Vec<_> = by_target.into_values().map(Vec::into_iter).collect();
    let mut out = Vec::new();
    while !queues.is_empty() {
        queues.retain_mut(|q| q.next().map(|u| out.push(u)).is_some());
    }
    out
}

/// The record keys of the resources the plan has a change for (any change, written
/// or only reported): `target/Kind/root`.
pub(crate) fn changed_roots(planned: &Planned) -> std::collections::BTreeSet<String> {
    planned
        .plan
        .changes
        .iter()
        .map(|c| plan::record_key(&c.target, c.kind, root_name(c)))
        .collect()
}

/// The key of the resource a record key belongs to (`t/MaintenanceWindow/w` for
/// `t/MaintenanceWindow/w/targets/web`); `None` for a key that is not a record key.
pub(crate) fn root_of_key(key: &str) -> Option<(Kind, String)> {
    let mut parts = key.splitn(3, '/');
    let (target, kind, name) = (parts.next()?, parts.next()?, parts.next()?);
    let kind: Kind = kind.parse().ok()?;
    let root = match kind {
        Kind::MaintenanceWindow | Kind::BackupPlan | Kind::PatchBaseline => {
            name.split('/').next().unwrap_or(name)
        }
        _ => name,
    };
    Some((kind, plan::record_key(target, kind, root)))
}

/// What a unit of each of `target`'s desired resources would record: the normalised
/// desired values of the resources and their sub-resources.
pub(crate) fn desired_records_of(planned: &Planned, target: &str) -> BTreeMap<String, J> {
    let instance = planned.loaded.state.config.instance();
    let mut out = BTreeMap::new();
    for r in planned
        .loaded
        .state
        .resources
        .iter()
        .filter(|r| r.targets.iter().any(|t| t == target))
    {
        let n = plan::normalise_desired(r, instance, None);
        out.insert(plan::record_key(target, r.kind(), r.name()), n.main);
        for (sub, value) in n.subs {
            out.insert(
                plan::record_key(target, r.kind(), &format!("{}/{sub}", r.name())),
                value,
            );
        }
    }
    out
}

/// A unit's key: (phase, target, kind, root name).
type UnitKey = (u16, String, Kind, String);

/// The writable changes grouped into units, once: a unit is a resource's changes and
/// its sub-resources', in its resource's phase (a unit of sub-resource changes only,
/// the resource itself unchanged, runs with the other writes). Conflicts and
/// report-only changes are never written.
fn units(planned: &Planned) -> BTreeMap<UnitKey, Vec<&Change>> {
    let order = alarm::CompositeOrder::new(planned);
    let mut by_root: BTreeMap<(&str, Kind, &str), Vec<&Change>> = BTreeMap::new();
    for c in &planned.plan.changes {
        by_root
            .entry((c.target.as_str(), c.kind, root_name(c)))
            .or_default()
            .push(c);
    }
    let mut units = BTreeMap::new();
    for ((target, kind, root), changes) in by_root {
        let phase = changes
            .iter()
            .find(|c| c.name == root)
            .map_or(1, |p| unit_phase(p, &order));
        let writable: Vec<&Change> = changes
            .into_iter()
            .filter(|c| c.action != Action::Conflict && !c.report_only)
            .collect();
        if !writable.is_empty() {
            units.insert(
                (phase, target.to_string(), kind, root.to_string()),
                writable,
            );
        }
    }
    units
}

/// The desired resources by (target, kind, name).
fn desired_resources(planned: &Planned) -> BTreeMap<(&str, Kind, &str), &Resource> {
    let mut by_key = BTreeMap::new();
    for r in &planned.loaded.state.resources {
        for t in &r.targets {
            by_key.entry((t.as_str(), r.kind(), r.name())).or_insert(r);
        }
    }
    by_key
}

/// The outcomes of a unit not started because apply was interrupted.
fn interrupted(unit: &Unit<'_>) -> Vec<Outcome> {
    unit.changes
        .iter()
        .map(|c| Outcome {
            change: (*c).clone(),
            result: Err(ApplyError::Skipped("apply was interrupted".into())),
        })
        .collect()
}

/// One unit: its records written ahead, its writes, its records confirmed.
async fn apply_unit(unit: &Unit<'_>) -> Vec<Outcome> {
    if let Err(e) = unit.write_ahead().await {
        return not_recorded(unit, &e);
    }
    let before = unit.own_records();
    let outcomes = write_unit(unit).await;
    unit.confirm(&before).await;
    outcomes
}

/// The unit's writes, by kind.
async fn write_unit(unit: &Unit<'_>) -> Vec<Outcome> {
    let result = match unit.kind {
        Kind::MetricAlarm | Kind::CompositeAlarm => alarm::run(unit).await,
        Kind::LogGroup => logs::run_log_group(unit).await,
        // Retention policies record the groups they set, not a desired value.
        Kind::LogRetentionPolicy => return logs::apply_retention_policy(unit).await,
        Kind::PatchBaseline => patch::run(unit).await,
        Kind::MaintenanceWindow => window::run(unit).await,
        Kind::BackupVault => backup::run_vault(unit).await,
        Kind::BackupPlan => backup::run_plan(unit).await,
        Kind::MetricFilter => metric_filter::run(unit).await,
        Kind::ConfigurationAggregator => config::run_aggregator(unit).await,
        Kind::ConfigRule => config_rule::run(unit).await,
        Kind::Association => association::run(unit).await,
        Kind::ConformancePack => config::run_pack(unit).await,
        Kind::ConfigurationRecorder => config_recorder::run(unit).await,
    };
    unit.finish(result)
}

/// The outcomes of a unit not written because its records could not be written ahead.
fn not_recorded(unit: &Unit<'_>, e: &StateError) -> Vec<Outcome> {
    let why = format!(
        "the state backend did not take the record written before this change ({e}); \
         nothing was written: fix the state (see the error) and apply again"
    );
    unit.changes
        .iter()
        .map(|c| Outcome {
            change: (*c).clone(),
            result: Err(ApplyError::Refused(why.clone())),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stable_and_depend_on_every_part() {
        let a = client_token(
            &["driftless", "default", "MaintenanceWindow", "w"],
            &serde_json::json!({"d": 1}),
        );
        assert_eq!(
            a,
            client_token(
                &["driftless", "default", "MaintenanceWindow", "w"],
                &serde_json::json!({"d": 1})
            )
        );
        assert_eq!(a.len(), 32);
        assert_ne!(
            a,
            client_token(
                &["driftless", "default", "MaintenanceWindow", "w2"],
                &serde_json::json!({"d": 1})
            )
        );
        assert_ne!(
            a,
            client_token(
                &["driftless", "default", "MaintenanceWindow", "w"],
                &serde_json::json!({"d": 2})
            )
        );
        // Parts are separated, so shifting text between them changes the token.
        assert_ne!(
            client_token(&["ab", "c"], &J::Null),
            client_token(&["a", "bc"], &J::Null)
        );
    }

    #[test]
    fn log_group_names_with_slashes_are_their_own_root() {
        let mut c = Change {
            target: "t".into(),
            kind: Kind::LogGroup,
            name: "/app/web".into(),
            action: Action::Create,
            fields: vec![],
            drift: false,
            reason: None,
            adopt: false,
            report_only: false,
            changed_by: None,
            next_runs: Vec::new(),
            backtest: None,
            work: Default::default(),
        };
        assert_eq!(root_name(&c), "/app/web");
        c.kind = Kind::MaintenanceWindow;
        c.name = "weekly/targets/web".into();
        assert_eq!(root_name(&c), "weekly");
    }

    #[test]
    fn vaults_are_written_first_and_deleted_last() {
        let c = |kind, action| Change {
            target: "t".into(),
            kind,
            name: "n".into(),
            action,
            fields: vec![],
            drift: false,
            reason: None,
            adopt: false,
            report_only: false,
            changed_by: None,
            next_runs: Vec::new(),
            backtest: None,
            work: Default::default(),
        };
        assert_eq!(phase(&c(Kind::BackupVault, Action::Create)), 0);
        assert_eq!(phase(&c(Kind::BackupPlan, Action::Create)), 1);
        assert_eq!(phase(&c(Kind::BackupPlan, Action::Delete)), 500);
        assert_eq!(phase(&c(Kind::BackupVault, Action::Delete)), LAST_PHASE);
        // Filters after the groups they sit on are made, and gone before those go.
        assert!(
            phase(&c(Kind::MetricFilter, Action::Create))
                > phase(&c(Kind::LogGroup, Action::Create))
        );
        assert!(
            phase(&c(Kind::MetricFilter, Action::Delete))
                < phase(&c(Kind::LogGroup, Action::Delete))
        );
    }

    #[test]
    fn composites_are_written_after_and_deleted_before_other_alarms() {
        let c = |kind, action| Change {
            target: "t".into(),
            kind,
            name: "n".into(),
            action,
            fields: vec![],
            drift: false,
            reason: None,
            adopt: false,
            report_only: false,
            changed_by: None,
            next_runs: Vec::new(),
            backtest: None,
            work: Default::default(),
        };
        let order = alarm::CompositeOrder::default();
        let p = |kind, action| unit_phase(&c(kind, action), &order);
        assert!(p(Kind::MetricAlarm, Action::Create) < p(Kind::CompositeAlarm, Action::Create));
        assert!(p(Kind::CompositeAlarm, Action::Update) < p(Kind::CompositeAlarm, Action::Delete));
        assert!(p(Kind::CompositeAlarm, Action::Delete) < p(Kind::MetricAlarm, Action::Delete));
        assert!(p(Kind::MetricAlarm, Action::Delete) < p(Kind::BackupVault, Action::Delete));
        assert_eq!(p(Kind::BackupVault, Action::Create), 0);
    }
}
