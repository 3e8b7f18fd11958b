//! The one engine behind plan, apply and run (invariant 8): load the repository, read
//! every target's live state concurrently, and plan each target.
//!
//! This is where I/O meets the pure core: `validate` reads files, `aws` reads AWS, and
//! `plan::plan_target` decides. Targets are read concurrently (bounded), so one slow
//! region does not hold up the others' reads.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::aws::{self, AwsError, AwsOptions, ClientCache, Clients, ReadRequest};
use crate::live::LiveTarget;
use crate::plan::{self, Plan, PlanOptions, TargetError, TargetPlan};
use crate::spec::config::{TargetConfig, UnknownTarget, DEFAULT_MAX_DELETES, DEFAULT_TARGET};
use crate::spec::vars::TargetFacts;
use crate::spec::{self, Diagnostic, Kind, Resource, ResourceSpec};
use crate::validate::{self, LoadError, Loaded};

/// Targets read at the same time.
pub const MAX_CONCURRENT_TARGETS: usize = 8;

/// What to plan, from the command line.
#[derive(Debug, Clone, Default)]
pub struct PlanRequest {
    /// `--target`: limit to these targets (empty: all).
    pub targets: Vec<String>,
    pub aws: AwsOptions,
    /// `--prune` (driftless.yaml `prune: true` also turns it on).
    pub prune: bool,
    /// `--max-deletes` (else driftless.yaml's, else 10).
    pub max_deletes: Option<u32>,
    pub allow_empty: bool,
    /// What driftless last applied (from the state store), for drift detection.
    pub last_applied: BTreeMap<String, serde_json::Value>,
    /// Values written ahead by an apply that never confirmed them (it was killed): a
    /// second candidate for drift (`PlanOptions::pending`).
    pub pending: BTreeMap<String, serde_json::Value>,
    /// Clients kept between plans (the controller); `None`: built for this plan.
    pub clients: Option<Arc<ClientCache>>,
    /// Keep every planned target's SDK clients in [`Planned::clients`], changed or
    /// not: the controller audits each target's live estate after its reconcile.
    /// Otherwise only a target with a change keeps them (a 1,000-target plan would
    /// hold 8,000 clients for nothing).
    pub keep_clients: bool,
    /// Counts the targets read (drawn on a terminal by the CLI; hidden otherwise).
    pub progress: crate::progress::Progress,
}

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    UnknownTarget(#[from] UnknownTarget),
    /// A target's live state could not be read (`driftless audit`; plan and apply
    /// report failed targets in the plan instead).
    #[error(transparent)]
    Aws(#[from] AwsError),
}

impl EngineError {
    /// What to do next, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            EngineError::UnknownTarget(_) => {
                Some("pass a target name from driftless.yaml to --target".into())
            }
            EngineError::Load(_) => None,
            EngineError::Aws(e) => e.hint(),
        }
    }
}

/// A plan and everything it was made from, for apply.
#[derive(Debug, Clone)]
pub struct Planned {
    pub loaded: Loaded,
    pub plan: Plan,
    /// Live state per target, as read: one entry per target planned.
    pub live: BTreeMap<String, LiveTarget>,
    /// The SDK clients of the targets with a change, the only ones apply, drift
    /// attribution and backtests call AWS for; a target without one keeps none unless
    /// [`PlanRequest::keep_clients`] (the targets planned are `live`'s keys).
    pub clients: BTreeMap<String, Clients>,
    /// Targets that could not be planned, with why (also in `plan.errors`); the
    /// controller classifies these, the CLI reports them.
    pub failed: BTreeMap<String, Arc<AwsError>>,
    /// Organization accounts that left scope (also in `plan.warnings`, a warning per
    /// target): apply records them in the history once.
    pub departed: Vec<crate::history::Departure>,
}

/// The names the desired state mentions for one target, and the instance whose owned
/// resources are listed too.
pub fn read_request(instance: &str, resources: &[&Resource]) -> ReadRequest {
    let mut r = ReadRequest {
        instance: instance.to_string(),
        ..ReadRequest::default()
    };
    for res in resources {
        let name = res.name().to_string();
        match &res.spec {
            ResourceSpec::MetricAlarm(_) => r.alarms.insert(name),
            // One namespace and one DescribeAlarms listing for both alarm types.
            ResourceSpec::CompositeAlarm(_) => r.alarms.insert(name),
            ResourceSpec::LogGroup(_) => r.log_groups.insert(name),
            ResourceSpec::LogRetentionPolicy(p) => {
                r.retention_prefixes.insert(p.log_group_name_prefix.clone())
            }
            ResourceSpec::PatchBaseline(_) => r.patch_baselines.insert(name),
            ResourceSpec::MaintenanceWindow(_) => r.maintenance_windows.insert(name),
            ResourceSpec::BackupVault(_) => r.backup_vaults.insert(name),
            ResourceSpec::BackupPlan(_) => r.backup_plans.insert(name),
            ResourceSpec::MetricFilter(f) => {
                r.metric_filter_groups.insert(f.log_group_name.clone())
            }
            ResourceSpec::ConfigurationAggregator(_) => r.config_aggregators.insert(name),
            ResourceSpec::ConfigRule(_) => r.config_rules.insert(name),
            ResourceSpec::Association(_) => r.associations.insert(name),
            ResourceSpec::ConformancePack(_) => r.conformance_packs.insert(name),
            ResourceSpec::ConfigurationRecorder(_) => {
                r.config_recorder = true;
                true
            }
        };
    }
    r
}

/// Loads the repository in `dir` and plans every selected target.
pub async fn plan_folder(
    dir: &Path,
    display: &str,
    request: &PlanRequest,
) -> Result<Planned, EngineError> {
    let loaded = validate::load_folder(dir, display)?;
    plan_loaded(loaded, request).await
}

/// Loads a git revision's files (already fetched) and plans every selected target.
pub async fn plan_snapshot(
    snapshot: crate::source::Snapshot,
    request: &PlanRequest,
) -> Result<Planned, EngineError> {
    let loaded = validate::load_snapshot(snapshot)?;
    plan_loaded(loaded, request).await
}

/// Plans an already loaded repository.
pub async fn plan_loaded(loaded: Loaded, request: &PlanRequest) -> Result<Planned, EngineError> {
    // Organization entries become targets here, at every plan (AWS Organizations asked
    // once for all of them).
    let enrolled = crate::organization::enroll(loaded, &request.aws).await?;
    let mut planned = plan_enrolled(enrolled.loaded, request).await?;
    if let Some(enrollment) = &enrolled.enrollment {
        planned.departed = crate::organization::departures(
            &planned.loaded,
            request.last_applied.keys(),
            enrollment,
        );
        let warnings = crate::organization::warnings(&planned.loaded, &planned.departed);
        planned.plan.warnings.extend(warnings);
    }
    planned.plan.errors.extend(enrolled.error);
    Ok(planned)
}

/// Plans a repository whose organization entries are already enrolled (the
/// controller's reconciles, which share one discovery per resync round).
pub async fn plan_enrolled(
    mut loaded: Loaded,
    request: &PlanRequest,
) -> Result<Planned, EngineError> {
    let config = &loaded.state.config;
    let selected = config.select_targets(&request.targets)?;
    let options = PlanOptions {
        instance: config.instance().to_string(),
        prune: request.prune || config.prune,
        max_deletes: request
            .max_deletes
            .or(config.max_deletes)
            .unwrap_or(DEFAULT_MAX_DELETES),
        allow_empty: request.allow_empty,
        last_applied: BTreeMap::new(),
        pending: BTreeMap::new(),
    };
    request.progress.stage("targets read", selected.len());
    // Jobs are made as tasks start (at most MAX_CONCURRENT_TARGETS at once), not all
    // up front: a spawned task holds its whole future, and 1,000 waiting futures were
    // most of a 1,000-target plan's peak memory.
    let jobs = selected.iter().map(|name| TargetJob {
        name: name.clone(),
        config: config.target(name).cloned(),
        resources: loaded
            .state
            .resources
            .iter()
            .filter(|r| r.targets.iter().any(|t| t == name))
            .cloned()
            .collect(),
        aws: request.aws.clone(),
        options: options_for(&options, request, name),
        cache: request.clients.clone(),
    });
    let Collected {
        plans,
        live,
        clients,
        failed,
        resolved,
        mut invalid,
    } = collect(jobs, request.keep_clients, &request.progress).await;
    if !invalid.is_empty() {
        invalid.sort();
        invalid.dedup();
        return Err(LoadError::Invalid(invalid).into());
    }
    // Apply writes what was planned: the resolved resources, not their templates.
    loaded.state.resources.retain(|r| r.template.is_none());
    loaded.state.resources.extend(resolved);
    let mut plan = Plan::new(&loaded.revision, plans);
    plan.guardrails = loaded.state.guardrails.clone();
    next_runs(&mut plan, &loaded, &live);
    plan.errors = target_errors(&loaded, &failed);
    Ok(Planned {
        loaded,
        plan,
        live,
        clients,
        failed,
        departed: Vec::new(),
    })
}

/// The plan's errors of the targets that could not be read, with their hints.
fn target_errors(loaded: &Loaded, failed: &BTreeMap<String, Arc<AwsError>>) -> Vec<TargetError> {
    failed
        .iter()
        .map(|(target, e)| TargetError {
            target: target.clone(),
            message: e.detail(),
            hint: crate::organization::role_hint(&loaded.state.config, target, e)
                .or_else(|| e.hint()),
        })
        .collect()
}

/// `options` with the records of `target` only.
fn options_for(options: &PlanOptions, request: &PlanRequest, target: &str) -> PlanOptions {
    PlanOptions {
        last_applied: records_of(&request.last_applied, target),
        pending: records_of(&request.pending, target),
        ..options.clone()
    }
}

/// The records of one target (keys `target/Kind/name`): a target's plan reads only
/// its own, and a copy of every target's records for each target grew with the square
/// of the targets (1,000 targets: 1,000 copies of 7,000 records).
fn records_of(
    all: &BTreeMap<String, serde_json::Value>,
    target: &str,
) -> BTreeMap<String, serde_json::Value> {
    let prefix = format!("{target}/");
    all.range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// When each created or changed window and backup rule runs next, from now.
fn next_runs(plan: &mut Plan, loaded: &Loaded, live: &BTreeMap<String, LiveTarget>) {
    let now = crate::validate::now();
    crate::schedule::next_runs::annotate(plan, &loaded.state.resources, live, now);
}

/// What the targets' tasks came back with.
#[derive(Default)]
struct Collected {
    plans: Vec<TargetPlan>,
    live: BTreeMap<String, LiveTarget>,
    clients: BTreeMap<String, Clients>,
    failed: BTreeMap<String, Arc<AwsError>>,
    resolved: Vec<Resource>,
    invalid: Vec<Diagnostic>,
}

/// Plans every job, at most [`MAX_CONCURRENT_TARGETS`] at once. A target that fails,
/// fails alone: the others are still planned.
async fn collect(
    mut jobs: impl Iterator<Item = TargetJob>,
    keep_clients: bool,
    progress: &crate::progress::Progress,
) -> Collected {
    let mut c = Collected::default();
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        while tasks.len() < MAX_CONCURRENT_TARGETS {
            let Some(job) = jobs.next() else { break };
            tasks.spawn(async move {
                let result = plan_one(&job).await;
                (job.name, result)
            });
        }
        let Some(joined) = tasks.join_next().await else {
            return c;
        };
        progress.tick();
        c.add(joined, keep_clients);
    }
}

impl Collected {
    /// Adds what one target's task came back with.
    fn add(
        &mut self,
        joined: Result<(String, Result<TargetPlanned, TargetFailure>), tokio::task::JoinError>,
        keep_clients: bool,
    ) {
        match joined {
            Ok((_, Ok(t))) => {
                let keep = keep_clients || !t.plan.changes.is_empty();
                self.plans.push(t.plan);
                self.resolved.extend(t.resolved);
                self.live.insert(t.clients.target.clone(), t.live);
                // Unless asked, only a target with a change keeps its SDK clients
                // (apply, drift attribution and backtests call through them): at
                // 1,000 targets of a no-change plan, keeping them all was a third of
                // the peak memory.
                if keep {
                    self.clients.insert(t.clients.target.clone(), t.clients);
                }
            }
            Ok((name, Err(TargetFailure::Aws(e)))) => {
                self.failed.insert(name, Arc::new(e));
            }
            Ok((_, Err(TargetFailure::Invalid(diagnostics)))) => self.invalid.extend(diagnostics),
            Err(join) => {
                // A panicking task loses its name; it is a bug, reported as one.
                self.failed.insert(
                    format!("(unknown target: {join})"),
                    Arc::new(AwsError::Setup {
                        target: DEFAULT_TARGET.into(),
                        message: format!("a read task failed: {join}"),
                        hint: "this is a bug in driftless; please report it".into(),
                    }),
                );
            }
        }
    }
}

/// Everything one target's plan needs, moved into its task.
struct TargetJob {
    name: String,
    config: Option<TargetConfig>,
    resources: Vec<Resource>,
    aws: AwsOptions,
    options: PlanOptions,
    cache: Option<Arc<ClientCache>>,
}

/// Reads one target's live state and plans it.
async fn plan_one(job: &TargetJob) -> Result<TargetPlanned, TargetFailure> {
    let clients = match &job.cache {
        Some(cache) => cache.get(&job.name, job.config.as_ref(), &job.aws).await?,
        None => Clients::for_target(&job.name, job.config.as_ref(), &job.aws).await?,
    };
    let resolved = resolve_templates(job, &clients).await?;
    let refs: Vec<&Resource> = job
        .resources
        .iter()
        .filter(|r| r.template.is_none())
        .chain(&resolved)
        .collect();
    let mut request = read_request(&job.options.instance, &refs);
    // Filters driftless applied before are read even when they left the repository.
    request
        .metric_filter_groups
        .extend(plan::metric_filter::recorded_groups(
            &job.options.last_applied,
            &job.name,
        ));
    // Aggregators driftless applied are read even when they left the repository.
    request.config_aggregators.extend(plan::recorded_names(
        &job.options.last_applied,
        &job.name,
        Kind::ConfigurationAggregator,
    ));
    // Config rules driftless applied before are read even when they left the repository.
    request.config_rules.extend(plan::recorded_names(
        &job.options.last_applied,
        &job.name,
        Kind::ConfigRule,
    ));
    // Packs driftless applied are read even when they left the repository.
    request.conformance_packs.extend(plan::recorded_names(
        &job.options.last_applied,
        &job.name,
        Kind::ConformancePack,
    ));
    // The Region's recorder is read when driftless applied one (it may have left git).
    request.config_recorder |=
        plan::config_recorder::recorded(&job.options.last_applied, &job.name);
    let live = aws::read_target(&clients, &request).await?;
    let plan = plan::plan_target(&job.name, &refs, &live, &job.options);
    Ok(TargetPlanned {
        clients,
        live,
        plan,
        resolved,
    })
}

/// One target's plan, and its resources whose `${target.*}` values were resolved
/// only now (apply writes those, not the templates).
struct TargetPlanned {
    clients: Clients,
    live: LiveTarget,
    plan: TargetPlan,
    resolved: Vec<Resource>,
}

/// Why one target could not be planned.
enum TargetFailure {
    Aws(AwsError),
    /// A value resolved with facts only AWS knew broke a rule: the revision is invalid.
    Invalid(Vec<Diagnostic>),
}

impl From<AwsError> for TargetFailure {
    fn from(e: AwsError) -> TargetFailure {
        TargetFailure::Aws(e)
    }
}

/// The target's resources that still have templates, resolved with its region (from
/// the clients) and account (driftless.yaml's, else STS's, asked once).
async fn resolve_templates(
    job: &TargetJob,
    clients: &Clients,
) -> Result<Vec<Resource>, TargetFailure> {
    let templated: Vec<&Resource> = job
        .resources
        .iter()
        .filter(|r| r.template.is_some())
        .collect();
    if templated.is_empty() {
        return Ok(Vec::new());
    }
    let account = match job.config.as_ref().and_then(TargetConfig::known_account) {
        Some(account) => account,
        None => aws::sts::account(clients).await?,
    };
    let facts = TargetFacts {
        name: job.name.clone(),
        region: Some(clients.region.clone()),
        account: Some(account),
    };
    let mut resolved = Vec::new();
    let mut invalid = Vec::new();
    for r in templated {
        match spec::resolve_for_target(r, &facts) {
            Ok(r) => resolved.push(r),
            Err(diagnostics) => invalid.extend(diagnostics),
        }
    }
    if invalid.is_empty() {
        Ok(resolved)
    } else {
        Err(TargetFailure::Invalid(invalid))
    }
}
