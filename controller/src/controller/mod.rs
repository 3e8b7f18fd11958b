//! The GitOps controller (`driftless run`): a loop around the same plan/apply engine
//! (invariant 8). The parts done so far are pure and tested on their own: webhook
//! signatures, per-target status and conditions, error classification and backoff,
//! and Prometheus metrics. The reconcile loop, scheduling, the git source and the HTTP
//! server that tie them together are the rest of the controller issue.

pub mod backoff;
pub mod metrics;
pub mod status;
pub mod webhook;
