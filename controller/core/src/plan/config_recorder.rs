//! Planning the `ConfigurationRecorder` (with its delivery channel and status). Pure.
//!
//! Recorders and delivery channels carry no ownership tag driftless reads, so, as for
//! metric filters, a recorder is driftless's when the state store records that
//! driftless applied it (`target/ConfigurationRecorder/name`, or a value written ahead
//! and not confirmed), or when the spec adopts it (`adopt: true`; the apply then
//! records it). Its delivery channel goes with it: the Region has one of each.
//!
//! AWS allows one customer managed recorder per account and Region, so a desired
//! recorder while the Region has another one is a conflict: another's is never
//! touched; driftless's own (it left the repository) is deleted with `--prune`, and
//! the next apply creates the new one. Owned recorders no document names are
//! deleted (with prune).

use std::collections::BTreeMap;

use serde_json::Value as J;

use super::work::{self, Calls, Chosen};
use super::{diff, drifted, normalise, record_key, Action, Change, PlanOptions, TargetPlan};
use crate::live::{Live, LiveTarget};
use crate::spec::{ConfigurationRecorderSpec, Kind, Resource, ResourceSpec};

const KIND: Kind = Kind::ConfigurationRecorder;

/// Whether driftless owns the recorder `name` of `target` (see the module doc).
pub fn owns(options: &PlanOptions, target: &str, name: &str) -> bool {
    let key = record_key(target, KIND, name);
    options.last_applied.contains_key(&key) || options.pending.contains_key(&key)
}

/// Plans the target's desired recorder (validation allows one) and the deletes of
/// owned ones no document names (pushed to `deletes`, which the prune guards decide
/// on).
pub fn plan_recorders(
    target: &str,
    desired: &[&Resource],
    live: &LiveTarget,
    options: &PlanOptions,
    plan: &mut TargetPlan,
    deletes: &mut Vec<Change>,
) {
    let wanted = desired.iter().find_map(|r| match &r.spec {
        ResourceSpec::ConfigurationRecorder(s) => Some((*r, s)),
        _ => None,
    });
    if let Some((r, spec)) = wanted {
        match plan_one(target, r, spec, live, options) {
            Some(mut c) => {
                c.report_only = r.metadata.drift_policy == crate::spec::DriftPolicy::Report;
                plan.changes.push(c);
            }
            None => plan.noop += 1,
        }
    }
    for (index, l) in live.config_recorders.iter().enumerate() {
        let named = wanted.is_some_and(|(r, _)| r.name() == l.name);
        if !named && owns(options, target, &l.name) {
            let mut c = Change::new(target, KIND, &l.name, Action::Delete);
            c.work.calls = Calls::Delete;
            c.work.live = Some(chosen(index));
            deletes.push(c);
        }
    }
}

fn chosen(index: usize) -> Chosen {
    Chosen {
        index,
        id: None,
        arn: None,
    }
}

/// The change one desired recorder needs (`None`: none).
fn plan_one(
    target: &str,
    r: &Resource,
    spec: &ConfigurationRecorderSpec,
    live: &LiveTarget,
    options: &PlanOptions,
) -> Option<Change> {
    let name = r.name();
    let new = |action| Change::new(target, KIND, name, action);
    let same = live
        .config_recorders
        .iter()
        .enumerate()
        .find(|(_, l)| l.name == name);
    let other = live.config_recorders.iter().find(|l| l.name != name);
    let mut desired = normalise::config_recorder(spec).main;
    match (same, other) {
        (Some((index, l)), _) => {
            let ours = owns(options, target, name);
            if !ours && !r.metadata.adopt {
                let mut c = new(Action::Conflict);
                c.reason = Some(format!(
                    "this Region's configuration recorder `{name}` was not created by driftless (recorders carry no ownership tag; driftless's are in its state store); set `metadata.adopt: true` to take it over with its delivery channel"
                ));
                return Some(c);
            }
            let current = normalise::config_recorder(&l.spec).main;
            normalise::config_recorder_dont_care(&mut desired, &current);
            let fields = diff::diff(&desired, &current);
            if fields.is_empty() && ours {
                return None;
            }
            let mut c = new(Action::Update);
            c.adopt = !ours;
            c.work.live = Some(chosen(index));
            c.work.calls = if fields.is_empty() {
                c.reason = Some("adopted: apply records it in the state store (recorders carry no ownership tag)".into());
                Calls::Record
            } else {
                work::update_calls(KIND, &desired, &current)
            };
            c.drift = drifted(options, target, KIND, name, &current);
            c.fields = fields;
            Some(c)
        }
        (None, Some(o)) => Some(one_per_region(
            new(Action::Conflict),
            name,
            o,
            options,
            target,
        )),
        (None, None) => {
            let mut c = new(Action::Create);
            c.fields = diff::diff(&desired, &J::Null);
            c.work.calls = Calls::Create;
            Some(c)
        }
    }
}

/// The Region already has another recorder: AWS allows one.
fn one_per_region(
    mut c: Change,
    name: &str,
    other: &Live<ConfigurationRecorderSpec>,
    options: &PlanOptions,
    target: &str,
) -> Change {
    c.reason = Some(if owns(options, target, &other.name) {
        format!(
            "AWS allows one configuration recorder per account and Region, and this Region's is driftless's `{}`, which no document names any more: apply with --prune deletes it (with its delivery channel), then the next apply creates `{name}`",
            other.name
        )
    } else {
        format!(
            "AWS allows one configuration recorder per account and Region, and this Region has `{}`, which driftless does not manage: name this document `{}` and set `metadata.adopt: true` to take it over, or delete that recorder",
            other.name, other.name
        )
    });
    c
}

/// Recorded records of `target`'s recorders (the engine reads the Region's recorder
/// when one is desired or recorded).
pub fn recorded(last_applied: &BTreeMap<String, J>, target: &str) -> bool {
    !super::recorded_names(last_applied, target, KIND).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Resource;

    const TARGET: &str = "default";

    fn spec(frequency: &str) -> ConfigurationRecorderSpec {
        serde_json::from_value(serde_json::json!({
            "roleArn": "arn:aws:iam::111111111111:role/config",
            "deliveryChannel": {"s3BucketName": "bucket", "deliveryFrequency": frequency},
        }))
        .unwrap()
    }

    fn resource(name: &str, s: ConfigurationRecorderSpec, adopt: bool) -> Resource {
        Resource {
            metadata: serde_json::from_value(serde_json::json!({"name": name, "adopt": adopt}))
                .unwrap(),
            spec: ResourceSpec::ConfigurationRecorder(s),
            targets: vec![TARGET.into()],
            origin: crate::spec::Origin {
                path: "f.yaml".into(),
                line: 1,
            },
            template: None,
        }
    }

    fn live(name: &str, s: ConfigurationRecorderSpec) -> LiveTarget {
        LiveTarget {
            config_recorders: vec![Live {
                name: name.into(),
                spec: s,
                arn: None,
                id: None,
                sub_ids: BTreeMap::new(),
                tags_known: false,
                unrepresented: Vec::new(),
            }],
            ..LiveTarget::default()
        }
    }

    fn plan(r: Option<&Resource>, live: &LiveTarget, recorded: &[&str]) -> TargetPlan {
        let options = PlanOptions {
            prune: true,
            max_deletes: 10,
            last_applied: recorded
                .iter()
                .map(|n| (record_key(TARGET, KIND, n), J::Null))
                .collect(),
            ..PlanOptions::default()
        };
        let desired: Vec<&Resource> = r.into_iter().collect();
        let mut p = TargetPlan::default();
        let mut deletes = Vec::new();
        plan_recorders(TARGET, &desired, live, &options, &mut p, &mut deletes);
        p.changes.extend(deletes);
        p
    }

    #[test]
    fn ownership_is_the_record_or_adopt() {
        let live = live("default", spec("One_Hour"));
        let r = resource("default", spec("Six_Hours"), false);
        let unowned = plan(Some(&r), &live, &[]);
        assert_eq!(unowned.changes[0].action, Action::Conflict);
        let owned = plan(Some(&r), &live, &["default"]);
        assert_eq!(owned.changes[0].action, Action::Update);
        assert_eq!(
            owned.changes[0].fields[0].path,
            "deliveryChannel.deliveryFrequency"
        );
        assert_eq!(
            owned.changes[0].work.calls,
            Calls::Update {
                writes: [work::Write::DeliveryChannel].into(),
                tags: work::TagChanges::default()
            }
        );
        let adopted = plan(
            Some(&resource("default", spec("One_Hour"), true)),
            &live,
            &[],
        );
        assert_eq!(adopted.changes[0].work.calls, Calls::Record);
        // Not desired: deleted only when driftless's.
        assert!(plan(None, &live, &[]).changes.is_empty());
        assert_eq!(
            plan(None, &live, &["default"]).changes[0].action,
            Action::Delete
        );
    }

    #[test]
    fn a_second_recorder_in_the_region_is_a_conflict() {
        let live = live("theirs", spec("One_Hour"));
        let p = plan(
            Some(&resource("default", spec("One_Hour"), true)),
            &live,
            &[],
        );
        assert_eq!(p.changes.len(), 1);
        assert_eq!(p.changes[0].action, Action::Conflict);
        assert!(p.changes[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("`theirs`, which driftless does not manage"));
    }
}
