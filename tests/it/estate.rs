//! What an account holds, read with the AWS SDK (never through driftless): every
//! alarm, log group, own patch baseline (with its patch groups), maintenance window
//! (with its targets and tasks), backup vault and backup plan (with its selections),
//! whether driftless owns it (its `driftless.dev/managed-by` tag, from one tagging
//! listing), and a fingerprint of everything readable about it. The fault and crash
//! suites compare it with a generated repository's [`Expected`] estate: duplicates,
//! orphans, untouched namesakes.

use std::collections::{BTreeMap, BTreeSet};

use aws_types::SdkConfig;

use crate::gen::Expected;

pub const MANAGED_BY: &str = "driftless.dev/managed-by";

/// (name, sub-resource names) pairs of one kind.
type Named = Vec<(String, Vec<String>)>;

/// One live resource.
#[derive(Debug, Clone)]
pub struct Item {
    pub kind: &'static str,
    pub name: String,
    /// The id AWS names it by (window, baseline and plan ids; else the name).
    pub id: String,
    pub arn: String,
    pub owned: bool,
    /// Names of its sub-resources (window targets and tasks as `targets/x`,
    /// `tasks/y`; selections; patch groups), sorted.
    pub subs: Vec<String>,
    /// Everything read about it, request ids left out: equal fingerprints mean an
    /// untouched resource.
    pub fingerprint: String,
}

/// Every resource of the managed kinds in one account and region.
#[derive(Debug, Clone, Default)]
pub struct Census {
    pub items: Vec<Item>,
}

/// `format!("{:?}")` without the `_request_id: Some("…")` the SDK's outputs carry.
pub fn fingerprint(value: &impl std::fmt::Debug) -> String {
    let text = format!("{value:?}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    const MARK: &str = "_request_id: Some(\"";
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        let after = &rest[at + MARK.len()..];
        rest = after.find("\")").map(|end| &after[end + 2..]).unwrap_or("");
    }
    out.push_str(rest);
    out
}

impl Census {
    /// Reads the account `config` points at.
    pub async fn read(config: &SdkConfig) -> Census {
        let tags = tags_by_arn(config).await;
        let owned = |arn: &str| tags.get(arn).is_some_and(|t| t.contains_key(MANAGED_BY));
        let tagged = |arn: &str| fingerprint(&tags.get(arn));
        let mut items = Vec::new();
        alarms(config, &mut items).await;
        log_groups(config, &mut items).await;
        baselines(config, &mut items).await;
        windows(config, &mut items).await;
        vaults(config, &mut items).await;
        plans(config, &mut items).await;
        for item in &mut items {
            item.owned = owned(&item.arn);
            item.fingerprint.push_str(&tagged(&item.arn));
        }
        Census { items }
    }

    /// Owned resources of `kind`, by name.
    pub fn owned(&self, kind: &str) -> BTreeMap<String, Vec<&Item>> {
        let mut by_name: BTreeMap<String, Vec<&Item>> = BTreeMap::new();
        for item in self.items.iter().filter(|i| i.kind == kind && i.owned) {
            by_name.entry(item.name.clone()).or_default().push(item);
        }
        by_name
    }

    /// `kind name ×n` for every name of a non-idempotent-by-name kind (windows,
    /// baselines, plans) held more than once, and every selection name held twice in
    /// one plan: AWS allows both, so only the client tokens prevent them.
    pub fn duplicates(&self) -> Vec<String> {
        let mut count: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for item in &self.items {
            *count.entry((item.kind, item.name.as_str())).or_default() += 1;
            let mut subs: BTreeMap<&str, usize> = BTreeMap::new();
            for sub in &item.subs {
                *subs.entry(sub.as_str()).or_default() += 1;
            }
            for (sub, n) in subs.into_iter().filter(|(_, n)| *n > 1) {
                count.insert((item.kind, sub), n);
            }
        }
        count
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|((kind, name), n)| format!("{kind} {name} ×{n}"))
            .collect()
    }

    /// What differs between the owned estate and `expected` (names of every kind
    /// and the sub-resources of each), the names in `conflicted` expected absent:
    /// an empty list when they agree. Unowned resources whose name is not in
    /// `unowned_allowed` are orphans (driftless creates nothing untagged).
    pub fn differences(
        &self,
        expected: &Expected,
        conflicted: &BTreeSet<String>,
        unowned_allowed: &BTreeSet<String>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        let wanted = |names: Named| -> BTreeMap<String, Vec<String>> {
            names
                .into_iter()
                .filter(|(n, _)| !conflicted.contains(n))
                .collect()
        };
        let flat = |names: &[String]| names.iter().map(|n| (n.clone(), vec![])).collect();
        let windows = expected
            .windows
            .iter()
            .map(|(n, (targets, tasks))| {
                let mut subs: Vec<String> =
                    targets.iter().map(|t| format!("targets/{t}")).collect();
                subs.extend(tasks.iter().map(|t| format!("tasks/{t}")));
                subs.sort();
                (n.clone(), subs)
            })
            .collect();
        let kinds: [(&str, Named); 6] = [
            ("MetricAlarm", flat(&expected.alarms)),
            ("LogGroup", flat(&expected.log_groups)),
            (
                "PatchBaseline",
                expected.baselines.clone().into_iter().collect(),
            ),
            ("MaintenanceWindow", windows),
            ("BackupVault", flat(&expected.vaults)),
            ("BackupPlan", expected.plans.clone().into_iter().collect()),
        ];
        for (kind, names) in kinds {
            let want = wanted(names);
            let have: BTreeMap<String, Vec<String>> = self
                .owned(kind)
                .into_iter()
                .map(|(n, items)| (n, items[0].subs.clone()))
                .collect();
            for (name, subs) in &want {
                match have.get(name) {
                    None => out.push(format!("{kind} {name}: missing")),
                    Some(h) if h != subs => out.push(format!(
                        "{kind} {name}: sub-resources {h:?}, expected {subs:?}"
                    )),
                    Some(_) => {}
                }
            }
            for name in have.keys().filter(|n| !want.contains_key(*n)) {
                out.push(format!("{kind} {name}: owned but not in the repository"));
            }
        }
        for item in self.items.iter().filter(|i| !i.owned) {
            if !unowned_allowed.contains(&item.name) {
                out.push(format!(
                    "{} {} ({}): not owned (an orphan)",
                    item.kind, item.name, item.id
                ));
            }
        }
        out
    }
}

async fn tags_by_arn(config: &SdkConfig) -> BTreeMap<String, BTreeMap<String, String>> {
    let client = aws_sdk_resourcegroupstagging::Client::new(config);
    let mappings: Vec<_> = client
        .get_resources()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("GetResources");
    mappings
        .into_iter()
        .map(|m| {
            let tags = m
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            (m.resource_arn().unwrap_or_default().to_string(), tags)
        })
        .collect()
}

fn item(kind: &'static str, name: &str, id: &str, arn: String, fp: String) -> Item {
    Item {
        kind,
        name: name.to_string(),
        id: id.to_string(),
        arn,
        owned: false,
        subs: vec![],
        fingerprint: fp,
    }
}

async fn alarms(config: &SdkConfig, items: &mut Vec<Item>) {
    let client = aws_sdk_cloudwatch::Client::new(config);
    let pages: Vec<_> = client
        .describe_alarms()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .expect("DescribeAlarms");
    for alarm in pages.iter().flat_map(|p| p.metric_alarms()) {
        let name = alarm.alarm_name().unwrap_or_default();
        let arn = alarm.alarm_arn().unwrap_or_default().to_string();
        items.push(item("MetricAlarm", name, name, arn, fingerprint(alarm)));
    }
}

async fn log_groups(config: &SdkConfig, items: &mut Vec<Item>) {
    let client = aws_sdk_cloudwatchlogs::Client::new(config);
    let groups: Vec<_> = client
        .describe_log_groups()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("DescribeLogGroups");
    for group in &groups {
        let name = group.log_group_name().unwrap_or_default();
        let arn = group
            .arn()
            .unwrap_or_default()
            .trim_end_matches(":*")
            .to_string();
        items.push(item("LogGroup", name, name, arn, fingerprint(group)));
    }
}

fn ssm_arn(config: &SdkConfig, account: &str, what: &str) -> String {
    let region = config.region().map(|r| r.to_string()).unwrap_or_default();
    format!("arn:aws:ssm:{region}:{account}:{what}")
}

async fn account_of(config: &SdkConfig) -> String {
    aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity")
        .account()
        .unwrap_or_default()
        .to_string()
}

async fn baselines(config: &SdkConfig, items: &mut Vec<Item>) {
    use aws_sdk_ssm::types::PatchOrchestratorFilter;
    let client = aws_sdk_ssm::Client::new(config);
    let account = account_of(config).await;
    let own = PatchOrchestratorFilter::builder()
        .key("OWNER")
        .values("Self")
        .build();
    let list: Vec<_> = client
        .describe_patch_baselines()
        .filters(own)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("DescribePatchBaselines");
    let groups: Vec<_> = client
        .describe_patch_groups()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("DescribePatchGroups");
    for identity in &list {
        let id = identity.baseline_id().unwrap_or_default();
        let full = client
            .get_patch_baseline()
            .baseline_id(id)
            .send()
            .await
            .expect("GetPatchBaseline");
        let arn = ssm_arn(config, &account, &format!("patchbaseline/{id}"));
        let mut it = item(
            "PatchBaseline",
            identity.baseline_name().unwrap_or_default(),
            id,
            arn,
            fingerprint(&full),
        );
        it.subs = groups
            .iter()
            .filter(|g| g.baseline_identity().and_then(|b| b.baseline_id()) == Some(id))
            .filter_map(|g| g.patch_group().map(str::to_string))
            .collect();
        it.subs.sort();
        items.push(it);
    }
}

async fn windows(config: &SdkConfig, items: &mut Vec<Item>) {
    let client = aws_sdk_ssm::Client::new(config);
    let account = account_of(config).await;
    let list: Vec<_> = client
        .describe_maintenance_windows()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("DescribeMaintenanceWindows");
    for window in &list {
        let id = window.window_id().unwrap_or_default();
        let targets = client
            .describe_maintenance_window_targets()
            .window_id(id)
            .send()
            .await
            .expect("DescribeMaintenanceWindowTargets");
        let tasks = client
            .describe_maintenance_window_tasks()
            .window_id(id)
            .send()
            .await
            .expect("DescribeMaintenanceWindowTasks");
        let full = client
            .get_maintenance_window()
            .window_id(id)
            .send()
            .await
            .expect("GetMaintenanceWindow");
        let arn = ssm_arn(config, &account, &format!("maintenancewindow/{id}"));
        let fp = fingerprint(&(&full, &targets, &tasks));
        let mut it = item(
            "MaintenanceWindow",
            window.name().unwrap_or_default(),
            id,
            arn,
            fp,
        );
        it.subs = targets
            .targets()
            .iter()
            .map(|t| format!("targets/{}", t.name().unwrap_or_default()))
            .chain(
                tasks
                    .tasks()
                    .iter()
                    .map(|t| format!("tasks/{}", t.name().unwrap_or_default())),
            )
            .collect();
        it.subs.sort();
        items.push(it);
    }
}

async fn vaults(config: &SdkConfig, items: &mut Vec<Item>) {
    let client = aws_sdk_backup::Client::new(config);
    let list: Vec<_> = client
        .list_backup_vaults()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("ListBackupVaults");
    for vault in &list {
        let name = vault.backup_vault_name().unwrap_or_default();
        let arn = vault.backup_vault_arn().unwrap_or_default().to_string();
        items.push(item("BackupVault", name, name, arn, fingerprint(vault)));
    }
}

async fn plans(config: &SdkConfig, items: &mut Vec<Item>) {
    let client = aws_sdk_backup::Client::new(config);
    let list: Vec<_> = client
        .list_backup_plans()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("ListBackupPlans");
    for plan in &list {
        let id = plan.backup_plan_id().unwrap_or_default();
        let selections = client
            .list_backup_selections()
            .backup_plan_id(id)
            .send()
            .await
            .expect("ListBackupSelections");
        let full = client
            .get_backup_plan()
            .backup_plan_id(id)
            .send()
            .await
            .expect("GetBackupPlan");
        let arn = plan.backup_plan_arn().unwrap_or_default().to_string();
        let fp = fingerprint(&(&full, &selections));
        let name = plan.backup_plan_name().unwrap_or_default();
        let mut it = item("BackupPlan", name, id, arn, fp);
        it.subs = selections
            .backup_selections_list()
            .iter()
            .filter_map(|s| s.selection_name().map(str::to_string))
            .collect();
        it.subs.sort();
        items.push(it);
    }
}

/// Every CloudTrail event of the account (LookupEvents, all pages): (event id,
/// event name, the resources it names).
pub async fn trail(config: &SdkConfig) -> Vec<(String, String, Vec<String>)> {
    let client = aws_sdk_cloudtrail::Client::new(config);
    let events: Vec<_> = client
        .lookup_events()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("LookupEvents");
    events
        .into_iter()
        .map(|e| {
            let names = e
                .resources()
                .iter()
                .filter_map(|r| r.resource_name().map(str::to_string))
                .collect();
            (
                e.event_id().unwrap_or_default().to_string(),
                e.event_name().unwrap_or_default().to_string(),
                names,
            )
        })
        .collect()
}

/// The census's checks can fail: a second window of an owned window's name is a
/// duplicate, an untagged one an orphan, a missing selection a difference.
#[tokio::test]
async fn the_census_finds_duplicates_orphans_and_missing_sub_resources() {
    use aws_sdk_ssm::types::Tag;
    let account = crate::emulator::TestAccount::new();
    let config = account.sdk_config();
    let ssm = aws_sdk_ssm::Client::new(&config);
    let ours = Tag::builder()
        .key(MANAGED_BY)
        .value("driftless")
        .build()
        .unwrap();
    for tags in [vec![ours.clone()], vec![ours], vec![]] {
        ssm.create_maintenance_window()
            .name("twice")
            .schedule("rate(7 days)")
            .duration(2)
            .cutoff(1)
            .allow_unassociated_targets(true)
            .set_tags(Some(tags))
            .send()
            .await
            .expect("CreateMaintenanceWindow");
    }
    let census = Census::read(&config).await;
    assert_eq!(
        census.duplicates(),
        vec!["MaintenanceWindow twice ×3".to_string()]
    );
    let expected = Expected {
        windows: [("twice".to_string(), (vec!["web".to_string()], vec![]))].into(),
        ..Expected::default()
    };
    let none = BTreeSet::new();
    let differences = census.differences(&expected, &none, &none);
    assert_eq!(differences.len(), 2, "{differences:#?}");
    assert_eq!(
        differences[0],
        "MaintenanceWindow twice: sub-resources [], expected [\"targets/web\"]"
    );
    assert!(
        differences[1].ends_with("not owned (an orphan)"),
        "{differences:#?}"
    );
    // With the untagged one allowed, only the sub-resource difference is left.
    let allowed = ["twice".to_string()].into();
    assert_eq!(census.differences(&expected, &none, &allowed).len(), 1);
}
