//! A generator of valid desired-state repositories of every kind, for the fault and
//! crash suites: alarms (single metric and metric math), log groups, log retention
//! policies, patch baselines of several operating systems with patch groups,
//! maintenance windows with targets and tasks of every task type, backup vaults and
//! backup plans with rules and selections. What it generates is also described as an
//! [`Expected`] estate, which `census` compares with what the account holds.
//!
//! Deterministic: the same [`Sizes`] and `prefix` give the same files, so a restart
//! (crash suite) sees the same revision.

use std::collections::BTreeMap;

/// How many resources of each kind.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub alarms: usize,
    pub log_groups: usize,
    pub retention_policies: usize,
    pub baselines: usize,
    pub windows: usize,
    pub vaults: usize,
    pub plans: usize,
}

impl Sizes {
    /// A few hundred resources (plus their sub-resources), inside AWS's default
    /// per-account quotas for the SSM and Backup kinds (50 windows, 50 baselines, 100
    /// vaults, 100 plans), leaving room for the seeded namesakes.
    pub fn few_hundred() -> Sizes {
        Sizes {
            alarms: 90,
            log_groups: 90,
            retention_policies: 3,
            baselines: 30,
            windows: 30,
            vaults: 20,
            plans: 30,
        }
    }

    /// Enough of every kind for a crash to land in the middle of each.
    pub fn small() -> Sizes {
        Sizes {
            alarms: 12,
            log_groups: 12,
            retention_policies: 1,
            baselines: 6,
            windows: 6,
            vaults: 4,
            plans: 6,
        }
    }

    pub fn total(&self) -> usize {
        self.alarms
            + self.log_groups
            + self.retention_policies
            + self.baselines
            + self.windows
            + self.vaults
            + self.plans
    }
}

/// What a generated repository should produce in AWS: names per kind and, for the
/// kinds with sub-resources, their names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expected {
    pub alarms: Vec<String>,
    pub log_groups: Vec<String>,
    /// Baseline name → its patch groups.
    pub baselines: BTreeMap<String, Vec<String>>,
    /// Window name → (target names, task names).
    pub windows: BTreeMap<String, (Vec<String>, Vec<String>)>,
    pub vaults: Vec<String>,
    /// Plan name → selection names.
    pub plans: BTreeMap<String, Vec<String>>,
}

impl Expected {
    /// How many resources (not sub-resources) the account should hold.
    pub fn resources(&self) -> usize {
        self.alarms.len()
            + self.log_groups.len()
            + self.baselines.len()
            + self.windows.len()
            + self.vaults.len()
            + self.plans.len()
    }
}

impl Expected {
    /// Resources and sub-resources (window targets and tasks, selections, patch
    /// groups) the account should hold.
    pub fn parts(&self) -> usize {
        let subs = self.baselines.values().map(Vec::len).sum::<usize>()
            + self
                .windows
                .values()
                .map(|(a, b)| a.len() + b.len())
                .sum::<usize>()
            + self.plans.values().map(Vec::len).sum::<usize>();
        self.resources() + subs
    }
}

/// A generated repository: its files (relative path, text) and what it describes.
pub struct Generated {
    pub files: Vec<(String, String)>,
    pub expected: Expected,
}

/// Writes `generated`'s files under `root`.
pub fn write_to(generated: &Generated, root: &std::path::Path) {
    for (path, text) in &generated.files {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

const DOC: &str = "apiVersion: driftless.dev/v1\n";
const RETENTIONS: &[u32] = &[1, 3, 7, 14, 30, 60, 90, 180, 365, 731];
const ROLE: &str = "arn:aws:iam::111111111111:role";

/// A repository of `sizes` resources whose names start with `prefix` (letters,
/// digits and `-`), one file per kind, in the account's `region`.
pub fn repository(prefix: &str, sizes: Sizes, region: &str) -> Generated {
    let mut expected = Expected::default();
    let files = vec![
        (
            "alarms.yaml".to_string(),
            alarms(prefix, sizes, region, &mut expected),
        ),
        ("logs.yaml".to_string(), logs(prefix, sizes, &mut expected)),
        (
            "baselines.yaml".to_string(),
            baselines(prefix, sizes, &mut expected),
        ),
        (
            "windows.yaml".to_string(),
            windows(prefix, sizes, region, &mut expected),
        ),
        (
            "backup.yaml".to_string(),
            backup(prefix, sizes, &mut expected),
        ),
    ];
    Generated { files, expected }
}

fn alarms(prefix: &str, sizes: Sizes, region: &str, expected: &mut Expected) -> String {
    let topic = format!("arn:aws:sns:{region}:111111111111:{prefix}-oncall");
    let mut out = String::new();
    for i in 0..sizes.alarms {
        let name = format!("{prefix}-alarm-{i:03}");
        out.push_str(&format!(
            "---\n{DOC}kind: MetricAlarm\nmetadata: {{name: {name}}}\nspec:\n"
        ));
        if i % 5 == 4 {
            out.push_str(&format!(
                "  description: \"error rate of service {i} \u{2014} metric math\"\n  \
                 metrics:\n    - id: errors\n      metricStat:\n        metric: {{namespace: \
                 AWS/ApplicationELB, metricName: HTTPCode_Target_5XX_Count, dimensions: \
                 {{LoadBalancer: app/lb-{i}/0123456789abcdef}}}}\n        period: 300\n        \
                 stat: Sum\n      returnData: false\n    - id: requests\n      metricStat:\n        \
                 metric: {{namespace: AWS/ApplicationELB, metricName: RequestCount, dimensions: \
                 {{LoadBalancer: app/lb-{i}/0123456789abcdef}}}}\n        period: 300\n        \
                 stat: Sum\n      returnData: false\n    - id: rate\n      expression: 100 * \
                 errors / requests\n      label: Error rate\n      returnData: true\n  \
                 evaluationPeriods: {}\n  threshold: {}\n  comparisonOperator: \
                 GreaterThanThreshold\n  treatMissingData: notBreaching\n  alarmActions: \
                 [{topic}]\n",
                1 + i % 3,
                1 + i % 10
            ));
        } else {
            let (stat, op, missing) = match i % 4 {
                0 => ("Average", "GreaterThanThreshold", "missing"),
                1 => ("Maximum", "GreaterThanOrEqualToThreshold", "breaching"),
                2 => ("Sum", "LessThanThreshold", "notBreaching"),
                _ => ("Minimum", "LessThanOrEqualToThreshold", "ignore"),
            };
            out.push_str(&format!(
                "  description: CPU of group {i}\n  namespace: AWS/EC2\n  metricName: \
                 CPUUtilization\n  dimensions: {{AutoScalingGroupName: asg-{i}}}\n  statistic: \
                 {stat}\n  period: {}\n  evaluationPeriods: {}\n  datapointsToAlarm: 1\n  \
                 threshold: {}.5\n  comparisonOperator: {op}\n  treatMissingData: {missing}\n  \
                 unit: Percent\n  alarmActions: [{topic}]\n  okActions: [{topic}]\n",
                [60, 300, 3600][i % 3],
                1 + i % 5,
                40 + i % 50
            ));
        }
        if i % 2 == 0 {
            out.push_str(&format!("  tags: {{team: t{}, index: \"{i}\"}}\n", i % 7));
        }
        expected.alarms.push(name);
    }
    out
}

fn logs(prefix: &str, sizes: Sizes, expected: &mut Expected) -> String {
    let mut out = String::new();
    for i in 0..sizes.log_groups {
        let name = format!("/{prefix}/svc-{:02}/group-{i:03}", i % 11);
        out.push_str(&format!(
            "---\n{DOC}kind: LogGroup\nmetadata: {{name: {name}}}\nspec:\n"
        ));
        match i % 4 {
            0 => out.push_str("  retentionInDays: never\n"),
            3 => {}
            _ => out.push_str(&format!(
                "  retentionInDays: {}\n",
                RETENTIONS[i % RETENTIONS.len()]
            )),
        }
        if i % 6 == 5 {
            out.push_str("  logGroupClass: INFREQUENT_ACCESS\n");
        }
        out.push_str(&format!("  tags: {{service: s{}}}\n", i % 11));
        expected.log_groups.push(name);
    }
    // Policies over groups driftless does not own (a test may make some: Lambda's).
    for i in 0..sizes.retention_policies {
        out.push_str(&format!(
            "---\n{DOC}kind: LogRetentionPolicy\nmetadata: {{name: {prefix}-retention-{i}}}\n\
             spec:\n  logGroupNamePrefix: /{prefix}-lambda-{i}/\n  retentionInDays: {}\n  \
             onlyWhereUnset: {}\n  exclude: [/{prefix}-lambda-{i}/audit-]\n",
            policy_retention(i),
            i % 2 == 0
        ));
    }
    out
}

/// The days the `i`-th generated LogRetentionPolicy sets (on `/<prefix>-lambda-<i>/`
/// groups; only where unset for even `i`; `audit-` groups excluded).
pub fn policy_retention(i: usize) -> u32 {
    RETENTIONS[(i + 3) % RETENTIONS.len()]
}

fn baselines(prefix: &str, sizes: Sizes, expected: &mut Expected) -> String {
    let mut out = String::new();
    for i in 0..sizes.baselines {
        let name = format!("{prefix}-baseline-{i:03}");
        let (os, filters, global) = match i % 4 {
            0 => (
                "AMAZON_LINUX_2023",
                "CLASSIFICATION: [Security, Bugfix]\n        SEVERITY: [Critical, Important]",
                "PRODUCT: [AmazonLinux2023]",
            ),
            1 => (
                "UBUNTU",
                "PRIORITY: [Required, Important]\n        SECTION: [libs]",
                "PRODUCT: [Ubuntu22.04]",
            ),
            2 => (
                "WINDOWS",
                "CLASSIFICATION: [SecurityUpdates, CriticalUpdates]\n        MSRC_SEVERITY: [Critical]",
                "PRODUCT: [WindowsServer2022]",
            ),
            _ => (
                "REDHAT_ENTERPRISE_LINUX",
                "CLASSIFICATION: [Security]\n        SEVERITY: [Critical]",
                "PRODUCT: [RedhatEnterpriseLinux9.0]",
            ),
        };
        let groups: Vec<String> = (0..i % 3).map(|g| format!("{prefix}-pg-{i}-{g}")).collect();
        out.push_str(&format!(
            "---\n{DOC}kind: PatchBaseline\nmetadata: {{name: {name}}}\nspec:\n  \
             operatingSystem: {os}\n  description: generated baseline {i}\n  approvalRules:\n    \
             - patchFilters:\n        {filters}\n      approveAfterDays: {}\n      \
             complianceLevel: {}\n  globalFilters: {{{global}}}\n  rejectedPatchesAction: {}\n",
            i % 15,
            ["CRITICAL", "HIGH", "MEDIUM"][i % 3],
            ["BLOCK", "ALLOW_AS_DEPENDENCY"][i % 2]
        ));
        if !groups.is_empty() {
            out.push_str(&format!("  patchGroups: [{}]\n", groups.join(", ")));
        }
        out.push_str(&format!("  tags: {{env: e{}}}\n", i % 3));
        expected.baselines.insert(name, groups);
    }
    out
}

fn windows(prefix: &str, sizes: Sizes, region: &str, expected: &mut Expected) -> String {
    let mut out = String::new();
    for i in 0..sizes.windows {
        let name = format!("{prefix}-window-{i:03}");
        let schedule = match i % 3 {
            0 => format!("cron(0 {} ? * TUE *)", i % 24),
            1 => format!("cron({} 2 ? * SAT#2 *)", i % 60),
            _ => "rate(7 days)".to_string(),
        };
        out.push_str(&format!(
            "---\n{DOC}kind: MaintenanceWindow\nmetadata: {{name: {name}}}\nspec:\n  \
             description: generated window {i}\n  schedule: {schedule}\n"
        ));
        if i % 3 != 2 {
            out.push_str("  scheduleTimezone: Asia/Tokyo\n");
        }
        out.push_str(&format!(
            "  duration: {}\n  cutoff: 1\n  allowUnassociatedTargets: {}\n  enabled: {}\n  \
             targets:\n    - name: web\n      resourceType: INSTANCE\n      tags: {{\"Patch \
             Group\": {prefix}-web-{i}}}\n    - name: batch\n      resourceType: \
             RESOURCE_GROUP\n      resourceGroup: {prefix}-rg-{i}\n  tasks:\n",
            2 + i % 4,
            i % 2 == 0,
            i % 5 != 0
        ));
        let (tasks, task_names) = window_tasks(prefix, i, region);
        out.push_str(&tasks);
        out.push_str(&format!("  tags: {{env: e{}}}\n", i % 3));
        expected
            .windows
            .insert(name, (vec!["batch".into(), "web".into()], task_names));
    }
    out
}

/// Two or three tasks per window, cycling through every task type.
fn window_tasks(prefix: &str, i: usize, region: &str) -> (String, Vec<String>) {
    let mut out = String::from(
        "    - name: patch\n      type: RUN_COMMAND\n      taskArn: AWS-RunPatchBaseline\n      \
         targets: [web]\n      priority: 1\n      maxConcurrency: \"10%\"\n      maxErrors: \
         \"1\"\n      cutoffBehavior: CONTINUE_TASK\n      parameters: {Operation: [Install], \
         RebootOption: [RebootIfNeeded]}\n",
    );
    let mut names = vec!["patch".to_string()];
    let second = match i % 3 {
        0 => format!(
            "    - name: restart\n      type: AUTOMATION\n      taskArn: AWS-RestartEC2Instance\n      \
             targets: [batch]\n      priority: 2\n      maxConcurrency: \"2\"\n      maxErrors: \
             \"1\"\n      serviceRoleArn: {ROLE}/mw-tasks\n      parameters: {{InstanceId: \
             [\"{{{{RESOURCE_ID}}}}\"]}}\n"
        ),
        1 => format!(
            "    - name: notify\n      type: LAMBDA\n      taskArn: \
             arn:aws:lambda:{region}:111111111111:function:{prefix}-notify\n      priority: 3\n      \
             serviceRoleArn: {ROLE}/mw-tasks\n      lambda: {{payload: {{report: weekly}}, qualifier: \
             prod}}\n"
        ),
        _ => format!(
            "    - name: post\n      type: STEP_FUNCTIONS\n      taskArn: \
             arn:aws:states:{region}:111111111111:stateMachine:{prefix}-post\n      priority: 4\n      \
             serviceRoleArn: {ROLE}/mw-tasks\n      stepFunctions: {{input: \"{{\\\"after\\\": \
             \\\"patching\\\"}}\", name: post-run}}\n"
        ),
    };
    names.push(second.split_whitespace().nth(2).unwrap().to_string());
    out.push_str(&second);
    names.sort();
    (out, names)
}

fn backup(prefix: &str, sizes: Sizes, expected: &mut Expected) -> String {
    let mut out = String::new();
    for i in 0..sizes.vaults {
        let name = format!("{prefix}-vault-{i:03}");
        out.push_str(&format!(
            "---\n{DOC}kind: BackupVault\nmetadata: {{name: {name}}}\nspec: {{tags: {{tier: \
             t{}}}}}\n",
            i % 3
        ));
        expected.vaults.push(name);
    }
    for i in 0..sizes.plans {
        let name = format!("{prefix}-plan-{i:03}");
        let vault = format!("{prefix}-vault-{:03}", i % sizes.vaults.max(1));
        out.push_str(&format!(
            "---\n{DOC}kind: BackupPlan\nmetadata: {{name: {name}}}\nspec:\n  rules:\n    - \
             name: daily\n      targetVault: {vault}\n      schedule: cron({} {} ? * * *)\n      \
             startWindowMinutes: 60\n      completionWindowMinutes: {}\n      lifecycle: \
             {{deleteAfterDays: {}}}\n      recoveryPointTags: {{plan: p{i}}}\n",
            i % 60,
            i % 24,
            180 + 60 * (i % 4),
            7 + i % 30
        ));
        if i % 2 == 1 {
            out.push_str(&format!(
                "    - name: monthly\n      targetVault: {vault}\n      schedule: cron(0 5 1 * ? \
                 *)\n      lifecycle: {{moveToColdStorageAfterDays: 1, deleteAfterDays: 91}}\n"
            ));
        }
        let mut selections = vec!["tagged".to_string()];
        out.push_str(&format!(
            "  selections:\n    - name: tagged\n      iamRoleArn: {ROLE}/backup\n      tags: \
             {{Backup: p{i}}}\n"
        ));
        if i % 3 == 0 {
            out.push_str(&format!(
                "    - name: tables\n      iamRoleArn: {ROLE}/backup\n      resources: \
                 [\"arn:aws:dynamodb:*:*:table/{prefix}-{i}-*\"]\n"
            ));
            selections.push("tables".to_string());
        }
        out.push_str(&format!("  tags: {{plan: p{i}}}\n"));
        selections.sort();
        expected.plans.insert(name, selections);
    }
    out
}

#[test]
fn generated_repositories_validate() {
    let generated = repository("gen", Sizes::few_hundred(), "us-east-1");
    let dir = tempfile::tempdir().unwrap();
    write_to(&generated, dir.path());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_driftless"))
        .arg("validate")
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let e = &generated.expected;
    let sizes = Sizes::few_hundred();
    assert_eq!(e.alarms.len(), sizes.alarms);
    assert_eq!(e.log_groups.len(), sizes.log_groups);
    assert_eq!(e.windows.len(), sizes.windows);
    assert_eq!(e.plans.len(), sizes.plans);
}
