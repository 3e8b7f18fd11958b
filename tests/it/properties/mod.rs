//! Convergence properties (issue 13, part 5), on the emulator through the real binary:
//!
//! 1. **Converges**: for generated valid specs of every kind, `validate` accepts them,
//!    `plan` shows changes, `apply` makes them with no failure, and the next `plan`
//!    shows no changes at all (no perpetual diff).
//! 2. **Drift is exact**: after convergence, one out-of-band change per resource made
//!    with the AWS SDK (a field chosen by the generator among the kind's
//!    [`drift::mutations`]) is reported by `plan` as drift on exactly that field.
//!
//! Cases are generated with proptest's runner and checked in batches of up to
//! [`BATCH`] cases in one repository (one AWS account), so 100 cases cost three plans
//! and one apply. A failing batch is bisected to its failing case, which proptest then
//! shrinks (each step a one-case repository); the panic shows the shrunk documents and
//! the seed. `DRIFTLESS_PROPERTY_CASES` sets the number of cases (default 100; the long
//! suite, `tests/soak/properties.sh`, runs 1,000) and `DRIFTLESS_PROPERTY_SEED` (64 hex
//! digits) replays a run.

mod drift;
mod generate;
mod regressions;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;

use crate::support::{Repo, Run};
use generate::{Case, Doc};

/// Cases per repository.
pub const BATCH: usize = 100;
const CASES_ENV: &str = "DRIFTLESS_PROPERTY_CASES";
const SEED_ENV: &str = "DRIFTLESS_PROPERTY_SEED";
/// Shrinking stops after this many one-case runs (each a few seconds).
const MAX_SHRINK_STEPS: usize = 40;

/// Why a batch failed: the step, the output, and the cases it names.
#[derive(Debug)]
pub struct Failure {
    pub step: &'static str,
    pub message: String,
    pub suspects: BTreeSet<usize>,
}

#[test]
fn specs_converge_and_drift_is_exact() {
    let wanted: usize = std::env::var(CASES_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let seed = seed();
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
    );
    let started = Instant::now();
    let mut done = 0;
    while done < wanted {
        let n = BATCH.min(wanted - done);
        let mut trees: Vec<_> = (0..n)
            .map(|i| generate::case(i).new_tree(&mut runner).unwrap())
            .collect();
        let cases: Vec<Case> = trees.iter().map(|t| t.current()).collect();
        if let Err(failure) = check(&cases) {
            let (i, shrunk, why) = shrink(&mut trees, &failure);
            panic!(
                "property failed (seed {}): the batch failed at {}:\n{}\n\n\
                 case {i} fails alone; shrunk, it fails with:\n{why}\n\nshrunk case:\n{}",
                hex(&seed),
                failure.step,
                cut(&failure.message),
                render(&shrunk)
            );
        }
        done += n;
        eprintln!(
            "properties: {done}/{wanted} cases converged, drift exact ({:.0?})",
            started.elapsed()
        );
    }
}

/// Every generated case validates (in-process, no AWS): 150 cases of every kind
/// through `validate::load_folder`, so a generator/validator disagreement is found
/// in a second, before any emulator run.
#[test]
fn generated_specs_validate() {
    let seed = seed();
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
    );
    let cases: Vec<Case> = (0..150)
        .map(|i| generate::case(i).new_tree(&mut runner).unwrap().current())
        .collect();
    let cases = shareable(&cases);
    let dir = tempfile::tempdir().unwrap();
    for (i, case) in cases.iter().enumerate() {
        std::fs::write(dir.path().join(format!("case-{i}.yaml")), render(case)).unwrap();
    }
    match driftless::validate::load_folder(dir.path(), "generated") {
        Ok(loaded) => assert_eq!(loaded.state.resources.len(), 150 * 9),
        Err(driftless::validate::LoadError::Invalid(d)) => panic!(
            "generated specs do not validate (seed {}):\n{}",
            hex(&seed),
            driftless::spec::diagnostic::render_text(&d[..d.len().min(30)])
        ),
        Err(e) => panic!("{e}"),
    }
}

fn seed() -> Vec<u8> {
    if let Ok(hex) = std::env::var(SEED_ENV) {
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect();
        assert_eq!(bytes.len(), 32, "{SEED_ENV} must be 64 hex digits");
        return bytes;
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let mut bytes = Vec::with_capacity(32);
    for round in 0u128..2 {
        bytes.extend_from_slice(
            &(nanos ^ (round << 64) ^ u128::from(std::process::id())).to_le_bytes(),
        );
    }
    bytes
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A case as the YAML files it is written as.
fn render(case: &Case) -> String {
    case.docs
        .iter()
        .map(Doc::yaml)
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// The batch adjusted so that its cases can share one account: at most one baseline
/// per operating system is the default (AWS has one default per OS).
fn shareable(cases: &[Case]) -> Vec<Case> {
    let mut defaults = BTreeSet::new();
    let mut cases = cases.to_vec();
    for case in &mut cases {
        for doc in &mut case.docs {
            if doc.spec.get("defaultForOperatingSystem") == Some(&Value::Bool(true)) {
                let os = doc.spec["operatingSystem"].as_str().unwrap().to_string();
                if !defaults.insert(os) {
                    doc.spec["defaultForOperatingSystem"] = Value::Bool(false);
                }
            }
        }
    }
    cases
}

/// Finds a failing case in a failed batch (the suspects first, then every case
/// alone) and shrinks it. Returns its index, the shrunk case and why it fails.
fn shrink<T: ValueTree<Value = Case>>(trees: &mut [T], failure: &Failure) -> (usize, Case, String) {
    let order: Vec<usize> = failure
        .suspects
        .iter()
        .copied()
        .chain((0..trees.len()).filter(|i| !failure.suspects.contains(i)))
        .collect();
    let Some((i, mut why)) = order.into_iter().find_map(|i| {
        let case = trees[i].current();
        check(std::slice::from_ref(&case))
            .err()
            .map(|f| (i, f.message))
    }) else {
        panic!(
            "the batch failed ({}), but no case fails alone:\n{}",
            failure.step, failure.message
        );
    };
    let tree = &mut trees[i];
    let mut best = tree.current();
    let mut steps = 0;
    if tree.simplify() {
        while steps < MAX_SHRINK_STEPS {
            steps += 1;
            let candidate = tree.current();
            match check(std::slice::from_ref(&candidate)) {
                Err(f) => {
                    best = candidate;
                    why = f.message;
                    if !tree.simplify() {
                        break;
                    }
                }
                Ok(()) => {
                    if !tree.complicate() {
                        break;
                    }
                }
            }
        }
    }
    (i, best, why)
}

/// validate → plan → apply → plan = no changes, then one out-of-band change per
/// resource → plan = drift on exactly those fields.
pub fn check(cases: &[Case]) -> Result<(), Failure> {
    let cases = shareable(cases);
    let files: Vec<(String, String)> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("case-{i}.yaml"), render(c)))
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let repo = Repo::new(&refs);
    let owners = owners(&cases);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(drift::seed_unowned_groups(&repo.sdk(), cases.len()));

    let validated = validate(&repo);
    expect(&validated, 0, "validate", &owners)?;
    let first = repo.plan();
    expect(&first, 2, "first plan", &owners)?;
    let applied = repo.run(&["apply", "--auto-approve"]);
    expect(&applied, 0, "apply", &owners)?;
    let second = repo.plan();
    expect(&second, 0, "plan after apply", &owners)?;

    let expected = runtime.block_on(drift::change_out_of_band(&repo.sdk(), &cases));
    let third = repo.plan();
    expect(&third, 2, "plan after out-of-band changes", &owners)?;
    compare_drift(&third.json(), &expected, &owners)
}

/// `driftless validate DIR` (it takes no state dir), its output scanned for secrets.
fn validate(repo: &Repo) -> Run {
    let out = crate::support::driftless(&repo.account, repo.state.path())
        .arg("validate")
        .arg(repo.dir.path())
        .output()
        .unwrap();
    let run = Run::from_output(&out);
    crate::secrets::assert_clean("validate's stdout", &run.stdout);
    crate::secrets::assert_clean("validate's stderr", &run.stderr);
    run
}

/// (kind, AWS name) → the case it belongs to.
type Owners = BTreeMap<(String, String), usize>;

fn owners(cases: &[Case]) -> Owners {
    let mut owners = BTreeMap::new();
    for (i, case) in cases.iter().enumerate() {
        for doc in &case.docs {
            owners.insert((doc.kind.to_string(), doc.name.clone()), i);
        }
    }
    owners
}

/// The case a plan change belongs to (sub-resources by their parent's name).
fn owner_of(change: &Value, owners: &Owners) -> Option<usize> {
    let kind = change["kind"].as_str()?.to_string();
    let name = change["name"].as_str()?;
    owners
        .get(&(kind.clone(), name.to_string()))
        .or_else(|| owners.get(&(kind, name.split('/').next()?.to_string())))
        .copied()
}

/// The cases whose names (or files) a command's output mentions.
fn mentioned(run: &Run, owners: &Owners) -> BTreeSet<usize> {
    let text = format!("{}\n{}", run.stdout, run.stderr);
    let mut found: BTreeSet<usize> = owners
        .iter()
        .filter(|((_, name), _)| text.contains(name.as_str()))
        .map(|(_, i)| *i)
        .collect();
    for i in 0..=owners.values().max().copied().unwrap_or(0) {
        if text.contains(&format!("case-{i}.yaml")) {
            found.insert(i);
        }
    }
    if let Ok(plan) = serde_json::from_str::<Value>(&run.stdout) {
        for change in plan["changes"].as_array().into_iter().flatten() {
            found.extend(owner_of(change, owners));
        }
    }
    found
}

fn expect(run: &Run, code: i32, step: &'static str, owners: &Owners) -> Result<(), Failure> {
    if run.code == code {
        return Ok(());
    }
    Err(Failure {
        step,
        message: format!(
            "{step}: exit {} (expected {code})\nstdout:\n{}\nstderr:\n{}",
            run.code,
            cut(&run.stdout),
            cut(&run.stderr)
        ),
        suspects: mentioned(run, owners),
    })
}

/// A long output cut to its lines that name an error or a failure, and its end.
fn cut(text: &str) -> String {
    if text.len() <= 6_000 {
        return text.to_string();
    }
    let problems: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("error") || l.contains("fail"))
        .take(40)
        .collect();
    let mut start = text.len() - 3_000;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!(
        "{}\n… ({} bytes in all) …\n{}",
        problems.join("\n"),
        text.len(),
        &text[start..]
    )
}

/// Every expected drift is in the plan as an update on exactly its field, marked
/// drift, and the plan has no other change.
fn compare_drift(
    plan: &Value,
    expected: &[drift::Expected],
    owners: &Owners,
) -> Result<(), Failure> {
    let changes = plan["changes"].as_array().cloned().unwrap_or_default();
    let mut problems = Vec::new();
    let mut suspects = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for e in expected {
        let found: Vec<&Value> = changes
            .iter()
            .filter(|c| c["kind"] == e.kind && c["name"] == e.change_name.as_str())
            .collect();
        let paths: Vec<&str> = found
            .iter()
            .flat_map(|c| c["fields"].as_array().into_iter().flatten())
            .filter_map(|f| f["path"].as_str())
            .collect();
        let ok = found.len() == 1
            && paths == [e.path.as_str()]
            && found[0]["drift"] == true
            && found[0]["action"] == "update";
        if !ok {
            problems.push(format!(
                "{} `{}`: {} should be drift on `{}` only; the plan has {}",
                e.kind,
                e.change_name,
                e.what,
                e.path,
                serde_json::to_string(&found).unwrap()
            ));
            suspects.insert(e.case);
        }
        seen.insert((e.kind, e.change_name.clone()));
    }
    for c in &changes {
        let key = (
            c["kind"].as_str().unwrap_or_default(),
            c["name"].as_str().unwrap_or_default().to_string(),
        );
        if !seen.iter().any(|(k, n)| *k == key.0 && *n == key.1) {
            problems.push(format!("unexpected change: {c}"));
            suspects.extend(owner_of(c, owners));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(Failure {
        step: "drift",
        message: problems.join("\n"),
        suspects,
    })
}
