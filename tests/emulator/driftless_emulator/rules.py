"""Service rules the API models cannot express, where driftless relies on them.

Each rule cites the AWS page it comes from. Rules run after the model
validation (validation.py) passed, on the parsed input (request_params.py);
a rule returns the refusal message, or None. Rules that need state (the
window's registered targets, the plan's vault) read moto's backends.

Where AWS's documentation is vague the rule accepts: a false refusal here
would make a valid driftless write look broken.
"""

from __future__ import annotations

import re
from typing import Any, Callable

Rule = Callable[[dict[str, Any], "Ctx"], "str | tuple[str, str] | None"]


class Ctx:
    """Where the request goes: account and region, for the stateful rules."""

    def __init__(self, account: str, region: str) -> None:
        self.account = account
        self.region = region

    def ssm(self) -> Any:
        from moto.ssm.models import ssm_backends

        return ssm_backends[self.account][self.region]

    def backup(self) -> Any:
        from moto.backup.models import backup_backends

        return backup_backends[self.account][self.region]


def check(service: str, operation: str, params: dict[str, Any], account: str, region: str) -> tuple[str | None, str] | None:
    """(error code or None for the service's validation error, message) of
    the first rule `params` breaks, or None."""
    ctx = Ctx(account, region)
    for rule in RULES.get((service, operation), ()):
        broken = rule(params, ctx)
        if broken is None:
            continue
        if isinstance(broken, tuple):
            return broken
        return None, broken
    return None


# ================================================================ CloudWatch
# PutMetricAlarm, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html


def alarm_period(params: dict[str, Any], ctx: Ctx) -> str | None:
    """Period: "Valid values are 10, 20, 30, and any multiple of 60." (The
    older pages say 10, 30 or a multiple of 60; 20 is accepted today.)"""
    period = params.get("Period")
    if period is None or period in (10, 20, 30) or period % 60 == 0:
        return None
    return f"The parameter Period must be 10, 20, 30 or a multiple of 60; got {period}."


def alarm_metric_stat_periods(params: dict[str, Any], ctx: Ctx) -> str | None:
    """MetricStat.Period in an alarm's Metrics (API_MetricStat.html): regular
    metrics take multiples of 60, high-resolution ones 1, 5, 10, 20, 30 too."""
    for i, query in enumerate(params.get("Metrics") or [], start=1):
        period = (query.get("MetricStat") or {}).get("Period")
        if period is not None and period not in (1, 5, 10, 20, 30) and period % 60 != 0:
            return f"The value {period} for parameter Metrics.member.{i}.MetricStat.Period is not 1, 5, 10, 20, 30 or a multiple of 60."
    return None


def alarm_evaluation_range(params: dict[str, Any], ctx: Ctx) -> str | None:
    """Period: "Period multiplied by EvaluationPeriods can't be more than
    604,800 seconds. For alarms with a period of less than one hour (3,600
    seconds), the total evaluation period can't be longer than one day."""
    period, periods = params.get("Period"), params.get("EvaluationPeriods")
    if period is None or periods is None:
        return None
    limit = 86_400 if period < 3_600 else 604_800
    if period * periods > limit:
        return f"The evaluation range Period * EvaluationPeriods = {period * periods}s is longer than {limit}s."
    return None


def alarm_datapoints(params: dict[str, Any], ctx: Ctx) -> str | None:
    """DatapointsToAlarm: the M of an "M out of N" alarm; EvaluationPeriods is
    N (CloudWatch user guide, "Evaluating an alarm"), so M <= N."""
    m, n = params.get("DatapointsToAlarm"), params.get("EvaluationPeriods")
    if m is not None and n is not None and m > n:
        return f"DatapointsToAlarm ({m}) must be less than or equal to EvaluationPeriods ({n})."
    return None


_SINGLE_METRIC = ("MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Period", "Unit")


def alarm_metric_choice(params: dict[str, Any], ctx: Ctx) -> str | tuple[str, str] | None:
    """"If you specify Metrics, you cannot specify MetricName, Dimensions,
    Period, Namespace, Statistic, or ExtendedStatistic"; without Metrics,
    MetricName and exactly one of Statistic / ExtendedStatistic ("you must
    specify either Statistic or ExtendedStatistic, but not both")."""
    if params.get("Metrics"):
        clash = [k for k in _SINGLE_METRIC if k != "Unit" and params.get(k) is not None]
        if clash:
            return ("InvalidParameterCombination", f"Metrics may not be specified together with {', '.join(clash)}.")
        return None
    if not params.get("MetricName"):
        return "MetricName or Metrics must be specified."
    stats = [k for k in ("Statistic", "ExtendedStatistic") if params.get(k) is not None]
    if len(stats) != 1:
        return ("InvalidParameterCombination", "Exactly one of Statistic and ExtendedStatistic must be specified.")
    if params.get("Period") is None:
        return "Period must be specified for an alarm on a single metric."
    return None


def alarm_queries(params: dict[str, Any], ctx: Ctx) -> str | None:
    """MetricDataQuery (API_MetricDataQuery.html): "Within each
    MetricDataQuery object, you must specify either Expression or MetricStat
    but not both.\""""
    for i, query in enumerate(params.get("Metrics") or [], start=1):
        if (query.get("Expression") is None) == (query.get("MetricStat") is None):
            return f"Metrics.member.{i}: exactly one of Expression and MetricStat must be specified."
    return None


# ======================================================================= SSM

# Cron and rate expressions for maintenance windows
# (https://docs.aws.amazon.com/systems-manager/latest/userguide/reference-cron-and-rate-expressions.html):
# cron(minutes hours day-of-month month day-of-week [year]), rate(N unit),
# and at(yyyy-mm-ddThh:mm:ss) for a window that runs once.
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*?,/#\-]+$")
_RATE = re.compile(r"^rate\(\s*[1-9][0-9]*\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_AT = re.compile(r"^at\(\s*\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\s*\)$")


def cron_ok(expression: str, fields: tuple[int, ...] = (6,)) -> bool:
    m = re.match(r"^cron\((.*)\)$", expression.strip())
    if not m:
        return False
    parts = m.group(1).split()
    return len(parts) in fields and all(_CRON_FIELD.match(p) for p in parts)


def window_schedule_ok(expression: str) -> bool:
    e = expression.strip()
    return cron_ok(e, (5, 6)) or bool(_RATE.match(e)) or bool(_AT.match(e))


def _window_merged(params: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """The window's settings after an UpdateMaintenanceWindow (not Replace)."""
    window = ctx.ssm().windows.get(params.get("WindowId") or "")
    if window is None or params.get("Replace"):
        return params
    stored = {
        "Duration": window.duration,
        "Cutoff": window.cutoff,
        "Schedule": window.schedule,
        "ScheduleOffset": window.schedule_offset,
    }
    return {**stored, **{k: v for k, v in params.items() if v is not None}}


def window_settings(params: dict[str, Any], ctx: Ctx) -> str | None:
    """CreateMaintenanceWindow (API_CreateMaintenanceWindow.html): Cutoff is
    "the number of hours before the end of the maintenance window that Systems
    Manager stops scheduling new tasks", so it must be less than Duration;
    Schedule is a cron or rate expression; ScheduleOffset "can be used only
    with cron expressions"."""
    merged = _window_merged(params, ctx)
    duration, cutoff = merged.get("Duration"), merged.get("Cutoff")
    if duration is not None and cutoff is not None and cutoff >= duration:
        return f"The maintenance window Cutoff ({cutoff}) must be less than its Duration ({duration})."
    schedule = merged.get("Schedule")
    if schedule is not None and not window_schedule_ok(schedule):
        return f"Schedule '{schedule}' is not a valid cron(...), rate(...) or at(...) expression."
    if merged.get("ScheduleOffset") is not None and schedule is not None and not schedule.strip().startswith("cron("):
        return "ScheduleOffset can only be used with a cron expression."
    return None


def task_targets(params: dict[str, Any], ctx: Ctx) -> str | tuple[str, str] | None:
    """RegisterTaskWithMaintenanceWindow (API_RegisterTaskWithMaintenanceWindow.html):
    Targets are `Key=WindowTargetIds,Values=<ids>` of targets registered with
    this window (or `Key=InstanceIds`)."""
    window = ctx.ssm().windows.get(params.get("WindowId") or "")
    if window is None:
        return None  # the handler answers DoesNotExistException
    for target in params.get("Targets") or []:
        if target.get("Key") != "WindowTargetIds":
            continue
        for target_id in target.get("Values") or []:
            if target_id not in window.targets:
                return ("DoesNotExistException", f"Maintenance window target {target_id} does not exist in {window.id}.")
    return None


# PatchFilter (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PatchFilter.html,
# keys per OS in API_DescribePatchProperties.html and the user guide's
# "Patch baseline filters"). Conservative: only keys that clearly belong to
# another OS family are refused.
_WINDOWS_ONLY = {"PATCH_SET", "PRODUCT_FAMILY", "MSRC_SEVERITY"}
_DEBIAN_ONLY = {"SECTION", "PRIORITY"}
_RPM_ONLY = {"SEVERITY", "SECURITY", "ADVISORY_ID", "ARCH", "BUGZILLA_ID", "CVE_ID", "EPOCH", "NAME", "RELEASE", "REPOSITORY", "VERSION"}
_DEBIAN_FAMILY = {"UBUNTU", "DEBIAN", "RASPBIAN"}


def refused_filter_keys(operating_system: str) -> set[str]:
    if operating_system == "WINDOWS":
        return _DEBIAN_ONLY | _RPM_ONLY
    if operating_system in _DEBIAN_FAMILY:
        return set(_WINDOWS_ONLY)
    return _WINDOWS_ONLY | _DEBIAN_ONLY


def _filter_groups(params: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    groups = [("GlobalFilters", (params.get("GlobalFilters") or {}).get("PatchFilters") or [])]
    for i, rule in enumerate((params.get("ApprovalRules") or {}).get("PatchRules") or [], start=1):
        groups.append((f"ApprovalRules.PatchRules.{i}", (rule.get("PatchFilterGroup") or {}).get("PatchFilters") or []))
    return groups


def _baseline_os(params: dict[str, Any], ctx: Ctx) -> str | None:
    if "OperatingSystem" in params:
        return params["OperatingSystem"]
    if "BaselineId" in params:  # UpdatePatchBaseline: the stored baseline's
        baseline = ctx.ssm().baselines.get(params["BaselineId"])
        return baseline.operating_system if baseline is not None else None
    return "WINDOWS"  # CreatePatchBaseline's default


def patch_filter_keys(params: dict[str, Any], ctx: Ctx) -> str | None:
    """Patch filter keys valid for the baseline's OperatingSystem."""
    os_name = _baseline_os(params, ctx)
    if os_name is None:
        return None
    refused = refused_filter_keys(os_name)
    for where, filters in _filter_groups(params):
        for f in filters:
            if f.get("Key") in refused:
                return f"Patch filter key {f['Key']} ({where}) is not valid for operating system {os_name}."
    return None


def approval_rule_dates(params: dict[str, Any], ctx: Ctx) -> str | None:
    """PatchRule (API_PatchRule.html): ApproveAfterDays "You must specify a
    value for ApproveAfterDays ... or ApproveUntilDate" - one of the two, not both."""
    for i, rule in enumerate((params.get("ApprovalRules") or {}).get("PatchRules") or [], start=1):
        has_days, has_date = rule.get("ApproveAfterDays") is not None, rule.get("ApproveUntilDate") is not None
        if has_days and has_date:
            return f"ApprovalRules.PatchRules.{i}: ApproveAfterDays and ApproveUntilDate are mutually exclusive."
    return None


# ==================================================================== Backup
# BackupRuleInput (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupRuleInput.html),
# Lifecycle (API_Lifecycle.html).


def _backup_rules(params: dict[str, Any]) -> list[dict[str, Any]]:
    return (params.get("BackupPlan") or {}).get("Rules") or []


def _lifecycles(rule: dict[str, Any]) -> list[dict[str, Any]]:
    out = [rule.get("Lifecycle") or {}]
    out += [(c or {}).get("Lifecycle") or {} for c in rule.get("CopyActions") or []]
    return out


def backup_lifecycle(params: dict[str, Any], ctx: Ctx) -> str | None:
    """Lifecycle: "Backups transitioned to cold storage must be stored in cold
    storage for a minimum of 90 days", so DeleteAfterDays >= MoveToColdStorageAfterDays + 90."""
    for rule in _backup_rules(params):
        for lc in _lifecycles(rule):
            cold, delete = lc.get("MoveToColdStorageAfterDays"), lc.get("DeleteAfterDays")
            if cold is not None and delete is not None and delete < cold + 90:
                return (
                    f"Invalid lifecycle in rule {rule.get('RuleName')}: DeleteAfterDays ({delete}) must be at least "
                    f"90 days greater than MoveToColdStorageAfterDays ({cold})."
                )
    return None


def backup_windows(params: dict[str, Any], ctx: Ctx) -> str | None:
    """StartWindowMinutes: "If this value is included, it must be at least 60
    minutes to avoid errors". CompletionWindowMinutes counts from the job's
    start; that it must exceed the start window by 60 minutes is not in the
    reference but the rule driftless's spec (backup_plan.rs) and its issue
    state, so it is enforced here the same way."""
    for rule in _backup_rules(params):
        start, completion = rule.get("StartWindowMinutes"), rule.get("CompletionWindowMinutes")
        if start is not None and start < 60:
            return f"StartWindowMinutes ({start}) of rule {rule.get('RuleName')} must be at least 60."
        if completion is not None and completion < (start if start is not None else 60) + 60:
            return (
                f"CompletionWindowMinutes ({completion}) of rule {rule.get('RuleName')} must be at least "
                "StartWindowMinutes + 60."
            )
    return None


def backup_schedule(params: dict[str, Any], ctx: Ctx) -> str | None:
    """ScheduleExpression: "A cron expression in UTC specifying when AWS Backup
    initiates a backup job" (six-field AWS cron)."""
    for rule in _backup_rules(params):
        expression = rule.get("ScheduleExpression")
        if expression and not cron_ok(expression):
            return f"Invalid ScheduleExpression '{expression}' in rule {rule.get('RuleName')}: not a cron expression."
    return None


def backup_target_vault(params: dict[str, Any], ctx: Ctx) -> str | tuple[str, str] | None:
    """TargetBackupVaultName: "The name of a logical container where backups
    are stored"; the vault must exist in the plan's account and region
    (AWS answers InvalidParameterValueException for an unknown vault)."""
    vaults = ctx.backup().vaults
    for rule in _backup_rules(params):
        name = rule.get("TargetBackupVaultName")
        if name and name not in vaults and name != "Default":
            return f"Backup vault {name} (rule {rule.get('RuleName')}) does not exist."
    return None


RULES: dict[tuple[str, str], tuple[Rule, ...]] = {
    ("cloudwatch", "PutMetricAlarm"): (
        alarm_metric_choice,
        alarm_queries,
        alarm_period,
        alarm_metric_stat_periods,
        alarm_evaluation_range,
        alarm_datapoints,
    ),
    ("ssm", "CreateMaintenanceWindow"): (window_settings,),
    ("ssm", "UpdateMaintenanceWindow"): (window_settings,),
    ("ssm", "RegisterTaskWithMaintenanceWindow"): (task_targets,),
    ("ssm", "UpdateMaintenanceWindowTask"): (task_targets,),
    ("ssm", "CreatePatchBaseline"): (patch_filter_keys, approval_rule_dates),
    ("ssm", "UpdatePatchBaseline"): (patch_filter_keys, approval_rule_dates),
    ("backup", "CreateBackupPlan"): (backup_schedule, backup_windows, backup_lifecycle, backup_target_vault),
    ("backup", "UpdateBackupPlan"): (backup_schedule, backup_windows, backup_lifecycle, backup_target_vault),
}
