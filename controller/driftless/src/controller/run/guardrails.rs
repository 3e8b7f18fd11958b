//! The guardrail audit after each reconcile: the target's whole live estate evaluated
//! as `driftless audit` does, into `/status` and `/metrics`, and its violations for
//! the notifier.

use super::{Reconciler, Revision};
use crate::engine::Planned;

impl Reconciler {
    /// Evaluates the guardrails on the target's whole live estate (as
    /// `driftless audit`); returns the violations (`<rule> Kind/name`) for the
    /// notifier. A failed read is logged, leaves the last results, and returns
    /// `None`, as does having no guardrails.
    pub(super) async fn audit_guardrails(
        &self,
        revision: &Revision,
        planned: &Planned,
        target: &str,
    ) -> Option<Vec<String>> {
        let guardrails = &revision.loaded.state.config.guardrails;
        let clients = planned
            .clients
            .get(target)
            .filter(|_| !guardrails.is_empty())?;
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
        {
            let mut metrics = self.metrics();
            metrics
                .guardrail_non_compliant
                .retain(|(t, _), _| t != target);
            for (rule, n) in &counts {
                metrics
                    .guardrail_non_compliant
                    .insert((target.to_string(), rule.clone()), *n);
            }
            metrics
                .guardrail_config_disagreements
                .retain(|(t, _), _| t != target);
            for (rule, n) in &disagreements {
                metrics
                    .guardrail_config_disagreements
                    .insert((target.to_string(), rule.clone()), *n);
            }
        }
        let mut status = self.status();
        let entry = status.targets.entry(target.to_string()).or_default();
        entry.guardrail_non_compliant = counts;
        entry.guardrail_config_disagreements = disagreements;
        Some(violations)
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
    ) -> std::collections::BTreeMap<String, usize> {
        let deployed: Vec<_> = guardrails
            .iter()
            .filter(|g| g.deploy)
            .map(|g| g.rule)
            .collect();
        let mut out: std::collections::BTreeMap<String, usize> = deployed
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
