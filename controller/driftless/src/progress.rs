//! Progress on the terminal for the long commands (plan, apply, import, audit): how
//! many targets have been read, how many units applied out of the total, and the time
//! left at the rate so far (which is the paced rate once pacing holds the calls back).
//!
//! Drawn by `indicatif` on stderr, and only when stderr is a terminal and
//! `--no-progress` was not given: piped or redirected output (CI logs, `--output json
//! > plan.json`) never carries a progress line, and stdout never does. Colours follow
//! `NO_COLOR`. A [`Progress`] that is not drawn is a hidden bar: counting costs nothing.

use std::io::IsTerminal;
use std::sync::OnceLock;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};

/// `--no-progress` (or the controller, which logs instead), set once by `main` before
/// a command runs.
static DISABLED: OnceLock<bool> = OnceLock::new();

/// Turns progress off for this process (`--no-progress`). Only the first call counts.
pub fn disable(disabled: bool) {
    let _ = DISABLED.set(disabled);
}

/// Whether a progress display would be drawn now: stderr is a terminal, and neither
/// `--no-progress` nor `TERM=dumb` says otherwise.
pub fn wanted() -> bool {
    !DISABLED.get().copied().unwrap_or(false)
        && std::io::stderr().is_terminal()
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

/// One command's progress: a sequence of stages (reading targets, applying units),
/// each counted out of its total. Cloning shares the display.
#[derive(Clone, Debug)]
pub struct Progress {
    bar: ProgressBar,
}

impl Default for Progress {
    /// Counts, draws nothing.
    fn default() -> Progress {
        Progress::hidden()
    }
}

impl Progress {
    /// Counts, draws nothing (tests, the controller, non-terminal output).
    pub fn hidden() -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
        }
    }

    /// A display on stderr when [`wanted`], else hidden.
    pub fn for_command() -> Progress {
        if !wanted() {
            return Progress::hidden();
        }
        // Dropped on an early return (an error), the display is cleared, not left.
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
            .with_finish(ProgressFinish::AndClear);
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress { bar }
    }

    /// Starts a stage: `what` (e.g. "targets read") counted out of `total`.
    pub fn stage(&self, what: &str, total: usize) {
        self.bar.set_style(style(std::env::var_os("NO_COLOR").is_none()));
        self.bar.set_length(total as u64);
        self.bar.set_position(0);
        self.bar.reset_eta();
        self.bar.set_message(what.to_string());
    }

    /// One more done in the current stage.
    pub fn tick(&self) {
        self.bar.inc(1);
    }

    /// How many are done in the current stage.
    pub fn done(&self) -> u64 {
        self.bar.position()
    }

    /// Removes the display (before the command prints its result).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `⠋ [00:12] ████████░░░░  42/100 targets read, 00:17 left`.
fn template(color: bool) -> &'static str {
    if color {
        "{spinner:.cyan} [{elapsed_precise}] {bar:30.cyan/blue} {pos}/{len} {msg}, {eta} left"
    } else {
        "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}, {eta} left"
    }
}

fn style(color: bool) -> ProgressStyle {
    ProgressStyle::with_template(template(color))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("█▓░")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hidden_progress_still_counts_each_stage_from_zero() {
        let p = Progress::hidden();
        p.stage("targets read", 3);
        p.tick();
        p.tick();
        assert_eq!(p.done(), 2);
        p.stage("units applied", 5);
        assert_eq!(p.done(), 0);
        p.tick();
        assert_eq!(p.done(), 1);
    }

    #[test]
    fn both_templates_parse() {
        for color in [true, false] {
            assert!(
                ProgressStyle::with_template(template(color)).is_ok(),
                "template (color: {color})"
            );
        }
    }
}
