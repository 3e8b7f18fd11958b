//! The pure half of `driftless import`: live resources turned into spec documents.
//!
//! - `write.rs`: one file per kind and target from what was read, with the notes on
//!   what is left out (resources driftless owns already, AWS's own, values the format
//!   cannot represent).
//! - `emit.rs`: YAML emission of those documents.
//!
//! Reading the live estate is the binary crate's `import` module.

pub mod emit;
pub mod write;

use crate::spec::Kind;

/// The kinds import can write (every kind with live resources of its own).
pub const IMPORTABLE: &[Kind] = &[
    Kind::MetricAlarm,
    Kind::LogGroup,
    Kind::PatchBaseline,
    Kind::MaintenanceWindow,
    Kind::BackupVault,
    Kind::BackupPlan,
    Kind::MetricFilter,
    Kind::CompositeAlarm,
    Kind::ConfigurationAggregator,
    Kind::ConfigRule,
    Kind::Association,
    Kind::ConformancePack,
    Kind::ConfigurationRecorder,
];
