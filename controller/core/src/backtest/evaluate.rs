//! One alarm evaluation as CloudWatch documents it ("Configuring how CloudWatch alarms
//! treat missing data", its two tables and "Avoiding premature transitions to alarm
//! state"), and the replay of a series of evaluations over a stretch of history.
//!
//! Each evaluation looks at the *evaluation range*: the `N + 2` most recent periods
//! (the user guide's example: 3 evaluation periods, a range of 5), oldest first:
//! - with at least N real datapoints in the range, the N most recent real ones decide
//!   (M of them breaching: ALARM) and treatMissingData is not used;
//! - with fewer, the shortfall is filled as treatMissingData says: `breaching` counts
//!   each filled point as breaching, `notBreaching` as not;
//! - `missing`: no real point at all is INSUFFICIENT_DATA; otherwise M breaching real
//!   points, or the "premature alarm" rule (the oldest breaching point of the last N
//!   periods is at least M periods old, everything newer is breaching or missing, and
//!   no real point of the range is below the threshold) is ALARM, else OK;
//! - `ignore` is `missing` except that where `missing` would go to INSUFFICIENT_DATA or
//!   to ALARM through the premature rule, the state stays what it was.

use crate::spec::alarm::TreatMissingData;

/// An alarm's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Ok,
    Alarm,
    InsufficientData,
}

/// One period's datapoint, compared with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    Breaching,
    Fine,
    Missing,
}

/// The evaluation settings: N evaluation periods, M datapoints to alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub evaluation_periods: usize,
    pub datapoints_to_alarm: usize,
    pub treat_missing: TreatMissingData,
}

impl Rule {
    /// How many periods one evaluation looks at.
    pub fn range(&self) -> usize {
        self.evaluation_periods + 2
    }
}

/// The state after one evaluation of `range` (oldest first) from state `current`.
pub fn evaluate(range: &[Point], rule: &Rule, current: State) -> State {
    let n = rule.evaluation_periods;
    let m = rule.datapoints_to_alarm;
    let real: Vec<Point> = range
        .iter()
        .copied()
        .filter(|p| *p != Point::Missing)
        .collect();
    let breaching = |points: &[Point]| points.iter().filter(|p| **p == Point::Breaching).count();
    let verdict = |alarm: bool| if alarm { State::Alarm } else { State::Ok };
    if real.len() >= n {
        return verdict(breaching(&real[real.len() - n..]) >= m);
    }
    let shortfall = n - real.len();
    match rule.treat_missing {
        TreatMissingData::Breaching => verdict(breaching(&real) + shortfall >= m),
        TreatMissingData::NotBreaching => verdict(breaching(&real) >= m),
        TreatMissingData::Missing | TreatMissingData::Ignore => {
            let ignore = rule.treat_missing == TreatMissingData::Ignore;
            if real.is_empty() {
                return if ignore {
                    current
                } else {
                    State::InsufficientData
                };
            }
            if breaching(&real) >= m {
                return State::Alarm;
            }
            if premature(range, n, m) && !real.contains(&Point::Fine) {
                return if ignore { current } else { State::Alarm };
            }
            State::Ok
        }
    }
}

/// The oldest breaching point of the last `n` periods is at least `m` periods old and
/// nothing newer is below the threshold.
fn premature(range: &[Point], n: usize, m: usize) -> bool {
    let last = &range[range.len().saturating_sub(n)..];
    let Some(oldest) = last.iter().position(|p| *p == Point::Breaching) else {
        return false;
    };
    let age = last.len() - oldest;
    age >= m && last[oldest..].iter().all(|p| *p != Point::Fine)
}

/// What a replay found: transitions into ALARM, periods in ALARM, the first
/// transition's period (an index into the evaluations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Replayed {
    pub fired: u32,
    pub periods_in_alarm: u64,
    pub first: Option<usize>,
}

/// Evaluates once per period from `points[lookback]` on: evaluation `k` happens when
/// period `lookback + k` ends and sees the `rule.range()` periods up to and including
/// it; its state holds until the next one. The alarm starts in INSUFFICIENT_DATA, as a
/// new alarm does.
pub fn replay(points: &[Point], lookback: usize, rule: &Rule) -> Replayed {
    let mut state = State::InsufficientData;
    let mut out = Replayed::default();
    let width = rule.range();
    for k in 0..points.len().saturating_sub(lookback) {
        let end = lookback + k + 1;
        let range = &points[end.saturating_sub(width)..end];
        let next = evaluate(range, rule, state);
        if next == State::Alarm {
            out.periods_in_alarm += 1;
            if state != State::Alarm {
                out.fired += 1;
                out.first.get_or_insert(k);
            }
        }
        state = next;
    }
    out
}
