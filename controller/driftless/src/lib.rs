//! driftless: ops-as-code for AWS operations, reconciled from git.
//!
//! The desired state flows one way: source → spec → plan → apply; the controller is a
//! loop around that path. This crate is the top layer (engine, reconcile, apply,
//! controller, command line); it re-exports the lower layers under the paths every
//! command and test uses (`driftless::spec`, `driftless::aws`, `driftless::state`, ...).
//! See ARCHITECTURE.md for the code map and the invariants.

pub use driftless_aws as aws;
pub use driftless_core::{history, iam, live, plan, render, schedule, spec};
pub use driftless_store::{source, state};

pub mod apply;
pub mod attribution;
pub mod audit;
pub mod backtest;
pub mod cli;
pub mod controller;
pub mod engine;
pub mod import;
pub mod organization;
pub mod progress;
pub mod reconcile;
pub mod validate;
