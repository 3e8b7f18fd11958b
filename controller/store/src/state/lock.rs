//! Per-target locks with leases, the same in every backend: a writer (apply, the
//! controller) takes its target's lock before its first write and releases it after
//! its last; the lock names its holder (operation, host, pid, since when) and expires
//! unless renewed, so a crashed holder's lock is taken over without a human. Plan
//! never locks. See docs/design/state.md#locks.

use serde::{Deserialize, Serialize};

/// Who holds (or wants) a lock, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Holder {
    /// Unique per acquisition: what `state unlock --lock-id` names.
    pub id: String,
    /// `apply`, `run`.
    pub operation: String,
    pub host: String,
    pub pid: u32,
    /// Unix seconds, when the lock was taken.
    pub since: i64,
    /// Unix seconds, when the lease runs out unless renewed.
    pub expires: i64,
}

impl Holder {
    /// A holder for this process: `operation` on this host, taken now for `lease` seconds.
    pub fn this_process(operation: &str, lease_secs: u64) -> Holder {
        let now = super::db::now_unix();
        let pid = std::process::id();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Holder {
            id: format!("{now:x}-{pid:x}-{nanos:x}"),
            operation: operation.to_string(),
            host: hostname(),
            pid,
            since: now,
            expires: now + lease_secs as i64,
        }
    }

    /// Whether the lease ran out at `now` (Unix seconds).
    pub fn expired(&self, now: i64) -> bool {
        self.expires <= now
    }

    /// Whether the lock may be taken over at `now`: its lease ran out, or its holder
    /// was a process of this host that no longer runs (a killed apply restarted on the
    /// same machine need not wait for the lease). Only where `/proc` tells (Linux).
    pub fn gone(&self, now: i64) -> bool {
        self.expired(now) || self.died_here()
    }

    fn died_here(&self) -> bool {
        let proc = std::path::Path::new("/proc");
        self.host == hostname()
            && self.pid != std::process::id()
            && proc.join("self").exists()
            && !proc.join(self.pid.to_string()).exists()
    }

    /// The holder, for messages: `apply on host-1 (pid 42), since … , lease until …, lock id …`.
    pub fn describe(&self) -> String {
        format!(
            "{} on {} (pid {}) since {}, lease until {} (lock id {})",
            self.operation,
            self.host,
            self.pid,
            super::format_rfc3339_utc(self.since),
            super::format_rfc3339_utc(self.expires),
            self.id
        )
    }
}

/// This machine's name: `HOSTNAME`, else the kernel's, else `unknown`.
fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// What an attempt to take a lock found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acquired {
    /// Taken (`took_over`: from a holder whose lease had run out).
    Taken { took_over: Option<Holder> },
    /// Someone else holds it, and their lease has not run out.
    Held(Holder),
}
