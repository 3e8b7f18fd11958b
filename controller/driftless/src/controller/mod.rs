//! The GitOps controller (`driftless run`): a loop around the same plan/apply engine
//! (invariant 8). `scheduler.rs` decides when (a source task and a queue per target,
//! tested on tokio's paused clock); `run.rs` does the work (fetch and validate; plan,
//! apply and record one target). The pure parts are tested on their own: webhook
//! signatures, per-target status and conditions, error classification and backoff,
//! Prometheus metrics, the notifications' dedup, and which targets a shard owns
//! (`shard.rs`); `http.rs` serves status, health, metrics and the webhook.

pub mod admin;
pub mod backoff;
pub mod http;
pub mod metrics;
pub mod notify;
pub mod run;
pub mod scheduler;
pub mod shard;
pub mod status;
pub mod webhook;
