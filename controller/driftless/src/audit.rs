//! `driftless audit`: the guardrails of driftless.yaml evaluated on the live estate,
//! the way AWS Config reports its evaluations (COMPLIANT / NON_COMPLIANT per rule and
//! resource).
//!
//! Every live resource of the guardrails' kinds is read in each selected target,
//! owned or not (`aws::read_every`: the plan's readers in their "every resource"
//! mode, batched the same way), and each guardrail is evaluated on it with the same
//! functions `validate` uses on documents (`crate::spec::guardrail`). Reading is the only
//! I/O; `driftless_core::audit::evaluate_target` is pure. Owned resources point at their spec file.
//!
//! A target whose read fails (credentials, a role that cannot be assumed, access
//! denied) is reported in [`Audit::errors`], as `plan` reports it, and the other
//! targets are audited as usual.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::Semaphore;

pub use driftless_core::audit::*;

use crate::aws::{self, AwsError, AwsOptions, Clients};
use crate::engine::{EngineError, MAX_CONCURRENT_TARGETS};
use crate::plan::TargetError;
use crate::spec::config::DEFAULT_TARGET;
use crate::spec::guardrail::RuleName;
use crate::spec::Resource;
use crate::validate::Loaded;

/// Reads every selected target's live resources of the guardrails' kinds and
/// evaluates the guardrails on them.
pub async fn audit(
    loaded: &Loaded,
    targets: &[String],
    options: &AwsOptions,
    config_results: bool,
) -> Result<Audit, EngineError> {
    let config = &loaded.state.config;
    // Targets or groups, as for plan.
    let selected = config.select_targets(targets)?;
    let kinds = live_kinds(&config.guardrails);
    let deployed: Vec<RuleName> = config
        .guardrails
        .iter()
        .filter(|g| g.deploy && config_results)
        .map(|g| g.rule)
        .collect();
    let progress = crate::progress::Progress::for_command();
    progress.stage("targets read", selected.len());
    let limit = Arc::new(Semaphore::new(MAX_CONCURRENT_TARGETS));
    let mut tasks = tokio::task::JoinSet::new();
    for name in &selected {
        let target_config = config.target(name).cloned();
        let (name, options, kinds, limit, deployed) = (
            name.clone(),
            options.clone(),
            kinds.clone(),
            limit.clone(),
            deployed.clone(),
        );
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let read = read_target(&name, target_config.as_ref(), &options, &kinds, &deployed);
            let read = read.await;
            (name, read)
        });
    }
    let mut evaluations = Vec::new();
    let mut errors = Vec::new();
    let mut results = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        progress.tick();
        let (name, read) = joined.map_err(|e| AwsError::Setup {
            target: DEFAULT_TARGET.into(),
            message: format!("a read task failed: {e}"),
            hint: "this is a bug in driftless; please report it".into(),
        })?;
        let live = match read {
            Ok((live, target_results)) => {
                results.extend(target_results);
                live
            }
            Err(e) => {
                errors.push(TargetError {
                    target: name,
                    message: e.detail(),
                    hint: e.hint(),
                });
                continue;
            }
        };
        evaluations.extend(evaluate(loaded, &name, &live));
    }
    errors.sort_by(|a, b| a.target.cmp(&b.target));
    let mut audit = Audit::new(
        &loaded.revision,
        selected,
        config.guardrails.len(),
        evaluations,
    );
    audit.errors = errors;
    if config_results {
        audit.disagreements = Some(merge_config_results(&mut audit.evaluations, &results));
    }
    Ok(audit)
}

/// The guardrails of `loaded` on one target's live resources.
fn evaluate(
    loaded: &Loaded,
    target: &str,
    live: &crate::live::LiveTarget,
) -> Vec<ResourceEvaluation> {
    let config = &loaded.state.config;
    let desired: Vec<&Resource> = loaded
        .state
        .resources
        .iter()
        .filter(|r| r.targets.iter().any(|t| t == target))
        .collect();
    evaluate_target(
        target,
        &config.guardrails,
        live,
        &desired,
        config.instance(),
    )
}

/// One target's live resources of `kinds`, and AWS Config's results of the `deployed`
/// guardrails' rules there.
async fn read_target(
    name: &str,
    target: Option<&crate::spec::config::TargetConfig>,
    options: &AwsOptions,
    kinds: &std::collections::BTreeSet<crate::spec::Kind>,
    deployed: &[RuleName],
) -> Result<
    (
        crate::live::LiveTarget,
        BTreeMap<(String, RuleName), ConfigResults>,
    ),
    AwsError,
> {
    let clients = Clients::for_target(name, target, options).await?;
    let live = aws::read_every(&clients, kinds).await?;
    let results = rule_results(&clients, name, deployed).await?;
    Ok((live, results))
}

/// AWS Config's results of each of `rules` (the deployed guardrails) in `target`.
pub async fn rule_results(
    clients: &Clients,
    target: &str,
    rules: &[RuleName],
) -> Result<BTreeMap<(String, RuleName), ConfigResults>, AwsError> {
    let mut out = BTreeMap::new();
    for rule in rules {
        let results = aws::config::compliance::by_rule(clients, rule.as_str()).await?;
        out.insert((target.to_string(), *rule), results);
    }
    Ok(out)
}
/// One target's evaluations with clients already built (the controller's resync).
pub async fn audit_target(
    clients: &Clients,
    loaded: &Loaded,
    target: &str,
) -> Result<Vec<ResourceEvaluation>, AwsError> {
    let config = &loaded.state.config;
    let live = aws::read_every(clients, &live_kinds(&config.guardrails)).await?;
    Ok(evaluate(loaded, target, &live))
}

/// How `driftless audit` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

/// What `driftless audit` prints, whether anything is non-compliant (exit 2), and
/// whether a target could not be read (exit 1, which wins).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub output: String,
    pub non_compliant: bool,
    pub failed: bool,
}

/// The `driftless audit` command: load the source (refused like any command when it
/// is invalid), audit the selected targets, render.
pub async fn run(
    location: &crate::source::SourceLocation,
    state_dir: &std::path::Path,
    targets: &[String],
    options: &AwsOptions,
    format: Format,
    config_results: bool,
) -> Result<Outcome, EngineError> {
    let snapshot = crate::source::read_source(location, state_dir)
        .await
        .map_err(|e| EngineError::Load(crate::validate::LoadError::Source(e)))?;
    let loaded = crate::validate::load_snapshot(snapshot)?;
    let loaded = crate::organization::enroll(loaded, options).await?.loaded;
    let audit = audit(&loaded, targets, options, config_results).await?;
    let output = match format {
        Format::Text => crate::render::audit::text(&audit),
        Format::Json => crate::render::audit::json(&audit),
        Format::Markdown => crate::render::audit::markdown(&audit),
    };
    Ok(Outcome {
        output,
        non_compliant: audit.summary.non_compliant > 0,
        failed: !audit.errors.is_empty(),
    })
}
