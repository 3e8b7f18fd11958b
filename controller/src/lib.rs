//! driftless: ops-as-code for AWS operations, reconciled from git.
//!
//! The desired state flows one way: source → spec → plan → apply; the controller is a
//! loop around that path. See ARCHITECTURE.md for the code map and the invariants.

pub mod apply;
pub mod attribution;
pub mod audit;
pub mod aws;
pub mod cli;
pub mod controller;
pub mod engine;
pub mod guardrail;
pub mod iam;
pub mod import;
pub mod live;
pub mod plan;
pub mod render;
pub mod source;
pub mod spec;
pub mod state;
pub mod validate;
