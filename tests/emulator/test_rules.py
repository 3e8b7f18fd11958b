"""Service rules the API models cannot express (driftless_emulator/rules.py).

Each rule: a request just inside it is accepted, one just outside refused
with the service's validation error (HTTP 400). Requests go through boto3
without client-side validation, as the Rust SDK sends them.
"""

from __future__ import annotations

import copy

import pytest
from botocore.exceptions import ClientError

from test_validation import ALARM, PATCH_RULES, PLAN


def _refused(fn, code: str, fragment: str = "", **params) -> str:
    with pytest.raises(ClientError) as e:
        fn(**params)
    err = e.value.response["Error"]
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["Code"] == code, err
    assert fragment in err["Message"]
    return err["Message"]


@pytest.fixture
def cw(client):
    return client("cloudwatch", parameter_validation=False)


@pytest.fixture
def cw_cbor(cbor_client):
    return cbor_client("cloudwatch", parameter_validation=False)


@pytest.fixture
def ssm(client):
    return client("ssm", parameter_validation=False)


@pytest.fixture
def backup(client):
    bk = client("backup", parameter_validation=False)
    bk.create_backup_vault(BackupVaultName="vault")
    return bk


# ---------------------------------------------------------------- CloudWatch


@pytest.mark.parametrize("period", [10, 20, 30, 60, 120, 3600])
def test_alarm_period_accepted(cw, period):
    cw.put_metric_alarm(**{**ALARM, "Period": period, "EvaluationPeriods": 1})


@pytest.mark.parametrize("period", [7, 15, 45, 90])
def test_alarm_period_refused(cw, cw_cbor, period):
    for c in (cw, cw_cbor):
        _refused(c.put_metric_alarm, "ValidationError", "Period must be 10, 20, 30 or a multiple of 60", **{**ALARM, "Period": period})
    assert cw.describe_alarms()["MetricAlarms"] == []


def test_alarm_evaluation_range(cw):
    cw.put_metric_alarm(**{**ALARM, "Period": 60, "EvaluationPeriods": 1440, "DatapointsToAlarm": 1})
    _refused(cw.put_metric_alarm, "ValidationError", "evaluation range", **{**ALARM, "Period": 60, "EvaluationPeriods": 1441})
    cw.put_metric_alarm(**{**ALARM, "Period": 3600, "EvaluationPeriods": 168})
    _refused(cw.put_metric_alarm, "ValidationError", "evaluation range", **{**ALARM, "Period": 3600, "EvaluationPeriods": 169})


def test_datapoints_to_alarm_at_most_evaluation_periods(cw, cw_cbor):
    cw.put_metric_alarm(**{**ALARM, "EvaluationPeriods": 3, "DatapointsToAlarm": 3})
    for c in (cw, cw_cbor):
        _refused(c.put_metric_alarm, "ValidationError", "DatapointsToAlarm (4)", **{**ALARM, "EvaluationPeriods": 3, "DatapointsToAlarm": 4})


MATH = [
    {"Id": "e1", "Expression": "m1 * 2", "ReturnData": True},
    {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "AWS/Lambda", "MetricName": "Errors"}, "Period": 60, "Stat": "Sum"}, "ReturnData": False},
]
SINGLE = ("MetricName", "Namespace", "Statistic", "Period", "Dimensions")


def _math_alarm(**kw):
    alarm = {k: v for k, v in ALARM.items() if k not in SINGLE}
    return {**alarm, "Metrics": copy.deepcopy(MATH), **kw}


def test_statistic_extended_statistic_or_metrics(cw):
    cw.put_metric_alarm(**_math_alarm())
    cw.put_metric_alarm(**{**{k: v for k, v in ALARM.items() if k != "Statistic"}, "ExtendedStatistic": "p99"})
    _refused(cw.put_metric_alarm, "InvalidParameterCombination", "Exactly one of Statistic and ExtendedStatistic", **{**ALARM, "ExtendedStatistic": "p99"})
    _refused(cw.put_metric_alarm, "InvalidParameterCombination", "Exactly one of", **{k: v for k, v in ALARM.items() if k != "Statistic"})
    _refused(cw.put_metric_alarm, "InvalidParameterCombination", "Metrics may not be specified together with Statistic", **_math_alarm(Statistic="Sum"))
    _refused(cw.put_metric_alarm, "ValidationError", "MetricName or Metrics", **{k: v for k, v in ALARM.items() if k != "MetricName"})


def test_metric_query_expression_or_metric_stat(cw):
    metrics = copy.deepcopy(MATH)
    metrics[0]["MetricStat"] = metrics[1]["MetricStat"]
    _refused(cw.put_metric_alarm, "ValidationError", "Metrics.member.1: exactly one of Expression and MetricStat", **_math_alarm(Metrics=metrics))
    metrics = copy.deepcopy(MATH)
    metrics[1]["MetricStat"]["Period"] = 7
    _refused(cw.put_metric_alarm, "ValidationError", "MetricStat.Period", **_math_alarm(Metrics=metrics))


# ----------------------------------------------------------------------- SSM

WINDOW = {"Name": "patch-window", "Schedule": "cron(0 2 ? * SUN *)", "Duration": 3, "Cutoff": 1, "AllowUnassociatedTargets": False}


@pytest.mark.parametrize(
    "schedule",
    ["cron(0 2 ? * SUN *)", "cron(0/30 * * * ? *)", "rate(7 days)", "rate(1 hour)", "rate(30 minutes)", "at(2026-12-24T10:00:00)"],
)
def test_window_schedule_accepted(ssm, schedule):
    ssm.create_maintenance_window(**{**WINDOW, "Schedule": schedule})


@pytest.mark.parametrize("schedule", ["every tuesday", "cron(0 2 ? *)", "rate(7 weeks)", "rate(0 days)", "cron(0 2 ? * SUN *"])
def test_window_schedule_refused(ssm, schedule):
    _refused(ssm.create_maintenance_window, "ValidationException", "is not valid", **{**WINDOW, "Schedule": schedule})


def test_window_cutoff_below_duration(ssm):
    wid = ssm.create_maintenance_window(**{**WINDOW, "Duration": 2, "Cutoff": 1})["WindowId"]
    _refused(ssm.create_maintenance_window, "ValidationException", "Cutoff (2) must be less than its Duration (2)", **{**WINDOW, "Duration": 2, "Cutoff": 2})
    # an update is checked against the stored window
    _refused(ssm.update_maintenance_window, "ValidationException", "Cutoff (1) must be less than its Duration (1)", WindowId=wid, Duration=1)
    ssm.update_maintenance_window(WindowId=wid, Duration=5, Cutoff=4)
    assert ssm.get_maintenance_window(WindowId=wid)["Cutoff"] == 4


def test_schedule_offset_only_with_cron(ssm):
    ssm.create_maintenance_window(**{**WINDOW, "ScheduleOffset": 2})
    _refused(ssm.create_maintenance_window, "ValidationException", "ScheduleOffset", **{**WINDOW, "Schedule": "rate(7 days)", "ScheduleOffset": 2})


def test_task_targets_name_registered_targets(ssm):
    wid = ssm.create_maintenance_window(**WINDOW)["WindowId"]
    tid = ssm.register_target_with_maintenance_window(WindowId=wid, ResourceType="INSTANCE", Targets=[{"Key": "tag:Patch", "Values": ["yes"]}])["WindowTargetId"]
    task = dict(WindowId=wid, TaskArn="AWS-RunPatchBaseline", TaskType="RUN_COMMAND", MaxConcurrency="1", MaxErrors="1")
    kid = ssm.register_task_with_maintenance_window(**task, Targets=[{"Key": "WindowTargetIds", "Values": [tid]}])["WindowTaskId"]
    missing = "11111111-2222-3333-4444-555555555555"
    _refused(ssm.register_task_with_maintenance_window, "DoesNotExistException", missing, **task, Targets=[{"Key": "WindowTargetIds", "Values": [missing]}])
    _refused(ssm.update_maintenance_window_task, "DoesNotExistException", missing, WindowId=wid, WindowTaskId=kid, Targets=[{"Key": "WindowTargetIds", "Values": [missing]}])


def _rules(key: str, **rule) -> dict:
    rules = copy.deepcopy(PATCH_RULES)
    rules["PatchRules"][0]["PatchFilterGroup"]["PatchFilters"] = [{"Key": key, "Values": ["*"]}]
    rules["PatchRules"][0].update(rule)
    rules["PatchRules"][0] = {k: v for k, v in rules["PatchRules"][0].items() if v is not None}
    return rules


@pytest.mark.parametrize(
    "os_name,key",
    [("WINDOWS", "MSRC_SEVERITY"), ("WINDOWS", "PATCH_SET"), ("UBUNTU", "SECTION"), ("UBUNTU", "PRIORITY"), ("AMAZON_LINUX_2023", "SEVERITY"), ("REDHAT_ENTERPRISE_LINUX", "CVE_ID"), ("MACOS", "CLASSIFICATION")],
)
def test_patch_filter_key_valid_for_os(ssm, os_name, key):
    ssm.create_patch_baseline(Name="base", OperatingSystem=os_name, ApprovalRules=_rules(key))


@pytest.mark.parametrize(
    "os_name,key",
    [("WINDOWS", "SEVERITY"), ("WINDOWS", "SECTION"), ("UBUNTU", "MSRC_SEVERITY"), ("AMAZON_LINUX_2023", "MSRC_SEVERITY"), ("AMAZON_LINUX_2023", "SECTION"), ("MACOS", "PRIORITY")],
)
def test_patch_filter_key_refused_for_os(ssm, os_name, key):
    _refused(ssm.create_patch_baseline, "ValidationException", f"{key} (ApprovalRules.PatchRules.1) is not valid for operating system {os_name}", Name="base", OperatingSystem=os_name, ApprovalRules=_rules(key))
    global_filters = {"PatchFilters": [{"Key": key, "Values": ["*"]}]}
    _refused(ssm.create_patch_baseline, "ValidationException", "GlobalFilters", Name="base", OperatingSystem=os_name, GlobalFilters=global_filters)


def test_update_patch_baseline_filters_checked_against_its_os(ssm):
    bid = ssm.create_patch_baseline(Name="base", OperatingSystem="UBUNTU", ApprovalRules=_rules("PRIORITY"))["BaselineId"]
    _refused(ssm.update_patch_baseline, "ValidationException", "not valid for operating system UBUNTU", BaselineId=bid, ApprovalRules=_rules("MSRC_SEVERITY"))


def test_approve_after_days_xor_until_date(ssm):
    ssm.create_patch_baseline(Name="dated", ApprovalRules=_rules("CLASSIFICATION", ApproveAfterDays=None, ApproveUntilDate="2026-12-31"))
    _refused(ssm.create_patch_baseline, "ValidationException", "mutually exclusive", Name="both", ApprovalRules=_rules("CLASSIFICATION", ApproveUntilDate="2026-12-31"))


# -------------------------------------------------------------------- Backup


def _plan(**rule) -> dict:
    plan = copy.deepcopy(PLAN)
    plan["Rules"][0].update(rule)
    plan["Rules"][0] = {k: v for k, v in plan["Rules"][0].items() if v is not None}
    return plan


def test_lifecycle_cold_storage_90_days(backup):
    backup.create_backup_plan(BackupPlan=_plan(Lifecycle={"MoveToColdStorageAfterDays": 10, "DeleteAfterDays": 100}))
    _refused(backup.create_backup_plan, "InvalidParameterValueException", "DeleteAfterDays (20)", BackupPlan=_plan(Lifecycle={"MoveToColdStorageAfterDays": 10, "DeleteAfterDays": 20}))
    copy_action = {"DestinationBackupVaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr", "Lifecycle": {"MoveToColdStorageAfterDays": 1, "DeleteAfterDays": 90}}
    _refused(backup.create_backup_plan, "InvalidParameterValueException", "DeleteAfterDays (90)", BackupPlan=_plan(CopyActions=[copy_action]))


def test_start_and_completion_windows(backup):
    backup.create_backup_plan(BackupPlan=_plan(StartWindowMinutes=60, CompletionWindowMinutes=120))
    _refused(backup.create_backup_plan, "InvalidParameterValueException", "StartWindowMinutes (59)", BackupPlan=_plan(StartWindowMinutes=59))
    # No bound of the completion window against the start window is documented
    # (BackupRuleInput: "This value is optional."): a short one is accepted.
    backup.create_backup_plan(BackupPlan={**_plan(StartWindowMinutes=60, CompletionWindowMinutes=61), "BackupPlanName": "short"})
    backup.create_backup_plan(BackupPlan={**_plan(StartWindowMinutes=None, CompletionWindowMinutes=1), "BackupPlanName": "shortest"})


@pytest.mark.parametrize("expression", ["rate(1 day)", "every tuesday", "cron(0 5 * *)"])
def test_backup_schedule_is_cron(backup, expression):
    _refused(backup.create_backup_plan, "InvalidParameterValueException", "Invalid ScheduleExpression", BackupPlan=_plan(ScheduleExpression=expression))


def test_target_vault_exists(backup):
    _refused(backup.create_backup_plan, "InvalidParameterValueException", "Backup vault missing", BackupPlan=_plan(TargetBackupVaultName="missing"))
    plan_id = backup.create_backup_plan(BackupPlan=_plan())["BackupPlanId"]
    _refused(backup.update_backup_plan, "InvalidParameterValueException", "Backup vault missing", BackupPlanId=plan_id, BackupPlan=_plan(TargetBackupVaultName="missing"))
