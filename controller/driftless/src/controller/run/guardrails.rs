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
        let evaluations = match crate::audit::audit_target(clients, &revision.loaded, target).await
        {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e, "the guardrail audit failed");
                return None;
            }
        };
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
        }
        self.status()
            .targets
            .entry(target.to_string())
            .or_default()
            .guardrail_non_compliant = counts;
        Some(violations)
    }
}
