//! Sharding the targets between replicas (`driftless run --shard-index I
//! --shard-count N`), the way Argo CD shards its application controller with its
//! `consistent-hashing` algorithm (consistent hashing with bounded loads). Pure.
//!
//! Every process reads the same driftless.yaml, so every process computes the same
//! assignment of all its targets and keeps its own part:
//!
//! - each target ranks the shards by a weight `h(target, shard)` (rendezvous hashing);
//! - targets are placed one by one, in the order of their own hash, on the first shard
//!   of their ranking that is not full, a shard being full at ⌊T/N⌋ targets, or
//!   ⌈T/N⌉ while fewer than `T mod N` shards have that many.
//!
//! So every target has exactly one owner, shards differ by at most one target, and
//! going from N to N+1 shards moves about 1/(N+1) of the targets, nearly all of them
//! to the new shard (for 1,000 targets at most 1.25 × 1/(N+1), and under 3 % between
//! old shards, by the tests below; `hash % N` would move N/(N+1)). The hash is the
//! first 8 bytes of SHA-256, so the assignment is the same on every machine and in
//! every release.
//!
//! Targets of one account are one unit: every target whose account driftless.yaml
//! knows (`accountId`, or its role's) goes to the shard of its account's other
//! targets, so one process paces each account (its buckets are per account and
//! Region, `driftless-aws`'s `pace.rs`). A unit of several targets ranks the shards
//! by `h("account:<id>", shard)`, is placed before the single targets (larger first),
//! and takes the first shard with room for all of it (else the least loaded one). A
//! target alone in its account, or whose account is not known, is a unit of one
//! ranked by its own name as before, so where no account has two targets the
//! assignment is exactly the one of earlier releases.
//!
//! The index comes from `--shard-index` (or `DRIFTLESS_SHARD_INDEX`); without it, a
//! host name ending in `-<ordinal>` (a StatefulSet pod, `driftless-2`) gives it.

use sha2::{Digest, Sha256};

/// Which part of the targets this process owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Default for Shard {
    /// One process owns every target.
    fn default() -> Shard {
        Shard { index: 0, count: 1 }
    }
}

/// A shard setting that cannot be used; the process does not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("--shard-count `{0}` is not a whole number of shards of at least 1")]
    BadCount(String),
    #[error("--shard-index `{0}` is not a shard index (a whole number from 0)")]
    BadIndex(String),
    #[error("--shard-index {index} is not below --shard-count {count}")]
    IndexTooLarge { index: u32, count: u32 },
    #[error("--shard-count {count} needs this process's shard index")]
    NoIndex { count: u32 },
    #[error("--shard-index {0} was given without --shard-count")]
    NoCount(u32),
}

impl ShardError {
    /// What to do about it.
    pub fn hint(&self) -> String {
        match self {
            ShardError::BadCount(_) => "pass --shard-count N (or DRIFTLESS_SHARD_COUNT) with N ≥ 1".into(),
            ShardError::BadIndex(_) | ShardError::IndexTooLarge { .. } => {
                "shards are numbered 0 to N-1: pass --shard-index I (or DRIFTLESS_SHARD_INDEX) with 0 ≤ I < N".into()
            }
            ShardError::NoIndex { count } => format!(
                "pass --shard-index 0…{} (or DRIFTLESS_SHARD_INDEX), or run where the host name ends in -<ordinal>, as a StatefulSet pod's does",
                count - 1
            ),
            ShardError::NoCount(_) => "pass --shard-count N (or DRIFTLESS_SHARD_COUNT) as well".into(),
        }
    }
}

impl Shard {
    /// The shard from the flags (or their variables) and the host name. No count and
    /// no index: one shard. A count and no index: the host name's ordinal.
    pub fn resolve(
        index: Option<&str>,
        count: Option<&str>,
        hostname: Option<&str>,
    ) -> Result<Shard, ShardError> {
        let count = match count.map(str::trim) {
            None => None,
            Some(text) => match text.parse::<u32>() {
                Ok(n) if n >= 1 => Some(n),
                _ => return Err(ShardError::BadCount(text.to_string())),
            },
        };
        let index = match index.map(str::trim) {
            None => None,
            Some(text) => Some(
                text.parse::<u32>()
                    .map_err(|_| ShardError::BadIndex(text.to_string()))?,
            ),
        };
        let (index, count) = match (index, count) {
            (None, None) => return Ok(Shard::default()),
            (Some(i), None) => return Err(ShardError::NoCount(i)),
            (Some(i), Some(n)) => (i, n),
            (None, Some(1)) => (0, 1),
            (None, Some(n)) => match hostname.and_then(ordinal) {
                Some(i) => (i, n),
                None => return Err(ShardError::NoIndex { count: n }),
            },
        };
        if index >= count {
            return Err(ShardError::IndexTooLarge { index, count });
        }
        Ok(Shard { index, count })
    }

    /// The targets of `all` (every target of driftless.yaml, the same list in every
    /// process) that this shard reconciles, in their order.
    pub fn select<'a>(&self, all: &[&'a str]) -> Vec<&'a str> {
        self.select_in_accounts(all, &vec![None; all.len()])
    }

    /// [`Shard::select`] with each target's account (same order; `None`: not known),
    /// keeping the targets of one account together.
    pub fn select_in_accounts<'a>(
        &self,
        all: &[&'a str],
        accounts: &[Option<&str>],
    ) -> Vec<&'a str> {
        if self.count <= 1 {
            return all.to_vec();
        }
        let owners = assign_in_accounts(all, accounts, self.count);
        all.iter()
            .zip(owners)
            .filter(|(_, owner)| *owner == self.index)
            .map(|(t, _)| *t)
            .collect()
    }

    /// Whether targets are split at all.
    pub fn is_sharded(&self) -> bool {
        self.count > 1
    }
}

/// The owning shard of each of `targets` (same order) among `count` shards, every
/// target a unit of its own.
pub fn assign(targets: &[&str], count: u32) -> Vec<u32> {
    assign_in_accounts(targets, &vec![None; targets.len()], count)
}

/// The owning shard of each of `targets` (same order) among `count` shards, the
/// targets of one known account (`accounts`, same order) on one shard.
pub fn assign_in_accounts(targets: &[&str], accounts: &[Option<&str>], count: u32) -> Vec<u32> {
    let count = count.max(1);
    let n = count as usize;
    let floor = targets.len() / n;
    // How many shards may hold one target more than `floor`.
    let mut extra = targets.len() % n;
    let mut load = vec![0usize; n];
    let mut owners = vec![0u32; targets.len()];
    for unit in units(targets, accounts) {
        let k = unit.members.len();
        let ranking = ranking(&unit.key, count);
        let fits = ranking.iter().copied().find(|&s| {
            let after = load[s as usize] + k;
            after <= floor || (after == floor + 1 && extra > 0)
        });
        // An account larger than the room left: the least loaded shard.
        let shard = fits.unwrap_or_else(|| {
            *ranking
                .iter()
                .min_by_key(|&&s| load[s as usize])
                .expect("at least one shard")
        });
        let s = shard as usize;
        if load[s] + k > floor && load[s] <= floor && extra > 0 {
            extra -= 1;
        }
        load[s] += k;
        for i in unit.members {
            owners[i] = shard;
        }
    }
    owners
}

/// Targets placed together: the indexes of one account's targets, or of one target.
struct Unit {
    key: String,
    members: Vec<usize>,
}

/// The units of `targets` in their order of placement: accounts of several targets
/// first (larger first), then in the order of their key's hash (a single target's key
/// is its name, as before accounts were units).
fn units(targets: &[&str], accounts: &[Option<&str>]) -> Vec<Unit> {
    let mut by_account: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, account) in accounts.iter().enumerate().take(targets.len()) {
        if let Some(a) = account {
            by_account.entry(a).or_default().push(i);
        }
    }
    let mut units: Vec<Unit> = Vec::new();
    for (i, target) in targets.iter().enumerate() {
        match accounts.get(i).copied().flatten() {
            Some(a) if by_account[a].len() > 1 => {
                if by_account[a][0] == i {
                    units.push(Unit {
                        key: format!("account:{a}"),
                        members: by_account[a].clone(),
                    });
                }
            }
            _ => units.push(Unit {
                key: target.to_string(),
                members: vec![i],
            }),
        }
    }
    let mut keyed: Vec<([u8; 32], Unit)> = units
        .into_iter()
        .map(|u| (Sha256::digest(u.key.as_bytes()).into(), u))
        .collect();
    keyed.sort_by(|a, b| {
        b.1.members
            .len()
            .cmp(&a.1.members.len())
            .then(a.0.cmp(&b.0))
            .then(a.1.members[0].cmp(&b.1.members[0]))
    });
    keyed.into_iter().map(|(_, u)| u).collect()
}

/// The shards in `target`'s order of preference (highest weight first).
fn ranking(target: &str, count: u32) -> Vec<u32> {
    let mut shards: Vec<(u64, u32)> = (0..count).map(|s| (weight(target, s), s)).collect();
    shards.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    shards.into_iter().map(|(_, s)| s).collect()
}

/// The rendezvous weight of (target, shard).
fn weight(target: &str, shard: u32) -> u64 {
    let mut hash = Sha256::new();
    hash.update(target.as_bytes());
    hash.update([0]);
    hash.update(shard.to_be_bytes());
    let digest = hash.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// The ordinal at the end of a StatefulSet pod's host name (`driftless-2` → 2; a
/// fully qualified name is cut at the first dot).
pub fn ordinal(hostname: &str) -> Option<u32> {
    let short = hostname.trim().split('.').next()?;
    let (_, digits) = short.rsplit_once('-')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("account-{i:04}-region")).collect()
    }

    fn refs(names: &[String]) -> Vec<&str> {
        names.iter().map(String::as_str).collect()
    }

    #[test]
    fn every_target_has_exactly_one_owner() {
        let names = names(200);
        let all = refs(&names);
        for count in 1..=10 {
            let mut seen: Vec<&str> = (0..count)
                .flat_map(|index| Shard { index, count }.select(&all))
                .collect();
            seen.sort_unstable();
            let mut expected = all.clone();
            expected.sort_unstable();
            assert_eq!(seen, expected, "over {count} shards");
        }
    }

    #[test]
    fn shards_are_within_ten_percent_of_the_mean() {
        let names = names(1000);
        let all = refs(&names);
        for count in 2..=10u32 {
            let mut sizes = vec![0usize; count as usize];
            for owner in assign(&all, count) {
                sizes[owner as usize] += 1;
            }
            let mean = all.len() as f64 / f64::from(count);
            for (i, size) in sizes.iter().enumerate() {
                let off = (*size as f64 - mean).abs() / mean;
                assert!(
                    off <= 0.10,
                    "shard {i} of {count} has {size}, mean {mean:.1} ({:.1} % off)",
                    off * 100.0
                );
            }
            let spread = sizes.iter().max().unwrap() - sizes.iter().min().unwrap();
            assert!(spread <= 1, "{count} shards: sizes {sizes:?}");
        }
    }

    #[test]
    fn growing_moves_about_one_in_n_plus_one() {
        let names = names(1000);
        let all = refs(&names);
        for count in 1..10u32 {
            let before = assign(&all, count);
            let after = assign(&all, count + 1);
            let moved = before.iter().zip(&after).filter(|(b, a)| b != a).count();
            let between_old = before
                .iter()
                .zip(&after)
                .filter(|(b, a)| b != a && **a != count)
                .count();
            let ideal = all.len() as f64 / f64::from(count + 1);
            assert!(
                moved as f64 <= ideal * 1.25,
                "{count}→{}: {moved} moved, {ideal:.0} at least",
                count + 1
            );
            assert!(
                between_old as f64 <= all.len() as f64 * 0.03,
                "{count}→{}: {between_old} moved between old shards",
                count + 1
            );
            // hash % N would move most of them.
            assert!(
                moved as f64 >= ideal * 0.9,
                "{count}→{}: only {moved} moved",
                count + 1
            );
        }
    }

    #[test]
    fn the_assignment_is_stable() {
        // Fixed values: a change of hash or order would move every deployment's targets.
        let all = STABLE_NAMES;
        assert_eq!(assign(&all, 3), STABLE_OWNERS);
        let mut reversed = all;
        reversed.reverse();
        let mut owners = assign(&reversed, 3);
        owners.reverse();
        assert_eq!(
            owners, STABLE_OWNERS,
            "the order of driftless.yaml does not matter"
        );
    }

    #[test]
    fn an_accounts_targets_share_a_shard_and_single_ones_keep_theirs() {
        // 300 targets: 60 accounts of 2 to 6 targets (one per Region), 60 alone.
        let mut names = Vec::new();
        let mut accounts = Vec::new();
        for a in 0..60 {
            for r in 0..(2 + a % 5) {
                names.push(format!("acct-{a:03}-region-{r}"));
                accounts.push(Some(format!("{:012}", 100_000 + a)));
            }
        }
        for i in 0..60 {
            names.push(format!("alone-{i:03}"));
            accounts.push(None);
        }
        let all = refs(&names);
        let accts: Vec<Option<&str>> = accounts.iter().map(Option::as_deref).collect();
        for count in 2..=6u32 {
            let owners = assign_in_accounts(&all, &accts, count);
            for (i, a) in accts.iter().enumerate() {
                for (j, b) in accts.iter().enumerate() {
                    if a.is_some() && a == b {
                        assert_eq!(owners[i], owners[j], "{} and {}", all[i], all[j]);
                    }
                }
            }
            let mut sizes = vec![0usize; count as usize];
            for o in &owners {
                sizes[*o as usize] += 1;
            }
            let mean = all.len() as f64 / f64::from(count);
            let worst = sizes
                .iter()
                .map(|s| (*s as f64 - mean).abs())
                .fold(0.0, f64::max);
            // Units of up to 6 targets: shards stay within one unit of the mean.
            assert!(worst <= 6.0, "{count} shards: {sizes:?}");
            // Every process selects the same way: each target once.
            let selected: usize = (0..count)
                .map(|index| {
                    Shard { index, count }
                        .select_in_accounts(&all, &accts)
                        .len()
                })
                .sum();
            assert_eq!(selected, all.len());
        }
        // Accounts of one target each are units of their own name: the old assignment.
        let singles = STABLE_NAMES;
        let one_each: Vec<Option<&str>> = [
            "111111111111",
            "222222222222",
            "333333333333",
            "444444444444",
            "555555555555",
            "666666666666",
        ]
        .into_iter()
        .map(Some)
        .collect();
        assert_eq!(assign_in_accounts(&singles, &one_each, 3), STABLE_OWNERS);
    }

    const STABLE_NAMES: [&str; 6] = [
        "prod-tokyo",
        "prod-osaka",
        "staging",
        "default",
        "dr-virginia",
        "sandbox",
    ];

    /// `assign` of [`STABLE_NAMES`] over 3 shards, from the first run.
    const STABLE_OWNERS: [u32; 6] = [2, 2, 0, 1, 0, 1];

    #[test]
    fn resolve_from_flags_and_host_name() {
        assert_eq!(
            Shard::resolve(None, None, Some("driftless-2")),
            Ok(Shard::default())
        );
        assert_eq!(
            Shard::resolve(Some("1"), Some("3"), None),
            Ok(Shard { index: 1, count: 3 })
        );
        assert_eq!(
            Shard::resolve(None, Some("3"), Some("driftless-2")),
            Ok(Shard { index: 2, count: 3 })
        );
        assert_eq!(
            Shard::resolve(
                None,
                Some("3"),
                Some("driftless-1.driftless.ops.svc.cluster.local")
            ),
            Ok(Shard { index: 1, count: 3 })
        );
        // The flag wins over the host name.
        assert_eq!(
            Shard::resolve(Some("0"), Some("3"), Some("driftless-2")),
            Ok(Shard { index: 0, count: 3 })
        );
        assert_eq!(
            Shard::resolve(None, Some("1"), Some("laptop")),
            Ok(Shard::default())
        );
    }

    #[test]
    fn bad_settings_are_refused() {
        use ShardError::*;
        assert_eq!(
            Shard::resolve(Some("3"), Some("3"), None),
            Err(IndexTooLarge { index: 3, count: 3 })
        );
        assert_eq!(
            Shard::resolve(Some("-1"), Some("3"), None),
            Err(BadIndex("-1".into()))
        );
        assert_eq!(
            Shard::resolve(Some("one"), Some("3"), None),
            Err(BadIndex("one".into()))
        );
        assert_eq!(
            Shard::resolve(None, Some("0"), None),
            Err(BadCount("0".into()))
        );
        assert_eq!(
            Shard::resolve(None, Some("x"), None),
            Err(BadCount("x".into()))
        );
        assert_eq!(Shard::resolve(Some("1"), None, None), Err(NoCount(1)));
        assert_eq!(
            Shard::resolve(None, Some("3"), Some("laptop")),
            Err(NoIndex { count: 3 })
        );
        assert_eq!(
            Shard::resolve(None, Some("3"), Some("driftless-5")),
            Err(IndexTooLarge { index: 5, count: 3 })
        );
        assert_eq!(
            Shard::resolve(None, Some("3"), None),
            Err(NoIndex { count: 3 })
        );
        for e in [
            BadCount("0".into()),
            BadIndex("x".into()),
            NoIndex { count: 3 },
            NoCount(1),
        ] {
            assert!(!e.hint().is_empty());
        }
    }

    #[test]
    fn ordinals() {
        assert_eq!(ordinal("driftless-0"), Some(0));
        assert_eq!(ordinal("my-release-driftless-12"), Some(12));
        assert_eq!(ordinal("driftless"), None);
        assert_eq!(ordinal("driftless-"), None);
        assert_eq!(ordinal("driftless-a1"), None);
        assert_eq!(ordinal("web-7f9c6d-abcde"), None);
    }
}
