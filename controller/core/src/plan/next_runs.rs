//! `nextRuns` on a plan's change: when a created or changed maintenance window or
//! backup rule will run. Only the data lives here; `crate::schedule::next_runs`
//! computes it after the plan is built, from the time it is given. It depends on that
//! time, so it takes no part in comparing a saved plan with a fresh one
//! (`saved_plan_mismatch`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The next runs of one schedule: a window's, or one backup rule's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NextRuns {
    /// The window's name, or the backup rule's.
    pub name: String,
    /// The schedule expression.
    pub rule: String,
    /// The schedule's time zone (IANA).
    pub timezone: String,
    /// RFC 3339 in the schedule's time zone (its offset says the instant).
    pub times: Vec<String>,
    /// A rate counted from now: AWS counts from when it creates the window.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub approximate: bool,
    /// For an update that moves the schedule: the runs it has before the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Box<NextRuns>>,
}
