//! Schedules: when maintenance windows and backup rules run, exactly as AWS reads
//! their expressions. Pure like the rest of the core: "now" is always passed in,
//! never read from a clock.
//!
//! [`cron`] evaluates AWS's six-field cron (on croner), [`timing`] turns an
//! expression with its zone, offset and active period into instants, [`calendar`]
//! lists every run of a repository's windows and backup rules, [`overlap`] finds
//! backups running while a window on the same instances does, [`next_runs`] adds a
//! plan's `nextRuns`, and [`guardrail`] is `maintenance-backup-overlap-check`.
//! Validation (`spec::rules::schedule`) uses the same evaluator, so what validates is
//! what is shown. The decisions (daylight saving, rates, offsets) are in
//! docs/design/schedule.md.

pub mod cron;
#[cfg(test)]
mod tests;
pub mod timing;

pub use chrono::{DateTime, Utc};
pub use timing::{Expression, Start, Timing};
