//! Adaptive request rates: the pure state machine that paces the requests of one
//! (account, Region, operation) bucket (`driftless-aws`'s `pace.rs` holds one per
//! bucket, shared by every target of the account and Region, and does the waiting).
//!
//! The model is the AWS SDKs' adaptive retry mode (a client-side token bucket whose fill
//! rate follows TCP CUBIC: cut by β on a throttle, then grown back along a cubic curve
//! towards the rate of the last throttle and beyond it), with four changes that suit a
//! tool that knows AWS's published rates and applies hundreds of writes in a row:
//!
//! - the bucket starts at AWS's published default rate, not unlimited;
//! - before the first throttle the rate doubles every [`DOUBLING_CALLS`] calls that
//!   had to wait for it (slow start), so an account with raised quotas is found;
//! - growth is counted in calls the bucket held back, not in seconds, so a bucket
//!   nobody is waiting on does not grow (the SDK caps its rate at twice the measured
//!   send rate for the same reason), and the cycle between two probes above the last
//!   throttle is about the same number of calls at 1.5 a second as at 50;
//! - on a throttle the new ceiling is what the account let through (the successes of
//!   the last [`WINDOW_SECS`] seconds), not the rate asked for, since AWS's own bucket
//!   holds about a second's worth and hides an excess until it is empty; and one cut
//!   per congestion episode: a throttle of a request reserved before the last cut is
//!   the same episode (TCP's one reduction per window);
//! - a cut re-spaces the slots already handed out: a request still waiting for a slot
//!   taken before the cut takes a new one at the new rate ([`AdaptiveRate::is_current`])
//!   instead of going out at the old spacing, so the requests an apply has queued
//!   (eight per target, sixteen for two targets of one account) do not run into the
//!   throttle they caused.
//!
//! Times are seconds on any monotonic clock the caller chooses; nothing here reads a
//! clock, so the tests drive it with a fake one.

use std::collections::VecDeque;

/// The multiplicative decrease after a throttle once the ceiling is known (CUBIC's β;
/// TCP and the SDKs use 0.7 from the rate asked for, this uses 0.9 from the rate AWS
/// let through, which is the tighter estimate).
pub const BETA: f64 = 0.9;
/// The cut at the first throttle (the end of slow start), from the rate asked for:
/// slow start overshoots by up to the doubling, so halve, as TCP does.
pub const SLOW_START_EXIT: f64 = 0.5;
/// A later cut never goes below this share of the rate asked for, so one episode
/// whose successes were few (calls waiting for their retry) does not collapse it.
pub const MIN_CUT: f64 = 0.7;
/// The cubic's scale, per call squared (CUBIC's C is 0.4 per second cubed for a
/// window; here the curve is relative to the ceiling and counted in calls: back to
/// the ceiling after ∛((1−β)/C) ≈ 32 held-back calls, 10 % above it 32 calls later).
pub const CUBIC_SCALE: f64 = 3e-6;
/// Calls held back per doubling of the rate in slow start.
pub const DOUBLING_CALLS: f64 = 12.0;
/// The window over which the successes are counted at a throttle.
pub const WINDOW_SECS: f64 = 4.0;
/// Successes remembered for that count (bounded memory per bucket).
const RING: usize = 32;
/// No bucket is paced below this (one request every 20 s) or grown past this many
/// times its default.
pub const MIN_RATE: f64 = 0.05;
pub const MAX_GROWTH: f64 = 100.0;

/// A slot taken from the bucket: how long to wait before sending, whether the bucket
/// held the request back (only those count towards growth), and when it was taken
/// (to tell a throttle of this episode from one of the next).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reservation {
    pub wait: f64,
    pub limited: bool,
    pub at: f64,
    /// The bucket's cuts when the slot was taken: a slot of an earlier epoch is
    /// spaced for a rate the bucket has since cut.
    pub epoch: u64,
}

/// Whether the rate is still searching upwards (no throttle yet) or following CUBIC
/// around the ceiling found at the last throttle.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    SlowStart,
    Cubic { ceiling: f64, last_cut: f64 },
}

/// The adaptive bucket of one (account, Region, operation).
#[derive(Debug, Clone)]
pub struct AdaptiveRate {
    default: f64,
    rate: f64,
    phase: Phase,
    /// Held-back calls since the last cut (or the start): the growth clock.
    grown: f64,
    tokens: f64,
    at: f64,
    successes: VecDeque<f64>,
    throttles: u64,
}

impl AdaptiveRate {
    /// A bucket at AWS's published default `rate` (requests a second), full at `now`.
    pub fn new(rate: f64, now: f64) -> AdaptiveRate {
        let rate = rate.max(MIN_RATE);
        AdaptiveRate {
            default: rate,
            rate,
            phase: Phase::SlowStart,
            grown: 0.0,
            tokens: burst(rate),
            at: now,
            successes: VecDeque::with_capacity(RING),
            throttles: 0,
        }
    }

    /// The current fill rate (requests a second).
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The rate the last throttle found (`None` before any throttle).
    pub fn ceiling(&self) -> Option<f64> {
        match self.phase {
            Phase::SlowStart => None,
            Phase::Cubic { ceiling, .. } => Some(ceiling),
        }
    }

    /// Throttles that cut the rate so far.
    pub fn cuts(&self) -> u64 {
        self.throttles
    }

    /// Takes the next slot at `now` (a clock going backwards is read as no time
    /// passing). The bucket holds at most half a second's worth (at least one), so it
    /// leaves AWS's bucket, which holds about a second's worth, slack for requests
    /// that arrive closer together than they were sent.
    pub fn reserve(&mut self, now: f64) -> Reservation {
        let now = now.max(self.at);
        self.tokens = (self.tokens + (now - self.at) * self.rate).min(burst(self.rate));
        self.at = now;
        self.tokens -= 1.0;
        let wait = if self.tokens >= 0.0 {
            0.0
        } else {
            -self.tokens / self.rate
        };
        Reservation {
            wait,
            limited: wait > 0.0,
            at: now,
            epoch: self.throttles,
        }
    }

    /// Whether a slot is still spaced for the current rate: false once a throttle has
    /// cut the rate since it was taken. The caller then takes a new slot before
    /// sending (a slot whose wait is over and whose request is sent is not taken
    /// again).
    pub fn is_current(&self, reservation: &Reservation) -> bool {
        reservation.epoch == self.throttles
    }

    /// A request of `reservation` succeeded at `now`: growth (only for requests the
    /// bucket held back: demand above the rate).
    pub fn succeeded(&mut self, reservation: Reservation, now: f64) {
        if self.successes.len() == RING {
            self.successes.pop_front();
        }
        self.successes.push_back(now);
        if reservation.limited {
            self.grown += 1.0;
            self.rate = self.curve();
        }
    }

    /// A request of `reservation` was throttled at `now`: cut once per episode.
    pub fn throttled(&mut self, reservation: Reservation, now: f64) {
        if let Phase::Cubic { last_cut, .. } = self.phase {
            if reservation.at < last_cut {
                return;
            }
        }
        let asked = self.rate;
        let ceiling = match self.phase {
            Phase::SlowStart => asked * SLOW_START_EXIT / BETA,
            Phase::Cubic { .. } => {
                let let_through = self.success_rate(now).map_or(asked, |r| r.min(asked));
                let_through.max(asked * MIN_CUT / BETA)
            }
        }
        .max(MIN_RATE);
        self.phase = Phase::Cubic {
            ceiling,
            last_cut: now,
        };
        self.grown = 0.0;
        self.rate = (ceiling * BETA).max(MIN_RATE);
        self.throttles += 1;
        // The slots handed out and not yet sent are taken again at the new rate
        // ([`Self::is_current`]), so their debt is forgiven and the bucket starts
        // empty: the next slot is one interval of the new rate away.
        self.at = now.max(self.at);
        self.tokens = 0.0;
    }

    /// Successes a second over the last [`WINDOW_SECS`] (`None`: fewer than two).
    fn success_rate(&self, now: f64) -> Option<f64> {
        let recent: Vec<f64> = self
            .successes
            .iter()
            .copied()
            .filter(|t| *t >= now - WINDOW_SECS)
            .collect();
        let first = *recent.first()?;
        (recent.len() >= 2 && now > first).then(|| recent.len() as f64 / (now - first))
    }

    /// The rate the growth clock gives.
    fn curve(&self) -> f64 {
        let rate = match self.phase {
            Phase::SlowStart => self.default * (self.grown / DOUBLING_CALLS).exp2(),
            Phase::Cubic { ceiling, .. } => {
                let k = ((1.0 - BETA) / CUBIC_SCALE).cbrt();
                ceiling * (1.0 + CUBIC_SCALE * (self.grown - k).powi(3))
            }
        };
        rate.clamp(MIN_RATE, self.default * MAX_GROWTH)
    }
}

/// Tokens a bucket at `rate` holds at most.
fn burst(rate: f64) -> f64 {
    (rate / 2.0).floor().max(1.0)
}

#[cfg(test)]
mod tests;
