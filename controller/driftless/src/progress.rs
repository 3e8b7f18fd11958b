//! Progress on the terminal for the long commands (plan, apply, import, audit): how
//! many targets have been read, how many units applied out of the total, and the time
//! left at the rate so far (which is the paced rate once pacing holds the calls back).
//!
//! Drawn by `indicatif` on stderr, and only when stderr is a terminal and
//! `--no-progress` was not given: piped or redirected output (CI logs, `--output json
//! > plan.json`) never carries a progress line, and stdout never does. Colours follow
//! `NO_COLOR`. A [`Progress`] that is not drawn is a hidden bar: counting costs nothing.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex, OnceLock};
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
/// each counted out of its total on a display of its own. Cloning shares it.
#[derive(Clone, Debug)]
pub struct Progress {
    /// Whether stages are drawn (else they only count).
    visible: bool,
    bar: Arc<Mutex<ProgressBar>>,
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
            visible: false,
            bar: Arc::new(Mutex::new(ProgressBar::hidden())),
        }
    }

    /// A display on stderr when [`wanted`], else hidden.
    pub fn for_command() -> Progress {
        Progress {
            visible: wanted(),
            ..Progress::hidden()
        }
    }

    /// Starts a stage: `what` (e.g. "targets read") counted out of `total`; the
    /// previous stage's display is cleared.
    pub fn stage(&self, what: &str, total: usize) {
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden())
            .with_style(style(std::env::var_os("NO_COLOR").is_none()))
            .with_message(what.to_string())
            // Dropped on an early return (an error), the display is cleared, not left.
            .with_finish(ProgressFinish::AndClear);
        if self.visible {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        let previous = std::mem::replace(&mut *self.lock(), bar);
        previous.finish_and_clear();
    }

    /// One more done in the current stage.
    pub fn tick(&self) {
        self.lock().inc(1);
    }

    /// How many are done in the current stage.
    pub fn done(&self) -> u64 {
        self.lock().position()
    }

    /// Removes the display (before the command prints its result).
    pub fn finish(&self) {
        self.lock().finish_and_clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ProgressBar> {
        self.bar.lock().unwrap_or_else(|e| e.into_inner())
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
