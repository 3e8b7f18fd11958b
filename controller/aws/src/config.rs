//! AWS Config: one module per resource driftless manages through it.
//!
//! - `aggregator.rs`: ConfigurationAggregator (read with its tags, written
//!   read-modify-write, tagged, deleted).

pub mod aggregator;
