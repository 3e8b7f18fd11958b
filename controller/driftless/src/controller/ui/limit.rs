//! The viewer credential's brake: a client address that offered
//! [`MAX_FAILURES`] wrong viewer tokens (login form, bearer or cookie) within
//! [`WINDOW`] gets 429 with `Retry-After` on every dashboard page and sign-in until
//! the oldest of them is a window old. Only wrong credentials count: opening a page
//! without one (the login form) and signed-in polling do not, and a success does not
//! wipe the count (behind an ingress every client shares one address).
//!
//! Memory is bounded: at most [`MAX_CLIENTS`] addresses are tracked, each with at
//! most [`MAX_FAILURES`] instants; when full, addresses whose failures have all aged
//! out go first, then the one that failed longest ago. IPv6 addresses count per /64
//! (one host usually holds a whole /64). Pure: callers pass the clock.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wrong tokens one address may offer within [`WINDOW`].
pub const MAX_FAILURES: usize = 5;
/// How long a wrong token counts.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Addresses tracked at most.
pub const MAX_CLIENTS: usize = 4_096;

/// Recent failures per client address.
#[derive(Debug, Default)]
pub struct Limiter {
    failures: Mutex<HashMap<IpAddr, Vec<Instant>>>,
}

/// The address failures are counted under: IPv4 (mapped IPv6 included) as is, IPv6
/// by its /64.
pub fn client_key(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut s = v6.segments();
                s[4..].fill(0);
                IpAddr::V6(s.into())
            }
        },
    }
}

impl Limiter {
    /// How long `client` must wait before its next try, when it must.
    pub fn blocked(&self, client: IpAddr, now: Instant) -> Option<Duration> {
        let all = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let recent: Vec<&Instant> = all
            .get(&client_key(client))?
            .iter()
            .filter(|t| now.saturating_duration_since(**t) < WINDOW)
            .collect();
        if recent.len() < MAX_FAILURES {
            return None;
        }
        let oldest = recent.into_iter().min()?;
        Some(WINDOW.saturating_sub(now.saturating_duration_since(*oldest)))
    }

    /// Counts a wrong token offered by `client`.
    pub fn failed(&self, client: IpAddr, now: Instant) {
        let key = client_key(client);
        let mut all = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if !all.contains_key(&key) && all.len() >= MAX_CLIENTS {
            make_room(&mut all, now);
        }
        let list = all.entry(key).or_default();
        list.retain(|t| now.saturating_duration_since(*t) < WINDOW);
        if list.len() >= MAX_FAILURES {
            list.remove(0);
        }
        list.push(now);
    }

    /// Addresses tracked now.
    pub fn tracked(&self) -> usize {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }
}

/// Drops the addresses whose failures all aged out; if none did, the one whose last
/// failure is oldest.
fn make_room(all: &mut HashMap<IpAddr, Vec<Instant>>, now: Instant) {
    let before = all.len();
    all.retain(|_, list| {
        list.iter()
            .any(|t| now.saturating_duration_since(*t) < WINDOW)
    });
    if all.len() < before {
        return;
    }
    let stalest = all
        .iter()
        .min_by_key(|(_, list)| list.iter().max().copied())
        .map(|(k, _)| *k);
    if let Some(k) = stalest {
        all.remove(&k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn five_failures_in_a_minute_block_until_the_oldest_ages_out() {
        let l = Limiter::default();
        let t0 = Instant::now();
        let a = ip("192.0.2.1");
        for i in 0..MAX_FAILURES as u64 {
            assert_eq!(l.blocked(a, t0 + Duration::from_secs(i)), None);
            l.failed(a, t0 + Duration::from_secs(i));
        }
        let at = t0 + Duration::from_secs(10);
        assert_eq!(l.blocked(a, at), Some(Duration::from_secs(50)));
        // Another address is not blocked.
        assert_eq!(l.blocked(ip("192.0.2.2"), at), None);
        // The oldest failure ages out at t0 + 60 s.
        assert_eq!(l.blocked(a, t0 + WINDOW), None);
        // Failures spread over more than a minute never block.
        let b = ip("192.0.2.3");
        for i in 0..20u64 {
            let t = t0 + Duration::from_secs(i * 13);
            assert_eq!(l.blocked(b, t), None, "try {i}");
            l.failed(b, t);
        }
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let l = Limiter::default();
        let t0 = Instant::now();
        for i in 0..MAX_FAILURES {
            l.failed(ip(&format!("2001:db8:1:2::{i:x}")), t0);
        }
        assert!(l.blocked(ip("2001:db8:1:2:ffff::1"), t0).is_some());
        assert_eq!(l.blocked(ip("2001:db8:1:3::1"), t0), None);
        assert_eq!(client_key(ip("::ffff:192.0.2.9")), ip("192.0.2.9"));
    }

    #[test]
    fn memory_is_bounded_and_the_stalest_address_goes_first() {
        let l = Limiter::default();
        let t0 = Instant::now();
        for i in 0..MAX_CLIENTS as u32 {
            let t = t0 + Duration::from_millis(u64::from(i));
            l.failed(IpAddr::V4((0x0a00_0000 + i).into()), t);
        }
        assert_eq!(l.tracked(), MAX_CLIENTS);
        // Block the newest address, then add one more: the stalest (10.0.0.0) goes.
        let newest = IpAddr::V4((0x0a00_0000 + MAX_CLIENTS as u32 - 1).into());
        let later = t0 + Duration::from_secs(5);
        for _ in 1..MAX_FAILURES {
            l.failed(newest, later);
        }
        l.failed(ip("192.0.2.50"), later);
        assert_eq!(l.tracked(), MAX_CLIENTS);
        assert!(l.blocked(newest, later).is_some());
        assert!(l.blocked(ip("10.0.0.0"), later).is_none());
        // Once every failure aged out, room is made without evicting anyone recent.
        let much_later = t0 + WINDOW * 2;
        l.failed(ip("192.0.2.51"), much_later);
        assert_eq!(l.tracked(), 1);
        // A list never grows past MAX_FAILURES.
        for _ in 0..50 {
            l.failed(ip("192.0.2.51"), much_later);
        }
        let all = l.failures.lock().unwrap();
        assert_eq!(all[&ip("192.0.2.51")].len(), MAX_FAILURES);
    }
}
