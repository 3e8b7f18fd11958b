//! The GitOps controller (`driftless run`): a loop around the same plan/apply engine
//! and the same reconcile path as `driftless apply` (invariant 8). `scheduler.rs`
//! decides when (a source task and a queue per target, tested on tokio's paused
//! clock); `run/` does the work (fetch and validate; plan one target and reconcile it
//! through [`crate::reconcile`]; status, metrics, logs and notifications). The pure
//! parts are tested on their own: webhook signatures, per-target status and
//! conditions, error classification and backoff, Prometheus metrics, which targets a
//! shard owns (`shard.rs`); the notifications' dedup machine is the core's
//! (`driftless_core::notify`), driven and sent by `notify/`. `http.rs` serves status,
//! health, metrics and the webhook; `ui/` the dashboard.

pub mod admin;
pub mod backoff;
pub mod http;
pub mod metrics;
pub mod notify;
pub mod run;
pub mod scheduler;
pub mod shard;
pub mod status;
pub mod ui;
pub mod webhook;
