//! Counts of AWS calls by service, operation and outcome (`ok` or `error`), for the
//! controller's `/metrics`: an SDK interceptor on every client feeds one process-wide
//! table, so every call is counted whichever module makes it. A call is counted once,
//! after the SDK's own retries.

use std::collections::BTreeMap;
use std::sync::Mutex;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// (service, operation, outcome) → calls.
pub type CallTable = BTreeMap<(String, String, String), u64>;

static CALLS: Mutex<CallTable> = Mutex::new(BTreeMap::new());

/// The interceptor: add it to a client's config (see `Clients::from_sdk_config`).
#[derive(Debug, Clone, Copy, Default)]
pub struct CountCalls;

impl Intercept for CountCalls {
    fn name(&self) -> &'static str {
        "driftless::CountCalls"
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(meta) = cfg.load::<Metadata>() else {
            return Ok(());
        };
        let outcome = match context.output_or_error() {
            Some(Ok(_)) => "ok",
            _ => "error",
        };
        count(meta.service(), meta.name(), outcome);
        Ok(())
    }
}

fn count(service: &str, operation: &str, outcome: &str) {
    let mut calls = CALLS.lock().unwrap_or_else(|e| e.into_inner());
    *calls
        .entry((
            service.to_string(),
            operation.to_string(),
            outcome.to_string(),
        ))
        .or_default() += 1;
}

/// The counts so far.
pub fn snapshot() -> CallTable {
    CALLS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}
