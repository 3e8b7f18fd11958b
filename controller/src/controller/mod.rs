//! The GitOps controller (`driftless run`): a loop around the same plan/apply engine.
//! Today it holds the parts that are done; the reconcile loop, scheduling, status,
//! metrics and the HTTP server come with the rest of the controller issue.

pub mod webhook;
