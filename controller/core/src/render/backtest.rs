//! A change's `backtest` as one line for text and markdown: "would have fired 3 times
//! in 14 days (47 min in ALARM, first 2026-03-02T04:05:00Z); live settings: 2 times
//! (12 min in ALARM)".

use crate::plan::backtest::{Backtest, Outcome, Verdict};
use crate::plan::Change;

/// The change's backtest line, when it has one.
pub fn backtest_line(change: &Change) -> Option<String> {
    change.backtest.as_ref().map(line)
}

fn line(b: &Backtest) -> String {
    let span = span(b.days);
    let desired = match &b.desired {
        Verdict::Replayed(o) => format!(
            "would have fired {} in {span}{}",
            times(o),
            details(o, true)
        ),
        Verdict::Unsupported { unsupported } => format!("backtest: not reproduced ({unsupported})"),
    };
    match &b.live {
        None => desired,
        Some(Verdict::Replayed(o)) => {
            format!(
                "{desired}; live settings: {}{}",
                times(o),
                details(o, false)
            )
        }
        Some(Verdict::Unsupported { unsupported }) => {
            format!("{desired}; live settings: not reproduced ({unsupported})")
        }
    }
}

fn times(o: &Outcome) -> String {
    match o.fired {
        1 => "once".to_string(),
        n => format!("{n} times"),
    }
}

/// ` (47 min in ALARM, first …)`; nothing when it never fired.
fn details(o: &Outcome, with_first: bool) -> String {
    if o.fired == 0 {
        return String::new();
    }
    match (&o.first, with_first) {
        (Some(first), true) => format!(" ({} min in ALARM, first {first})", o.minutes_in_alarm),
        _ => format!(" ({} min in ALARM)", o.minutes_in_alarm),
    }
}

/// `14 days`, `1 day`, `6 hours`.
fn span(days: f64) -> String {
    let hours = (days * 24.0).round() as u64;
    match (hours % 24, hours / 24) {
        (0, 1) => "1 day".to_string(),
        (0, d) => format!("{d} days"),
        (1, 0) => "1 hour".to_string(),
        _ => format!("{hours} hours"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(fired: u32, minutes: u64) -> Verdict {
        Verdict::Replayed(Outcome {
            fired,
            minutes_in_alarm: minutes,
            first: (fired > 0).then(|| "2026-03-02T04:05:00Z".to_string()),
        })
    }

    #[test]
    fn lines() {
        let b = |days, desired, live| Backtest {
            days,
            desired,
            live,
        };
        assert_eq!(
            line(&b(14.0, outcome(3, 47), Some(outcome(2, 12)))),
            "would have fired 3 times in 14 days (47 min in ALARM, first 2026-03-02T04:05:00Z); live settings: 2 times (12 min in ALARM)"
        );
        assert_eq!(
            line(&b(0.25, outcome(0, 0), None)),
            "would have fired 0 times in 6 hours"
        );
        assert_eq!(
            line(&b(1.0, outcome(1, 5), Some(outcome(0, 0)))),
            "would have fired once in 1 day (5 min in ALARM, first 2026-03-02T04:05:00Z); live settings: 0 times"
        );
        let band = Verdict::Unsupported {
            unsupported: "the alarm compares against an anomaly detection band".into(),
        };
        assert_eq!(
            line(&b(3.0, band, Some(outcome(1, 1)))),
            "backtest: not reproduced (the alarm compares against an anomaly detection band); live settings: once (1 min in ALARM)"
        );
    }
}
