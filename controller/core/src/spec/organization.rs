//! Organization targets: a `targets:` entry `organization: {ous, accounts,
//! excludeAccounts, roleName, regions, namePrefix, group}` that stands for one target
//! per ACTIVE member account in scope, times each region.
//!
//! Which accounts are in scope is AWS Organizations' answer, read by the AWS door
//! (`driftless-aws`'s `organizations.rs`) at every plan, apply and controller resync;
//! this module only checks the entry, names what it generates
//! (`<namePrefix><accountId>-<region>`, assuming
//! `arn:<partition>:iam::<account>:role/<roleName>`), and turns an [`Enrollment`] (the
//! accounts found per entry) into ordinary targets. Offline (`validate`), an entry
//! generates no target: its `group` and every name it can generate are valid
//! references that stand for nothing yet. Design: docs/design/organizations.md.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::config::TargetConfig;
use super::context::{At, Cx};
use super::rules::{self, Check, Problem};

/// The entry in `targets:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrganizationEntry {
    /// Every ACTIVE account of an AWS Organization in scope, one target per account
    /// and region, discovered at every plan, apply and controller resync with the
    /// ambient credentials (the management account or a delegated administrator).
    pub organization: OrganizationTargets,
}

/// Which accounts and regions an organization entry stands for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrganizationTargets {
    /// Every ACTIVE account under these OUs, nested OUs included (`ou-abcd-11111111`);
    /// the root id (`r-abcd`) means every account of the organization.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ous: Vec<String>,
    /// Also these member accounts (12 digits), when ACTIVE.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<String>,
    /// Never these accounts, even under the OUs or listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_accounts: Vec<String>,
    /// The role assumed in each account (`driftless`, or e.g.
    /// `OrganizationAccountAccessRole`).
    pub role_name: String,
    /// The regions of every account; one target per account and region.
    pub regions: Vec<String>,
    /// Prepended to every target name: `<namePrefix><accountId>-<region>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_prefix: Option<String>,
    /// A group holding every target this entry generates, usable in
    /// `metadata.targets`, `defaults.targets`, `--target` and other groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// What AWS Organizations answered: per organization entry (in driftless.yaml's
/// order), its ACTIVE accounts in scope (under its OUs or listed); exclusions are
/// applied by [`OrganizationTargets::targets`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Enrollment {
    pub accounts: Vec<BTreeSet<String>>,
    /// Accounts discovery saw that are not ACTIVE, with their state as AWS spells it
    /// (`SUSPENDED`, `PENDING_CLOSURE`, `CLOSED`): why such an account left scope.
    pub inactive: BTreeMap<String, String>,
}

/// The accounts that left scope: every target in `recorded` (targets with
/// last-applied records) that an organization entry of `config` can generate but
/// `config` (enrolled with `enrollment`) no longer has, grouped by account, with why.
pub fn departures<'r>(
    config: &super::config::DriftlessConfig,
    recorded: impl IntoIterator<Item = &'r str>,
    enrollment: &Enrollment,
) -> Vec<Departure> {
    let mut by_account: BTreeMap<String, (&OrganizationTargets, BTreeSet<String>)> =
        BTreeMap::new();
    for target in recorded {
        if config.target(target).is_some() {
            continue;
        }
        if let Some((entry, account)) = config.generated_by(target) {
            by_account
                .entry(account)
                .or_insert_with(|| (entry, BTreeSet::new()))
                .1
                .insert(target.to_string());
        }
    }
    by_account
        .into_iter()
        .map(|(account, (entry, targets))| {
            let reason = if entry.exclude_accounts.contains(&account) {
                "excluded".to_string()
            } else {
                match enrollment.inactive.get(&account) {
                    Some(state) => state.to_ascii_lowercase().replace('_', "-"),
                    None => "out-of-scope".to_string(),
                }
            };
            Departure {
                account,
                targets: targets.into_iter().collect(),
                reason,
            }
        })
        .collect()
}

/// An organization's member account that left its entry's scope (moved out of the
/// OUs, suspended, closed, excluded): its targets are no longer planned and their
/// resources are retained, never pruned because the account left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Departure {
    pub account: String,
    /// Every target of the account that left with it (one per region).
    pub targets: Vec<String>,
    /// `out-of-scope` (moved out of the entry's OUs, or no longer a member),
    /// `excluded` (in `excludeAccounts`), `suspended`, `pending-closure`, `closed`.
    pub reason: String,
}

impl Departure {
    /// The reason in words.
    pub fn describe_reason(&self) -> &'static str {
        match self.reason.as_str() {
            "excluded" => "listed in the entry's excludeAccounts",
            "suspended" => "suspended",
            "pending-closure" => "closing",
            "closed" => "closed",
            _ => "moved out of the entry's OUs, or no longer a member",
        }
    }
}

/// Longest target name (as for explicit targets).
const MAX_NAME: usize = 63;

impl OrganizationTargets {
    pub fn prefix(&self) -> &str {
        self.name_prefix.as_deref().unwrap_or("")
    }

    /// The name of the target for one account and region.
    pub fn target_name(&self, account: &str, region: &str) -> String {
        format!("{}{account}-{region}", self.prefix())
    }

    /// The account of a name this entry can generate (whether or not the account is
    /// in scope today).
    pub fn account_of<'n>(&self, name: &'n str) -> Option<&'n str> {
        let rest = name.strip_prefix(self.prefix())?;
        let (account, region) = rest.split_at_checked(12)?;
        let region = region.strip_prefix('-')?;
        (is_account(account) && self.regions.iter().any(|r| r == region)).then_some(account)
    }

    /// The targets for the accounts found in scope, less `excludeAccounts`: accounts
    /// in order, each account's regions in the entry's order.
    pub fn targets(&self, found: &BTreeSet<String>) -> Vec<TargetConfig> {
        found
            .iter()
            .filter(|a| !self.exclude_accounts.contains(a))
            .flat_map(|account| {
                self.regions.iter().map(move |region| TargetConfig {
                    name: self.target_name(account, region),
                    region: region.clone(),
                    role_arn: Some(format!(
                        "arn:{}:iam::{account}:role/{}",
                        rules::partition_of(region),
                        self.role_name
                    )),
                    external_id: None,
                    account_id: Some(account.clone()),
                })
            })
            .collect()
    }

    /// The entry's own rules, reported under `at` (`targets[i].organization`).
    pub fn check(&self, cx: &mut Cx<'_>, at: &At<'_>) {
        if self.ous.is_empty() && self.accounts.is_empty() {
            cx.report(
                at,
                Problem::new("`organization` names no OU and no account")
                    .hint("list OUs in `ous` (the root id `r-...` means every account) or accounts in `accounts`"),
            );
        }
        for (i, ou) in self.ous.iter().enumerate() {
            cx.check(&at.k("ous").i(i), parent_id(ou));
        }
        for (key, list) in [
            ("accounts", &self.accounts),
            ("excludeAccounts", &self.exclude_accounts),
        ] {
            for (i, account) in list.iter().enumerate() {
                cx.check(&at.k(key).i(i), account_id(account));
            }
        }
        cx.check(&at.k("roleName"), role_name(&self.role_name));
        if self.regions.is_empty() {
            cx.report(
                &at.k("regions"),
                Problem::new("`regions` is empty, so no target would be made")
                    .hint("list the regions to manage in every account, e.g. [ap-northeast-1]"),
            );
        }
        let mut seen = BTreeSet::new();
        for (i, region) in self.regions.iter().enumerate() {
            cx.check(&at.k("regions").i(i), rules::region(region));
            if !seen.insert(region) {
                cx.error(
                    &at.k("regions").i(i),
                    format!("region `{region}` is listed twice"),
                );
            }
        }
        let longest = self.regions.iter().map(String::len).max().unwrap_or(0);
        let prefix = self.prefix();
        if !prefix.is_empty() {
            cx.check(
                &at.k("namePrefix"),
                rules::name("namePrefix", prefix, 1, MAX_NAME - 13 - longest, "-_"),
            );
        }
        if let Some(group) = &self.group {
            cx.check(
                &at.k("group"),
                rules::name("group name", group, 1, 63, "-_"),
            );
        }
    }
}

/// Every target an enrollment makes, and each entry's group with its members.
pub type Enrolled = (Vec<TargetConfig>, BTreeMap<String, Vec<String>>);

/// Every target an enrollment makes, and each entry's group with its members. Two
/// entries (or an entry and an explicit target) making the same name is an error,
/// reported with the entry that made it second.
pub fn enroll(
    entries: &[&OrganizationTargets],
    enrollment: &Enrollment,
    explicit: &[&str],
) -> Result<Enrolled, Vec<(usize, Problem)>> {
    let mut made: Vec<TargetConfig> = Vec::new();
    let mut groups = BTreeMap::new();
    let mut problems = Vec::new();
    let none = BTreeSet::new();
    for (i, entry) in entries.iter().enumerate() {
        let found = enrollment.accounts.get(i).unwrap_or(&none);
        let targets = entry.targets(found);
        for t in &targets {
            if explicit.contains(&t.name.as_str()) || made.iter().any(|m| m.name == t.name) {
                problems.push((
                    i,
                    Problem::new(format!(
                        "target `{}` (account {}) is made twice",
                        t.name,
                        t.account_id.as_deref().unwrap_or("?")
                    ))
                    .hint("give the organization entries different `namePrefix`es, or exclude the account from one with `excludeAccounts`"),
                ));
            }
        }
        if let Some(group) = &entry.group {
            groups.insert(
                group.clone(),
                targets.iter().map(|t| t.name.clone()).collect(),
            );
        }
        made.extend(targets);
    }
    if problems.is_empty() {
        Ok((made, groups))
    } else {
        Err(problems)
    }
}

fn is_account(value: &str) -> bool {
    value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit())
}

fn account_id(value: &str) -> Check {
    if is_account(value) {
        Ok(())
    } else {
        Err(
            Problem::new(format!("`{value}` is not a 12-digit AWS account id"))
                .hint("write the account as a quoted string of 12 digits, e.g. \"333333333333\""),
        )
    }
}

/// An OU id (`ou-` + 4 to 32 of [0-9a-z] + `-` + 8 to 32 of [0-9a-z]) or a root id
/// (`r-` + 4 to 32 of [0-9a-z]), as Organizations' API model has them.
fn parent_id(value: &str) -> Check {
    let lower = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    };
    let ok = if let Some(rest) = value.strip_prefix("ou-") {
        rest.split_once('-')
            .is_some_and(|(root, ou)| lower(root, 4, 32) && lower(ou, 8, 32))
    } else if let Some(root) = value.strip_prefix("r-") {
        lower(root, 4, 32)
    } else {
        false
    };
    if ok {
        Ok(())
    } else {
        Err(Problem::new(format!("`{value}` is not an OU id nor a root id")).hint(
            "an OU id looks like `ou-abcd-11111111`, the root's like `r-abcd` (aws organizations list-roots)",
        ))
    }
}

/// An IAM role name: 1 to 64 of letters, digits and `+=,.@_-`.
fn role_name(value: &str) -> Check {
    rules::name("roleName", value, 1, 64, "+=,.@_-").map_err(|p| match p.hint {
        Some(_) => p,
        None => p.hint("the role's name in each account, without a path or ARN (e.g. `driftless`)"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> OrganizationTargets {
        OrganizationTargets {
            ous: vec!["ou-abcd-11111111".into()],
            accounts: vec![],
            exclude_accounts: vec!["444444444444".into()],
            role_name: "driftless".into(),
            regions: vec!["ap-northeast-1".into(), "cn-north-1".into()],
            name_prefix: Some("org-".into()),
            group: Some("members".into()),
        }
    }

    #[test]
    fn targets_are_named_per_account_and_region_and_assume_the_partitions_role() {
        let found: BTreeSet<String> = ["333333333333", "444444444444"].map(String::from).into();
        let targets = entry().targets(&found);
        let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "org-333333333333-ap-northeast-1",
                "org-333333333333-cn-north-1"
            ]
        );
        assert_eq!(
            targets[0].role_arn.as_deref(),
            Some("arn:aws:iam::333333333333:role/driftless")
        );
        assert_eq!(
            targets[1].role_arn.as_deref(),
            Some("arn:aws-cn:iam::333333333333:role/driftless")
        );
        assert_eq!(targets[1].account_id.as_deref(), Some("333333333333"));
    }

    #[test]
    fn generated_names_are_recognised_without_discovery() {
        let e = entry();
        assert_eq!(
            e.account_of("org-555555555555-cn-north-1"),
            Some("555555555555")
        );
        for not in [
            "org-555555555555-us-east-1",
            "555555555555-ap-northeast-1",
            "org-55555555555x-ap-northeast-1",
            "org-",
        ] {
            assert_eq!(e.account_of(not), None, "{not}");
        }
    }

    #[test]
    fn ids_follow_the_organizations_model() {
        for ok in ["ou-abcd-11111111", "r-abcd", "ou-0a1b2c3d4e5f-abcdefgh"] {
            assert_eq!(parent_id(ok), Ok(()), "{ok}");
        }
        for bad in [
            "ou-ab-11111111",
            "r-ABCD",
            "ou-abcd",
            "abcd",
            "ou-abcd-1111",
        ] {
            assert!(parent_id(bad).is_err(), "{bad}");
        }
        assert!(role_name("ops/driftless").is_err());
        assert!(account_id("33333333333").is_err());
    }

    #[test]
    fn one_name_made_twice_is_refused() {
        let a = entry();
        let mut b = entry();
        b.group = Some("other".into());
        let found: BTreeSet<String> = ["333333333333".to_string()].into();
        let enrollment = Enrollment {
            accounts: vec![found.clone(), found],
            ..Enrollment::default()
        };
        let problems = enroll(&[&a, &b], &enrollment, &[]).unwrap_err();
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].0, 1);
        let (made, groups) = enroll(&[&a], &enrollment, &[]).unwrap();
        assert_eq!(made.len(), 2);
        assert_eq!(groups["members"].len(), 2);
        let clash = enroll(&[&a], &enrollment, &["org-333333333333-cn-north-1"]);
        assert!(clash.is_err());
    }
}

#[cfg(test)]
mod departure_tests {
    use super::*;
    use crate::spec::{parse_config_only, SourceFile};

    fn config(enrollment: &Enrollment) -> crate::spec::DriftlessConfig {
        let text = "targets:\n  - {name: hub, region: us-east-1}\n  - organization:\n      ous: [ou-abcd-11111111]\n      excludeAccounts: [\"444444444444\"]\n      roleName: driftless\n      regions: [us-east-1, us-west-2]\n      namePrefix: org-\n";
        let file = SourceFile {
            relative: "driftless.yaml".into(),
            display: "driftless.yaml".into(),
            text: text.into(),
        };
        parse_config_only(&[file])
            .expect("a valid driftless.yaml")
            .enrolled(enrollment)
            .expect("enrolled")
    }

    #[test]
    fn departed_accounts_are_grouped_with_their_targets_and_why() {
        let mut enrollment = Enrollment {
            accounts: vec![["111111111111".to_string()].into()],
            ..Enrollment::default()
        };
        enrollment
            .inactive
            .insert("222222222222".into(), "PENDING_CLOSURE".into());
        let config = config(&enrollment);
        let recorded = [
            "hub",
            "org-111111111111-us-east-1",
            "org-222222222222-us-east-1",
            "org-222222222222-us-west-2",
            "org-333333333333-us-east-1",
            "org-444444444444-us-west-2",
            "elsewhere",
        ];
        let departed = departures(&config, recorded, &enrollment);
        let got: Vec<(&str, &str, usize)> = departed
            .iter()
            .map(|d| (d.account.as_str(), d.reason.as_str(), d.targets.len()))
            .collect();
        assert_eq!(
            got,
            [
                ("222222222222", "pending-closure", 2),
                ("333333333333", "out-of-scope", 1),
                ("444444444444", "excluded", 1),
            ]
        );
        assert_eq!(
            departed[0].targets,
            ["org-222222222222-us-east-1", "org-222222222222-us-west-2"]
        );
    }
}
