//! Applying MetricAlarm and CompositeAlarm changes: PutMetricAlarm / PutCompositeAlarm
//! (upserts; the plan has already checked for an unowned namesake), tag changes,
//! DeleteAlarms; and the order composite alarms need.
//!
//! AWS refuses a composite alarm whose rule names an alarm that does not exist, and
//! refuses to delete an alarm a composite alarm still names ("Cannot delete … as there
//! are composite alarm(s) depending on it"). So composites are written after every
//! other write, a composite after the composites it names (its depth: 0 when it names
//! none, else one more than the deepest it names, over the desired composites of the
//! target), and deleted before every other delete, a composite before the composites
//! it names (the same depth over the live composites, deepest first). See
//! [`CompositeOrder`] and `apply::unit_phase`.

use std::collections::{BTreeMap, BTreeSet};

use super::{failed, ApplyError, Unit};
use crate::aws::cloudwatch;
use crate::engine::Planned;
use crate::plan::normalise;
use crate::plan::work::{Calls, TagChanges, Write};
use crate::spec::{CompositeAlarmSpec, ResourceSpec};

/// Depths beyond this share one phase (AWS would not evaluate such a chain sensibly
/// anyway; the order among them is then by name).
pub(super) const MAX_DEPTH: u16 = 100;

/// A metric or composite alarm's unit, as planned: PutMetricAlarm or PutCompositeAlarm
/// (with its tags) to create it; on update the put only when a setting changed, then
/// the tag changes (a put ignores tags for an existing alarm), so a tag-only change
/// (an adoption) only tags; or DeleteAlarms with its name alone (AWS deletes at most
/// one composite per call).
pub(super) async fn run(unit: &Unit<'_>) -> Result<(), (String, ApplyError)> {
    match unit.calls() {
        Calls::Delete => cloudwatch::delete_alarm(unit.clients, unit.name)
            .await
            .map_err(failed(unit.name)),
        Calls::Create => put(unit).await,
        Calls::Update { writes, tags } => {
            if writes.contains(&Write::Definition) {
                put(unit).await?;
            }
            retag(unit, tags).await
        }
        _ => Ok(()),
    }
}

/// PutMetricAlarm or PutCompositeAlarm of the desired alarm, with its tags. Over a
/// live alarm the put replaces it whole, so values the spec leaves to AWS's defaults
/// are sent as AWS has them (`normalise::alarm_to_write`) and the members the format
/// does not model are read and kept (`cloudwatch::update_alarm`).
async fn put(unit: &Unit<'_>) -> Result<(), (String, ApplyError)> {
    match unit.resource.map(|r| &r.spec) {
        Some(ResourceSpec::MetricAlarm(spec)) => {
            let tags = unit.desired_tags(&spec.tags);
            match unit.chosen(&unit.live.alarms) {
                Some(live) => {
                    let spec = normalise::alarm_to_write(spec, &live.spec);
                    cloudwatch::update_alarm(unit.clients, unit.name, &spec, &tags).await
                }
                None => cloudwatch::put_alarm(unit.clients, unit.name, spec, &tags).await,
            }
        }
        Some(ResourceSpec::CompositeAlarm(spec)) => {
            let tags = unit.desired_tags(&spec.tags);
            match unit.chosen(&unit.live.composite_alarms) {
                Some(live) => {
                    let spec = normalise::composite_alarm_to_write(spec, &live.spec);
                    cloudwatch::update_composite_alarm(unit.clients, unit.name, &spec, &tags).await
                }
                None => cloudwatch::put_composite_alarm(unit.clients, unit.name, spec, &tags).await,
            }
        }
        _ => return Ok(()),
    }
    .map_err(failed(unit.name))
}

/// The planned tag changes on the chosen live alarm (by its ARN).
async fn retag(unit: &Unit<'_>, tags: &TagChanges) -> Result<(), (String, ApplyError)> {
    let arn = unit
        .parent()
        .and_then(|c| c.work.live.as_ref())
        .and_then(|l| l.arn.as_deref());
    let Some(arn) = arn.filter(|_| !tags.is_empty()) else {
        return Ok(());
    };
    cloudwatch::retag_alarm(unit.clients, arn, &tags.add, &tags.remove)
        .await
        .map_err(failed(unit.name))
}

/// The depth of every composite alarm per target, for writes (over the desired
/// composites) and for deletes (over the live ones).
#[derive(Debug, Default)]
pub(super) struct CompositeOrder {
    write: BTreeMap<(String, String), u16>,
    delete: BTreeMap<(String, String), u16>,
}

impl CompositeOrder {
    pub(super) fn new(planned: &Planned) -> CompositeOrder {
        let mut order = CompositeOrder::default();
        for (target, live) in &planned.live {
            let desired = planned
                .loaded
                .state
                .resources
                .iter()
                .filter(|r| r.targets.contains(target))
                .filter_map(|r| match &r.spec {
                    ResourceSpec::CompositeAlarm(c) => Some((r.name(), c)),
                    _ => None,
                });
            for (name, depth) in depths(desired) {
                order.write.insert((target.clone(), name), depth);
            }
            let lives = live
                .composite_alarms
                .iter()
                .map(|l| (l.name.as_str(), &l.spec));
            for (name, depth) in depths(lives) {
                order.delete.insert((target.clone(), name), depth);
            }
        }
        order
    }

    /// Where a composite's write goes among the composite writes (0 first).
    pub(super) fn write_depth(&self, target: &str, name: &str) -> u16 {
        let key = (target.to_string(), name.to_string());
        self.write.get(&key).copied().unwrap_or(0)
    }

    /// Where a composite's delete goes among the composite deletes (0 first): the
    /// deepest composite first.
    pub(super) fn delete_rank(&self, target: &str, name: &str) -> u16 {
        let key = (target.to_string(), name.to_string());
        MAX_DEPTH - self.delete.get(&key).copied().unwrap_or(0)
    }
}

/// Depth of each composite among `composites`: 0 when it names no other of them,
/// else one more than the deepest it names; capped at [`MAX_DEPTH`], and a cycle (AWS
/// allows them live) counts as no further depth.
fn depths<'a>(
    composites: impl Iterator<Item = (&'a str, &'a CompositeAlarmSpec)>,
) -> BTreeMap<String, u16> {
    let graph: BTreeMap<String, BTreeSet<String>> = composites
        .map(|(n, c)| (n.to_string(), c.named_alarms()))
        .collect();
    let mut memo = BTreeMap::new();
    for name in graph.keys() {
        depth_of(name, &graph, &mut memo, &mut BTreeSet::new());
    }
    memo
}

fn depth_of(
    name: &str,
    graph: &BTreeMap<String, BTreeSet<String>>,
    memo: &mut BTreeMap<String, u16>,
    visiting: &mut BTreeSet<String>,
) -> u16 {
    if let Some(d) = memo.get(name) {
        return *d;
    }
    let Some(children) = graph.get(name) else {
        return 0;
    };
    if !visiting.insert(name.to_string()) || visiting.len() > usize::from(MAX_DEPTH) {
        return 0;
    }
    let mut depth = 0;
    for child in children.iter().filter(|c| graph.contains_key(*c)) {
        let d = depth_of(child, graph, memo, visiting).saturating_add(1);
        depth = depth.max(d.min(MAX_DEPTH));
    }
    visiting.remove(name);
    memo.insert(name.to_string(), depth);
    depth
}

#[cfg(test)]
mod tests {
    use super::*;

    fn composite(rule: &str) -> CompositeAlarmSpec {
        serde_json::from_value(serde_json::json!({ "alarmRule": rule })).unwrap()
    }

    #[test]
    fn composites_are_ordered_by_what_they_name() {
        let top = composite("ALARM(mid) OR ALARM(\"metric\")");
        let mid = composite("ALARM(low) AND NOT OK(other-metric)");
        let low = composite("ALARM(metric)");
        let alone = composite("TRUE");
        let d = depths(
            [
                ("top", &top),
                ("mid", &mid),
                ("low", &low),
                ("alone", &alone),
            ]
            .into_iter(),
        );
        assert_eq!(d["low"], 0);
        assert_eq!(d["alone"], 0);
        assert_eq!(d["mid"], 1);
        assert_eq!(d["top"], 2);
    }

    #[test]
    fn a_live_cycle_terminates() {
        let a = composite("ALARM(b)");
        let b = composite("ALARM(a)");
        let d = depths([("a", &a), ("b", &b)].into_iter());
        assert_eq!(d.len(), 2);
        assert!(d.values().all(|v| *v <= 2), "{d:?}");
    }
}
