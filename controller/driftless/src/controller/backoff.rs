//! When to reconcile a target next: the resync period after a success, exponential
//! backoff with jitter after transient failures (1 s doubling to 5 min, reset after a
//! success), and a long pause after a stalled one (retried early when the revision
//! changes). Pure: the jitter comes from the caller.

use std::time::Duration;

use super::status::ErrorClass;

pub const BACKOFF_START: Duration = Duration::from_secs(1);
pub const BACKOFF_MAX: Duration = Duration::from_secs(300);
/// How long a stalled target waits before trying the same revision again.
pub const STALLED_RETRY: Duration = Duration::from_secs(3600);

/// The delay before the next reconcile. `failures` counts consecutive transient
/// failures (0 after a success); `jitter` is a number in [0, 1) the caller draws, so
/// that targets failing together do not retry together (up to +20 %).
pub fn next_delay(
    failure: Option<ErrorClass>,
    failures: u32,
    resync: Duration,
    jitter: f64,
) -> Duration {
    let base = match failure {
        None => resync,
        Some(ErrorClass::Stalled) => STALLED_RETRY.max(resync),
        Some(ErrorClass::Transient) => {
            let exp = failures.saturating_sub(1).min(16);
            BACKOFF_START.saturating_mul(1u32 << exp).min(BACKOFF_MAX)
        }
    };
    base.mul_f64(1.0 + 0.2 * jitter.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_failures_double_from_one_second_to_five_minutes() {
        let d = |n| next_delay(Some(ErrorClass::Transient), n, Duration::from_secs(60), 0.0);
        assert_eq!(d(1), Duration::from_secs(1));
        assert_eq!(d(2), Duration::from_secs(2));
        assert_eq!(d(5), Duration::from_secs(16));
        assert_eq!(d(9), Duration::from_secs(256));
        assert_eq!(d(10), Duration::from_secs(300));
        assert_eq!(d(1000), Duration::from_secs(300));
    }

    #[test]
    fn success_waits_the_resync_and_stalled_waits_long() {
        assert_eq!(
            next_delay(None, 0, Duration::from_secs(300), 0.0),
            Duration::from_secs(300)
        );
        assert_eq!(
            next_delay(Some(ErrorClass::Stalled), 0, Duration::from_secs(300), 0.0),
            STALLED_RETRY
        );
    }

    #[test]
    fn jitter_adds_at_most_a_fifth() {
        let d = next_delay(None, 0, Duration::from_secs(100), 0.999);
        assert!(
            d > Duration::from_secs(119) && d < Duration::from_secs(120),
            "{d:?}"
        );
    }
}
