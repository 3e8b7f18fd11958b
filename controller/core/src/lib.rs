//! driftless-core: the pure layer of driftless. Everything here is a function of its
//! inputs: no async runtime, no AWS SDK, no git, no database, no network (a test in
//! `tests/it/layers.rs` fails if this crate gains such a dependency).
//!
//! - `spec`: the YAML format, its validation and the guardrails (`spec::guardrail`);
//! - `live`: live resources read into the spec types;
//! - `plan`: normalisation and field-by-field diff of desired against live;
//! - `render`: plans and audits as text, JSON and markdown;
//! - `history`: reconcile records and `driftless history`'s rendering;
//! - `audit`: the guardrails' verdicts on live resources;
//! - `iam`: the table of every AWS call driftless makes and the IAM policy built from it;
//! - `import`: live resources written as spec documents;
//! - `notify`: the notifications' wording and dedup machine (the senders are I/O);
//! - `pacing`: the adaptive request rate of one (account, Region, operation) bucket;
//! - `timing`: AWS schedule expressions evaluated (cron on croner, zones, offsets);
//! - `schedule`: when a repository's windows and backup rules run, overlaps, `nextRuns`;
//! - `backtest`: metric alarms replayed on their history (`plan --backtest`).
//!
//! See ARCHITECTURE.md for the map of every crate.

pub mod audit;
pub mod backtest;
pub mod history;
pub mod iam;
pub mod import;
pub mod live;
pub mod notify;
pub mod pacing;
pub mod plan;
pub mod render;
pub mod schedule;
pub mod spec;
pub mod timing;
