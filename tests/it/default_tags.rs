//! Issue 14, part 7: driftless.yaml `defaults.tags` are merged under every taggable
//! spec's own tags (the spec wins), shown in the plan, written, and counted against
//! the tag limit; a kind without tags (LogRetentionPolicy) is untouched.

use aws_sdk_cloudwatchlogs::Client as Logs;

use crate::support::Repo;

fn config(cost_center: &str) -> String {
    format!("defaults:\n  tags: {{cost-center: \"{cost_center}\", team: platform}}\n")
}

const GROUP: &str = "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /defaults/app}\nspec: {retentionInDays: 14, tags: {team: web}}\n";
const VAULT: &str =
    "apiVersion: driftless.dev/v1\nkind: BackupVault\nmetadata: {name: default-tagged}\nspec: {}\n";
const POLICY: &str = "apiVersion: driftless.dev/v1\nkind: LogRetentionPolicy\nmetadata: {name: lambda}\nspec: {logGroupNamePrefix: /aws/lambda/, retentionInDays: 30}\n";

/// The tag key of a plan field path (`tags.team`, `tags["cost-center"]`).
fn tag_of(path: &str) -> Option<String> {
    if let Some(key) = path.strip_prefix("tags.") {
        return Some(key.to_string());
    }
    let quoted = path.strip_prefix("tags[")?.strip_suffix(']')?;
    serde_json::from_str(quoted).ok()
}

#[test]
fn default_tags_are_merged_under_the_specs_shown_in_the_plan_and_applied() {
    let repo = Repo::new(&[
        ("driftless.yaml", &config("1234")),
        ("group.yaml", GROUP),
        ("vault.yaml", VAULT),
        ("policy.yaml", POLICY),
    ]);
    let plan = repo.plan().json();
    let created = |name: &str| -> Vec<(String, String)> {
        let change = plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name}: {plan}"))
            .clone();
        change["fields"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| {
                let tag = tag_of(f["path"].as_str()?)?;
                Some((tag, f["desired"].as_str()?.to_string()))
            })
            .filter(|(k, _)| k != "driftless.dev/managed-by")
            .collect()
    };
    // The spec's `team: web` wins over the default `team: platform`.
    assert_eq!(
        created("/defaults/app"),
        [
            ("cost-center".to_string(), "1234".to_string()),
            ("team".to_string(), "web".to_string())
        ]
    );
    assert_eq!(
        created("default-tagged"),
        [
            ("cost-center".to_string(), "1234".to_string()),
            ("team".to_string(), "platform".to_string())
        ]
    );
    let text = repo.run(&["plan"]);
    assert!(text.stdout.contains("cost-center"), "{}", text.stdout);

    repo.apply(&[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let logs = Logs::new(&repo.sdk());
    let arn = format!(
        "arn:aws:logs:{}:{}:log-group:/defaults/app",
        repo.account.region, repo.account.account_id
    );
    let tags = rt
        .block_on(logs.list_tags_for_resource().resource_arn(&arn).send())
        .unwrap();
    let tags = tags.tags().unwrap();
    assert_eq!(tags.get("cost-center").map(String::as_str), Some("1234"));
    assert_eq!(tags.get("team").map(String::as_str), Some("web"));
    assert_eq!(repo.plan().code, 0);

    // A changed default is a change of exactly that tag on every taggable resource,
    // and nothing else is written.
    repo.write("driftless.yaml", &config("5678"));
    let plan = repo.plan().json();
    let changes = plan["changes"].as_array().unwrap();
    let mut named: Vec<(&str, Vec<&str>)> = changes
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap(),
                c["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["path"].as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    named.sort();
    assert_eq!(
        named,
        [
            ("/defaults/app", vec!["tags[\"cost-center\"]"]),
            ("default-tagged", vec!["tags[\"cost-center\"]"])
        ],
        "{plan}"
    );
    let written = repo.apply_writes(&[]);
    assert_eq!(
        written.keys().map(String::as_str).collect::<Vec<_>>(),
        ["backup:TagResource", "logs:TagResource"],
        "{written:?}"
    );
    assert_eq!(repo.plan().code, 0);
}

#[test]
fn default_tags_count_against_the_tag_limit_and_are_checked_in_driftless_yaml() {
    let own: Vec<String> = (0..48).map(|i| format!("k{i}: v")).collect();
    let group = format!(
        "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {{name: /defaults/many}}\nspec:\n  tags: {{{}}}\n",
        own.join(", ")
    );
    let repo = Repo::new(&[
        ("driftless.yaml", &config("1234")),
        ("extra.yaml", "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /defaults/few}\nspec: {}\n"),
        ("group.yaml", &group),
    ]);
    let run = repo.plan();
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let errors = run.json()["errors"].as_array().unwrap().clone();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    assert!(e["path"].as_str().unwrap().ends_with("group.yaml"), "{e}");
    assert_eq!(e["line"], 5);
    assert!(e["message"]
        .as_str()
        .unwrap()
        .starts_with("50 tags; AWS allows at most 50"));
    assert!(e["hint"].as_str().unwrap().contains("defaults.tags"));

    repo.write("driftless.yaml", "defaults:\n  tags: {\"aws:cost\": x}\n");
    let run = repo.plan();
    assert_eq!(run.code, 1);
    let errors = run.json()["errors"].as_array().unwrap().clone();
    assert!(
        errors
            .iter()
            .any(|e| e["path"].as_str().unwrap().ends_with("driftless.yaml")
                && e["line"] == 2
                && e["message"]
                    .as_str()
                    .unwrap()
                    .contains("reserved prefix `aws:`")),
        "{errors:?}"
    );
}
