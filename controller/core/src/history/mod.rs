//! The reconcile history as data: one [`ReconcileRecord`] per reconcile of a target,
//! and `driftless history`'s text and JSON (pure functions over those records). The
//! store that keeps them is `driftless_store::state`.
//!
//! - `record.rs`: [`ReconcileRecord`], [`ChangeRecord`], [`HistoryQuery`].
//! - `render.rs`: `driftless history` text and JSON, `--since` parsing.

mod record;
mod render;

pub use record::{
    ChangeRecord, Departure, HistoryQuery, ReconcileRecord, ReconcileResult, RevisionRecord,
};
pub use render::{
    format_rfc3339_utc, parse_rfc3339, parse_since, render_history_json, render_history_json_with,
    render_history_text, render_history_text_with, HISTORY_FORMAT_VERSION,
};
