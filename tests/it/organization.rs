//! Organization targets on the emulator: an organization of nested OUs and member
//! accounts (AWS Organizations, moto's, behind the model validation), discovered at
//! every plan and apply; a new account enrolled, an account moved out retained (also
//! with `--prune`) and its departure in the history once, an account whose role is
//! gone failing alone, and the organization's group in `--target` and
//! `metadata.targets`. The controller: one discovery per resync round (counted), a
//! new account enrolled by the next round, a departure in `/status`.

use std::collections::BTreeSet;

use crate::emulator::Emulator;
use crate::fixtures::trusted_role;
use crate::support::{history_json, rt, start_controller_polling, status_of, wait_until, Repo};

/// An organization whose management account is the repository's: `prod` (with a
/// nested `web`) is in scope, `sandbox` is not.
struct Org {
    client: aws_sdk_organizations::Client,
    prod: String,
    web: String,
    sandbox: String,
}

impl Org {
    fn new(repo: &Repo) -> Org {
        let config = Emulator::shared().sdk_config(&repo.account.account_id, &repo.account.region);
        let client = aws_sdk_organizations::Client::new(&config);
        rt().block_on(async {
            client
                .create_organization()
                .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
                .send()
                .await
                .expect("CreateOrganization");
            let roots = client.list_roots().send().await.expect("ListRoots");
            let root = roots.roots()[0].id().unwrap().to_string();
            let ou = |parent: String, name: &'static str| {
                let client = client.clone();
                async move {
                    let out = client
                        .create_organizational_unit()
                        .parent_id(parent)
                        .name(name)
                        .send()
                        .await
                        .expect("CreateOrganizationalUnit");
                    out.organizational_unit().unwrap().id().unwrap().to_string()
                }
            };
            let prod = ou(root.clone(), "prod").await;
            let web = ou(prod.clone(), "web").await;
            let sandbox = ou(root, "sandbox").await;
            Org {
                client: client.clone(),
                prod,
                web,
                sandbox,
            }
        })
    }

    /// A new member account under `ou`, with the role `driftless` trusting the
    /// management account (`with_role`).
    fn account(&self, repo: &Repo, name: &str, ou: &str, with_role: bool) -> String {
        let account = rt().block_on(async {
            let made = self
                .client
                .create_account()
                .email(format!("{name}@example.com"))
                .account_name(name)
                .send()
                .await
                .expect("CreateAccount");
            let id = made
                .create_account_status()
                .and_then(|s| s.account_id())
                .expect("the new account's id")
                .to_string();
            let root = self.client.list_roots().send().await.unwrap().roots()[0]
                .id()
                .unwrap()
                .to_string();
            self.move_to(&id, &root, ou).await;
            id
        });
        if with_role {
            trusted_role(&account, "driftless", &repo.account.account_id, None);
        }
        account
    }

    async fn move_to(&self, account: &str, from: &str, to: &str) {
        self.client
            .move_account()
            .account_id(account)
            .source_parent_id(from)
            .destination_parent_id(to)
            .send()
            .await
            .expect("MoveAccount");
    }
}

const CONFIG: &str = "targets:\n  - {name: hub, region: REGION}\n  - organization:\n      ous: [OU]\n      roleName: driftless\n      regions: [REGION]\n      namePrefix: org-\n      group: members\n";
const SHARED: &str = "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /org/shared}\nspec: {retentionInDays: 7}\n";
const MEMBERS: &str = "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /org/members-only, targets: [members]}\nspec: {retentionInDays: 14}\n";

fn repo_with_org() -> (Repo, Org) {
    let repo = Repo::new(&[("shared.yaml", SHARED), ("members.yaml", MEMBERS)]);
    let org = Org::new(&repo);
    let config = CONFIG
        .replace("REGION", &repo.account.region)
        .replace("OU", &org.prod);
    repo.write("driftless.yaml", &config);
    (repo, org)
}

fn target(repo: &Repo, account: &str) -> String {
    format!("org-{account}-{}", repo.account.region)
}

/// (target, name) of every change in a JSON plan.
fn planned(plan: &serde_json::Value) -> BTreeSet<(String, String)> {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["target"].as_str().unwrap().to_string(),
                c["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The log groups under /org/ in `account`.
fn log_groups(repo: &Repo, account: &str) -> BTreeSet<String> {
    let config = Emulator::shared().sdk_config(account, &repo.account.region);
    let out = rt()
        .block_on(
            aws_sdk_cloudwatchlogs::Client::new(&config)
                .describe_log_groups()
                .log_group_name_prefix("/org/")
                .send(),
        )
        .unwrap();
    out.log_groups()
        .iter()
        .filter_map(|g| g.log_group_name().map(str::to_string))
        .collect()
}

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(t, n)| (t.to_string(), n.to_string()))
        .collect()
}

#[test]
fn nested_ous_are_discovered_and_new_accounts_enrolled_and_departed_ones_retained() {
    let (repo, org) = repo_with_org();
    let a = org.account(&repo, "a", &org.web, true); // nested under prod
    let b = org.account(&repo, "b", &org.prod, true);
    let outside = org.account(&repo, "c", &org.sandbox, true);
    let (ta, tb) = (target(&repo, &a), target(&repo, &b));

    // validate needs no discovery: the group is a valid reference offline.
    let dir = repo.dir.path().to_string_lossy().into_owned();
    let validate = repo.run_bare(&["validate", &dir]);
    assert_eq!(validate.code, 0, "{}\n{}", validate.stdout, validate.stderr);

    let plan = repo.plan();
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    assert_eq!(
        planned(&plan.json()),
        set(&[
            ("hub", "/org/shared"),
            (&ta, "/org/shared"),
            (&ta, "/org/members-only"),
            (&tb, "/org/shared"),
            (&tb, "/org/members-only"),
        ])
    );
    // --target takes the group and the generated names.
    let members = repo.run(&["plan", "--output", "json", "--target", "members"]);
    let only_members = planned(&members.json());
    assert!(only_members.iter().all(|(t, _)| *t == ta || *t == tb));
    assert_eq!(only_members.len(), 4, "{only_members:?}");
    let one = repo.run(&["plan", "--output", "json", "--target", &tb]);
    assert_eq!(planned(&one.json()).len(), 2);

    repo.apply(&[]);
    let both = BTreeSet::from(["/org/members-only".to_string(), "/org/shared".to_string()]);
    assert_eq!(log_groups(&repo, &a), both);
    assert_eq!(log_groups(&repo, &b), both);
    assert!(log_groups(&repo, &outside).is_empty());
    assert_eq!(repo.plan().code, 0, "converged");

    // A new account in scope is enrolled by the next plan and apply.
    let d = org.account(&repo, "d", &org.prod, true);
    let td = target(&repo, &d);
    let plan = repo.plan();
    assert_eq!(
        planned(&plan.json()),
        set(&[(&td, "/org/shared"), (&td, "/org/members-only")])
    );
    repo.apply(&[]);
    assert_eq!(log_groups(&repo, &d), both);

    // b moves out of scope; a document leaves the repository; apply --prune deletes
    // it where the accounts are in scope, and retains everything in b.
    rt().block_on(org.move_to(&b, &org.prod, &org.sandbox));
    repo.write("members.yaml", "");
    let plan = repo.run(&["plan", "--prune", "--output", "json"]);
    let json = plan.json();
    let warnings: Vec<&str> = json["warnings"]
        .as_array()
        .map(|w| w.iter().filter_map(|w| w.as_str()).collect())
        .unwrap_or_default();
    let about_b: Vec<&&str> = warnings.iter().filter(|w| w.contains(&tb)).collect();
    assert_eq!(about_b.len(), 1, "said once: {warnings:?}");
    assert!(about_b[0].contains("retained") && about_b[0].contains(&b));
    assert!(planned(&json).iter().all(|(t, _)| *t != tb), "{json}");
    let text = repo.run(&["plan", "--prune"]);
    assert!(text.output().contains(&tb), "{}", text.output());
    repo.apply(&["--prune"]);
    let shared_only = BTreeSet::from(["/org/shared".to_string()]);
    assert_eq!(log_groups(&repo, &a), shared_only);
    assert_eq!(log_groups(&repo, &d), shared_only);
    assert_eq!(
        log_groups(&repo, &b),
        both,
        "retained in the departed account"
    );

    // The departure is in the history once, whatever the applies after it.
    let departed = departures(&repo);
    assert_eq!(departed.len(), 1, "{departed:#?}");
    assert_eq!(departed[0]["target"], tb.as_str());
    assert_eq!(departed[0]["departure"]["account"], b.as_str());
    assert_eq!(departed[0]["departure"]["targets"], serde_json::json!([tb]));
    assert_eq!(departed[0]["departure"]["reason"], "out-of-scope");
    repo.apply(&["--prune"]);
    assert_eq!(departures(&repo), departed, "said once, not at every apply");
    let text = repo.run_raw(&["history", "--target", &tb]);
    assert!(
        text.stdout.contains(&format!(
            "account {b} left the organization's scope (moved out of the entry's OUs"
        )) && text.stdout.contains("resources are retained"),
        "{}",
        text.stdout
    );
    assert_eq!(log_groups(&repo, &b), both);
}

/// The `departed` records of the repository's history.
fn departures(repo: &Repo) -> Vec<serde_json::Value> {
    history_json(repo.state.path())["reconciles"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["result"] == "departed")
        .cloned()
        .collect()
}

#[test]
fn an_account_whose_role_is_gone_fails_alone() {
    let (repo, org) = repo_with_org();
    let a = org.account(&repo, "a", &org.prod, true);
    let gone = org.account(&repo, "gone", &org.web, false);
    let plan = repo.run(&["plan", "--output", "json"]);
    assert_eq!(plan.code, 1, "{}\n{}", plan.stdout, plan.stderr);
    let json = plan.json();
    let errors = json["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["target"], target(&repo, &gone));
    let hint = errors[0]["hint"].as_str().unwrap();
    assert!(
        hint.contains(&format!("arn:aws:iam::{gone}:role/driftless")) && hint.contains(&gone),
        "{hint}"
    );
    let targets: BTreeSet<String> = planned(&json).into_iter().map(|(t, _)| t).collect();
    assert_eq!(
        targets,
        BTreeSet::from(["hub".to_string(), target(&repo, &a)])
    );
    let apply = repo.run(&["apply", "--auto-approve"]);
    assert_eq!(apply.code, 1, "{}\n{}", apply.stdout, apply.stderr);
    assert_eq!(log_groups(&repo, &a).len(), 2, "the others applied");
}

#[test]
fn organization_entries_are_checked_with_their_locations() {
    let repo = Repo::new(&[(
        "driftless.yaml",
        "targets:\n  - organization:\n      ous: [prod]\n      roleName: ops/driftless\n      regions: [ap-northeast-9]\n      group: hub\n  - {name: hub, region: us-east-1}\n",
    )]);
    let dir = repo.dir.path().to_string_lossy().into_owned();
    let run = repo.run_bare(&["validate", &dir]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    let out = run.output();
    for (line, says) in [
        (3, "`prod` is not an OU id nor a root id"),
        (4, "roleName"),
        (5, "not an AWS region code"),
        (6, "`hub` already names a target or a group"),
    ] {
        assert!(
            out.contains(&format!("driftless.yaml:{line}:")) && out.contains(says),
            "line {line}, {says}:\n{out}"
        );
    }
}

/// Sums the reconciles `driftless history` counts for `targets`.
fn reconciles_of(repo: &Repo, targets: &[&str]) -> u64 {
    history_json(repo.state.path())["reconciles"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| targets.iter().any(|t| r["target"] == *t) && r["result"] != "departed")
        .map(|r| r["repeated"].as_u64().unwrap_or(1))
        .sum()
}

#[test]
fn the_controller_discovers_once_per_round_enrols_new_accounts_and_tells_departures() {
    let (repo, org) = repo_with_org();
    let a = org.account(&repo, "a", &org.web, true);
    let b = org.account(&repo, "b", &org.prod, true);
    let (ta, tb) = (target(&repo, &a), target(&repo, &b));
    let dir = repo.dir.path().to_string_lossy().into_owned();
    let (mut child, addr) = start_controller_polling(&repo, &dir, "1s", "3s", &["--prune"]);
    let converged = |t: &str| status_of(&addr)["targets"][t]["lastResult"] == "converged";
    wait_until("the first reconciles", &|| {
        converged("hub") && converged(&ta) && converged(&tb)
    });
    let both = BTreeSet::from(["/org/members-only".to_string(), "/org/shared".to_string()]);
    assert_eq!(log_groups(&repo, &a), both);

    // Discovery is shared by the reconciles of a round: discoveries start at least
    // a resync (3 s) apart, so a window of W seconds holds at most W / 3 + 1 of them
    // (and the end of one begun before), each reading the two OUs in scope (prod and
    // its nested web: one ListAccountsForParent and one ListChildren each); while
    // the three targets reconcile several times. Discovering per reconcile, or per
    // poll (every second), would read them far more often.
    let all = ["hub", ta.as_str(), tb.as_str()];
    let (calls, reconciles) = (repo.calls(), reconciles_of(&repo, &all));
    let window = std::time::Instant::now();
    std::thread::sleep(std::time::Duration::from_secs(10));
    let (after, reconciled) = (repo.calls(), reconciles_of(&repo, &all) - reconciles);
    let rounds = window.elapsed().as_secs() / 3 + 1;
    for op in ["ListAccountsForParent", "ListChildren"] {
        let read = after.get("organizations", op) - calls.get("organizations", op);
        assert!(
            (2..=2 * rounds + 1).contains(&read),
            "{op}: {read} calls in {rounds} rounds at most, for {reconciled} reconciles"
        );
    }
    assert!(reconciled >= 4, "{reconciled} reconciles");

    // A new account in scope is enrolled by the next round.
    let d = org.account(&repo, "d", &org.prod, true);
    let td = target(&repo, &d);
    wait_until("the new account reconciled", &|| converged(&td));
    assert_eq!(log_groups(&repo, &d), both);

    // b moves out: no longer reconciled, its resources retained (under --prune),
    // the departure in /status and once in the history.
    rt().block_on(org.move_to(&b, &org.prod, &org.sandbox));
    let departed = || status_of(&addr)["departed"].clone();
    wait_until("the departure in /status", &|| departed().is_array());
    let status = status_of(&addr);
    let told = &status["departed"];
    assert_eq!(told.as_array().unwrap().len(), 1, "{told}");
    assert_eq!(told[0]["account"], b.as_str());
    assert_eq!(told[0]["targets"], serde_json::json!([tb]));
    assert_eq!(told[0]["reason"], "out-of-scope");
    assert!(told[0]["departedAt"].as_str().unwrap().ends_with('Z'));
    let owned = status["shard"]["targets"].as_array().unwrap();
    assert!(!owned.iter().any(|t| *t == tb.as_str()), "{owned:?}");
    // Another round later: still one record, and the resources are still there.
    std::thread::sleep(std::time::Duration::from_secs(5));
    assert_eq!(status_of(&addr)["departed"], *told);
    child.kill().unwrap();
    child.wait().unwrap();
    let records = departures(&repo);
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0]["target"], tb.as_str());
    assert_eq!(log_groups(&repo, &b), both);
}
