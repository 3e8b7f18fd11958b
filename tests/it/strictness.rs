//! driftless's validation is at least as strict as the AWS API models the emulator
//! enforces: a spec that validates never makes a request AWS refuses for a modelled
//! constraint. A table maps spec fields to the request members they are written to
//! (botocore's `service-2.json`, the models the SDKs and the emulator use), and for
//! each mapped field
//!
//! * the generated JSON Schema (specs/*.schema.json, from the Rust types) is never
//!   looser than the member: its enum is a subset of the model's, its `minimum`,
//!   `minLength` at least the model's `min`, its `maximum`, `maxLength`, `maxItems`
//!   at most the model's `max`;
//! * driftless refuses a value just outside each of the member's constraints (min − 1,
//!   max + 1, lengths, item counts, an enum value the model lacks, and listed values
//!   breaking its pattern), reported on the field's own line, whether the schema or a
//!   kind's value rules (`check`) catch it.
//!
//! The models come from the emulator's venv (`tests/emulator/run` builds it).

use std::path::PathBuf;

use driftless::spec::{parse, Kind, SourceFile};
use serde_json::Value;

/// How to make values of a field.
#[derive(Clone, Copy)]
enum Make {
    /// An integer; a valid one.
    Int(i64),
    /// A string: `prefix` padded with `fill` to the length wanted (so only the length
    /// is wrong, never the form: `arn:aws:kms:…:key/aaaa…`).
    Pad(&'static str, char),
    /// A flow list of items made from the template by replacing `{i}` with the index.
    List(&'static str),
    /// A flow map of entries made from the template by replacing `{i}` with the index.
    /// An empty map is left out of the request (dimensions, filters, parameters), so
    /// only the member's `max` is probed.
    Map(&'static str),
    /// Tags, as a map: driftless adds its ownership tag to them, so the spec may hold
    /// one fewer than the member's `max`, and never sends none.
    Tags(&'static str),
}

/// One spec field and the request member it is written to (the document it is
/// probed in, with `@V` where the value goes, on a line of its own, is paired with it
/// in [`fields`]).
struct Field {
    kind: Kind,
    /// The field in the kind's schema: property names, `[]` for list items, `{}` for
    /// map values; empty when the schema cannot say (map keys).
    schema: &'static [&'static str],
    service: &'static str,
    shape: &'static str,
    /// Through the model from `shape`: member names, `[]` for list members, `{}` for
    /// map values, `{key}` for map keys.
    member: &'static [&'static str],
    make: Make,
    /// Values breaking the member's pattern, each refused.
    bad: &'static [&'static str],
}

const ALARM: &str = "apiVersion: driftless.dev/v1\nkind: MetricAlarm\nmetadata:\n  name: a\nspec:\n  namespace: AWS/EC2\n  metricName: CPUUtilization\n  statistic: Average\n  period: 300\n  evaluationPeriods: 3\n  threshold: 80\n  comparisonOperator: GreaterThanThreshold\n";
const MATH: &str = "apiVersion: driftless.dev/v1\nkind: MetricAlarm\nmetadata: {name: m}\nspec:\n  evaluationPeriods: 3\n  threshold: 80\n  comparisonOperator: GreaterThanThreshold\n  metrics:\n    - id: e1\n      expression: m1 * 2\n    - id: m1\n      returnData: false\n      metricStat: {metric: {namespace: AWS/EC2, metricName: CPUUtilization}, period: 300, stat: Average}\n";
const GROUP: &str = "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata:\n  name: /app/web\nspec:\n  retentionInDays: 14\n";
const BASELINE: &str = "apiVersion: driftless.dev/v1\nkind: PatchBaseline\nmetadata:\n  name: base\nspec:\n  operatingSystem: AMAZON_LINUX_2023\n  approvalRules:\n    - patchFilters: {CLASSIFICATION: [Security]}\n      approveAfterDays: 7\n";
const WINDOW: &str = "apiVersion: driftless.dev/v1\nkind: MaintenanceWindow\nmetadata:\n  name: win\nspec:\n  schedule: cron(0 3 ? * TUE *)\n  duration: 3\n  cutoff: 1\n  targets:\n    - name: web\n      resourceType: INSTANCE\n      tags: {\"Patch Group\": web}\n  tasks:\n    - name: patch\n      type: RUN_COMMAND\n      taskArn: AWS-RunPatchBaseline\n      targets: [web]\n      maxConcurrency: \"1\"\n      maxErrors: \"1\"\n";
const FILTER: &str = "apiVersion: driftless.dev/v1\nkind: MetricFilter\nmetadata:\n  name: f\nspec:\n  logGroupName: /trail\n  filterPattern: ERROR\n  metricTransformations:\n    - metricName: m\n      metricNamespace: n\n      metricValue: \"1\"\n";
const VAULT: &str = "apiVersion: driftless.dev/v1\nkind: BackupVault\nmetadata:\n  name: vault\nspec:\n  tags: {env: prod}\n";
const PLAN: &str = "apiVersion: driftless.dev/v1\nkind: BackupPlan\nmetadata:\n  name: plan\nspec:\n  externalVaults: [Default]\n  rules:\n    - name: daily\n      targetVault: Default\n      schedule: cron(0 5 ? * * *)\n  selections:\n    - name: sel\n      iamRoleArn: arn:aws:iam::111111111111:role/backup\n      tags: {Backup: daily}\n";

const COMPOSITE: &str = "apiVersion: driftless.dev/v1\nkind: CompositeAlarm\nmetadata:\n  name: c\nspec:\n  alarmRule: TRUE\n";
const KMS: &str = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const TOPIC: &str = "arn:aws:sns:us-east-1:111111111111:t{i}";

/// `doc` with the line `from` replaced by `to` (which holds `@V`), checked to exist.
fn at(doc: &str, from: &str, to: &str) -> String {
    assert!(doc.contains(from), "{from:?} not in {doc}");
    doc.replacen(from, to, 1)
}

/// Every mapped field, with the document it is probed in.
fn fields() -> Vec<(Field, String)> {
    let mut all = alarm_fields();
    all.extend(log_fields());
    all.extend(metric_filter_fields());
    all.extend(baseline_fields());
    all.extend(window_fields());
    all.extend(backup_fields());
    all.extend(composite_fields());
    all
}

/// PutCompositeAlarm. (`actionsSuppressor.alarm` must name an alarm of the
/// repository or `externalAlarms`, so padded names are refused for that, not probed
/// here; its 1-1600 length is checked by the kind's rules.)
fn composite_fields() -> Vec<(Field, String)> {
    use Make::*;
    let cw = |schema, member, make| {
        let none: &[&str] = &[];
        field(
            Kind::CompositeAlarm,
            schema,
            ("cloudwatch", "PutCompositeAlarmInput"),
            member,
            make,
            none,
        )
    };
    let after_rule = |line: &str| {
        at(
            COMPOSITE,
            "  alarmRule: TRUE\n",
            &format!("  alarmRule: TRUE\n{line}\n"),
        )
    };
    vec![
        (
            cw(&["metadata", "name"], &["AlarmName"], Pad("", 'c')),
            at(COMPOSITE, "  name: c\n", "  name: @V\n"),
        ),
        (
            cw(&["spec", "alarmRule"], &["AlarmRule"], Pad("TRUE", ' ')),
            at(COMPOSITE, "  alarmRule: TRUE\n", "  alarmRule: @V\n"),
        ),
        (
            cw(
                &["spec", "description"],
                &["AlarmDescription"],
                Pad("", 'd'),
            ),
            after_rule("  description: @V"),
        ),
        (
            cw(&["spec", "alarmActions"], &["AlarmActions"], List(TOPIC)),
            after_rule("  alarmActions: @V"),
        ),
        (
            cw(
                &["spec", "alarmActions", "[]"],
                &["AlarmActions", "[]"],
                Pad("arn:aws:sns:us-east-1:111111111111:t", 'a'),
            ),
            after_rule("  alarmActions:\n    - @V"),
        ),
        (
            cw(&["spec", "okActions"], &["OKActions"], List(TOPIC)),
            after_rule("  okActions: @V"),
        ),
        (
            cw(
                &["spec", "okActions", "[]"],
                &["OKActions", "[]"],
                Pad("arn:aws:sns:us-east-1:111111111111:t", 'a'),
            ),
            after_rule("  okActions:\n    - @V"),
        ),
        (
            cw(
                &["spec", "insufficientDataActions"],
                &["InsufficientDataActions"],
                List(TOPIC),
            ),
            after_rule("  insufficientDataActions: @V"),
        ),
        (
            cw(
                &["spec", "insufficientDataActions", "[]"],
                &["InsufficientDataActions", "[]"],
                Pad("arn:aws:sns:us-east-1:111111111111:t", 'a'),
            ),
            after_rule("  insufficientDataActions:\n    - @V"),
        ),
    ]
}

fn field(
    kind: Kind,
    schema: &'static [&'static str],
    (service, shape): (&'static str, &'static str),
    member: &'static [&'static str],
    make: Make,
    bad: &'static [&'static str],
) -> Field {
    Field {
        kind,
        schema,
        service,
        shape,
        member,
        make,
        bad,
    }
}

/// PutMetricAlarm (the alarm and its metric queries).
fn alarm_fields() -> Vec<(Field, String)> {
    use Make::*;
    let band = ALARM.replace("  threshold: 80\n", "").replace(
        "GreaterThanThreshold",
        "LessThanLowerOrGreaterThanUpperThreshold",
    );
    let band = band.replace("  namespace: AWS/EC2\n  metricName: CPUUtilization\n  statistic: Average\n  period: 300\n", "  metrics:\n    - id: m1\n      returnData: true\n      metricStat: {metric: {namespace: AWS/EC2, metricName: CPUUtilization}, period: 300, stat: Average}\n    - id: ad1\n      expression: ANOMALY_DETECTION_BAND(m1, 2)\n      returnData: false\n");
    let threshold_id = field(
        Kind::MetricAlarm,
        &["spec", "thresholdMetricId"],
        ("cloudwatch", "PutMetricAlarmInput"),
        &["ThresholdMetricId"],
        Make::Pad("ad1", 'x'),
        &[],
    );
    let cw = |schema, member, make| {
        let none: &[&str] = &[];
        field(
            Kind::MetricAlarm,
            schema,
            ("cloudwatch", "PutMetricAlarmInput"),
            member,
            make,
            none,
        )
    };
    vec![
        (threshold_id, at(&band, "  comparisonOperator: LessThanLowerOrGreaterThanUpperThreshold\n", "  comparisonOperator: LessThanLowerOrGreaterThanUpperThreshold\n  thresholdMetricId: @V\n")),
        (cw(&["metadata", "name"], &["AlarmName"], Pad("", 'a')), at(ALARM, "  name: a\n", "  name: @V\n")),
        (cw(&["spec", "description"], &["AlarmDescription"], Pad("", 'd')), at(ALARM, "  threshold: 80\n", "  threshold: 80\n  description: @V\n")),
        (field(Kind::MetricAlarm, &["spec", "namespace"], ("cloudwatch", "PutMetricAlarmInput"), &["Namespace"], Pad("N", 'n'), &[":AWS"]), at(ALARM, "  namespace: AWS/EC2\n", "  namespace: @V\n")),
        (cw(&["spec", "metricName"], &["MetricName"], Pad("", 'm')), at(ALARM, "  metricName: CPUUtilization\n", "  metricName: @V\n")),
        (cw(&["spec", "statistic"], &["Statistic"], Pad("Average", 'x')), at(ALARM, "  statistic: Average\n", "  statistic: @V\n")),
        (cw(&["spec", "period"], &["Period"], Int(300)), at(ALARM, "  period: 300\n", "  period: @V\n")),
        (cw(&["spec", "evaluationPeriods"], &["EvaluationPeriods"], Int(3)), at(ALARM, "  evaluationPeriods: 3\n", "  evaluationPeriods: @V\n")),
        (cw(&["spec", "datapointsToAlarm"], &["DatapointsToAlarm"], Int(1)), at(ALARM, "  threshold: 80\n", "  threshold: 80\n  datapointsToAlarm: @V\n")),
        (cw(&["spec", "comparisonOperator"], &["ComparisonOperator"], Pad("GreaterThanThreshold", 'x')), at(ALARM, "  comparisonOperator: GreaterThanThreshold\n", "  comparisonOperator: @V\n")),
        (cw(&["spec", "treatMissingData"], &["TreatMissingData"], Pad("missing", 'x')), at(ALARM, "  threshold: 80\n", "  threshold: 80\n  treatMissingData: @V\n")),
        (cw(&["spec", "unit"], &["Unit"], Pad("Seconds", 'x')), at(ALARM, "  threshold: 80\n", "  threshold: 80\n  unit: @V\n")),
        (cw(&["spec", "alarmActions"], &["AlarmActions"], List(TOPIC)), at(ALARM, "  threshold: 80\n", "  threshold: 80\n  alarmActions: @V\n")),
        (cw(&["spec", "okActions"], &["OKActions"], List(TOPIC)), at(ALARM, "  threshold: 80\n", "  threshold: 80\n  okActions: @V\n")),
        (cw(&["spec", "insufficientDataActions"], &["InsufficientDataActions"], List(TOPIC)), at(ALARM, "  threshold: 80\n", "  threshold: 80\n  insufficientDataActions: @V\n")),
        (cw(&["spec", "dimensions"], &["Dimensions"], Map("D{i}: v")), at(ALARM, "  threshold: 80\n", "  threshold: 80\n  dimensions: @V\n")),
        (cw(&["spec", "dimensions", "{}"], &["Dimensions", "[]", "Value"], Pad("", 'v')), at(ALARM, "  threshold: 80\n", "  threshold: 80\n  dimensions:\n    InstanceId: @V\n")),
        (cw(&[], &["Dimensions", "[]", "Name"], Pad("", 'k')), at(ALARM, "  threshold: 80\n", "  threshold: 80\n  dimensions:\n    @V: v\n")),
        (cw(&["spec", "tags", "{}"], &["Tags", "[]", "Value"], Pad("", 'v')), at(ALARM, "  threshold: 80\n", "  threshold: 80\n  tags:\n    team: @V\n")),
        (cw(&[], &["Tags", "[]", "Key"], Pad("", 'k')), at(ALARM, "  threshold: 80\n", "  threshold: 80\n  tags:\n    @V: v\n")),
        (field(Kind::MetricAlarm, &["spec", "metrics", "[]", "id"], ("cloudwatch", "PutMetricAlarmInput"), &["Metrics", "[]", "Id"], Pad("e", 'x'), &[]), at(MATH, "    - id: e1\n      expression: m1 * 2\n", "    - id: @V\n      expression: m1 * 2\n")),
        (field(Kind::MetricAlarm, &["spec", "metrics", "[]", "expression"], ("cloudwatch", "PutMetricAlarmInput"), &["Metrics", "[]", "Expression"], Pad("m1", ' '), &[]), at(MATH, "      expression: m1 * 2\n", "      expression: @V\n")),
        (field(Kind::MetricAlarm, &["spec", "metrics", "[]", "period"], ("cloudwatch", "PutMetricAlarmInput"), &["Metrics", "[]", "Period"], Int(300), &[]), at(MATH, "      expression: m1 * 2\n", "      expression: m1 * 2\n      period: @V\n")),
        (field(Kind::MetricAlarm, &["spec", "metrics", "[]", "metricStat", "period"], ("cloudwatch", "PutMetricAlarmInput"), &["Metrics", "[]", "MetricStat", "Period"], Int(300), &[]), at(MATH, "      metricStat: {metric: {namespace: AWS/EC2, metricName: CPUUtilization}, period: 300, stat: Average}\n", "      metricStat:\n        metric: {namespace: AWS/EC2, metricName: CPUUtilization}\n        stat: Average\n        period: @V\n")),
        (field(Kind::MetricAlarm, &["spec", "metrics", "[]", "accountId"], ("cloudwatch", "PutMetricAlarmInput"), &["Metrics", "[]", "AccountId"], Pad("111111111111", '1'), &[]), at(MATH, "      returnData: false\n", "      returnData: false\n      accountId: @V\n")),
    ]
}

/// PutMetricFilter.
fn metric_filter_fields() -> Vec<(Field, String)> {
    use Make::*;
    let mf = |schema, member, make, bad| {
        field(
            Kind::MetricFilter,
            schema,
            ("logs", "PutMetricFilterRequest"),
            member,
            make,
            bad,
        )
    };
    let structured = FILTER.replace(
        "  filterPattern: ERROR\n",
        "  filterPattern: '{ $.a = 1 }'\n",
    );
    vec![
        (mf(&["metadata", "name"], &["filterName"], Pad("f", 'a'), &["a:b", "a*"]), at(FILTER, "  name: f\n", "  name: @V\n")),
        (mf(&["spec", "logGroupName"], &["logGroupName"], Pad("/trail", 'a'), &["/has space"]), at(FILTER, "  logGroupName: /trail\n", "  logGroupName: @V\n")),
        (mf(&["spec", "filterPattern"], &["filterPattern"], Pad("ERROR", 'x'), &[]), at(FILTER, "  filterPattern: ERROR\n", "  filterPattern: @V\n")),
        (mf(&["spec", "metricTransformations"], &["metricTransformations"], List("{metricName: m{i}, metricNamespace: n, metricValue: \"1\"}"), &[]), at(FILTER, "  metricTransformations:\n    - metricName: m\n      metricNamespace: n\n      metricValue: \"1\"\n", "  metricTransformations: @V\n")),
        (mf(&["spec", "metricTransformations", "[]", "metricName"], &["metricTransformations", "[]", "metricName"], Pad("m", 'm'), &["a:b", "a*", "a$"]), at(FILTER, "    - metricName: m\n", "    - metricName: @V\n")),
        (mf(&["spec", "metricTransformations", "[]", "metricNamespace"], &["metricTransformations", "[]", "metricNamespace"], Pad("n", 'n'), &["a:b", "a$"]), at(FILTER, "      metricNamespace: n\n", "      metricNamespace: @V\n")),
        (mf(&["spec", "metricTransformations", "[]", "metricValue"], &["metricTransformations", "[]", "metricValue"], Pad("1", '1'), &[]), at(FILTER, "      metricValue: \"1\"\n", "      metricValue: @V\n")),
        (mf(&["spec", "metricTransformations", "[]", "unit"], &["metricTransformations", "[]", "unit"], Pad("Count", 'x'), &[]), at(FILTER, "      metricValue: \"1\"\n", "      metricValue: \"1\"\n      unit: @V\n")),
        (mf(&["spec", "metricTransformations", "[]", "dimensions", "{}"], &["metricTransformations", "[]", "dimensions", "{}"], Pad("$.a", 'a'), &[]), at(&structured, "      metricValue: \"1\"\n", "      metricValue: \"1\"\n      dimensions:\n        A: @V\n")),
    ]
}

/// CreateLogGroup.
/// A flat table: one row per spec field and its API member.
fn log_fields() -> Vec<(Field, String)> {
    use Make::*;
    vec![
        (
            field(
                Kind::LogGroup,
                &["metadata", "name"],
                ("logs", "CreateLogGroupRequest"),
                &["logGroupName"],
                Pad("/app", 'a'),
                &["/has space", "/semi;colon"],
            ),
            at(GROUP, "  name: /app/web\n", "  name: @V\n"),
        ),
        (
            field(
                Kind::LogGroup,
                &["spec", "kmsKeyId"],
                ("logs", "CreateLogGroupRequest"),
                &["kmsKeyId"],
                Pad(KMS, 'a'),
                &[],
            ),
            at(
                GROUP,
                "  retentionInDays: 14\n",
                "  retentionInDays: 14\n  kmsKeyId: @V\n",
            ),
        ),
        (
            field(
                Kind::LogGroup,
                &["spec", "logGroupClass"],
                ("logs", "CreateLogGroupRequest"),
                &["logGroupClass"],
                Pad("STANDARD", 'x'),
                &[],
            ),
            at(
                GROUP,
                "  retentionInDays: 14\n",
                "  retentionInDays: 14\n  logGroupClass: @V\n",
            ),
        ),
        (
            field(
                Kind::LogGroup,
                &["spec", "tags"],
                ("logs", "CreateLogGroupRequest"),
                &["tags"],
                Tags("k{i}: v"),
                &[],
            ),
            at(
                GROUP,
                "  retentionInDays: 14\n",
                "  retentionInDays: 14\n  tags: @V\n",
            ),
        ),
        (
            field(
                Kind::LogGroup,
                &["spec", "tags", "{}"],
                ("logs", "CreateLogGroupRequest"),
                &["tags", "{}"],
                Pad("", 'v'),
                &["semi;colon"],
            ),
            at(
                GROUP,
                "  retentionInDays: 14\n",
                "  retentionInDays: 14\n  tags:\n    team: @V\n",
            ),
        ),
        (
            field(
                Kind::LogGroup,
                &[],
                ("logs", "CreateLogGroupRequest"),
                &["tags", "{key}"],
                Pad("", 'k'),
                &["semi;colon"],
            ),
            at(
                GROUP,
                "  retentionInDays: 14\n",
                "  retentionInDays: 14\n  tags:\n    @V: v\n",
            ),
        ),
    ]
}

/// CreatePatchBaseline.
fn baseline_fields() -> Vec<(Field, String)> {
    use Make::*;
    vec![
        (
            field(Kind::PatchBaseline, &["spec", "sources"], ("ssm", "CreatePatchBaselineRequest"), &["Sources"], List("{name: src{i:04}, products: [p], configuration: c}"), &[]),
            at(BASELINE, "  operatingSystem: AMAZON_LINUX_2023\n", "  operatingSystem: AMAZON_LINUX_2023\n  sources: @V\n"),
        ),
        (
            field(Kind::PatchBaseline, &["spec", "sources", "[]", "name"], ("ssm", "CreatePatchBaselineRequest"), &["Sources", "[]", "Name"], Pad("repo", 'r'), &["re", "has space", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]),
            at(BASELINE, "  operatingSystem: AMAZON_LINUX_2023\n", "  operatingSystem: AMAZON_LINUX_2023\n  sources:\n    - products: [AmazonLinux2023]\n      configuration: c\n      name: @V\n"),
        ),
        (
            field(Kind::PatchBaseline, &["spec", "sources", "[]", "products"], ("ssm", "CreatePatchBaselineRequest"), &["Sources", "[]", "Products"], List("p{i}"), &[]),
            at(BASELINE, "  operatingSystem: AMAZON_LINUX_2023\n", "  operatingSystem: AMAZON_LINUX_2023\n  sources:\n    - name: repo\n      configuration: c\n      products: @V\n"),
        ),
        (
            field(Kind::PatchBaseline, &["spec", "sources", "[]", "products", "[]"], ("ssm", "CreatePatchBaselineRequest"), &["Sources", "[]", "Products", "[]"], Pad("p", 'p'), &[]),
            at(BASELINE, "  operatingSystem: AMAZON_LINUX_2023\n", "  operatingSystem: AMAZON_LINUX_2023\n  sources:\n    - name: repo\n      configuration: c\n      products:\n        - @V\n"),
        ),
        (
            field(Kind::PatchBaseline, &["spec", "sources", "[]", "configuration"], ("ssm", "CreatePatchBaselineRequest"), &["Sources", "[]", "Configuration"], Pad("c", 'c'), &[]),
            at(BASELINE, "  operatingSystem: AMAZON_LINUX_2023\n", "  operatingSystem: AMAZON_LINUX_2023\n  sources:\n    - name: repo\n      products: [p]\n      configuration: @V\n"),
        ),
        (field(Kind::PatchBaseline, &["metadata", "name"], ("ssm", "CreatePatchBaselineRequest"), &["Name"], Pad("", 'b'), &["has space"]), at(BASELINE, "  name: base\n", "  name: @V\n")),
        (field(Kind::PatchBaseline, &["spec", "description"], ("ssm", "CreatePatchBaselineRequest"), &["Description"], Pad("", 'd'), &[]), at(BASELINE, "  operatingSystem: AMAZON_LINUX_2023\n", "  operatingSystem: AMAZON_LINUX_2023\n  description: @V\n")),
        (field(Kind::PatchBaseline, &["spec", "operatingSystem"], ("ssm", "CreatePatchBaselineRequest"), &["OperatingSystem"], Pad("AMAZON_LINUX_2023", 'x'), &[]), at(BASELINE, "  operatingSystem: AMAZON_LINUX_2023\n", "  operatingSystem: @V\n")),
        (field(Kind::PatchBaseline, &["spec", "approvedPatches"], ("ssm", "CreatePatchBaselineRequest"), &["ApprovedPatches"], List("p{i}"), &[]), at(BASELINE, "  operatingSystem: AMAZON_LINUX_2023\n", "  operatingSystem: AMAZON_LINUX_2023\n  approvedPatches: @V\n")),
        (field(Kind::PatchBaseline, &["spec", "approvedPatches", "[]"], ("ssm", "CreatePatchBaselineRequest"), &["ApprovedPatches", "[]"], Pad("p", 'p'), &[]), at(BASELINE, "  operatingSystem: AMAZON_LINUX_2023\n", "  operatingSystem: AMAZON_LINUX_2023\n  approvedPatches:\n    - @V\n")),
        (field(Kind::PatchBaseline, &["spec", "rejectedPatches"], ("ssm", "CreatePatchBaselineRequest"), &["RejectedPatches"], List("p{i}"), &[]), at(BASELINE, "  operatingSystem: AMAZON_LINUX_2023\n", "  operatingSystem: AMAZON_LINUX_2023\n  rejectedPatches: @V\n")),
        (field(Kind::PatchBaseline, &["spec", "rejectedPatches", "[]"], ("ssm", "CreatePatchBaselineRequest"), &["RejectedPatches", "[]"], Pad("p", 'p'), &[]), at(BASELINE, "  operatingSystem: AMAZON_LINUX_2023\n", "  operatingSystem: AMAZON_LINUX_2023\n  rejectedPatches:\n    - @V\n")),
        (field(Kind::PatchBaseline, &["spec", "approvalRules"], ("ssm", "CreatePatchBaselineRequest"), &["ApprovalRules", "PatchRules"], List("{patchFilters: {CLASSIFICATION: [S{i}]}, approveAfterDays: 1}"), &[]), at(BASELINE, "  approvalRules:\n    - patchFilters: {CLASSIFICATION: [Security]}\n      approveAfterDays: 7\n", "  approvalRules: @V\n")),
        (field(Kind::PatchBaseline, &["spec", "approvalRules", "[]", "approveAfterDays"], ("ssm", "CreatePatchBaselineRequest"), &["ApprovalRules", "PatchRules", "[]", "ApproveAfterDays"], Int(7), &[]), at(BASELINE, "      approveAfterDays: 7\n", "      approveAfterDays: @V\n")),
        (field(Kind::PatchBaseline, &["spec", "approvalRules", "[]", "complianceLevel"], ("ssm", "CreatePatchBaselineRequest"), &["ApprovalRules", "PatchRules", "[]", "ComplianceLevel"], Pad("HIGH", 'x'), &[]), at(BASELINE, "      approveAfterDays: 7\n", "      approveAfterDays: 7\n      complianceLevel: @V\n")),
        (field(Kind::PatchBaseline, &["spec", "globalFilters"], ("ssm", "CreatePatchBaselineRequest"), &["GlobalFilters", "PatchFilters"], Map("@K{i}: [x]"), &[]), at(BASELINE, "  operatingSystem: AMAZON_LINUX_2023\n", "  operatingSystem: AMAZON_LINUX_2023\n  globalFilters: @V\n")),
        (field(Kind::PatchBaseline, &["spec", "globalFilters", "{}"], ("ssm", "CreatePatchBaselineRequest"), &["GlobalFilters", "PatchFilters", "[]", "Values"], List("v{i}"), &[]), at(BASELINE, "  operatingSystem: AMAZON_LINUX_2023\n", "  operatingSystem: AMAZON_LINUX_2023\n  globalFilters:\n    PRODUCT: @V\n")),
        (field(Kind::PatchBaseline, &["spec", "globalFilters", "{}", "[]"], ("ssm", "CreatePatchBaselineRequest"), &["GlobalFilters", "PatchFilters", "[]", "Values", "[]"], Pad("v", 'v'), &[]), at(BASELINE, "  operatingSystem: AMAZON_LINUX_2023\n", "  operatingSystem: AMAZON_LINUX_2023\n  globalFilters:\n    PRODUCT:\n      - @V\n")),
    ]
}

/// CreateMaintenanceWindow, RegisterTargetWithMaintenanceWindow, RegisterTaskWithMaintenanceWindow.
/// A flat table: one row per spec field and its API member.
fn window_fields() -> Vec<(Field, String)> {
    use Make::*;
    let win = "RegisterTaskWithMaintenanceWindowRequest";
    let automation = WINDOW.replace(
        "      type: RUN_COMMAND\n      taskArn: AWS-RunPatchBaseline\n",
        "      type: AUTOMATION\n      taskArn: AWS-RestartEC2Instance\n",
    );
    let mut all = window_task_settings();
    all.extend(vec![
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "tasks", "[]", "parameters"],
                ("ssm", win),
                &["TaskInvocationParameters", "Automation", "Parameters"],
                Map("P{i}: [v]"),
                &[],
            ),
            at(
                &automation,
                "      targets: [web]\n",
                "      targets: [web]\n      parameters: @V\n",
            ),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &[],
                ("ssm", win),
                &[
                    "TaskInvocationParameters",
                    "Automation",
                    "Parameters",
                    "{key}",
                ],
                Pad("P", 'p'),
                &[],
            ),
            at(
                &automation,
                "      targets: [web]\n",
                "      targets: [web]\n      parameters:\n        @V: [v]\n",
            ),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "tasks", "[]", "parameters", "{}"],
                ("ssm", win),
                &["TaskInvocationParameters", "Automation", "Parameters", "{}"],
                List("v{i}"),
                &[],
            ),
            at(
                &automation,
                "      targets: [web]\n",
                "      targets: [web]\n      parameters:\n        InstanceId: @V\n",
            ),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &["metadata", "name"],
                ("ssm", "CreateMaintenanceWindowRequest"),
                &["Name"],
                Pad("", 'w'),
                &["has space"],
            ),
            at(WINDOW, "  name: win\n", "  name: @V\n"),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "description"],
                ("ssm", "CreateMaintenanceWindowRequest"),
                &["Description"],
                Pad("", 'd'),
                &[],
            ),
            at(
                WINDOW,
                "  duration: 3\n",
                "  duration: 3\n  description: @V\n",
            ),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "schedule"],
                ("ssm", "CreateMaintenanceWindowRequest"),
                &["Schedule"],
                Pad("cron(0 3 ? * TUE *)", ' '),
                &[],
            ),
            at(
                WINDOW,
                "  schedule: cron(0 3 ? * TUE *)\n",
                "  schedule: @V\n",
            ),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "scheduleOffset"],
                ("ssm", "CreateMaintenanceWindowRequest"),
                &["ScheduleOffset"],
                Int(1),
                &[],
            ),
            at(
                WINDOW,
                "  duration: 3\n",
                "  duration: 3\n  scheduleOffset: @V\n",
            ),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "duration"],
                ("ssm", "CreateMaintenanceWindowRequest"),
                &["Duration"],
                Int(1),
                &[],
            ),
            at(
                WINDOW,
                "  duration: 3\n  cutoff: 1\n",
                "  cutoff: 0\n  duration: @V\n",
            ),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "cutoff"],
                ("ssm", "CreateMaintenanceWindowRequest"),
                &["Cutoff"],
                Int(1),
                &[],
            ),
            at(
                WINDOW,
                "  duration: 3\n  cutoff: 1\n",
                "  duration: 24\n  cutoff: @V\n",
            ),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "targets", "[]", "name"],
                ("ssm", "RegisterTargetWithMaintenanceWindowRequest"),
                &["Name"],
                Pad("", 't'),
                &["has space"],
            ),
            at(
                &WINDOW[..WINDOW.find("  tasks:").unwrap()],
                "    - name: web\n",
                "    - name: @V\n",
            ),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "targets", "[]", "description"],
                ("ssm", "RegisterTargetWithMaintenanceWindowRequest"),
                &["Description"],
                Pad("", 'd'),
                &[],
            ),
            at(
                WINDOW,
                "      resourceType: INSTANCE\n",
                "      resourceType: INSTANCE\n      description: @V\n",
            ),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "targets", "[]", "ownerInformation"],
                ("ssm", "RegisterTargetWithMaintenanceWindowRequest"),
                &["OwnerInformation"],
                Pad("", 'o'),
                &[],
            ),
            at(
                WINDOW,
                "      resourceType: INSTANCE\n",
                "      resourceType: INSTANCE\n      ownerInformation: @V\n",
            ),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "targets", "[]", "tags"],
                ("ssm", "RegisterTargetWithMaintenanceWindowRequest"),
                &["Targets"],
                Map("k{i}: v"),
                &[],
            ),
            at(
                WINDOW,
                "      tags: {\"Patch Group\": web}\n",
                "      tags: @V\n",
            ),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "targets", "[]", "instanceIds"],
                ("ssm", "RegisterTargetWithMaintenanceWindowRequest"),
                &["Targets", "[]", "Values"],
                List("i-0000000000000{i:04}"),
                &[],
            ),
            at(
                WINDOW,
                "      tags: {\"Patch Group\": web}\n",
                "      instanceIds: @V\n",
            ),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "tasks", "[]", "name"],
                ("ssm", win),
                &["Name"],
                Pad("", 'p'),
                &["has space"],
            ),
            at(WINDOW, "    - name: patch\n", "    - name: @V\n"),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "tasks", "[]", "description"],
                ("ssm", win),
                &["Description"],
                Pad("", 'd'),
                &[],
            ),
            at(
                WINDOW,
                "      type: RUN_COMMAND\n",
                "      type: RUN_COMMAND\n      description: @V\n",
            ),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "tasks", "[]", "taskArn"],
                ("ssm", win),
                &["TaskArn"],
                Pad("AWS-RunPatchBaseline", 'x'),
                &[],
            ),
            at(
                WINDOW,
                "      taskArn: AWS-RunPatchBaseline\n",
                "      taskArn: @V\n",
            ),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "tasks", "[]", "type"],
                ("ssm", win),
                &["TaskType"],
                Pad("RUN_COMMAND", 'x'),
                &[],
            ),
            at(WINDOW, "      type: RUN_COMMAND\n", "      type: @V\n"),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "tasks", "[]", "priority"],
                ("ssm", win),
                &["Priority"],
                Int(1),
                &[],
            ),
            at(
                WINDOW,
                "      type: RUN_COMMAND\n",
                "      type: RUN_COMMAND\n      priority: @V\n",
            ),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "tasks", "[]", "maxConcurrency"],
                ("ssm", win),
                &["MaxConcurrency"],
                Pad("1", '0'),
                &["0", "0%", "101%", "ten"],
            ),
            at(
                WINDOW,
                "      maxConcurrency: \"1\"\n",
                "      maxConcurrency: @V\n",
            ),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "tasks", "[]", "maxErrors"],
                ("ssm", win),
                &["MaxErrors"],
                Pad("1", '0'),
                &["101%", "-1", "ten"],
            ),
            at(WINDOW, "      maxErrors: \"1\"\n", "      maxErrors: @V\n"),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "tasks", "[]", "cutoffBehavior"],
                ("ssm", win),
                &["CutoffBehavior"],
                Pad("CANCEL_TASK", 'x'),
                &[],
            ),
            at(
                WINDOW,
                "      type: RUN_COMMAND\n",
                "      type: RUN_COMMAND\n      cutoffBehavior: @V\n",
            ),
        ),
    ]);
    all
}

/// A task's settings blocks (TaskInvocationParameters), each in a task of its type.
/// A flat table: one row per spec field and its API member.
fn window_task_settings() -> Vec<(Field, String)> {
    use Make::*;
    let win = "RegisterTaskWithMaintenanceWindowRequest";
    let lambda = WINDOW.replace(
        "      type: RUN_COMMAND\n      taskArn: AWS-RunPatchBaseline\n      targets: [web]\n      maxConcurrency: \"1\"\n      maxErrors: \"1\"\n",
        "      type: LAMBDA\n      taskArn: arn:aws:lambda:us-east-1:111111111111:function:f\n",
    );
    let steps = lambda.replace(
        "type: LAMBDA\n      taskArn: arn:aws:lambda:us-east-1:111111111111:function:f",
        "type: STEP_FUNCTIONS\n      taskArn: arn:aws:states:us-east-1:111111111111:stateMachine:m",
    );
    let in_block =
        |doc: &str, block: &str, key: &str| format!("{doc}      {block}:\n        {key}: @V\n");
    let rc = |key: &'static str, member: &'static str, make: Make, bad: &'static [&'static str]| {
        (
            Field {
                kind: Kind::MaintenanceWindow,
                schema: Box::leak(Box::new(["spec", "tasks", "[]", "runCommand", key])),
                service: "ssm",
                shape: win,
                member: Box::leak(Box::new(["TaskInvocationParameters", "RunCommand", member])),
                make,
                bad,
            },
            in_block(WINDOW, "runCommand", key),
        )
    };
    assert!(lambda.contains("type: LAMBDA") && steps.contains("type: STEP_FUNCTIONS"));
    vec![
        rc("timeoutSeconds", "TimeoutSeconds", Int(600), &[]),
        rc("comment", "Comment", Pad("", 'c'), &[]),
        rc("documentHash", "DocumentHash", Pad("", 'a'), &[]),
        rc(
            "documentHashType",
            "DocumentHashType",
            Pad("Sha256", 'x'),
            &[],
        ),
        rc(
            "documentVersion",
            "DocumentVersion",
            Pad("1", '0'),
            &["latest", "0", "v2"],
        ),
        rc(
            "outputS3BucketName",
            "OutputS3BucketName",
            Pad("", 'b'),
            &[],
        ),
        rc("outputS3KeyPrefix", "OutputS3KeyPrefix", Pad("", 'p'), &[]),
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "tasks", "[]", "lambda", "qualifier"],
                ("ssm", win),
                &["TaskInvocationParameters", "Lambda", "Qualifier"],
                Pad("", 'q'),
                &[],
            ),
            in_block(&lambda, "lambda", "qualifier"),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "tasks", "[]", "lambda", "clientContext"],
                ("ssm", win),
                &["TaskInvocationParameters", "Lambda", "ClientContext"],
                Pad("", 'c'),
                &[],
            ),
            in_block(&lambda, "lambda", "clientContext"),
        ),
        (
            field(
                Kind::MaintenanceWindow,
                &["spec", "tasks", "[]", "stepFunctions", "name"],
                ("ssm", win),
                &["TaskInvocationParameters", "StepFunctions", "Name"],
                Pad("", 'n'),
                &[],
            ),
            in_block(&steps, "stepFunctions", "name"),
        ),
    ]
}

/// CreateBackupVault, CreateBackupPlan, CreateBackupSelection, PutBackupVaultNotifications.
/// A flat table: one row per spec field and its API member.
fn backup_fields() -> Vec<(Field, String)> {
    use Make::*;
    vec![
        (
            field(
                Kind::BackupVault,
                &["metadata", "name"],
                ("backup", "CreateBackupVaultInput"),
                &["BackupVaultName"],
                Pad("vault", 'v'),
                &[
                    "x",
                    "has space",
                    "dot.ted",
                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                ],
            ),
            at(VAULT, "  name: vault\n", "  name: @V\n"),
        ),
        (
            field(
                Kind::BackupVault,
                &["spec", "encryptionKeyArn"],
                ("backup", "CreateBackupVaultInput"),
                &["EncryptionKeyArn"],
                Pad(KMS, 'a'),
                &[],
            ),
            at(
                VAULT,
                "  tags: {env: prod}\n",
                "  tags: {env: prod}\n  encryptionKeyArn: @V\n",
            ),
        ),
        (
            field(
                Kind::BackupPlan,
                &["spec", "rules", "[]", "name"],
                ("backup", "BackupPlanInput"),
                &["Rules", "[]", "RuleName"],
                Pad("daily", 'r'),
                &[
                    "has space",
                    "sla/sh",
                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                ],
            ),
            at(PLAN, "    - name: daily\n", "    - name: @V\n"),
        ),
        (
            field(
                Kind::BackupPlan,
                &["spec", "selections", "[]", "name"],
                ("backup", "CreateBackupSelectionInput"),
                &["BackupSelection", "SelectionName"],
                Pad("sel", 's'),
                &[
                    "has space",
                    "sla/sh",
                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                ],
            ),
            at(PLAN, "    - name: sel\n", "    - name: @V\n"),
        ),
        (
            field(
                Kind::BackupVault,
                &["spec", "notifications", "events", "[]"],
                ("backup", "PutBackupVaultNotificationsInput"),
                &["BackupVaultEvents", "[]"],
                Pad("BACKUP_JOB_FAILED", 'x'),
                &[],
            ),
            at(
                VAULT,
                "  tags: {env: prod}\n",
                "  tags: {env: prod}\n  notifications:\n    snsTopicArn: arn:aws:sns:us-east-1:111111111111:t\n    events:\n      - @V\n",
            ),
        ),
        (
            field(
                Kind::BackupPlan,
                &["spec", "advancedBackupSettings", "[]", "resourceType"],
                ("backup", "BackupPlanInput"),
                &["AdvancedBackupSettings", "[]", "ResourceType"],
                Pad("EC2", 'E'),
                &["has space", "sla/sh"],
            ),
            at(
                PLAN,
                "  externalVaults: [Default]\n",
                "  externalVaults: [Default]\n  advancedBackupSettings:\n    - backupOptions: {WindowsVSS: enabled}\n      resourceType: @V\n",
            ),
        ),
    ]
}

// ---------------------------------------------------------------------------
// The models and the schemas
// ---------------------------------------------------------------------------

fn botocore_data() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/lib");
    let found = std::fs::read_dir(&root).ok().and_then(|dirs| {
        dirs.flatten()
            .map(|d| d.path().join("site-packages/botocore/data"))
            .find(|p| p.is_dir())
    });
    found.unwrap_or_else(|| {
        // The emulator's first start builds the venv.
        crate::emulator::Emulator::shared();
        botocore_data_after_setup(&root)
    })
}

fn botocore_data_after_setup(root: &std::path::Path) -> PathBuf {
    std::fs::read_dir(root)
        .unwrap_or_else(|e| panic!("{}: {e} (run tests/emulator/run once)", root.display()))
        .flatten()
        .map(|d| d.path().join("site-packages/botocore/data"))
        .find(|p| p.is_dir())
        .expect("botocore in the emulator's venv")
}

/// botocore's `service-2.json` of `service` (its newest version), gzipped or not.
pub(crate) fn model(service: &str) -> Value {
    let dir = botocore_data().join(service);
    let mut versions: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|d| d.path())
        .collect();
    versions.sort();
    let version = versions.last().expect("a model version");
    let plain = version.join("service-2.json");
    let text = if plain.exists() {
        std::fs::read_to_string(plain).unwrap()
    } else {
        let file = std::fs::File::open(version.join("service-2.json.gz")).unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(file), &mut text).unwrap();
        text
    };
    serde_json::from_str(&text).unwrap()
}

/// The model shape at `member` from `shape`.
fn member_shape<'a>(model: &'a Value, shape: &str, member: &[&str]) -> &'a Value {
    let shapes = &model["shapes"];
    let mut here = &shapes[shape];
    for step in member {
        let next = match *step {
            "[]" => &here["member"]["shape"],
            "{}" => &here["value"]["shape"],
            "{key}" => &here["key"]["shape"],
            name => &here["members"][name]["shape"],
        };
        let name = next
            .as_str()
            .unwrap_or_else(|| panic!("{shape}: no {step} in {member:?}"));
        here = &shapes[name];
    }
    here
}

/// The schema node of `path` in `schema`, through `$ref`s and nullable `anyOf`s.
fn schema_node<'a>(schema: &'a Value, path: &[&str]) -> &'a Value {
    let mut here = resolve(schema, schema);
    for step in path {
        let next = match *step {
            "[]" => &here["items"],
            "{}" => &here["additionalProperties"],
            name => &here["properties"][name],
        };
        assert!(!next.is_null(), "the schema has no {step} in {path:?}");
        here = resolve(schema, next);
    }
    here
}

fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    loop {
        if let Some(r) = node["$ref"].as_str() {
            node = &root["$defs"][r.trim_start_matches("#/$defs/")];
        } else if let Some(branches) = node["anyOf"].as_array() {
            let real: Vec<&Value> = branches.iter().filter(|b| b["type"] != "null").collect();
            if real.len() != 1 {
                return node;
            }
            node = real[0];
        } else {
            return node;
        }
    }
}

// ---------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------

/// What the schema node says against the model shape; returns what is looser.
fn schema_looser(node: &Value, shape: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let num = |v: &Value, k: &str| v[k].as_f64();
    let (min, max) = (num(shape, "min"), num(shape, "max"));
    let kind = shape["type"].as_str().unwrap_or_default();
    let (low, high) = match kind {
        "integer" | "long" => ("minimum", "maximum"),
        "string" => ("minLength", "maxLength"),
        "list" => ("minItems", "maxItems"),
        _ => ("minProperties", "maxProperties"),
    };
    if let (Some(model), Some(ours)) = (min, num(node, low)) {
        if ours < model {
            out.push(format!("{low} {ours} < the model's min {model}"));
        }
    }
    if let (Some(model), Some(ours)) = (max, num(node, high)) {
        if ours > model {
            out.push(format!("{high} {ours} > the model's max {model}"));
        }
    }
    if let (Some(model), Some(ours)) = (shape["enum"].as_array(), node["enum"].as_array()) {
        for value in ours.iter().filter(|v| !model.contains(v)) {
            out.push(format!(
                "enum value {value} is not in the model's {model:?}"
            ));
        }
    }
    out
}

/// Values just outside the model's constraints, each with what it breaks.
fn outside(shape: &Value, make: Make) -> Vec<(String, String)> {
    let min = shape["min"].as_i64();
    let max = shape["max"].as_i64();
    let mut out = Vec::new();
    match make {
        Make::Int(_) => {
            out.extend(min.map(|m| ((m - 1).to_string(), format!("min {m}"))));
            out.extend(max.map(|m| ((m + 1).to_string(), format!("max {m}"))));
        }
        Make::Pad(prefix, fill) => {
            let pad = |n: i64| {
                let mut s = prefix.chars().take(n.max(0) as usize).collect::<String>();
                while (s.chars().count() as i64) < n {
                    s.push(fill);
                }
                serde_json::to_string(&s).unwrap()
            };
            out.extend(
                min.filter(|m| *m > 0)
                    .map(|m| (pad(m - 1), format!("min length {m}"))),
            );
            out.extend(max.map(|m| (pad(m + 1), format!("max length {m}"))));
            if shape["enum"].is_array() {
                out.push(("NOT_A_MODEL_VALUE".into(), "enum".into()));
            }
        }
        Make::List(item) | Make::Map(item) => {
            let min = if let Make::Map(_) = make { None } else { min };
            let items = |n: i64| -> String {
                let all: Vec<String> = (0..n).map(|i| numbered(item, i)).collect();
                match make {
                    Make::List(_) => format!("[{}]", all.join(", ")),
                    _ => format!("{{{}}}", all.join(", ")),
                }
            };
            out.extend(
                min.filter(|m| *m > 0)
                    .map(|m| (items(m - 1), format!("min items {m}"))),
            );
            out.extend(max.map(|m| (items(m + 1), format!("max items {m}"))));
        }
        Make::Tags(item) => {
            let all: Vec<String> = (0..max.unwrap_or(0)).map(|i| numbered(item, i)).collect();
            out.extend(max.map(|m| {
                (
                    format!("{{{}}}", all.join(", ")),
                    format!("max items {m}, ours included"),
                )
            }));
        }
    }
    out
}

/// `template` with `{i}` (or `{i:04}`) replaced by `i`, and `@K` by a patch filter key.
fn numbered(template: &str, i: i64) -> String {
    const KEYS: &[&str] = &[
        "PRODUCT",
        "CLASSIFICATION",
        "SEVERITY",
        "ARCH",
        "EPOCH",
        "RELEASE",
    ];
    let keyed = template.replace("@K", KEYS[i as usize % KEYS.len()]);
    if keyed.contains("{i:04}") {
        keyed.replace("{i:04}", &format!("{i:04}"))
    } else if template.contains("@K") {
        keyed.replace("{i}", "")
    } else {
        keyed.replace("{i}", &i.to_string())
    }
}

/// The diagnostics of `doc` (none: it validates).
fn errors(doc: &str) -> Vec<(usize, String)> {
    let file = SourceFile {
        relative: "a.yaml".into(),
        display: "a.yaml".into(),
        text: doc.into(),
    };
    match parse(&[file]) {
        Ok(_) => Vec::new(),
        Err(d) => d.into_iter().map(|d| (d.line, d.message)).collect(),
    }
}

fn line_of(doc: &str) -> usize {
    doc.lines()
        .position(|l| l.contains("@V"))
        .expect("@V in the document")
        + 1
}

#[test]
fn the_schemas_are_never_looser_than_the_request_members() {
    let mut looser = Vec::new();
    for (field, _) in fields().iter().filter(|(f, _)| !f.schema.is_empty()) {
        let model = model(field.service);
        let shape = member_shape(&model, field.shape, field.member);
        let node = schema_node(field.kind.schema(), field.schema);
        for problem in schema_looser(node, shape) {
            looser.push(format!(
                "{} {}: {problem}",
                field.kind,
                field.schema.join(".")
            ));
        }
    }
    assert!(looser.is_empty(), "{}", looser.join("\n"));
}

#[test]
fn values_just_outside_each_model_constraint_are_refused_on_their_line() {
    let mut accepted = Vec::new();
    for (field, doc) in fields() {
        let base = doc.replace("@V", &valid_value(&field));
        let errs = errors(&base);
        assert!(
            errs.is_empty(),
            "{} base document invalid: {errs:?}\n{base}",
            field.kind
        );
        let model = model(field.service);
        let shape = member_shape(&model, field.shape, field.member);
        let mut probes = outside(shape, field.make);
        probes.extend(
            field
                .bad
                .iter()
                .map(|b| (serde_json::to_string(b).unwrap(), "pattern".into())),
        );
        let line = line_of(&doc);
        for (value, breaks) in probes {
            let probe = doc.replace("@V", &value);
            if !errors(&probe).iter().any(|(l, _)| *l == line) {
                let what = format!(
                    "{} {:?} ({}.{})",
                    field.kind, field.member, field.shape, breaks
                );
                accepted.push(format!("{what}: {} accepted", shorten(&value)));
            }
        }
    }
    assert!(
        accepted.is_empty(),
        "driftless accepts what AWS refuses:\n{}",
        accepted.join("\n")
    );
}

/// A value of the field inside every constraint, for the base document.
fn valid_value(field: &Field) -> String {
    let model = model(field.service);
    let shape = member_shape(&model, field.shape, field.member);
    let min = shape["min"].as_i64().unwrap_or(0);
    match field.make {
        Make::Int(valid) => valid.to_string(),
        Make::Pad(prefix, fill) => {
            let mut s = prefix.to_string();
            while (s.chars().count() as i64) < min.max(1) {
                s.push(fill);
            }
            serde_json::to_string(&s).unwrap()
        }
        Make::List(item) => format!("[{}]", numbered(item, 0)),
        Make::Map(item) | Make::Tags(item) => format!("{{{}}}", numbered(item, 0)),
    }
}

fn shorten(value: &str) -> String {
    if value.len() > 60 {
        format!("{}… ({} chars)", &value[..40], value.len())
    } else {
        value.to_string()
    }
}
