//! Diff + render of a large plan, with no AWS: 10,000 resources (5,000 alarms and
//! 5,000 log groups), one in ten changed. Target: under 50 ms for plan and text render.

use std::collections::BTreeMap;

use criterion::{criterion_group, criterion_main, Criterion};
use driftless::live::{Live, LiveTarget};
use driftless::plan::{plan_target, Plan, PlanOptions};
use driftless::render;
use driftless::spec::{parse, DesiredState, Resource, ResourceSpec, SourceFile};

/// The allocator the binary uses (see main.rs): plans allocate many small JSON values.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const N: usize = 5_000;

fn desired() -> DesiredState {
    let mut text = String::new();
    for i in 0..N {
        text.push_str(&format!(
            "---\napiVersion: driftless.dev/v1\nkind: MetricAlarm\nmetadata: {{name: alarm-{i:05}}}\nspec: {{namespace: AWS/EC2, metricName: CPUUtilization, dimensions: {{AutoScalingGroupName: asg-{i}}}, statistic: Average, period: 300, evaluationPeriods: 3, threshold: 80, comparisonOperator: GreaterThanThreshold, alarmActions: [arn:aws:sns:us-east-1:111111111111:ops], tags: {{team: web}}}}\n---\napiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {{name: /bench/{i:05}}}\nspec: {{retentionInDays: 30, tags: {{team: web}}}}\n"
        ));
    }
    let files = vec![SourceFile {
        relative: "all.yaml".into(),
        display: "all.yaml".into(),
        text,
    }];
    parse(&files).expect("the generated repository is valid")
}

fn live_of(state: &DesiredState) -> LiveTarget {
    let mut live = LiveTarget::default();
    for (i, r) in state.resources.iter().enumerate() {
        let owner = |tags: &BTreeMap<String, String>| {
            let mut t = tags.clone();
            t.insert("driftless.dev/managed-by".into(), "driftless".into());
            t
        };
        match &r.spec {
            ResourceSpec::MetricAlarm(s) => {
                let mut s = s.clone();
                s.tags = owner(&s.tags);
                if i % 10 == 0 {
                    s.threshold = Some(90.0);
                }
                live.alarms.push(Live {
                    name: r.name().into(),
                    spec: s,
                    arn: None,
                    id: None,
                    sub_ids: BTreeMap::new(),
                    tags_known: true,
                    unrepresented: Vec::new(),
                });
            }
            ResourceSpec::LogGroup(s) => {
                let mut s = s.clone();
                s.tags = owner(&s.tags);
                live.log_groups.push(Live {
                    name: r.name().into(),
                    spec: s,
                    arn: None,
                    id: None,
                    sub_ids: BTreeMap::new(),
                    tags_known: true,
                    unrepresented: Vec::new(),
                });
            }
            _ => {}
        }
    }
    live
}

fn bench(c: &mut Criterion) {
    let state = desired();
    let live = live_of(&state);
    let resources: Vec<&Resource> = state.resources.iter().collect();
    let options = PlanOptions {
        instance: "driftless".into(),
        max_deletes: 10,
        ..PlanOptions::default()
    };
    c.bench_function("plan 10k resources", |b| {
        b.iter(|| plan_target("default", &resources, &live, &options))
    });
    c.bench_function("plan + render text and json, 10k resources", |b| {
        b.iter(|| {
            let plan = Plan::new(
                "bench",
                vec![plan_target("default", &resources, &live, &options)],
            );
            let text = render::text::render(&plan, render::text::Style { color: false });
            let json = render::json(&plan);
            (text.len(), json.len())
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
