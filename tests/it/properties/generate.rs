//! Generators of valid specs for every kind: every optional field (present or
//! absent), edge values (the largest lists AWS allows, the longest strings, zero and
//! negative numbers), unicode descriptions and tag values.
//!
//! Each kind is a list of fields, one line each: [`opt`] (present or absent), [`req`]
//! (always present) or [`sometimes`] (present with the given probability weight).
//! Cross-field rules that a single field cannot express (datapointsToAlarm ≤
//! evaluationPeriods, cutoff < duration, deleteAfterDays ≥ cold + 90) are applied by
//! the kind's `fix_*` function after generation, so shrinking keeps cases valid.
//! ARNs use `${target.region}` and `${target.accountId}`, resolved per target by
//! driftless itself.

use proptest::collection::{btree_map, btree_set, vec};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{json, Map, Value};

/// One generated document: its kind, AWS name and `spec`.
#[derive(Debug, Clone)]
pub struct Doc {
    pub kind: &'static str,
    pub name: String,
    pub spec: Value,
}

impl Doc {
    /// The document as YAML text (JSON is YAML 1.2 flow style).
    pub fn yaml(&self) -> String {
        let doc = json!({
            "apiVersion": "driftless.dev/v1",
            "kind": self.kind,
            "metadata": {"name": self.name},
            "spec": self.spec,
        });
        serde_json::to_string_pretty(&doc).unwrap()
    }
}

/// One generated case: one document of every kind, named after the case's index in
/// its batch, plus the choice of field each document's out-of-band change makes
/// (an index into that kind's mutations, taken modulo their number).
#[derive(Debug, Clone)]
pub struct Case {
    pub docs: Vec<Doc>,
    pub drift_choices: Vec<usize>,
}

type Field = BoxedStrategy<Option<(&'static str, Value)>>;

/// A field that is present or absent.
fn opt<T: Into<Value> + std::fmt::Debug + 'static>(
    key: &'static str,
    value: impl Strategy<Value = T> + 'static,
) -> Field {
    proptest::option::of(value.prop_map(move |v| (key, v.into()))).boxed()
}

/// A field that is always present.
fn req<T: Into<Value> + std::fmt::Debug + 'static>(
    key: &'static str,
    value: impl Strategy<Value = T> + 'static,
) -> Field {
    value.prop_map(move |v| Some((key, v.into()))).boxed()
}

/// A field present in `weight` of 10 cases.
fn sometimes<T: Into<Value> + std::fmt::Debug + 'static>(
    weight: u32,
    key: &'static str,
    value: impl Strategy<Value = T> + 'static,
) -> Field {
    proptest::option::weighted(
        f64::from(weight) / 10.0,
        value.prop_map(move |v| (key, v.into())),
    )
    .boxed()
}

/// The object of the present fields.
fn object(fields: Vec<Field>) -> BoxedStrategy<Value> {
    fields
        .prop_map(|fields| {
            Value::Object(
                fields
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            )
        })
        .boxed()
}

/// A list size: mostly small, sometimes exactly AWS's maximum.
fn size(max: usize) -> BoxedStrategy<usize> {
    prop_oneof![6 => 0..=max.min(2), 1 => Just(max)].boxed()
}

/// Like [`size`], at least one.
fn size1(max: usize) -> BoxedStrategy<usize> {
    prop_oneof![6 => 1..=max.min(3), 1 => Just(max)].boxed()
}

/// A list of `element`s whose length is drawn by `len`.
fn list<T: std::fmt::Debug + Clone + 'static>(
    len: BoxedStrategy<usize>,
    element: impl Strategy<Value = T> + Clone + 'static,
) -> BoxedStrategy<Vec<T>> {
    len.prop_flat_map(move |n| vec(element.clone(), n)).boxed()
}

/// Free text of 1 to `max` characters: ASCII words, unicode (accents, CJK, emoji,
/// right-to-left), or exactly `max` characters of a multi-byte letter.
pub fn text(max: usize) -> BoxedStrategy<String> {
    let short = max.min(60);
    prop_oneof![
        3 => "[A-Za-z][A-Za-z0-9 ,.%()-]{0,40}".prop_map(String::from),
        3 => proptest::string::string_regex(&format!("\\PC{{1,{short}}}")).unwrap(),
        1 => select(vec!["Überwachung — CPU über 80 %", "CPU使用率が高い 🚨", "تنبيه المعالج", "ñandú ✓ ☃"]).prop_map(String::from),
        1 => select(vec!['é', '日', 'a']).prop_map(move |c| std::iter::repeat_n(c, max).collect()),
    ]
    .prop_filter("not blank", |s: &String| !s.trim().is_empty())
    // A literal `${` is written `$${` (else it would start a `${target.*}`).
    .prop_map(|s| s.replace("${", "$${"))
    .boxed()
}

/// Tag keys and values AWS accepts everywhere (letters of any script, digits,
/// spaces and `_ . : / = + - @`).
fn tag_key() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[a-zA-Z][a-zA-Z0-9_.:/=+@-]{0,20}",
        1 => "[a-zé日][a-z0-9 é日]{0,8}[a-z0-9]",
        1 => "k[a-z0-9]{127}",
    ]
    .prop_map(String::from)
    .prop_filter("not reserved", |k: &String| {
        !k.to_ascii_lowercase().starts_with("aws:")
            && !k.starts_with("driftless.dev/")
            && k != "drift"
    })
    .boxed()
}

fn tag_value() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[a-zA-Z0-9_.:/=+@-]{1,20}",
        1 => Just(String::new()),
        1 => "[a-zé日][a-z0-9 é日]{0,10}",
        1 => "v[a-z0-9]{255}",
    ]
    .prop_map(String::from)
    .boxed()
}

/// Up to 49 tags (AWS's 50 less driftless' ownership tag).
pub fn tags() -> BoxedStrategy<Value> {
    size(49)
        .prop_flat_map(|n| btree_map(tag_key(), tag_value(), n..=n))
        .prop_map(|m| json!(m))
        .boxed()
}

fn tags_field() -> Field {
    sometimes(7, "tags", tags())
}

fn arn(service: &str, resource: &str) -> String {
    format!("arn:aws:{service}:${{target.region}}:${{target.accountId}}:{resource}")
}

fn topics(max: usize) -> BoxedStrategy<Value> {
    size(max)
        .prop_flat_map(|n| btree_set("[a-z][a-z0-9-]{0,20}", n..=n))
        .prop_map(|s| json!(s.into_iter().map(|t| arn("sns", &t)).collect::<Vec<_>>()))
        .boxed()
}

fn kms_key() -> BoxedStrategy<String> {
    "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
        .prop_map(|id| arn("kms", &format!("key/{id}")))
        .boxed()
}

fn role() -> BoxedStrategy<String> {
    "[A-Za-z][A-Za-z0-9+=,.@_-]{0,30}"
        .prop_map(|r| format!("arn:aws:iam::${{target.accountId}}:role/{r}"))
        .boxed()
}

// ---------------------------------------------------------------------------
// MetricAlarm
// ---------------------------------------------------------------------------

const PERIODS: &[u32] = &[10, 20, 30, 60, 120, 300, 900, 3_600, 21_600, 86_400];
const STATISTICS: &[&str] = &["SampleCount", "Average", "Sum", "Minimum", "Maximum"];
/// Extended statistics, for an alarm's own `extendedStatistic` and for metric-math
/// queries: percentiles and the trimmed, winsorized and trimmed-count/sum statistics
/// AWS takes there (PutMetricAlarm, ExtendedStatistic: "p90, tm90, tc90, ts90, wm90,
/// IQM, PR(n:m), TC(X%:X%), TM(X%:X%), TS(X%:X%), WM(X%:X%)"; the bounds as the user
/// guide's "CloudWatch statistics definitions" gives them).
const EXTENDED: &[&str] = &[
    "p99",
    "p99.9",
    "p0",
    "p100",
    "p50",
    "tm90",
    "tc90",
    "ts99",
    "wm99",
    "TM(10%:90%)",
    "TM(2%:98%)",
    "WM(10%:90%)",
    "TC(:95%)",
    "TS(5%:)",
    "TM(150:1000)",
    "IQM",
    "PR(10:500)",
    "PR(:300)",
];
const UNITS: &[&str] = &[
    "Seconds",
    "Percent",
    "Count",
    "Bytes/Second",
    "Count/Second",
    "None",
    "Terabits",
];
const OPERATORS: &[&str] = &[
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
];
const THRESHOLDS: &[f64] = &[0.0, -1.5, 80.0, 0.000_001, 123_456_789.125, 1e15, -273.15];

fn dimensions(max: usize) -> BoxedStrategy<Value> {
    size(max)
        .prop_flat_map(|n| {
            btree_map(
                "[A-Za-z][A-Za-z0-9 _.-]{0,30}",
                prop_oneof![4 => "[a-z0-9/_.-]{1,30}", 1 => "[a-z]{1024}"],
                n..=n,
            )
        })
        .prop_map(|m| json!(m))
        .boxed()
}

fn namespace() -> BoxedStrategy<String> {
    prop_oneof![
        select(vec!["AWS/EC2", "AWS/ApplicationELB", "AWS/Lambda"]).prop_map(String::from),
        "[A-Za-z][A-Za-z0-9/._#-]{0,40}",
        "[A-Za-z]{255}",
    ]
    .boxed()
}

fn metric_name() -> BoxedStrategy<String> {
    prop_oneof![4 => "[A-Za-z][A-Za-z0-9 _.-]{0,40}", 1 => "[A-Za-z]{255}"].boxed()
}

/// A single-metric alarm's metric fields, or a metric-math alarm's `metrics`.
fn alarm_metric() -> BoxedStrategy<Value> {
    let single = object(vec![
        req("namespace", namespace()),
        req("metricName", metric_name()),
        opt("dimensions", dimensions(30)),
        req("period", select(PERIODS)),
        opt("unit", select(UNITS)),
        req(
            "stat",
            prop_oneof![3 => select(STATISTICS), 1 => select(EXTENDED)].prop_map(String::from),
        ),
    ])
    .prop_map(|mut v| {
        // `stat` is split into statistic or extendedStatistic.
        let stat = v["stat"].as_str().unwrap().to_string();
        let m = v.as_object_mut().unwrap();
        m.remove("stat");
        let key = if STATISTICS.contains(&stat.as_str()) {
            "statistic"
        } else {
            "extendedStatistic"
        };
        m.insert(key.into(), json!(stat));
        v
    });
    prop_oneof![3 => single, 1 => math_metrics()].boxed()
}

fn metric_stat() -> BoxedStrategy<Value> {
    object(vec![
        req(
            "metric",
            object(vec![
                req("namespace", namespace()),
                req("metricName", metric_name()),
                opt("dimensions", dimensions(3)),
            ]),
        ),
        req("period", select(PERIODS)),
        req("stat", prop_oneof![select(STATISTICS), select(EXTENDED)]),
        opt("unit", select(UNITS)),
    ])
}

/// `metrics`: 1 to 3 metricStat queries (not returning data) and one expression
/// over them that does.
fn math_metrics() -> BoxedStrategy<Value> {
    (1..=3usize)
        .prop_flat_map(|n| {
            (
                vec(
                    (metric_stat(), opt("label", text(60)), proptest::bool::ANY),
                    n..=n,
                ),
                opt("label", text(60)),
                opt("period", select(&[60u32, 300][..])),
            )
        })
        .prop_map(|(stats, label, period)| {
            let mut queries: Vec<Value> = stats
                .into_iter()
                .enumerate()
                .map(|(i, (stat, label, explicit))| {
                    let mut q = json!({"id": format!("m{i}"), "metricStat": stat});
                    // Only the expression returns data (AWS's default is true).
                    q["returnData"] = json!(false);
                    if let (true, Some((k, v))) = (explicit, label) {
                        q[k] = v;
                    }
                    q
                })
                .collect();
            let ids: Vec<String> = (0..queries.len()).map(|i| format!("m{i}")).collect();
            let mut e = json!({"id": "e1", "expression": format!("SUM([{}])", ids.join(","))});
            for (k, v) in [label, period].into_iter().flatten() {
                e[k] = v;
            }
            queries.push(e);
            json!({"metrics": queries})
        })
        .boxed()
}

pub fn alarm(name: String) -> BoxedStrategy<Doc> {
    (
        alarm_metric(),
        object(vec![
            opt("description", text(1024)),
            req(
                "evaluationPeriods",
                prop_oneof![4 => 1u32..=5, 1 => Just(u32::MAX)],
            ),
            opt("datapointsToAlarm", 1u32..=5),
            req("threshold", select(THRESHOLDS)),
            req("comparisonOperator", select(OPERATORS)),
            opt(
                "treatMissingData",
                select(&["breaching", "notBreaching", "ignore", "missing"][..]),
            ),
            opt(
                "evaluateLowSampleCountPercentile",
                select(&["evaluate", "ignore"][..]),
            ),
            opt("actionsEnabled", proptest::bool::ANY),
            opt("alarmActions", topics(5)),
            opt("okActions", topics(5)),
            opt("insufficientDataActions", topics(5)),
            tags_field(),
        ]),
    )
        .prop_map(move |(metric, rest)| Doc {
            kind: "MetricAlarm",
            name: name.clone(),
            spec: fix_alarm(metric, rest),
        })
        .boxed()
}

/// evaluationPeriods within AWS's evaluation range (`u32::MAX` stands for the
/// longest the period allows), datapointsToAlarm at most evaluationPeriods, and
/// evaluateLowSampleCountPercentile only on percentile alarms.
fn fix_alarm(metric: Value, rest: Value) -> Value {
    let mut spec = metric.as_object().unwrap().clone();
    spec.extend(rest.as_object().unwrap().clone());
    let period = spec
        .get("period")
        .and_then(Value::as_u64)
        .unwrap_or_else(|| longest_query_period(&spec));
    let limit = if period < 3_600 { 86_400 } else { 604_800 };
    let most = limit / period;
    let evaluation = spec["evaluationPeriods"].as_u64().unwrap().min(most);
    spec.insert("evaluationPeriods".into(), json!(evaluation));
    if let Some(d) = spec.get("datapointsToAlarm").and_then(Value::as_u64) {
        spec.insert("datapointsToAlarm".into(), json!(d.min(evaluation)));
    }
    let percentile = spec
        .get("extendedStatistic")
        .and_then(Value::as_str)
        .is_some_and(|s| s.starts_with('p'));
    if !percentile {
        spec.remove("evaluateLowSampleCountPercentile");
    }
    Value::Object(spec)
}

/// A metric-math alarm's period: the longest of its queries'.
fn longest_query_period(spec: &Map<String, Value>) -> u64 {
    spec.get("metrics")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|q| q["metricStat"]["period"].as_u64().or(q["period"].as_u64()))
        .max()
        .unwrap_or(60)
}

// ---------------------------------------------------------------------------
// LogGroup and LogRetentionPolicy
// ---------------------------------------------------------------------------

const RETENTION: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

fn retention() -> BoxedStrategy<Value> {
    prop_oneof![6 => select(RETENTION).prop_map(Value::from), 1 => Just(json!("never"))].boxed()
}

pub fn log_group(name: String) -> BoxedStrategy<Doc> {
    object(vec![
        opt("retentionInDays", retention()),
        sometimes(3, "kmsKeyId", kms_key()),
        opt(
            "logGroupClass",
            select(&["STANDARD", "INFREQUENT_ACCESS"][..]),
        ),
        tags_field(),
    ])
    .prop_map(move |spec| Doc {
        kind: "LogGroup",
        name: name.clone(),
        spec,
    })
    .boxed()
}

/// A policy over `prefix` (the test seeds unowned groups under it), excluding some
/// of the prefix's sub-prefixes.
pub fn log_retention(name: String, prefix: String) -> BoxedStrategy<Doc> {
    let excludes = list(size(3), "[a-z]{1,6}");
    let p = prefix.clone();
    object(vec![
        req("logGroupNamePrefix", Just(prefix.clone())),
        req("retentionInDays", retention()),
        opt("onlyWhereUnset", proptest::bool::ANY),
        opt(
            "exclude",
            excludes.prop_map(move |e| {
                json!(e.into_iter().map(|s| format!("{p}{s}")).collect::<Vec<_>>())
            }),
        ),
    ])
    .prop_map(move |spec| Doc {
        kind: "LogRetentionPolicy",
        name: name.clone(),
        spec,
    })
    .boxed()
}

// ---------------------------------------------------------------------------
// PatchBaseline
// ---------------------------------------------------------------------------

const OPERATING_SYSTEMS: &[&str] = &[
    "WINDOWS",
    "AMAZON_LINUX",
    "AMAZON_LINUX_2",
    "AMAZON_LINUX_2022",
    "AMAZON_LINUX_2023",
    "UBUNTU",
    "REDHAT_ENTERPRISE_LINUX",
    "SUSE",
    "CENTOS",
    "ORACLE_LINUX",
    "DEBIAN",
    "MACOS",
    "RASPBIAN",
    "ROCKY_LINUX",
    "ALMA_LINUX",
];
const COMPLIANCE: &[&str] = &[
    "CRITICAL",
    "HIGH",
    "MEDIUM",
    "LOW",
    "INFORMATIONAL",
    "UNSPECIFIED",
];

/// The patch filter keys AWS accepts for an operating system.
fn filter_keys(os: &str) -> Vec<&'static str> {
    match os {
        "WINDOWS" => vec![
            "PATCH_SET",
            "PRODUCT",
            "PRODUCT_FAMILY",
            "CLASSIFICATION",
            "MSRC_SEVERITY",
            "PATCH_ID",
        ],
        "UBUNTU" | "DEBIAN" | "RASPBIAN" => vec!["PRODUCT", "PRIORITY", "SECTION", "NAME"],
        "MACOS" => vec!["PRODUCT", "CLASSIFICATION"],
        _ => vec![
            "PRODUCT",
            "CLASSIFICATION",
            "SEVERITY",
            "SECURITY",
            "ADVISORY_ID",
            "ARCH",
            "CVE_ID",
            "NAME",
            "REPOSITORY",
        ],
    }
}

/// The values AWS lists for a patch filter key on an operating system, where it
/// lists them (API_PatchFilter; "*" matches all values): `None` for keys with free
/// values (products, names, sections, ...).
fn filter_values(os: &str, key: &str) -> Option<&'static [&'static str]> {
    const RPM_CLASSIFICATION: &[&str] = &[
        "Security",
        "Bugfix",
        "Enhancement",
        "Recommended",
        "Newpackage",
    ];
    let values: &'static [&'static str] = match (os, key) {
        ("WINDOWS", "PATCH_SET") => &["OS", "APPLICATION"],
        ("WINDOWS", "CLASSIFICATION") => &[
            "CriticalUpdates",
            "DefinitionUpdates",
            "Drivers",
            "FeaturePacks",
            "SecurityUpdates",
            "ServicePacks",
            "Tools",
            "UpdateRollups",
            "Updates",
            "Upgrades",
        ],
        ("WINDOWS", "MSRC_SEVERITY") => {
            &["Critical", "Important", "Moderate", "Low", "Unspecified"]
        }
        ("UBUNTU" | "DEBIAN" | "RASPBIAN", "PRIORITY") => {
            &["Required", "Important", "Standard", "Optional", "Extra"]
        }
        ("SUSE", "CLASSIFICATION") => &[
            "Security",
            "Recommended",
            "Optional",
            "Feature",
            "Document",
            "Yast",
        ],
        ("SUSE" | "REDHAT_ENTERPRISE_LINUX", "SEVERITY") => {
            &["Critical", "Important", "Moderate", "Low"]
        }
        ("AMAZON_LINUX_2023", "SEVERITY") => &["Critical", "Important", "Medium", "Low", "None"],
        (_, "SEVERITY") => &["Critical", "Important", "Low"],
        ("MACOS", _) => return None,
        (_, "CLASSIFICATION") => RPM_CLASSIFICATION,
        _ => return None,
    };
    Some(values)
}

/// 1 to 20 values for a filter key: AWS's listed values (or `*`) where it lists
/// them, else up to 64 characters.
fn patch_filter_values(os: &'static str, key: &'static str) -> BoxedStrategy<Value> {
    match filter_values(os, key) {
        Some(listed) => prop_oneof![
            6 => proptest::sample::subsequence(listed.to_vec(), 1..=listed.len().min(20))
                .prop_map(|v| json!(v)),
            1 => Just(json!(["*"])),
        ]
        .boxed(),
        None => list(
            size1(20),
            prop_oneof![4 => "[A-Za-z0-9*._-]{1,20}", 1 => "[a-z]{64}"],
        )
        .prop_map(|v| json!(v))
        .boxed(),
    }
}

/// At most 4 filters of 1 to 20 values of at most 64 characters.
fn patch_filters(os: &'static str, min: usize) -> BoxedStrategy<Value> {
    let keys = filter_keys(os);
    let most = keys.len().min(4);
    (min..=most)
        .prop_flat_map(move |n| {
            proptest::sample::subsequence(keys.clone(), n).prop_flat_map(move |keys| {
                let values: Vec<BoxedStrategy<Value>> = keys
                    .iter()
                    .map(|key| patch_filter_values(os, key))
                    .collect();
                values.prop_map(move |vs| {
                    keys.iter()
                        .copied()
                        .zip(vs)
                        .collect::<std::collections::BTreeMap<_, _>>()
                })
            })
        })
        .prop_map(|m| json!(m))
        .boxed()
}

fn approval_rule(os: &'static str) -> BoxedStrategy<Value> {
    let linux = os != "WINDOWS";
    (
        object(vec![
            req("patchFilters", patch_filters(os, 1)),
            opt("complianceLevel", select(COMPLIANCE)),
            if linux {
                opt("enableNonSecurity", proptest::bool::ANY)
            } else {
                Just(None).boxed()
            },
        ]),
        prop_oneof![
            (0u32..=360).prop_map(|d| ("approveAfterDays", json!(d))),
            (2020u32..=2035, 1u32..=12, 1u32..=28)
                .prop_map(|(y, m, d)| ("approveUntilDate", json!(format!("{y}-{m:02}-{d:02}")))),
        ],
    )
        .prop_map(|(mut rule, (k, v))| {
            rule[k] = v;
            rule
        })
        .boxed()
}

fn patch_ids(max: usize) -> BoxedStrategy<Value> {
    size(max)
        .prop_flat_map(|n| {
            btree_set(
                prop_oneof![4 => "[a-z][a-z0-9.:_-]{0,30}", 1 => "k[a-z0-9]{99}"],
                n..=n,
            )
        })
        .prop_map(|s| json!(s))
        .boxed()
}

fn patch_source() -> BoxedStrategy<Value> {
    object(vec![
        req("name", "[A-Za-z0-9_.-]{3,20}"),
        req(
            "products",
            list(size1(20), "[A-Za-z0-9*._-]{1,30}").prop_map(|v| json!(v)),
        ),
        req(
            "configuration",
            "\\[main\\]\nname=[a-z]{1,10}\nbaseurl=https://example.com/[a-z]{1,10}\nenabled=1",
        ),
    ])
}

pub fn patch_baseline(name: String, patch_group_prefix: String) -> BoxedStrategy<Doc> {
    select(OPERATING_SYSTEMS)
        .prop_flat_map(move |os| {
            let linux = os != "WINDOWS";
            let prefix = patch_group_prefix.clone();
            object(vec![
                req("operatingSystem", Just(os)),
                opt("description", text(1024)),
                opt(
                    "approvalRules",
                    list(size(10), approval_rule(os)).prop_map(|v| json!(v)),
                ),
                opt("globalFilters", patch_filters(os, 0)),
                opt("approvedPatches", patch_ids(50)),
                opt("approvedPatchesComplianceLevel", select(COMPLIANCE)),
                if linux {
                    opt("approvedPatchesEnableNonSecurity", proptest::bool::ANY)
                } else {
                    Just(None).boxed()
                },
                opt("rejectedPatches", patch_ids(50)),
                opt(
                    "rejectedPatchesAction",
                    select(&["ALLOW_AS_DEPENDENCY", "BLOCK"][..]),
                ),
                if linux {
                    sometimes(
                        3,
                        "sources",
                        list(size(20), patch_source()).prop_map(|v| json!(v)),
                    )
                } else {
                    Just(None).boxed()
                },
                if linux {
                    Just(None).boxed()
                } else {
                    opt(
                        "availableSecurityUpdatesComplianceStatus",
                        select(&["COMPLIANT", "NON_COMPLIANT"][..]),
                    )
                },
                opt(
                    "patchGroups",
                    (0usize..=3).prop_map(move |n| {
                        json!((0..n).map(|i| format!("{prefix}{i}")).collect::<Vec<_>>())
                    }),
                ),
                sometimes(2, "defaultForOperatingSystem", proptest::bool::ANY),
                tags_field(),
            ])
        })
        .prop_map(move |spec| Doc {
            kind: "PatchBaseline",
            name: name.clone(),
            spec: fix_sources(spec),
        })
        .boxed()
}

/// Patch source names are unique within a baseline.
fn fix_sources(mut spec: Value) -> Value {
    if let Some(sources) = spec.get_mut("sources").and_then(Value::as_array_mut) {
        for (i, s) in sources.iter_mut().enumerate() {
            s["name"] = json!(format!("src-{i}"));
        }
    }
    spec
}

// ---------------------------------------------------------------------------
// MaintenanceWindow
// ---------------------------------------------------------------------------

const WINDOW_SCHEDULES: &[&str] = &[
    "cron(0 3 ? * TUE *)",
    "cron(30 23 ? * MON-FRI *)",
    "cron(0 0 1 * ? *)",
    "rate(7 days)",
    "rate(12 hours)",
    "rate(1 day)",
];
const TIME_ZONES: &[&str] = &[
    "Asia/Tokyo",
    "Etc/UTC",
    "America/New_York",
    "Europe/Berlin",
    "Australia/Lord_Howe",
];

fn window_target(i: usize) -> BoxedStrategy<Value> {
    let instances = list(size1(50), "[0-9a-f]{17}").prop_map(|ids| {
        json!(ids
            .into_iter()
            .map(|h| format!("i-{h}"))
            .collect::<Vec<_>>())
    });
    let tag_values = prop_oneof![
        "[A-Za-z0-9 _.-]{1,20}".prop_map(Value::from),
        list(size1(50), "[A-Za-z0-9_.-]{1,20}").prop_map(|v| json!(v)),
    ];
    let selector = prop_oneof![
        (1usize..=5)
            .prop_flat_map(move |n| btree_map(
                "[A-Za-z][A-Za-z0-9 _.-]{0,20}",
                tag_values.clone(),
                n..=n
            ))
            .prop_map(|m| json!({"resourceType": "INSTANCE", "tags": m})),
        instances.prop_map(|ids| json!({"resourceType": "INSTANCE", "instanceIds": ids})),
        "[A-Za-z0-9_.-]{1,30}"
            .prop_map(|g| json!({"resourceType": "RESOURCE_GROUP", "resourceGroup": g})),
    ];
    (
        selector,
        object(vec![
            opt("description", text(128)),
            opt("ownerInformation", text(128)),
        ]),
    )
        .prop_map(move |(mut t, rest)| {
            t["name"] = json!(format!("target-{i}"));
            t.as_object_mut()
                .unwrap()
                .extend(rest.as_object().unwrap().clone());
            t
        })
        .boxed()
}

fn count_or_percent(zero: bool) -> BoxedStrategy<String> {
    let low = u32::from(!zero);
    prop_oneof![
        (low..=1000u32).prop_map(|n| n.to_string()),
        (low..=100u32).prop_map(|n| format!("{n}%")),
    ]
    .boxed()
}

fn window_task(i: usize, targets: usize) -> BoxedStrategy<Value> {
    let kinds = prop_oneof![
        select(
            &[
                "AWS-RunPatchBaseline",
                "AWS-RunShellScript",
                "AWS-ApplyPatchBaseline"
            ][..]
        )
        .prop_map(|d| ("RUN_COMMAND", d.to_string())),
        Just(("AUTOMATION", "AWS-RestartEC2Instance".to_string())),
        "[a-z][a-z0-9-]{0,20}".prop_map(|f| ("LAMBDA", arn("lambda", &format!("function:{f}")))),
        "[a-z][a-z0-9-]{0,20}".prop_map(|s| (
            "STEP_FUNCTIONS",
            arn("states", &format!("stateMachine:{s}"))
        )),
    ];
    let parameters = btree_map(
        "[A-Za-z][A-Za-z0-9]{0,20}",
        list(size1(5), "[A-Za-z0-9 _.-]{1,20}"),
        1..=3,
    )
    .prop_map(|m| json!(m));
    (
        kinds,
        proptest::sample::subsequence((0..targets).collect::<Vec<_>>(), 0..=targets),
        object(vec![
            opt("description", text(128)),
            opt("priority", 0u32..=5),
            opt("maxConcurrency", count_or_percent(false)),
            opt("maxErrors", count_or_percent(true)),
            opt(
                "cutoffBehavior",
                select(&["CONTINUE_TASK", "CANCEL_TASK"][..]),
            ),
            sometimes(4, "serviceRoleArn", role()),
            sometimes(4, "parameters", parameters),
        ]),
        object(vec![
            opt("timeoutSeconds", 30u32..=2_592_000),
            opt("comment", "[A-Za-z0-9 ,.-]{1,100}"),
            opt("documentVersion", select(&["$LATEST", "$DEFAULT", "1"][..])),
        ]),
        object(vec![
            opt("qualifier", "[a-zA-Z0-9$_-]{1,128}"),
            opt(
                "payload",
                prop_oneof![
                    Just(json!({"report": "weekly", "n": 1})),
                    Just(json!("plain text"))
                ],
            ),
        ]),
        object(vec![
            opt("name", "[a-zA-Z0-9_-]{1,80}"),
            opt("input", Just(json!({"after": "patching"}))),
        ]),
    )
        .prop_map(move |((kind, task_arn), chosen, task, run, lambda, step)| {
            assemble_task(i, (kind, task_arn), chosen, task, [run, lambda, step])
        })
        .boxed()
}

/// A generated task made whole: its name, type and ARN, its targets (a RUN_COMMAND task
/// always has one), the limits AWS asks for with targets and refuses without, and the
/// settings block of its type (`blocks`: runCommand, lambda, stepFunctions).
fn assemble_task(
    i: usize,
    (kind, task_arn): (&str, String),
    chosen: Vec<usize>,
    mut task: Value,
    blocks: [Value; 3],
) -> Value {
    task["name"] = json!(format!("task-{i}"));
    task["type"] = json!(kind);
    task["taskArn"] = json!(task_arn);
    let mut chosen: Vec<String> = chosen.into_iter().map(|t| format!("target-{t}")).collect();
    if kind == "RUN_COMMAND" && chosen.is_empty() {
        chosen.push("target-0".into());
    }
    let t = task.as_object_mut().unwrap();
    if chosen.is_empty() {
        // AWS takes no limits for a task without targets.
        t.remove("maxConcurrency");
        t.remove("maxErrors");
    } else {
        // ...and needs both for a task with targets ("a value can be omitted only when
        // you are registering or updating a targetless task. You must provide a value
        // in all other cases", RegisterTaskWithMaintenanceWindow); driftless's spec
        // requires them.
        t.insert("targets".into(), json!(chosen));
        t.entry("maxConcurrency").or_insert_with(|| json!("1"));
        t.entry("maxErrors").or_insert_with(|| json!("0"));
    }
    let [run, lambda, step] = blocks;
    let block = match kind {
        "RUN_COMMAND" => Some(("runCommand", run)),
        "LAMBDA" => Some(("lambda", lambda)),
        "STEP_FUNCTIONS" => Some(("stepFunctions", step)),
        _ => None,
    };
    if let Some((key, settings)) = block {
        if settings.as_object().is_some_and(|o| !o.is_empty()) {
            task[key] = settings;
        }
    }
    if !matches!(kind, "RUN_COMMAND" | "AUTOMATION") {
        task.as_object_mut().unwrap().remove("parameters");
    }
    task
}

pub fn maintenance_window(name: String) -> BoxedStrategy<Doc> {
    (1usize..=3)
        .prop_flat_map(|targets| {
            (
                (0..targets).map(window_target).collect::<Vec<_>>(),
                size(3).prop_flat_map(move |n| {
                    (0..n).map(|i| window_task(i, targets)).collect::<Vec<_>>()
                }),
                object(vec![
                    opt("description", text(128)),
                    req("schedule", select(WINDOW_SCHEDULES)),
                    opt("scheduleTimezone", select(TIME_ZONES)),
                    opt("scheduleOffset", 1u32..=6),
                    req("duration", 1u32..=24),
                    req("cutoff", 0u32..=23),
                    opt("allowUnassociatedTargets", proptest::bool::ANY),
                    opt("enabled", proptest::bool::ANY),
                    tags_field(),
                ]),
            )
        })
        .prop_map(move |(targets, tasks, mut spec)| {
            spec["targets"] = json!(targets);
            if !tasks.is_empty() {
                spec["tasks"] = json!(tasks);
            }
            Doc {
                kind: "MaintenanceWindow",
                name: name.clone(),
                spec: fix_window(spec),
            }
        })
        .boxed()
}

/// cutoff below duration; scheduleOffset with cron schedules only.
fn fix_window(mut spec: Value) -> Value {
    let duration = spec["duration"].as_u64().unwrap();
    let cutoff = spec["cutoff"].as_u64().unwrap() % duration;
    spec["cutoff"] = json!(cutoff);
    if !spec["schedule"].as_str().unwrap().starts_with("cron(") {
        spec.as_object_mut().unwrap().remove("scheduleOffset");
    }
    spec
}

// ---------------------------------------------------------------------------
// BackupVault and BackupPlan
// ---------------------------------------------------------------------------

pub fn backup_vault(name: String) -> BoxedStrategy<Doc> {
    object(vec![
        sometimes(3, "encryptionKeyArn", kms_key()),
        tags_field(),
    ])
    .prop_map(move |spec| Doc {
        kind: "BackupVault",
        name: name.clone(),
        spec,
    })
    .boxed()
}

const BACKUP_SCHEDULES: &[&str] = &[
    "cron(0 17 ? * * *)",
    "cron(0 5 ? * MON *)",
    "cron(30 1 1 * ? *)",
];

fn lifecycle() -> BoxedStrategy<Value> {
    object(vec![
        opt("moveToColdStorageAfterDays", 1u32..=400),
        opt("deleteAfterDays", 1u32..=36_500),
        opt("optInToArchiveForSupportedResources", proptest::bool::ANY),
    ])
}

fn backup_rule(i: usize, vault: String) -> BoxedStrategy<Value> {
    let copy = object(vec![
        req(
            "destinationVaultArn",
            "[a-z][a-z0-9-]{1,20}".prop_map(|v| arn("backup", &format!("backup-vault:{v}"))),
        ),
        opt("lifecycle", lifecycle()),
    ]);
    object(vec![
        opt("schedule", select(BACKUP_SCHEDULES)),
        opt("scheduleTimezone", select(TIME_ZONES)),
        opt("startWindowMinutes", 60u64..=720),
        opt("completionWindowMinutes", 120u64..=10_080),
        opt("lifecycle", lifecycle()),
        opt("copyActions", list(size(2), copy).prop_map(|v| json!(v))),
        opt("recoveryPointTags", tags()),
        opt("enableContinuousBackup", proptest::bool::ANY),
    ])
    .prop_map(move |mut rule| {
        rule["name"] = json!(format!("rule-{i}"));
        rule["targetVault"] = json!(vault);
        fix_rule(rule)
    })
    .boxed()
}

/// completionWindowMinutes an hour past startWindowMinutes; deleteAfterDays 90 days
/// past cold storage; continuous backups never cold and kept at most 35 days.
fn fix_rule(mut rule: Value) -> Value {
    let start = rule["startWindowMinutes"].as_u64().unwrap_or(60);
    if let Some(c) = rule["completionWindowMinutes"].as_u64() {
        rule["completionWindowMinutes"] = json!(c.max(start + 60));
    }
    let continuous = rule["enableContinuousBackup"] == json!(true);
    let fix_lifecycle = |lc: &mut Value, continuous: bool| {
        let lc = lc.as_object_mut().unwrap();
        if continuous {
            lc.remove("moveToColdStorageAfterDays");
            if let Some(d) = lc.get("deleteAfterDays").and_then(Value::as_u64) {
                lc.insert("deleteAfterDays".into(), json!(d.min(35)));
            }
        }
        if let (Some(cold), Some(delete)) = (
            lc.get("moveToColdStorageAfterDays").and_then(Value::as_u64),
            lc.get("deleteAfterDays").and_then(Value::as_u64),
        ) {
            lc.insert("deleteAfterDays".into(), json!(delete.max(cold + 90)));
        }
    };
    if let Some(lc) = rule.get_mut("lifecycle") {
        fix_lifecycle(lc, continuous);
    }
    if let Some(copies) = rule.get_mut("copyActions").and_then(Value::as_array_mut) {
        for c in copies {
            if let Some(lc) = c.get_mut("lifecycle") {
                fix_lifecycle(lc, false);
            }
        }
    }
    rule
}

fn selection(i: usize) -> BoxedStrategy<Value> {
    let resources = list(size1(3), "[a-z0-9-]{1,20}").prop_map(|v| {
        json!(v
            .into_iter()
            .map(|r| arn("ec2", &format!("volume/vol-{r}")))
            .collect::<Vec<_>>())
    });
    let simple_tags = (1usize..=3)
        .prop_flat_map(|n| {
            btree_map(
                "[A-Za-z][A-Za-z0-9_.-]{0,20}",
                "[A-Za-z0-9_.-]{1,20}",
                n..=n,
            )
        })
        .prop_map(|m| json!(m));
    (
        select(&["tags", "anyOfTags", "resources"][..]),
        object(vec![
            req("iamRoleArn", role()),
            opt("tags", simple_tags.clone()),
            opt("anyOfTags", simple_tags.clone()),
            opt("resources", resources.clone()),
            opt("notResources", resources.clone()),
        ]),
        simple_tags,
        resources,
    )
        .prop_map(move |(needed, mut s, t, r)| {
            s["name"] = json!(format!("selection-{i}"));
            if s.get(needed).is_none() {
                s[needed] = if needed == "resources" { r } else { t };
            }
            s
        })
        .boxed()
}

pub fn backup_plan(name: String, vault: String) -> BoxedStrategy<Doc> {
    (
        (1usize..=3).prop_flat_map(move |n| {
            (0..n)
                .map(|i| backup_rule(i, vault.clone()))
                .collect::<Vec<_>>()
        }),
        (0usize..=2).prop_flat_map(|n| (0..n).map(selection).collect::<Vec<_>>()),
        object(vec![tags_field()]),
    )
        .prop_map(move |(rules, selections, mut spec)| {
            spec["rules"] = json!(rules);
            if !selections.is_empty() {
                spec["selections"] = json!(selections);
            }
            Doc {
                kind: "BackupPlan",
                name: name.clone(),
                spec,
            }
        })
        .boxed()
}

// ---------------------------------------------------------------------------
// MetricFilter
// ---------------------------------------------------------------------------

const FILTER_PATTERNS: &[&str] = &[
    "",
    "ERROR",
    "\"Access Denied\"",
    "?ERROR ?WARN",
    "{ $.errorCode = \"AccessDenied\" }",
    "{ ($.userIdentity.type = \"Root\") && ($.eventType != \"AwsServiceEvent\") }",
    "[ip, user, status=5*, bytes]",
];

/// A filter on the case's own log group `group`: dimensions only with JSON or
/// space-delimited patterns and never with a default value (AWS refuses both).
pub fn metric_filter(name: String, group: String) -> BoxedStrategy<Doc> {
    let transformation = object(vec![
        req("metricName", "[A-Za-z][A-Za-z0-9 _.-]{0,40}"),
        req("metricNamespace", "Prop/[A-Za-z0-9._#-]{1,30}"),
        req("metricValue", select(&["1", "2.5", "10"][..])),
        opt("defaultValue", select(&[0.0, 1.0, 0.5][..])),
        opt("unit", select(UNITS)),
    ]);
    (
        select(FILTER_PATTERNS),
        transformation,
        proptest::bool::ANY,
        opt("applyOnTransformedLogs", proptest::bool::ANY),
    )
        .prop_map(move |(pattern, mut t, dimension, transformed)| {
            let structured = pattern.starts_with('{') || pattern.starts_with('[');
            if dimension && structured && t.get("defaultValue").is_none() {
                let field = if pattern.starts_with('{') {
                    "$.errorCode"
                } else {
                    "$user"
                };
                t["dimensions"] = json!({"Who": field});
            }
            let mut spec = json!({
                "logGroupName": group,
                "metricTransformations": [t],
            });
            if !pattern.is_empty() {
                spec["filterPattern"] = json!(pattern);
            }
            if let Some((k, v)) = transformed {
                spec[k] = v;
            }
            Doc {
                kind: "MetricFilter",
                name: name.clone(),
                spec,
            }
        })
        .boxed()
}

// ---------------------------------------------------------------------------
// CompositeAlarm
// ---------------------------------------------------------------------------

/// A composite over the case's metric alarm `alarm` (rules of every operator).
pub fn composite_alarm(name: String, alarm: String) -> BoxedStrategy<Doc> {
    let quoted = serde_json::to_string(&alarm).unwrap();
    let rules = vec![
        format!("ALARM({quoted})"),
        format!("ALARM({quoted}) OR OK({quoted})"),
        format!("NOT INSUFFICIENT_DATA({quoted}) AND TRUE"),
        format!("(ALARM({quoted}) AND NOT OK({quoted})) OR FALSE"),
    ];
    object(vec![
        req("alarmRule", select(rules)),
        opt("description", text(1024)),
        opt("actionsEnabled", proptest::bool::ANY),
        opt("alarmActions", topics(5)),
        opt("okActions", topics(5)),
        opt("insufficientDataActions", topics(5)),
        tags_field(),
    ])
    .prop_map(move |spec| Doc {
        kind: "CompositeAlarm",
        name: name.clone(),
        spec,
    })
    .boxed()
}

// ---------------------------------------------------------------------------
// A case
// ---------------------------------------------------------------------------

/// The unowned log groups a case's LogRetentionPolicy acts on are under this prefix.
pub fn retention_prefix(case: usize) -> String {
    format!("/unowned/c{case}/")
}

/// One document of every kind, names derived from `case` (unique in a batch).
pub fn case(case: usize) -> BoxedStrategy<Case> {
    let vault = format!("prop-c{case}-vault");
    (
        vec![
            alarm(format!("prop c{case} alarm ü")),
            log_group(format!("/prop/c{case}/group")),
            log_retention(format!("prop-c{case}-retention"), retention_prefix(case)),
            patch_baseline(format!("prop-c{case}-baseline"), format!("prop-c{case}-pg")),
            maintenance_window(format!("prop-c{case}-window")),
            backup_vault(vault.clone()),
            backup_plan(format!("prop-c{case}-plan"), vault),
            metric_filter(
                format!("prop-c{case}-filter"),
                format!("/prop/c{case}/group"),
            ),
            composite_alarm(
                format!("prop-c{case}-composite"),
                format!("prop c{case} alarm ü"),
            ),
        ],
        vec(any::<usize>(), 9),
    )
        .prop_map(|(docs, drift_choices)| Case {
            docs,
            drift_choices,
        })
        .boxed()
}
