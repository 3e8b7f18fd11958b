//! Credentials shared across targets: one AssumeRole per role for the life of the
//! process, however many roles it holds (the SDK's identity cache keeps 64 providers'
//! credentials by default and evicts at random beyond them).

use crate::emulator::TestAccount;
use crate::support::{http, origin_repo, start_controller, Repo};

/// More roles than the SDK's default identity cache holds (64 partitions).
const ROLES: usize = 70;

/// The converged reconciles `/metrics` counts for each of `targets`.
fn converged(addr: &str, targets: usize) -> Vec<u32> {
    let (_, metrics) = http(addr, "GET", "/metrics", &[], b"");
    (0..targets)
        .map(|i| {
            let series =
                format!("driftless_reconciles_total{{target=\"r{i}\",result=\"converged\"}} ");
            metrics
                .lines()
                .find_map(|l| l.strip_prefix(series.as_str()))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        })
        .collect()
}

#[test]
fn seventy_roles_are_each_assumed_once_over_several_reconciles() {
    let repo = Repo::new(&[]);
    let other = TestAccount::new();
    let mut config = String::from("targets:\n");
    let mut files = Vec::new();
    for i in 0..ROLES {
        let role = format!("driftless-{i}");
        crate::fixtures::trusted_role(&other.account_id, &role, &repo.account.account_id, None);
        config.push_str(&format!(
            "  - {{name: r{i}, region: {}, roleArn: \"arn:aws:iam::{}:role/{role}\"}}\n",
            other.region, other.account_id
        ));
        files.push((
            format!("g{i}.yaml"),
            format!(
                "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {{name: /creds/g{i}, targets: [r{i}]}}\nspec: {{retentionInDays: 14}}\n"
            ),
        ));
    }
    let mut all: Vec<(&str, &str)> = vec![("driftless.yaml", &config)];
    all.extend(files.iter().map(|(p, t)| (p.as_str(), t.as_str())));
    let (_origin, url) = origin_repo(&all, "seventy roles");
    let (mut child, addr) = start_controller(&repo, &url, "1s");
    // Every target reconciled three times: each role's credentials were used in three
    // rounds, so a cache that dropped some would have assumed them again.
    let mut counts = Vec::new();
    for _ in 0..1200 {
        counts = converged(&addr, ROLES);
        if counts.iter().all(|&n| n >= 3) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        counts.iter().all(|&n| n >= 3),
        "not every target reconciled three times in 120 s: {counts:?}"
    );
    let mine = repo.calls();
    assert_eq!(
        mine.calls["sts"]["AssumeRole"], ROLES as u64,
        "{:?}",
        mine.calls["sts"]
    );
}
