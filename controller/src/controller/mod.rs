//! The GitOps controller (`driftless run`): a loop around the same plan/apply engine
//! (invariant 8). `run.rs` is the loop (fetch, validate, plan, apply, record, wait);
//! the pure parts are tested on their own: webhook signatures, per-target status and
//! conditions, error classification and backoff, and Prometheus metrics; `http.rs`
//! serves them with the webhook.

pub mod backoff;
pub mod http;
pub mod metrics;
pub mod notify;
pub mod run;
pub mod scheduler;
pub mod status;
pub mod webhook;
