//! The one engine behind plan, apply and run (invariant 8): load the repository, read
//! every target's live state concurrently, and plan each target.
//!
//! This is where I/O meets the pure core: `validate` reads files, `aws` reads AWS, and
//! `plan::plan_target` decides. Targets are read concurrently (bounded), so one slow
//! region does not hold up the others' reads.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::aws::{self, AwsError, AwsOptions, ClientCache, Clients, ReadRequest};
use crate::live::LiveTarget;
use crate::plan::{self, Plan, PlanOptions, TargetPlan};
use crate::spec::config::{DEFAULT_MAX_DELETES, DEFAULT_TARGET};
use crate::spec::{Resource, ResourceSpec};
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
    /// Clients kept between plans (the controller); `None`: built for this plan.
    pub clients: Option<Arc<ClientCache>>,
    /// Look up who made each drift in CloudTrail (`crate::attribution`): `Some` with
    /// when driftless last wrote each resource (`attribution::last_applied_times`;
    /// one missing: the last 90 days); `None`: no lookups.
    pub attribution: Option<BTreeMap<String, i64>>,
}

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("unknown target `{name}`; the repository's targets are: {known}")]
    UnknownTarget { name: String, known: String },
    #[error("{0}")]
    Aws(#[from] AwsError),
}

impl EngineError {
    /// What to do next, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            EngineError::Aws(e) => e.hint(),
            _ => None,
        }
    }
}

/// A plan and everything it was made from, for apply.
#[derive(Debug, Clone)]
pub struct Planned {
    pub loaded: Loaded,
    pub plan: Plan,
    /// Live state per target, as read.
    pub live: BTreeMap<String, LiveTarget>,
    pub clients: BTreeMap<String, Clients>,
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
            ResourceSpec::LogGroup(_) => r.log_groups.insert(name),
            ResourceSpec::LogRetentionPolicy(p) => {
                r.retention_prefixes.insert(p.log_group_name_prefix.clone())
            }
            ResourceSpec::PatchBaseline(_) => r.patch_baselines.insert(name),
            ResourceSpec::MaintenanceWindow(_) => r.maintenance_windows.insert(name),
            ResourceSpec::BackupVault(_) => r.backup_vaults.insert(name),
            ResourceSpec::BackupPlan(_) => r.backup_plans.insert(name),
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
    let config = &loaded.state.config;
    let known = config.target_names();
    for t in &request.targets {
        if !known.contains(&t.as_str()) {
            return Err(EngineError::UnknownTarget {
                name: t.clone(),
                known: known.join(", "),
            });
        }
    }
    let selected: Vec<String> = known
        .iter()
        .filter(|t| request.targets.is_empty() || request.targets.iter().any(|r| r == *t))
        .map(|t| t.to_string())
        .collect();
    let options = PlanOptions {
        instance: config.instance().to_string(),
        prune: request.prune || config.prune,
        max_deletes: request
            .max_deletes
            .or(config.max_deletes)
            .unwrap_or(DEFAULT_MAX_DELETES),
        allow_empty: request.allow_empty,
        last_applied: request.last_applied.clone(),
    };
    let limit = Arc::new(Semaphore::new(MAX_CONCURRENT_TARGETS));
    let mut tasks = tokio::task::JoinSet::new();
    for name in &selected {
        let target_config = config.targets.iter().find(|t| &t.name == name).cloned();
        let resources: Vec<Resource> = loaded
            .state
            .resources
            .iter()
            .filter(|r| r.targets.iter().any(|t| t == name))
            .cloned()
            .collect();
        let (name, aws_options, options, limit, cache) = (
            name.clone(),
            request.aws.clone(),
            options.clone(),
            limit.clone(),
            request.clients.clone(),
        );
        let attribution = request.attribution.clone();
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let clients = match &cache {
                Some(cache) => {
                    cache
                        .get(&name, target_config.as_ref(), &aws_options)
                        .await?
                }
                None => Clients::for_target(&name, target_config.as_ref(), &aws_options).await?,
            };
            let refs: Vec<&Resource> = resources.iter().collect();
            let live = aws::read_target(&clients, &read_request(&options.instance, &refs)).await?;
            let mut plan = plan::plan_target(&name, &refs, &live, &options);
            if let Some(since) = &attribution {
                crate::attribution::attribute(&clients, &mut plan, &live, since).await;
            }
            Ok::<(String, Clients, LiveTarget, TargetPlan), AwsError>((name, clients, live, plan))
        });
    }
    let mut plans = Vec::new();
    let mut live = BTreeMap::new();
    let mut clients = BTreeMap::new();
    let mut first_error = None;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok((name, c, l, p))) => {
                plans.push(p);
                live.insert(name.clone(), l);
                clients.insert(name, c);
            }
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(join) => {
                first_error.get_or_insert(AwsError::Setup {
                    target: DEFAULT_TARGET.into(),
                    message: format!("a read task failed: {join}"),
                    hint: "this is a bug in driftless; please report it".into(),
                });
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e.into());
    }
    let mut plan = Plan::new(&loaded.revision, plans);
    plan.guardrails = loaded.state.guardrails.clone();
    Ok(Planned {
        loaded,
        plan,
        live,
        clients,
    })
}
