//! The controller's dashboard as HTML: pure functions from view models to strings,
//! every value escaped on the way out ([`esc`]). The binary (`controller::ui`) reads
//! status, history and the schedule and fills the views; nothing here reads a clock,
//! a file or a request.
//!
//! Pages work without JavaScript (filters and search are a GET form the server
//! answers), carry no inline script or style (the Content-Security-Policy allows only
//! `'self'`), and link only to paths of driftless itself: `/ui/app.js` refreshes the
//! live part of a page (`<main id="live">`) when JavaScript is on.

mod chart;
mod home;
mod page;
mod schedule;
mod target;
#[cfg(test)]
mod tests;

pub use chart::{drift_chart, durations_chart, DayDrift};
pub use home::{home, Filter, HomeView, RevisionView, SourceView, TargetRow, TargetState};
pub use page::{esc, layout, login, query_pairs, too_many, Nav};
pub use schedule::schedule;
pub use target::{target, DriftView, FailureView, FieldView, ReconcileView, TargetView};
