//! `driftless audit`: the guardrails of driftless.yaml evaluated on the live estate,
//! the way AWS Config reports its evaluations (COMPLIANT / NON_COMPLIANT per rule and
//! resource).
//!
//! Every live resource of the guardrails' kinds is read in each selected target,
//! owned or not (`aws::read_every`: the plan's readers in their "every resource"
//! mode, batched the same way), and each guardrail is evaluated on it with the same
//! functions `validate` uses on documents (`crate::guardrail`). Reading is the only
//! I/O; [`evaluate_target`] is pure. Owned resources point at their spec file.
//!
//! A target whose read fails (credentials, a role that cannot be assumed, access
//! denied) is reported in [`Audit::errors`], as `plan` reports it, and the other
//! targets are audited as usual.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::Semaphore;

use crate::aws::{self, AwsError, AwsOptions, Clients};
use crate::engine::{EngineError, MAX_CONCURRENT_TARGETS};
use crate::guardrail::{Enforcement, Evaluation, Guardrail, RuleName, Subject};
use crate::live::{Live, LiveTarget, Tagged};
use crate::plan::TargetError;
use crate::spec::config::DEFAULT_TARGET;
use crate::spec::{Kind, Resource};
use crate::validate::Loaded;

/// AWS Config's compliance types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Compliance {
    Compliant,
    NonCompliant,
}

impl Compliance {
    pub fn as_str(self) -> &'static str {
        match self {
            Compliance::Compliant => "COMPLIANT",
            Compliance::NonCompliant => "NON_COMPLIANT",
        }
    }
}

/// One rule's verdict on one live resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceEvaluation {
    pub target: String,
    pub rule: RuleName,
    pub enforcement: Enforcement,
    pub kind: Kind,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    pub compliance: Compliance,
    /// Why it is non-compliant (AWS Config's annotation), one entry per finding.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<String>,
    /// Whether this driftless instance owns the resource.
    pub owned: bool,
    /// `path:line` of the document that manages it, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
}

/// Counts over every evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditSummary {
    pub compliant: usize,
    pub non_compliant: usize,
}

/// The result of `driftless audit`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Audit {
    pub format_version: u32,
    pub revision: String,
    /// The targets audited, in order.
    pub targets: Vec<String>,
    /// How many guardrails driftless.yaml has.
    pub guardrails: usize,
    pub summary: AuditSummary,
    /// Sorted by target, rule, kind and name.
    pub evaluations: Vec<ResourceEvaluation>,
    /// Targets that could not be read (none of their resources are evaluated), in
    /// order; as `plan`'s `errors`.
    #[serde(default)]
    pub errors: Vec<TargetError>,
}

impl Audit {
    pub fn new(
        revision: &str,
        targets: Vec<String>,
        guardrails: usize,
        mut evaluations: Vec<ResourceEvaluation>,
    ) -> Audit {
        evaluations.sort_by(|a, b| {
            (&a.target, a.rule, a.kind, &a.name).cmp(&(&b.target, b.rule, b.kind, &b.name))
        });
        let non_compliant = evaluations
            .iter()
            .filter(|e| e.compliance == Compliance::NonCompliant)
            .count();
        Audit {
            format_version: 1,
            revision: revision.to_string(),
            targets,
            guardrails,
            summary: AuditSummary {
                compliant: evaluations.len() - non_compliant,
                non_compliant,
            },
            evaluations,
            errors: Vec::new(),
        }
    }

    /// Whether `target` failed to be read.
    pub fn failed(&self, target: &str) -> bool {
        self.errors.iter().any(|e| e.target == target)
    }
}

/// The kinds of live resources the guardrails look at.
pub fn live_kinds(guardrails: &[Guardrail]) -> BTreeSet<Kind> {
    guardrails
        .iter()
        .flat_map(|g| g.kinds())
        .filter(|k| *k != Kind::LogRetentionPolicy)
        .collect()
}

/// Reads every selected target's live resources of the guardrails' kinds and
/// evaluates the guardrails on them.
pub async fn audit(
    loaded: &Loaded,
    targets: &[String],
    options: &AwsOptions,
) -> Result<Audit, EngineError> {
    let config = &loaded.state.config;
    // Targets or groups, as for plan.
    let selected = crate::engine::select_targets(config, targets)?;
    let kinds = live_kinds(&config.guardrails);
    let limit = Arc::new(Semaphore::new(MAX_CONCURRENT_TARGETS));
    let mut tasks = tokio::task::JoinSet::new();
    for name in &selected {
        let target_config = config.targets.iter().find(|t| &t.name == name).cloned();
        let (name, options, kinds, limit) =
            (name.clone(), options.clone(), kinds.clone(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let read = async {
                let clients = Clients::for_target(&name, target_config.as_ref(), &options).await?;
                aws::read_every(&clients, &kinds).await
            };
            let read = read.await;
            (name, read)
        });
    }
    let mut evaluations = Vec::new();
    let mut errors = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (name, read) = joined.map_err(|e| AwsError::Setup {
            target: DEFAULT_TARGET.into(),
            message: format!("a read task failed: {e}"),
            hint: "this is a bug in driftless; please report it".into(),
        })?;
        let live = match read {
            Ok(live) => live,
            Err(e) => {
                errors.push(TargetError {
                    target: name,
                    message: e.detail(),
                    hint: e.hint(),
                });
                continue;
            }
        };
        let desired: Vec<&Resource> = loaded
            .state
            .resources
            .iter()
            .filter(|r| r.targets.contains(&name))
            .collect();
        evaluations.extend(evaluate_target(
            &name,
            &config.guardrails,
            &live,
            &desired,
            config.instance(),
        ));
    }
    errors.sort_by(|a, b| a.target.cmp(&b.target));
    let mut audit = Audit::new(
        &loaded.revision,
        selected,
        config.guardrails.len(),
        evaluations,
    );
    audit.errors = errors;
    Ok(audit)
}
/// One target's evaluations with clients already built (the controller's resync).
pub async fn audit_target(
    clients: &Clients,
    loaded: &Loaded,
    target: &str,
) -> Result<Vec<ResourceEvaluation>, AwsError> {
    let config = &loaded.state.config;
    let live = aws::read_every(clients, &live_kinds(&config.guardrails)).await?;
    let desired: Vec<&Resource> = loaded
        .state
        .resources
        .iter()
        .filter(|r| r.targets.iter().any(|t| t == target))
        .collect();
    Ok(evaluate_target(
        target,
        &config.guardrails,
        &live,
        &desired,
        config.instance(),
    ))
}

/// Non-compliant resources per rule (every rule of `guardrails` present, 0 included),
/// for status and metrics.
pub fn non_compliant_by_rule(
    guardrails: &[Guardrail],
    evaluations: &[ResourceEvaluation],
) -> BTreeMap<String, usize> {
    let mut out: BTreeMap<String, usize> = guardrails
        .iter()
        .map(|g| (g.rule.as_str().to_string(), 0))
        .collect();
    for e in evaluations
        .iter()
        .filter(|e| e.compliance == Compliance::NonCompliant)
    {
        *out.entry(e.rule.as_str().to_string()).or_default() += 1;
    }
    out
}

/// A live resource as the guardrails see it.
struct LiveSubject<'a> {
    kind: Kind,
    name: &'a str,
    arn: Option<&'a str>,
    owned: bool,
    subject: Subject<'a>,
}

fn subject<'a, S: Tagged>(
    kind: Kind,
    live: &'a Live<S>,
    instance: &str,
    subject: Subject<'a>,
) -> LiveSubject<'a> {
    LiveSubject {
        kind,
        name: &live.name,
        arn: live.arn.as_deref(),
        owned: live.owned_by(instance),
        subject,
    }
}

fn subjects<'a>(live: &'a LiveTarget, instance: &str) -> Vec<LiveSubject<'a>> {
    let mut out = Vec::new();
    for a in &live.alarms {
        out.push(subject(
            Kind::MetricAlarm,
            a,
            instance,
            Subject::MetricAlarm(&a.spec),
        ));
    }
    for g in &live.log_groups {
        out.push(subject(
            Kind::LogGroup,
            g,
            instance,
            Subject::LogGroup(&g.spec),
        ));
    }
    for b in &live.patch_baselines {
        out.push(subject(
            Kind::PatchBaseline,
            b,
            instance,
            Subject::PatchBaseline(&b.spec),
        ));
    }
    for w in &live.maintenance_windows {
        let s = Subject::MaintenanceWindow(&w.spec);
        out.push(subject(Kind::MaintenanceWindow, w, instance, s));
    }
    for v in &live.backup_vaults {
        let s = Subject::BackupVault(&v.vault.spec);
        out.push(subject(Kind::BackupVault, &v.vault, instance, s));
    }
    for p in &live.backup_plans {
        out.push(subject(
            Kind::BackupPlan,
            p,
            instance,
            Subject::BackupPlan(&p.spec),
        ));
    }
    out
}

/// Every guardrail on every live resource of one target. Pure.
pub fn evaluate_target(
    target: &str,
    guardrails: &[Guardrail],
    live: &LiveTarget,
    desired: &[&Resource],
    instance: &str,
) -> Vec<ResourceEvaluation> {
    let specs: BTreeMap<(Kind, &str), String> = desired
        .iter()
        .map(|r| {
            let at = format!("{}:{}", r.origin.path, r.origin.line);
            ((r.kind(), r.name()), at)
        })
        .collect();
    let subjects = subjects(live, instance);
    let mut out = Vec::new();
    for g in guardrails {
        for s in &subjects {
            let Some(evaluation) = g.evaluate(s.name, s.subject) else {
                continue;
            };
            let (compliance, annotations) = match evaluation {
                Evaluation::Compliant => (Compliance::Compliant, Vec::new()),
                Evaluation::NonCompliant(findings) => (
                    Compliance::NonCompliant,
                    findings.into_iter().map(|f| f.message).collect(),
                ),
            };
            out.push(ResourceEvaluation {
                target: target.to_string(),
                rule: g.rule,
                enforcement: g.enforcement,
                kind: s.kind,
                name: s.name.to_string(),
                arn: s.arn.map(str::to_string),
                compliance,
                annotations,
                owned: s.owned,
                spec: specs.get(&(s.kind, s.name)).cloned(),
            });
        }
    }
    out
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
    location: &crate::controller::run::SourceLocation,
    state_dir: &std::path::Path,
    targets: &[String],
    options: &AwsOptions,
    format: Format,
) -> Result<Outcome, EngineError> {
    let snapshot = crate::controller::run::read_source(location, state_dir)
        .await
        .map_err(|e| EngineError::Load(crate::validate::LoadError::Source(e)))?;
    let loaded = crate::validate::load_snapshot(snapshot)?;
    let audit = audit(&loaded, targets, options).await?;
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
