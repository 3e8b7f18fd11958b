//! The guardrail audit after each reconcile: the target's whole live estate evaluated
//! as `driftless audit` does, into `/status` and `/metrics`, and its violations for
//! the notifier.

use std::collections::BTreeMap;

use super::{Reconciler, Revision};
use crate::audit::ResourceEvaluation;
use crate::engine::Planned;

/// One audit's results for `/status` and `/metrics`.
#[derive(Default)]
struct Audited {
    /// Rule → live resources breaking it.
    counts: BTreeMap<String, usize>,
    /// Rule → resources AWS Config judges otherwise.
    disagreements: BTreeMap<String, usize>,
    findings: Vec<ResourceEvaluation>,
    /// Findings beyond `findings`.
    omitted: usize,
}

impl Reconciler {
    /// Evaluates the guardrails on the target's whole live estate (as
    /// `driftless audit`); returns the violations (`<rule> Kind/name`) for the
    /// notifier. A failed read is logged, leaves the last results, and returns
    /// `None`; without guardrails the last results are cleared and it returns `None`.
    pub(super) async fn audit_guardrails(
        &self,
        revision: &Revision,
        planned: &Planned,
        target: &str,
    ) -> Option<Vec<String>> {
        let guardrails = &revision.loaded.state.config.guardrails;
        if guardrails.is_empty() {
            // Guardrails removed from driftless.yaml: their last results go too.
            self.publish_audit(target, Audited::default());
            return None;
        }
        let clients = planned.clients.get(target)?;
        let mut evaluations =
            match crate::audit::audit_target(clients, &revision.loaded, target).await {
                Ok(e) => e,
                Err(e) => {
                    tracing::warn!(error = %e, "the guardrail audit failed");
                    return None;
                }
            };
        let disagreements = self
            .config_disagreements(clients, guardrails, target, &mut evaluations)
            .await;
        let violations = evaluations
            .iter()
            .filter(|e| e.compliance == crate::audit::Compliance::NonCompliant)
            .map(|e| format!("{} {}/{}", e.rule.as_str(), e.kind, e.name))
            .collect();
        let counts = crate::audit::non_compliant_by_rule(guardrails, &evaluations);
        let breaking: usize = counts.values().sum();
        if breaking > 0 {
            tracing::warn!(non_compliant = breaking, "live resources break guardrails");
        }
        let (findings, omitted) = crate::audit::findings(&evaluations, crate::audit::FINDINGS_KEPT);
        self.publish_audit(
            target,
            Audited {
                counts,
                disagreements,
                findings,
                omitted,
            },
        );
        Some(violations)
    }

    /// A target's audit results into `/metrics` and `/status` (replacing its last).
    fn publish_audit(&self, target: &str, audited: Audited) {
        {
            let mut metrics = self.metrics();
            metrics
                .guardrail_non_compliant
                .retain(|(t, _), _| t != target);
            for (rule, n) in &audited.counts {
                metrics
                    .guardrail_non_compliant
                    .insert((target.to_string(), rule.clone()), *n);
            }
            metrics
                .guardrail_config_disagreements
                .retain(|(t, _), _| t != target);
            for (rule, n) in &audited.disagreements {
                metrics
                    .guardrail_config_disagreements
                    .insert((target.to_string(), rule.clone()), *n);
            }
        }
        let mut status = self.status();
        let entry = status.targets.entry(target.to_string()).or_default();
        entry.guardrail_non_compliant = audited.counts;
        entry.guardrail_config_disagreements = audited.disagreements;
        entry.guardrail_findings = audited.findings;
        entry.guardrail_findings_omitted = audited.omitted;
    }

    /// AWS Config's results of the deployed guardrails (`deploy: true`) set on the
    /// evaluations; the disagreements per rule (every deployed rule present). A failed
    /// read is logged and counts nothing.
    async fn config_disagreements(
        &self,
        clients: &crate::aws::Clients,
        guardrails: &[crate::spec::guardrail::Guardrail],
        target: &str,
        evaluations: &mut [crate::audit::ResourceEvaluation],
    ) -> BTreeMap<String, usize> {
        let deployed: Vec<_> = guardrails
            .iter()
            .filter(|g| g.deploy)
            .map(|g| g.rule)
            .collect();
        let mut out: BTreeMap<String, usize> = deployed
            .iter()
            .map(|r| (r.as_str().to_string(), 0))
            .collect();
        if deployed.is_empty() {
            return out;
        }
        match crate::audit::rule_results(clients, target, &deployed).await {
            Ok(results) => {
                for d in crate::audit::merge_config_results(evaluations, &results) {
                    *out.entry(d.rule.as_str().to_string()).or_default() += 1;
                }
            }
            Err(e) => tracing::warn!(error = %e, "reading AWS Config's results failed"),
        }
        out
    }
}
