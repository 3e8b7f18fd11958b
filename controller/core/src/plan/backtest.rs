//! `backtest` on a plan's change: how often a created or changed metric alarm would
//! have fired on its history (`plan --backtest`). Only the data lives here;
//! `crate::backtest` computes it after the plan is built. It depends on the time the
//! plan was made, so it takes no part in comparing a saved plan with a fresh one
//! (`saved_plan_mismatch`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A change's `backtest`: how often the alarm would have fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Backtest {
    /// The stretch of history replayed, in days.
    pub days: f64,
    pub desired: Verdict,
    /// The live settings' replay (absent on a create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<Verdict>,
}

/// A replay's result, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Verdict {
    Replayed(Outcome),
    Unsupported { unsupported: String },
}

/// What a replay found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// Transitions into ALARM.
    pub fired: u32,
    pub minutes_in_alarm: u64,
    /// The first transition into ALARM (RFC 3339, UTC), null when none.
    pub first: Option<String>,
}
