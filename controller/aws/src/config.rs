//! AWS Config: one module per resource driftless manages through it, and AWS Config's
//! own compliance results for `audit --config-results`.
//!
//! - `aggregator.rs`: ConfigurationAggregator (read with its tags, written
//!   read-modify-write, tagged, deleted).
//! - `rule.rs`, `remediation.rs`: ConfigRule with its remediation configuration.
//! - `pack.rs`: ConformancePack (read with its tags and the rules it deployed).
//! - `compliance.rs`: GetComplianceDetailsByConfigRule for deployed guardrails.
//! - `recorder.rs`: ConfigurationRecorder with its delivery channel and status.

pub mod aggregator;
pub mod compliance;
pub mod pack;
pub mod recorder;
pub mod remediation;
pub mod rule;
