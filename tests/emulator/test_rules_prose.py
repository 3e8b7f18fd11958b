"""Rules AWS's references state in prose (driftless_emulator/rules.py, schedules.py).

For each rule: a request just outside it is refused with the service's error code
and message shape (HTTP 400), and a valid boundary request is accepted. Requests go
through boto3 without client-side validation, as the Rust SDK sends them.
"""

from __future__ import annotations

import copy
import json

import pytest

from test_rules import MATH, WINDOW, _math_alarm, _plan, _refused
from test_validation import ALARM


@pytest.fixture
def cw(client):
    return client("cloudwatch", parameter_validation=False)


@pytest.fixture
def ssm(client):
    return client("ssm", parameter_validation=False)


@pytest.fixture
def logs(client):
    return client("logs", parameter_validation=False)


@pytest.fixture
def backup(client):
    bk = client("backup", parameter_validation=False)
    bk.create_backup_vault(BackupVaultName="vault")
    return bk


@pytest.fixture
def sns(client):
    return client("sns", parameter_validation=False)


# ---------------------------------------------------------------- CloudWatch


@pytest.mark.parametrize(
    "stat",
    ["p0", "p99.9", "p100", "tm90", "tc90", "ts99", "wm98", "IQM", "TM(10%:90%)", "TM(2%:98%)",
     "WM(10%:90%)", "TC(:95%)", "TS(5%:)", "TM(150:1000)", "PR(:300)", "PR(100:2000)"],
)
def test_extended_statistics_aws_documents_are_accepted(cw, stat):
    alarm = {**{k: v for k, v in ALARM.items() if k != "Statistic"}, "ExtendedStatistic": stat}
    cw.put_metric_alarm(**alarm)
    (stored,) = cw.describe_alarms(AlarmNames=["cpu"])["MetricAlarms"]
    assert stored["ExtendedStatistic"] == stat


@pytest.mark.parametrize("stat", ["p101", "P99", "tm100.5", "IQR", "TM(90%:10%)", "TM(:)", "PR(10%:20%)", "TM(10%:500)", "median"])
def test_extended_statistics_aws_does_not_document_are_refused(cw, stat):
    alarm = {**{k: v for k, v in ALARM.items() if k != "Statistic"}, "ExtendedStatistic": stat}
    message = _refused(cw.put_metric_alarm, "ValidationError", f"The value {stat} for parameter ExtendedStatistic is not supported.", **alarm)
    assert message == f"The value {stat} for parameter ExtendedStatistic is not supported."


def test_metric_stat_takes_any_statistic_or_extended_statistic(cw):
    metrics = copy.deepcopy(MATH)
    metrics[1]["MetricStat"]["Stat"] = "TM(10%:90%)"
    cw.put_metric_alarm(**_math_alarm(Metrics=metrics))
    metrics[1]["MetricStat"]["Stat"] = "Mean"
    _refused(cw.put_metric_alarm, "ValidationError", "Metrics.member.2.MetricStat.Stat is not supported", **_math_alarm(Metrics=metrics))


def test_exactly_one_query_returns_data(cw, client):
    cw.put_metric_alarm(**_math_alarm())
    both = copy.deepcopy(MATH)
    both[1]["ReturnData"] = True
    _refused(cw.put_metric_alarm, "ValidationError", "Exactly one element of the metrics list should return data.", **_math_alarm(Metrics=both))
    omitted = copy.deepcopy(MATH)
    del omitted[1]["ReturnData"]  # "If you omit this, the default of true is used."
    _refused(cw.put_metric_alarm, "ValidationError", "Exactly one element", **_math_alarm(Metrics=omitted))
    none = copy.deepcopy(MATH)
    none[0]["ReturnData"] = False
    _refused(client("cloudwatch", parameter_validation=False).put_metric_alarm, "ValidationError", "Exactly one element", **_math_alarm(Metrics=none))


@pytest.mark.parametrize("qid,ok", [("m1", True), ("a_B9", True), ("M1", False), ("1m", False), ("m-1", False), ("_m", False)])
def test_metric_query_id_syntax(cw, qid, ok):
    metrics = copy.deepcopy(MATH)
    metrics[1]["Id"] = qid
    metrics[0]["Expression"] = f"{qid} * 2"
    if ok:
        cw.put_metric_alarm(**_math_alarm(Metrics=metrics))
    else:
        _refused(cw.put_metric_alarm, "ValidationError", f"Metrics.member.2.Id '{qid}'", **_math_alarm(Metrics=metrics))


def test_metric_query_ids_are_unique(cw):
    metrics = copy.deepcopy(MATH)
    metrics[0]["Id"] = "m1"
    _refused(cw.put_metric_alarm, "ValidationError", "the Id 'm1' is used more than once", **_math_alarm(Metrics=metrics))


ANOMALY = [
    {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization"}, "Period": 300, "Stat": "Average"}, "ReturnData": True},
    {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)", "ReturnData": False},
]


def test_static_alarms_need_a_threshold_and_anomaly_alarms_none(cw):
    _refused(cw.put_metric_alarm, "ValidationError", "A static threshold alarm must specify Threshold.", **{k: v for k, v in ALARM.items() if k != "Threshold"})
    cw.put_metric_alarm(**{**ALARM, "Threshold": 0.0})
    anomaly = {
        **{k: v for k, v in _math_alarm().items() if k != "Threshold"},
        "Metrics": copy.deepcopy(ANOMALY),
        "ThresholdMetricId": "ad1",
        "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold",
    }
    cw.put_metric_alarm(**anomaly)
    # The band returns data too, as in the reference's anomaly detection example.
    band_returns = copy.deepcopy(ANOMALY)
    band_returns[1]["ReturnData"] = True
    cw.put_metric_alarm(**{**anomaly, "Metrics": band_returns})
    neither = copy.deepcopy(ANOMALY)
    neither[0]["ReturnData"] = False
    _refused(cw.put_metric_alarm, "ValidationError", "Exactly one element", **{**anomaly, "Metrics": neither})
    _refused(cw.put_metric_alarm, "ValidationError", "must not specify Threshold", **{**anomaly, "Threshold": 1.0})
    _refused(cw.put_metric_alarm, "ValidationError", "ThresholdMetricId 'ad2' names no metric query", **{**anomaly, "ThresholdMetricId": "ad2"})
    _refused(cw.put_metric_alarm, "ValidationError", "cannot be used with ThresholdMetricId", **{**anomaly, "ComparisonOperator": "GreaterThanThreshold"})
    _refused(cw.put_metric_alarm, "ValidationError", "used only for alarms based on anomaly detection models", **{**ALARM, "ComparisonOperator": "GreaterThanUpperThreshold"})


@pytest.mark.parametrize(
    "member,value,allowed",
    [("TreatMissingData", "Breaching", "breaching"), ("EvaluateLowSampleCountPercentile", "skip", "ignore")],
)
def test_documented_value_lists(cw, member, value, allowed):
    cw.put_metric_alarm(**{**ALARM, member: allowed})
    message = _refused(cw.put_metric_alarm, "ValidationError", "Member must satisfy enum value set", **{**ALARM, member: value})
    assert message.startswith(f"1 validation error detected: Value '{value}' at '{member[0].lower() + member[1:]}'")


def test_alarm_actions_are_in_the_alarms_region(cw, client):
    cw.put_metric_alarm(**{**ALARM, "AlarmActions": ["arn:aws:sns:us-east-1:210987654321:other-account-topic"]})
    for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
        message = _refused(
            cw.put_metric_alarm, "ValidationError", "Invalid region eu-west-1 specified. Only us-east-1 is supported.",
            **{**ALARM, key: ["arn:aws:sns:eu-west-1:123456789012:ops"]},
        )
        assert message == "Invalid region eu-west-1 specified. Only us-east-1 is supported."
    _refused(
        cw.put_composite_alarm, "ValidationError", "Invalid region us-west-2",
        AlarmName="comp", AlarmRule="ALARM(cpu)", AlarmActions=["arn:aws:automate:us-west-2:ec2:stop"],
    )


def test_metrics_exclude_unit(cw):
    _refused(cw.put_metric_alarm, "InvalidParameterCombination", "Metrics may not be specified together with Unit", **_math_alarm(Unit="Count"))


# ---------------------------------------------------------------------- tags


def _tag_calls(client, account):
    cw = client("cloudwatch", parameter_validation=False)
    logs = client("logs", parameter_validation=False)
    ssm = client("ssm", parameter_validation=False)
    bk = client("backup", parameter_validation=False)
    cw.put_metric_alarm(**ALARM)
    alarm_arn = f"arn:aws:cloudwatch:us-east-1:{account}:alarm:cpu"
    logs.create_log_group(logGroupName="/tags")
    group_arn = f"arn:aws:logs:us-east-1:{account}:log-group:/tags"
    wid = ssm.create_maintenance_window(**WINDOW)["WindowId"]
    vault_arn = bk.create_backup_vault(BackupVaultName="tagged")["BackupVaultArn"]
    bk.create_backup_vault(BackupVaultName="vault")  # the plan's target
    tag, key = "aws:owner", "AWS:Owner"
    return [
        ("ValidationError", cw.tag_resource, {"ResourceARN": alarm_arn, "Tags": [{"Key": tag, "Value": "x"}]}),
        ("ValidationError", cw.untag_resource, {"ResourceARN": alarm_arn, "TagKeys": [key]}),
        ("ValidationError", cw.put_metric_alarm, {**ALARM, "AlarmName": "new", "Tags": [{"Key": tag, "Value": "x"}]}),
        ("InvalidParameterException", logs.create_log_group, {"logGroupName": "/tags2", "tags": {tag: "x"}}),
        ("InvalidParameterException", logs.tag_resource, {"resourceArn": group_arn, "tags": {tag: "x"}}),
        ("InvalidParameterException", logs.untag_resource, {"resourceArn": group_arn, "tagKeys": [key]}),
        ("ValidationException", ssm.add_tags_to_resource, {"ResourceType": "MaintenanceWindow", "ResourceId": wid, "Tags": [{"Key": tag, "Value": "x"}]}),
        ("ValidationException", ssm.remove_tags_from_resource, {"ResourceType": "MaintenanceWindow", "ResourceId": wid, "TagKeys": [key]}),
        ("ValidationException", ssm.create_maintenance_window, {**WINDOW, "Name": "window2", "Tags": [{"Key": tag, "Value": "x"}]}),
        ("ValidationException", ssm.create_patch_baseline, {"Name": "base", "OperatingSystem": "AMAZON_LINUX_2023", "Tags": [{"Key": tag, "Value": "x"}]}),
        ("InvalidParameterValueException", bk.tag_resource, {"ResourceArn": vault_arn, "Tags": {tag: "x"}}),
        ("InvalidParameterValueException", bk.untag_resource, {"ResourceArn": vault_arn, "TagKeyList": [key]}),
        ("InvalidParameterValueException", bk.create_backup_vault, {"BackupVaultName": "v2", "BackupVaultTags": {tag: "x"}}),
        ("InvalidParameterValueException", bk.create_backup_plan, {"BackupPlan": _plan(), "BackupPlanTags": {tag: "x"}}),
    ]


def test_the_aws_prefix_is_reserved_on_every_tagging_call(client, account):
    for code, fn, params in _tag_calls(client, account):
        _refused(fn, code, "the aws: prefix is reserved for AWS use", **params)
    # A value may start with aws:, and a key may contain it further in.
    cw = client("cloudwatch")
    cw.tag_resource(
        ResourceARN=f"arn:aws:cloudwatch:us-east-1:{account}:alarm:cpu",
        Tags=[{"Key": "team-aws:x", "Value": "aws:managed"}],
    )


# ------------------------------------------------------------ SSM schedules


@pytest.mark.parametrize(
    "schedule",
    [
        "cron(0 2 ? * SUN *)",  # the six fields
        "cron(59 23 31 12 ? 2199)",  # every field at its top
        "cron(0 0 1 JAN ? 1970)",  # and at its bottom
        "cron(30 23 ? * TUE#3 *)",  # the user guide's schedule-offset example
        "cron(0 2 L * ? *)",  # "02:00 AM on the last day of every month"
        "cron(15 10 ? * 6L *)",  # "10:15 AM on the last Friday of every month"
        "cron(0 3 15W * ? *)",  # the weekday nearest the 15th
        "cron(0 3 LW * ? *)",
        "cron(0/5 * ? * MON-FRI *)",  # every 5 minutes: the fastest allowed
        "cron(24 30 09 ? * * *)",  # the optional Seconds field
        "rate(1 minute)",
        "rate(30 minutes)",
        "rate(25 days)",
    ],
)
def test_window_schedules_aws_documents_are_accepted(ssm, schedule):
    ssm.create_maintenance_window(**{**WINDOW, "Schedule": schedule})


@pytest.mark.parametrize(
    "schedule,why",
    [
        ("cron(0 2 * * SUN *)", "one of the Day-of-month and Day-of-week fields must be '?'"),
        ("cron(0 2 ? * ? *)", "one of the Day-of-month and Day-of-week fields must be '?'"),
        ("cron(60 2 ? * SUN *)", "Minutes value 60 is outside 0-59"),
        ("cron(0 24 ? * SUN *)", "Hours value 24 is outside 0-23"),
        ("cron(0 2 32 * ? *)", "Day-of-month value 32 is outside 1-31"),
        ("cron(0 2 ? 13 SUN *)", "Month value 13 is outside 1-12"),
        ("cron(0 2 ? * 8 *)", "Day-of-week value 8 is outside 1-7"),
        ("cron(0 2 ? * SUN 2200)", "Year value 2200 is outside 1970-2199"),
        ("cron(0 2 ? * SUN 1969)", "Year value 1969 is outside 1970-2199"),
        ("cron(0 2 ? * TUE#6 *)", "'#6' must be #1 to #5"),
        ("cron(0 2 ? * TUE#1,FRI#3 *)", "only one expression"),
        ("cron(0 2 L#1 * ? *)", "'#' is not allowed in the Day-of-month field"),
        ("cron(0 2 ? * 3W *)", "'3W' is not a valid Day-of-week value"),
        ("cron(0 L ? * SUN *)", "'L' is not allowed in the Hours field"),
        ("cron(0 2 ? * SUN)", "a cron expression has 6 fields"),
        ("cron(0 0 2 ? * SUN *)", "Zero"),  # the Seconds field is 1-59
        ("cron(0/4 * ? * MON-FRI *)", "more often than every 5 minutes"),
        ("cron(58,2 0-23 ? * * *)", "more often than every 5 minutes"),
        ("rate(1 minutes)", "singular"),
        ("rate(5 hour)", "singular"),
        ("rate(7 weeks)", "'weeks' is not a rate unit"),
        ("rate(0 days)", "positive number"),
        ("at(2026-02-30T10:00:00)", "not a valid date"),
    ],
)
def test_window_schedules_aws_refuses(ssm, schedule, why):
    message = _refused(ssm.create_maintenance_window, "ValidationException", f"Schedule '{schedule}' is not valid", **{**WINDOW, "Schedule": schedule})
    if why != "Zero":
        assert why in message
    else:
        assert "Seconds value 0 is outside 1-59" in message


def test_window_time_zone_and_dates(ssm):
    ssm.create_maintenance_window(
        **WINDOW, ScheduleTimezone="Australia/Lord_Howe",
        StartDate="2021-01-01T00:00:00-08:00", EndDate="2030-06-30T00:00:00Z",
    )
    ssm.create_maintenance_window(**{**WINDOW, "Name": "utc"}, ScheduleTimezone="UTC", StartDate="2021-04-07")
    _refused(ssm.create_maintenance_window, "ValidationException", "'Mars/Olympus' is not a time zone of the IANA Time Zone Database", **WINDOW, ScheduleTimezone="Mars/Olympus")
    _refused(ssm.create_maintenance_window, "ValidationException", "'PST' is not a time zone", **WINDOW, ScheduleTimezone="PST")
    _refused(ssm.create_maintenance_window, "ValidationException", "Invalid StartDate", **WINDOW, StartDate="01/01/2021")
    _refused(ssm.create_maintenance_window, "ValidationException", "Invalid EndDate", **WINDOW, EndDate="2021-13-01T00:00:00Z")
    wid = ssm.create_maintenance_window(**{**WINDOW, "Name": "upd"})["WindowId"]
    _refused(ssm.update_maintenance_window, "ValidationException", "Invalid ScheduleTimezone", WindowId=wid, ScheduleTimezone="Nowhere")


# ------------------------------------------------------------------ SSM tasks


def _window(ssm):
    wid = ssm.create_maintenance_window(**WINDOW)["WindowId"]
    target = ssm.register_target_with_maintenance_window(
        WindowId=wid, ResourceType="INSTANCE", Targets=[{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}]
    )["WindowTargetId"]
    return wid, [{"Key": "WindowTargetIds", "Values": [target]}]


def test_run_command_tasks_need_targets(ssm):
    wid, targets = _window(ssm)
    ssm.register_task_with_maintenance_window(
        WindowId=wid, TaskArn="AWS-RunPatchBaseline", TaskType="RUN_COMMAND", Targets=targets,
        MaxConcurrency="1", MaxErrors="0",
    )
    _refused(ssm.register_task_with_maintenance_window, "ValidationException", "Targets must be specified for a maintenance window task of type RUN_COMMAND",
             WindowId=wid, TaskArn="AWS-RunPatchBaseline", TaskType="RUN_COMMAND")
    # Automation, Lambda and Step Functions tasks may be targetless.
    task = ssm.register_task_with_maintenance_window(WindowId=wid, TaskArn="AWS-RestartEC2Instance", TaskType="AUTOMATION")["WindowTaskId"]
    run = ssm.register_task_with_maintenance_window(
        WindowId=wid, TaskArn="AWS-RunShellScript", TaskType="RUN_COMMAND", Targets=targets, MaxConcurrency="1", MaxErrors="0",
    )["WindowTaskId"]
    _refused(ssm.update_maintenance_window_task, "ValidationException", "Targets must be specified", WindowId=wid, WindowTaskId=run, Targets=[])
    ssm.update_maintenance_window_task(WindowId=wid, WindowTaskId=task, Description="still targetless")


def test_concurrency_and_errors_only_and_always_with_targets(ssm):
    wid, targets = _window(ssm)
    base = {"WindowId": wid, "TaskArn": "AWS-RestartEC2Instance", "TaskType": "AUTOMATION"}
    _refused(ssm.register_task_with_maintenance_window, "ValidationException", "MaxConcurrency must be specified for a maintenance window task with targets",
             **base, Targets=targets, MaxErrors="0")
    _refused(ssm.register_task_with_maintenance_window, "ValidationException", "MaxErrors must be specified", **base, Targets=targets, MaxConcurrency="1")
    _refused(ssm.register_task_with_maintenance_window, "ValidationException", "MaxConcurrency cannot be specified for a maintenance window task without targets",
             **base, MaxConcurrency="1")
    task = ssm.register_task_with_maintenance_window(**base, Targets=targets, MaxConcurrency="1", MaxErrors="0")["WindowTaskId"]
    ssm.update_maintenance_window_task(WindowId=wid, WindowTaskId=task, MaxErrors="1")  # merged with the stored targets


def test_invocation_parameters_match_the_task_type(ssm):
    wid, targets = _window(ssm)
    base = {"WindowId": wid, "Targets": targets, "MaxConcurrency": "1", "MaxErrors": "0"}
    ssm.register_task_with_maintenance_window(
        **base, TaskArn="AWS-RunShellScript", TaskType="RUN_COMMAND",
        TaskInvocationParameters={"RunCommand": {"Parameters": {"commands": ["true"]}}},
    )
    _refused(ssm.register_task_with_maintenance_window, "ValidationException", "TaskInvocationParameters.Automation does not match the task type RUN_COMMAND",
             **base, TaskArn="AWS-RunShellScript", TaskType="RUN_COMMAND",
             TaskInvocationParameters={"Automation": {"DocumentVersion": "1"}})
    _refused(ssm.register_task_with_maintenance_window, "ValidationException", "TaskInvocationParameters.RunCommand does not match the task type LAMBDA",
             **base, TaskArn="arn:aws:lambda:us-east-1:123456789012:function:f", TaskType="LAMBDA",
             TaskInvocationParameters={"RunCommand": {"Comment": "x"}})


# -------------------------------------------------------------- SSM baselines


@pytest.mark.parametrize(
    "os_name,key,good,bad",
    [
        ("WINDOWS", "CLASSIFICATION", ["SecurityUpdates", "CriticalUpdates"], "Security"),
        ("WINDOWS", "MSRC_SEVERITY", ["Critical", "Unspecified"], "Medium"),
        ("WINDOWS", "PATCH_SET", ["OS", "APPLICATION"], "DRIVERS"),
        ("AMAZON_LINUX_2023", "CLASSIFICATION", ["Security", "Bugfix"], "SecurityUpdates"),
        ("AMAZON_LINUX_2023", "SEVERITY", ["Critical", "None"], "Moderate"),
        ("AMAZON_LINUX_2", "SEVERITY", ["Medium", "Low"], "None"),
        ("REDHAT_ENTERPRISE_LINUX", "SEVERITY", ["Moderate"], "Medium"),
        ("SUSE", "CLASSIFICATION", ["Yast", "Optional"], "Bugfix"),
        ("UBUNTU", "PRIORITY", ["Required", "Extra"], "Critical"),
    ],
)
def test_patch_filter_values_per_operating_system(ssm, os_name, key, good, bad):
    def baseline(values, name):
        rule = {"PatchFilterGroup": {"PatchFilters": [{"Key": key, "Values": values}]}}
        if os_name not in ("UBUNTU", "DEBIAN"):
            rule["ApproveAfterDays"] = 7
        return {"Name": name, "OperatingSystem": os_name, "ApprovalRules": {"PatchRules": [rule]}}

    ssm.create_patch_baseline(**baseline(good, "good"))
    ssm.create_patch_baseline(**baseline(["*"], "wildcard"))
    _refused(ssm.create_patch_baseline, "ValidationException", f"Patch filter {key} (ApprovalRules.PatchRules.1) value '{bad}' is not valid for operating system {os_name}",
             **baseline([bad], "bad"))


def test_approval_rules_need_a_date_except_on_debian_and_ubuntu(ssm):
    rule = {"PatchFilterGroup": {"PatchFilters": [{"Key": "CLASSIFICATION", "Values": ["Security"]}]}}
    _refused(ssm.create_patch_baseline, "ValidationException", "either ApproveAfterDays or ApproveUntilDate must be specified",
             Name="nodate", OperatingSystem="AMAZON_LINUX_2023", ApprovalRules={"PatchRules": [rule]})
    ssm.create_patch_baseline(Name="days", OperatingSystem="AMAZON_LINUX_2023", ApprovalRules={"PatchRules": [{**rule, "ApproveAfterDays": 0}]})
    ssm.create_patch_baseline(Name="until", OperatingSystem="AMAZON_LINUX_2023", ApprovalRules={"PatchRules": [{**rule, "ApproveUntilDate": "2024-02-29"}]})
    ubuntu = {"PatchFilterGroup": {"PatchFilters": [{"Key": "PRIORITY", "Values": ["Required"]}]}}
    ssm.create_patch_baseline(Name="ubuntu", OperatingSystem="UBUNTU", ApprovalRules={"PatchRules": [ubuntu]})
    for bad in ("2023-02-29", "2024/01/01", "20240101"):
        _refused(ssm.create_patch_baseline, "ValidationException", "ApproveUntilDate", Name="baddate", OperatingSystem="AMAZON_LINUX_2023",
                 ApprovalRules={"PatchRules": [{**rule, "ApproveUntilDate": bad}]})


def test_patch_groups_register_to_aws_baselines(client):
    ssm = client("ssm")
    aws_arn = ssm.get_default_patch_baseline(OperatingSystem="AMAZON_LINUX_2023")["BaselineId"]
    assert aws_arn.startswith("arn:aws:ssm:us-east-1:")
    ssm.register_patch_baseline_for_patch_group(BaselineId=aws_arn, PatchGroup="aws-group")
    (mapping,) = ssm.describe_patch_groups()["Mappings"]
    assert mapping["PatchGroup"] == "aws-group"
    assert mapping["BaselineIdentity"]["BaselineId"] == aws_arn
    assert mapping["BaselineIdentity"]["BaselineName"] == "AWS-AmazonLinux2023DefaultPatchBaseline"
    assert mapping["BaselineIdentity"]["OperatingSystem"] == "AMAZON_LINUX_2023"
    ssm.deregister_patch_baseline_for_patch_group(BaselineId=aws_arn, PatchGroup="aws-group")
    assert ssm.describe_patch_groups()["Mappings"] == []


# -------------------------------------------------------------------- Backup


@pytest.mark.parametrize("expression", ["cron(0 5 ? * * *)", "cron(15 * ? * * *)", "cron(0 0/12 ? * MON-FRI *)", "cron(0 5 L * ? 2199)", "cron(0 5 ? * 2#1 *)"])
def test_backup_schedules_accepted(backup, expression):
    backup.create_backup_plan(BackupPlan=_plan(ScheduleExpression=expression, ScheduleExpressionTimezone="Asia/Tokyo"))


@pytest.mark.parametrize(
    "expression,why",
    [
        ("cron(0 5 * * * *)", "must be '?'"),
        ("cron(0 25 ? * * *)", "Hours value 25"),
        ("cron(0/30 * ? * * *)", "at most once an hour"),
        ("cron(0,30 5 ? * * *)", "at most once an hour"),
        ("cron(0 5 ? * * 2200)", "Year value 2200"),
        ("cron(0 0 5 ? * * *)", "6 fields"),
    ],
)
def test_backup_schedules_refused(backup, expression, why):
    message = _refused(backup.create_backup_plan, "InvalidParameterValueException", f"Invalid ScheduleExpression '{expression}'", BackupPlan=_plan(ScheduleExpression=expression))
    assert why in message


def test_backup_schedule_time_zone(backup):
    _refused(backup.create_backup_plan, "InvalidParameterValueException", "Invalid ScheduleExpressionTimezone",
             BackupPlan=_plan(ScheduleExpressionTimezone="Europe/Atlantis"))


# ----------------------------------------------------------------------- SNS


def test_publish_input(sns):
    topic = sns.create_topic(Name="ops")["TopicArn"]
    sns.publish(TopicArn=topic, Message="x" * 262_144, Subject="s" * 99)
    sns.publish(TopicArn=topic, Message=json.dumps({"default": "d", "email": "e"}), MessageStructure="json")
    cases = [
        ({"Message": "m"}, "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter"),
        ({"TopicArn": topic, "Message": ""}, "Invalid parameter: Empty message"),
        ({"TopicArn": topic, "Message": "x" * 262_145}, "Invalid parameter: Message too long"),
        ({"TopicArn": topic, "Message": "x" * 262_000, "MessageAttributes": {"a": {"DataType": "String", "StringValue": "y" * 200}}}, "Invalid parameter: Message too long"),
        ({"TopicArn": topic, "Message": "m", "Subject": "s" * 100}, "Invalid parameter: Subject"),
        ({"TopicArn": topic, "Message": "m", "Subject": "two\nlines"}, "Invalid parameter: Subject"),
        ({"TopicArn": topic, "Message": "m", "MessageStructure": "xml"}, "Invalid parameter: MessageStructure"),
        ({"TopicArn": topic, "Message": "not json", "MessageStructure": "json"}, "Invalid parameter: Message Structure - JSON message body failed to parse"),
        ({"TopicArn": topic, "Message": json.dumps({"email": "e"}), "MessageStructure": "json"}, "Invalid parameter: Message Structure - No default entry in JSON message body"),
        ({"TopicArn": topic, "Message": "m", "MessageDeduplicationId": "d"}, "Invalid parameter: The MessageDeduplicationId parameter is only for FIFO topics"),
    ]
    for params, message in cases:
        assert _refused(sns.publish, "InvalidParameter", message, **params) == message
    fifo = sns.create_topic(Name="ops.fifo", Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    _refused(sns.publish, "InvalidParameter", "MessageGroupId parameter is required for FIFO topics", TopicArn=fifo, Message="m")
    sns.publish(TopicArn=fifo, Message="m", MessageGroupId="g", MessageDeduplicationId="d")


# ---------------------------------------------------------- Logs and Backup (2)


def test_log_group_filters_are_exclusive(logs):
    logs.describe_log_groups(logGroupNamePrefix="/a")
    logs.describe_log_groups(logGroupNamePattern="a")
    _refused(logs.describe_log_groups, "InvalidParameterException", "mutually exclusive", logGroupNamePrefix="/a", logGroupNamePattern="a")
    _refused(logs.describe_log_groups, "InvalidParameterException", "logGroupIdentifiers cannot be combined with logGroupNamePrefix",
             logGroupIdentifiers=["/a"], logGroupNamePrefix="/a")


def test_kms_key_target_is_a_group_or_a_resource(logs, account):
    logs.create_log_group(logGroupName="/kms")
    key = f"arn:aws:kms:us-east-1:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    logs.associate_kms_key(logGroupName="/kms", kmsKeyId=key)
    _refused(logs.associate_kms_key, "InvalidParameterException", "either logGroupName or resourceIdentifier",
             logGroupName="/kms", resourceIdentifier=f"arn:aws:logs:us-east-1:{account}:log-group:/kms", kmsKeyId=key)
    _refused(logs.disassociate_kms_key, "InvalidParameterException", "either logGroupName or resourceIdentifier")


def test_vault_lock_days(backup):
    backup.put_backup_vault_lock_configuration(BackupVaultName="vault", MinRetentionDays=1, MaxRetentionDays=36500, ChangeableForDays=3)
    _refused(backup.put_backup_vault_lock_configuration, "InvalidParameterValueException", "ChangeableForDays (2) must be between 3 and 36500",
             BackupVaultName="vault", ChangeableForDays=2)
    _refused(backup.put_backup_vault_lock_configuration, "InvalidParameterValueException", "MinRetentionDays (30) cannot be greater than MaxRetentionDays (7)",
             BackupVaultName="vault", MinRetentionDays=30, MaxRetentionDays=7)
    _refused(backup.put_backup_vault_lock_configuration, "InvalidParameterValueException", "MinRetentionDays (0)",
             BackupVaultName="vault", MinRetentionDays=0)


def test_every_operation_driftless_calls_has_its_prose_coverage_stated():
    import re
    from pathlib import Path

    from driftless_emulator.rules import PROSE_COVERAGE, RULES

    calls = (Path(__file__).resolve().parents[2] / "controller/core/src/iam.rs").read_text()
    listed = set(re.findall(r'^\s*"([a-z]+)" "([A-Za-z]+)" (?:Read|Write)', calls, re.M))
    assert len(listed) > 50
    assert listed == set(PROSE_COVERAGE), (sorted(listed - set(PROSE_COVERAGE)), sorted(set(PROSE_COVERAGE) - listed))
    # An operation with rules here says so, and one said to have them has them.
    for op, coverage in PROSE_COVERAGE.items():
        assert (op in RULES) == ("rules.py" in coverage), op
