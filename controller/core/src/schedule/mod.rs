//! Schedules of a repository: when its maintenance windows and backup rules run,
//! exactly as AWS reads their expressions. Pure like the rest of the core: "now" is
//! always passed in, never read from a clock.
//!
//! The evaluator itself is [`crate::timing`] (AWS's cron on croner, zones, offsets,
//! active periods), which depends on nothing else in the crate, so validation
//! (`spec::rules::schedule`) uses it too: what validates is what is shown. This
//! module applies it to specs: [`calendar`] lists every run of the windows and backup
//! rules, [`overlap`] finds backups running while a window works on the same
//! instances, [`next_runs`] adds a plan's `nextRuns`, and [`guardrail`] evaluates
//! `maintenance-backup-overlap-check`. The decisions (daylight saving, rates, offsets,
//! what "the same instances" means) are in docs/design/schedule.md.

pub mod calendar;
pub mod guardrail;
pub mod next_runs;
pub mod overlap;
#[cfg(test)]
mod tests;

pub use crate::timing::{Expression, Start, Timing};
pub use chrono::{DateTime, Duration, Utc};

/// The instant `secs` seconds after the Unix epoch: how the binary, which reads the
/// clock, hands "now" to the core, which does not.
pub fn from_unix(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}
