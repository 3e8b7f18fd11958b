"""Service rules the API models cannot express, where driftless relies on them.

Each rule cites the AWS page it comes from. Rules run after the model
validation (validation.py) passed, on the parsed input (request_params.py);
a rule returns the refusal message, or None. Rules that need state (the
window's registered targets, the plan's vault) read moto's backends.

Where AWS's documentation is vague the rule accepts: a false refusal here
would make a valid driftless write look broken.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from . import schedules

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
    """"If you use the Metrics parameter, you cannot include the Namespace,
    MetricName, Dimensions, Period, Unit, Statistic, or ExtendedStatistic
    parameters of PutMetricAlarm in the same operation"; without Metrics,
    MetricName and exactly one of Statistic / ExtendedStatistic ("you must
    specify either Statistic or ExtendedStatistic, but not both")."""
    if params.get("Metrics"):
        clash = [k for k in _SINGLE_METRIC if params.get(k) is not None]
        if clash:
            return ("InvalidParameterCombination", f"Metrics may not be specified together with {', '.join(clash)}.")
        return None
    if params.get("EvaluationCriteria") is not None:
        return None  # a PromQL alarm: neither MetricName nor Metrics
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

# Cron and rate expressions for maintenance windows (schedules.py):
# https://docs.aws.amazon.com/systems-manager/latest/userguide/reference-cron-and-rate-expressions.html


def window_schedule_problem(expression: str) -> str | None:
    """A maintenance window's Schedule: "cron or rate expression" (CreateMaintenanceWindow),
    or at(...) for one run. Cron: six fields and an optional leading Seconds field;
    "Cron expressions that lead to rates faster than five (5) minute are not supported."
    Rate: minute(s), hour(s), day(s) ("Rate examples for maintenance windows:
    rate(30 minutes) ... rate(25 days)")."""
    e = expression.strip()
    if e.startswith("cron("):
        try:
            cron = schedules.parse_cron(e, seconds_field=True)
        except schedules.CronError as err:
            return str(err)
        gap = schedules.shortest_gap_minutes(cron)
        if gap is not None and gap < 5:
            return "cron expressions that run more often than every 5 minutes are not supported"
        return None
    if e.startswith("rate("):
        return schedules.rate_problem(e)
    if e.startswith("at("):
        return schedules.at_problem(e)
    return "not a cron(...), rate(...) or at(...) expression"


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
    Schedule is a cron or rate expression; ScheduleOffset: "Associations and
    maintenance windows support schedule offsets for cron expressions only"
    (Systems Manager user guide, cron and rate reference)."""
    merged = _window_merged(params, ctx)
    duration, cutoff = merged.get("Duration"), merged.get("Cutoff")
    if duration is not None and cutoff is not None and cutoff >= duration:
        return f"The maintenance window Cutoff ({cutoff}) must be less than its Duration ({duration})."
    schedule = merged.get("Schedule")
    problem = window_schedule_problem(schedule) if schedule is not None else None
    if problem is not None:
        return f"Schedule '{schedule}' is not valid: {problem}."
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
    minutes to avoid errors." (BackupRuleInput). CompletionWindowMinutes: "A value
    in minutes after a backup job is successfully started before it must be
    completed or it will be canceled by Backup. This value is optional." - no
    bound against the start window is documented, so none is enforced (the
    emulator used to demand StartWindowMinutes + 60, a rule of driftless's own)."""
    for rule in _backup_rules(params):
        start = rule.get("StartWindowMinutes")
        if start is not None and start < 60:
            return f"StartWindowMinutes ({start}) of rule {rule.get('RuleName')} must be at least 60."
    return None


def backup_schedule(params: dict[str, Any], ctx: Ctx) -> str | None:
    """ScheduleExpression: "A CRON expression in UTC specifying when Backup
    initiates a backup job" (BackupRuleInput), in the six-field syntax of the
    EventBridge cron reference; "Backup frequency ... You can also create a cron
    expression that creates snapshot backups as frequently as hourly" (developer
    guide, "Creating a backup plan"), so a rule runs at most once an hour: its
    Minutes field names one minute. ScheduleExpressionTimezone: "The timezone in
    which the schedule expression is set" - an IANA zone name."""
    for rule in _backup_rules(params):
        name = rule.get("RuleName")
        expression = rule.get("ScheduleExpression")
        if expression:
            try:
                cron = schedules.parse_cron(expression)
            except schedules.CronError as err:
                return f"Invalid ScheduleExpression '{expression}' in rule {name}: {err}."
            if len(cron.minutes) != 1:
                return f"Invalid ScheduleExpression '{expression}' in rule {name}: backups run at most once an hour."
        zone = rule.get("ScheduleExpressionTimezone")
        problem = schedules.timezone_problem(zone) if zone is not None else None
        if problem:
            return f"Invalid ScheduleExpressionTimezone in rule {name}: {problem}."
    return None


def backup_index_actions(params: dict[str, Any], ctx: Ctx) -> str | None:
    """IndexActions: "There can up to one IndexAction in each BackupRule ... Only 1
    resource type will be accepted for each BackupRule. Valid values: EBS ... S3"
    (BackupRuleInput)."""
    for rule in _backup_rules(params):
        name = rule.get("RuleName")
        actions = rule.get("IndexActions") or []
        if len(actions) > 1:
            return f"Rule {name} has {len(actions)} IndexActions; a rule accepts at most one."
        for action in actions:
            types = (action or {}).get("ResourceTypes") or []
            if len(types) != 1:
                return f"IndexAction of rule {name} must have exactly one ResourceType."
            if types[0] not in ("EBS", "S3"):
                return f"Invalid ResourceType {types[0]} in IndexAction of rule {name}: valid values are EBS, S3."
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


# ============================================================ CloudWatch (2)
# PutMetricAlarm / PutCompositeAlarm, the prose of each member in the API reference
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html,
# API_MetricDataQuery.html, API_PutCompositeAlarm.html) and the user guide's
# "CloudWatch statistics definitions" (Statistics-definitions.html).


def _enum_message(value: Any, path: str, allowed: tuple[str, ...]) -> str:
    return (
        f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy constraint: "
        f"Member must satisfy enum value set: [{', '.join(allowed)}]"
    )


_TREAT_MISSING = ("breaching", "notBreaching", "ignore", "missing")
_LOW_SAMPLE = ("evaluate", "ignore")


def alarm_documented_values(params: dict[str, Any], ctx: Ctx) -> str | None:
    """TreatMissingData: "Valid Values: breaching | notBreaching | ignore | missing";
    EvaluateLowSampleCountPercentile: "Valid Values: evaluate | ignore" (the model
    has both as free strings)."""
    treat = params.get("TreatMissingData")
    if treat is not None and treat not in _TREAT_MISSING:
        return _enum_message(treat, "treatMissingData", _TREAT_MISSING)
    low = params.get("EvaluateLowSampleCountPercentile")
    if low is not None and low not in _LOW_SAMPLE:
        return _enum_message(low, "evaluateLowSampleCountPercentile", _LOW_SAMPLE)
    return None


_NUMBER = r"\d+(?:\.\d{1,10})?"
STANDARD_STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")


def _bound(text: str, percent_ok: bool) -> tuple[str, float] | None:
    if text.endswith("%"):
        if not percent_ok or not re.fullmatch(_NUMBER, text[:-1]):
            return None
        value = float(text[:-1])
        return ("%", value) if 0 <= value <= 100 else None
    if not re.fullmatch(r"-?" + _NUMBER, text):
        return None
    return ("abs", float(text))


def extended_statistic_ok(stat: str) -> bool:
    """PutMetricAlarm ExtendedStatistic: "the following are valid values: p90, tm90,
    tc90, ts90, wm90, IQM, PR(n:m) where n and m are values of the metric, TC(X%:X%)
    ..., TM(X%:X%) ..., TS(X%:X%) ..., WM(X%:X%) ...". The user guide's statistics
    definitions give the bounds: "You define the boundaries as one or two numbers
    between 0 and 100, up to 10 decimal places. The numbers can be absolute values or
    percentages" (TM(2%:98%), TM(150:1000), PR(:300)). The API reference's "X is
    between 10 and 90 inclusive" is narrower than the user guide and the examples
    there (TM(2%:98%)); the wider reading is enforced, so nothing AWS documents as
    valid is refused."""
    if stat == "IQM":
        return True
    m = re.fullmatch(rf"(p|tm|tc|ts|wm)({_NUMBER})", stat)
    if m:
        return 0 <= float(m.group(2)) <= 100
    m = re.fullmatch(r"(TM|TC|TS|WM|PR)\(([^:()]*):([^:()]*)\)", stat)
    if not m:
        return False
    kind, low_text, high_text = m.groups()
    if not low_text and not high_text:
        return False
    low = _bound(low_text, kind != "PR") if low_text else None
    high = _bound(high_text, kind != "PR") if high_text else None
    if (low_text and low is None) or (high_text and high is None):
        return False
    if low is not None and high is not None:
        return low[0] == high[0] and low[1] < high[1]
    return True


def alarm_statistics(params: dict[str, Any], ctx: Ctx) -> str | None:
    """ExtendedStatistic (above), and MetricStat.Stat in Metrics: "The statistic to
    return. It can include any CloudWatch statistic or extended statistic"
    (API_MetricStat)."""
    ext = params.get("ExtendedStatistic")
    if ext is not None and not extended_statistic_ok(ext):
        return f"The value {ext} for parameter ExtendedStatistic is not supported."
    for i, query in enumerate(params.get("Metrics") or [], start=1):
        stat = (query.get("MetricStat") or {}).get("Stat")
        if stat is not None and stat not in STANDARD_STATISTICS and not extended_statistic_ok(stat):
            return f"The value {stat} for parameter Metrics.member.{i}.MetricStat.Stat is not supported."
    return None


_QUERY_ID = re.compile(r"[a-z][A-Za-z0-9_]*")


def alarm_query_ids(params: dict[str, Any], ctx: Ctx) -> str | None:
    """MetricDataQuery Id: "This name must be unique within a single call ... The
    valid characters are letters, numbers, and underscore. The first character must
    be a lowercase letter." ThresholdMetricId: "make this value match the ID of the
    ANOMALY_DETECTION_BAND function"."""
    seen: set[str] = set()
    for i, query in enumerate(params.get("Metrics") or [], start=1):
        qid = query.get("Id")
        if qid is None:
            continue
        if not _QUERY_ID.fullmatch(qid):
            return (
                f"Invalid metrics list: Metrics.member.{i}.Id '{qid}': the first character must be a "
                "lowercase letter and the others letters, numbers or underscores."
            )
        if qid in seen:
            return f"Invalid metrics list: the Id '{qid}' is used more than once."
        seen.add(qid)
    threshold_id = params.get("ThresholdMetricId")
    if threshold_id is not None and params.get("Metrics") and threshold_id not in seen:
        return f"ThresholdMetricId '{threshold_id}' names no metric query of this alarm."
    return None


def alarm_return_data(params: dict[str, Any], ctx: Ctx) -> str | None:
    """Metrics: "One item in the Metrics array is the expression that the alarm
    watches. You designate this expression by setting ReturnData to true"; ReturnData:
    "When used in PutMetricAlarm, specify true for the one expression result to use as
    the alarm. For all other metrics and expressions in the same PutMetricAlarm
    operation, specify ReturnData as False" ("If you omit this, the default of true is
    used"). The message is the one AWS answers with. An anomaly detection alarm's band
    (the query ThresholdMetricId names) returns data besides the expression the alarm
    watches, as the reference's "Anomaly Detection Model Alarm" example has it
    (`ReturnData: true` on both the metric and `ANOMALY_DETECTION_BAND`); it is not
    counted."""
    queries = params.get("Metrics") or []
    band = params.get("ThresholdMetricId")
    returning = [q for q in queries if q.get("ReturnData", True) is not False and q.get("Id") != band]
    if queries and len(returning) != 1:
        return "Invalid metrics list: Exactly one element of the metrics list should return data."
    return None


_ANOMALY_OPERATORS = (
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
)


def alarm_threshold(params: dict[str, Any], ctx: Ctx) -> str | None:
    """Threshold: "This parameter is required for alarms based on static thresholds,
    but should not be used for alarms based on anomaly detection models."
    ComparisonOperator: "The values LessThanLowerOrGreaterThanUpperThreshold,
    LessThanLowerThreshold, and GreaterThanUpperThreshold are used only for alarms
    based on anomaly detection models." An anomaly detection alarm is one with a
    ThresholdMetricId."""
    if params.get("EvaluationCriteria") is not None:
        return None
    anomaly = params.get("ThresholdMetricId") is not None
    operator = params.get("ComparisonOperator")
    if not anomaly and params.get("Threshold") is None:
        return "A static threshold alarm must specify Threshold."
    if anomaly and params.get("Threshold") is not None:
        return "An alarm based on an anomaly detection model (ThresholdMetricId) must not specify Threshold."
    if not anomaly and operator in _ANOMALY_OPERATORS:
        return f"ComparisonOperator {operator} is used only for alarms based on anomaly detection models (ThresholdMetricId)."
    if anomaly and operator is not None and operator not in _ANOMALY_OPERATORS:
        return f"ComparisonOperator {operator} cannot be used with ThresholdMetricId: use one of {', '.join(_ANOMALY_OPERATORS)}."
    return None


def alarm_action_regions(params: dict[str, Any], ctx: Ctx) -> str | None:
    """AlarmActions, OKActions, InsufficientDataActions: the ARNs the reference lists
    name the alarm's own Region (`arn:aws:sns:region:account-id:...`,
    `arn:aws:automate:region:ec2:stop`, ...); an action in another Region is refused
    with the message AWS answers: "Invalid region eu-west-1 specified. Only us-east-1
    is supported." (the message is AWS's; no reference sentence states the rule)."""
    for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
        for action in params.get(key) or []:
            parts = action.split(":")
            if len(parts) > 3 and parts[0] == "arn" and parts[3] and parts[3] != ctx.region:
                return f"Invalid region {parts[3]} specified. Only {ctx.region} is supported."
    return None


# ===================================================================== tags
# "Tag naming limits and requirements" (Tagging AWS Resources user guide,
# https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html): "The aws:
# prefix is prohibited for tags; it's reserved for AWS use. You can't edit or delete
# tag keys or values with this prefix." and "Do not use aws:, AWS:, or any upper or
# lowercase combination of such as a prefix for either keys or values". Only keys are
# refused here: services accept values starting with aws: in practice (and refusing
# them would be stricter than what is observed). Each service answers with its
# validation error; the codes are guesses (README, "Guessed error codes").


def _reserved(key: Any) -> bool:
    return isinstance(key, str) and key.lower().startswith("aws:")


def _tag_keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return list(value)
    if isinstance(value, list):
        return [t.get("Key") if isinstance(t, dict) else t for t in value]
    return []


def reserved_tags(*members: str) -> Rule:
    def rule(params: dict[str, Any], ctx: Ctx) -> str | None:
        for member in members:
            for key in _tag_keys(params.get(member)):
                if _reserved(key):
                    return f"Invalid tag key '{key}' in {member}: the aws: prefix is reserved for AWS use."
        return None

    rule.__name__ = f"reserved_tags({', '.join(members)})"
    return rule


# ================================================================== SSM (2)


def window_time_settings(params: dict[str, Any], ctx: Ctx) -> str | None:
    """CreateMaintenanceWindow ScheduleTimezone: "in Internet Assigned Numbers
    Authority (IANA) format. For example: "America/Los_Angeles", "UTC", or
    "Asia/Seoul""; StartDate / EndDate: "The date and time, in ISO-8601 Extended
    format" (user guide, "Maintenance window scheduling and active period options":
    "You specify start and end dates in ISO-8601 timestamp format. For example:
    2021-04-07T14:29:00-08:00")."""
    zone = params.get("ScheduleTimezone")
    if zone is not None and zone != "":
        problem = schedules.timezone_problem(zone)
        if problem:
            return f"Invalid ScheduleTimezone: {problem}."
    for key in ("StartDate", "EndDate"):
        value = params.get(key)
        if value:
            problem = schedules.iso8601_problem(value)
            if problem:
                return f"Invalid {key}: {problem}."
    return None


_INVOCATION_MEMBER = {
    "RUN_COMMAND": "RunCommand",
    "AUTOMATION": "Automation",
    "STEP_FUNCTIONS": "StepFunctions",
    "LAMBDA": "Lambda",
}


def _stored_task(params: dict[str, Any], ctx: Ctx) -> Any:
    window = ctx.ssm().windows.get(params.get("WindowId") or "")
    if window is None:
        return None
    return window.tasks.get(params.get("WindowTaskId") or "")


def task_shape(params: dict[str, Any], ctx: Ctx) -> str | None:
    """RegisterTaskWithMaintenanceWindow (and UpdateMaintenanceWindowTask, merged with
    the stored task unless Replace):
    * Targets: "One or more targets must be specified for maintenance window Run
      Command-type tasks. Depending on the task, targets are optional for other
      maintenance window task types (Automation, Lambda, and Step Functions)."
    * MaxConcurrency / MaxErrors: "a value can be omitted only when you are
      registering or updating a targetless task You must provide a value in all other
      cases. For maintenance window tasks without a target specified, you can't supply
      a value for this option."
    * TaskInvocationParameters: "Populate only the fields that match the task type.
      All other fields should be empty."
    """
    merged = dict(params)
    if "WindowTaskId" in params and not params.get("Replace"):
        task = _stored_task(params, ctx)
        if task is None:
            return None  # the handler answers DoesNotExistException
        stored = {
            "TaskType": task.task_type,
            "Targets": task.targets,
            # The placeholders the emulator stores for targetless tasks are not the
            # caller's values.
            "MaxConcurrency": task.max_concurrency if task.targets else None,
            "MaxErrors": task.max_errors if task.targets else None,
        }
        merged = {**stored, **{k: v for k, v in params.items() if v is not None}}
    elif "WindowTaskId" in params:
        task = _stored_task(params, ctx)
        if task is None:
            return None
        merged.setdefault("TaskType", task.task_type)
    task_type = merged.get("TaskType")
    targets = merged.get("Targets") or []
    if task_type == "RUN_COMMAND" and not targets:
        return "Targets must be specified for a maintenance window task of type RUN_COMMAND."
    for key in ("MaxConcurrency", "MaxErrors"):
        if targets and merged.get(key) is None:
            return f"{key} must be specified for a maintenance window task with targets."
        if not targets and params.get(key) is not None:
            return f"{key} cannot be specified for a maintenance window task without targets."
    invocation = params.get("TaskInvocationParameters") or {}
    expected = _INVOCATION_MEMBER.get(task_type or "")
    for member, value in invocation.items():
        if value is not None and member != expected:
            return (
                f"TaskInvocationParameters.{member} does not match the task type {task_type}: "
                f"only {expected} may be given."
            )
    return None


# Patch filter values per operating system (API_PatchFilter; the values AWS lists
# for each key, e.g. Windows "Supported key: CLASSIFICATION Supported values:
# CriticalUpdates DefinitionUpdates Drivers FeaturePacks SecurityUpdates ServicePacks
# Tools UpdateRollups Updates Upgrades", "Supported key: MSRC_SEVERITY Supported
# values: Critical Important Moderate Low Unspecified", Ubuntu "PRIORITY: Required
# Important Standard Optional Extra", Amazon Linux "CLASSIFICATION: Security Bugfix
# Enhancement Recommended Newpackage", "SEVERITY: Critical Important Medium Low",
# RHEL "SEVERITY: Critical Important Moderate Low", SUSE "CLASSIFICATION: Security
# Recommended Optional Feature Document Yast"). "The filter values can be exact values
# for the patch property given as a key, or a wildcard (*), which matches all values."
# Only keys with a closed list are checked; operating systems whose lists the sources
# read here do not give are checked against the union of the RPM families' lists.
_RPM_CLASSIFICATION = {"Security", "Bugfix", "Enhancement", "Recommended", "Newpackage"}
_RPM_SEVERITY = {"Critical", "Important", "Medium", "Moderate", "Low", "None"}
_FILTER_VALUES: dict[str, dict[str, set[str]]] = {
    "WINDOWS": {
        "PATCH_SET": {"OS", "APPLICATION"},
        "CLASSIFICATION": {
            "CriticalUpdates", "DefinitionUpdates", "Drivers", "FeaturePacks", "SecurityUpdates",
            "ServicePacks", "Tools", "UpdateRollups", "Updates", "Upgrades",
        },
        "MSRC_SEVERITY": {"Critical", "Important", "Moderate", "Low", "Unspecified"},
    },
    "AMAZON_LINUX": {"CLASSIFICATION": _RPM_CLASSIFICATION, "SEVERITY": {"Critical", "Important", "Medium", "Low"}},
    "AMAZON_LINUX_2": {"CLASSIFICATION": _RPM_CLASSIFICATION, "SEVERITY": {"Critical", "Important", "Medium", "Low"}},
    "AMAZON_LINUX_2023": {"CLASSIFICATION": _RPM_CLASSIFICATION, "SEVERITY": {"Critical", "Important", "Medium", "Low", "None"}},
    "REDHAT_ENTERPRISE_LINUX": {"CLASSIFICATION": _RPM_CLASSIFICATION, "SEVERITY": {"Critical", "Important", "Moderate", "Low"}},
    "CENTOS": {"CLASSIFICATION": _RPM_CLASSIFICATION, "SEVERITY": _RPM_SEVERITY},
    "ORACLE_LINUX": {"CLASSIFICATION": _RPM_CLASSIFICATION, "SEVERITY": _RPM_SEVERITY},
    "ROCKY_LINUX": {"CLASSIFICATION": _RPM_CLASSIFICATION, "SEVERITY": _RPM_SEVERITY},
    "ALMA_LINUX": {"CLASSIFICATION": _RPM_CLASSIFICATION, "SEVERITY": _RPM_SEVERITY},
    "AMAZON_LINUX_2022": {"CLASSIFICATION": _RPM_CLASSIFICATION, "SEVERITY": _RPM_SEVERITY},
    "SUSE": {
        "CLASSIFICATION": {"Security", "Recommended", "Optional", "Feature", "Document", "Yast"},
        "SEVERITY": {"Critical", "Important", "Moderate", "Low"},
    },
    "UBUNTU": {"PRIORITY": {"Required", "Important", "Standard", "Optional", "Extra"}},
    "DEBIAN": {"PRIORITY": {"Required", "Important", "Standard", "Optional", "Extra"}},
    "RASPBIAN": {"PRIORITY": {"Required", "Important", "Standard", "Optional", "Extra"}},
}


def patch_filter_values(params: dict[str, Any], ctx: Ctx) -> str | None:
    """Patch filter values valid for the key on the baseline's operating system."""
    os_name = _baseline_os(params, ctx)
    allowed_by_key = _FILTER_VALUES.get(os_name or "", {})
    for where, filters in _filter_groups(params):
        for f in filters:
            allowed = allowed_by_key.get(f.get("Key") or "")
            if allowed is None:
                continue
            for value in f.get("Values") or []:
                if value != "*" and value not in allowed:
                    return (
                        f"Patch filter {f['Key']} ({where}) value '{value}' is not valid for operating system "
                        f"{os_name}: use * or one of {', '.join(sorted(allowed))}."
                    )
    return None


_NO_APPROVAL_DATES = {"UBUNTU", "DEBIAN"}


def approval_rule_needs_date(params: dict[str, Any], ctx: Ctx) -> str | None:
    """PatchRule ApproveAfterDays / ApproveUntilDate: "This parameter is marked as
    Required: No, but your request must include a value for either ApproveAfterDays or
    ApproveUntilDate." and of both "Not supported for Debian Server or Ubuntu Server",
    so the rule is not applied to those two. ApproveUntilDate: "Enter dates in the
    format YYYY-MM-DD"."""
    os_name = _baseline_os(params, ctx)
    for i, rule in enumerate((params.get("ApprovalRules") or {}).get("PatchRules") or [], start=1):
        until = rule.get("ApproveUntilDate")
        if until is not None:
            problem = schedules.date_problem(until)
            if problem:
                return f"ApprovalRules.PatchRules.{i}.ApproveUntilDate: {problem}."
        if os_name in _NO_APPROVAL_DATES:
            continue
        if rule.get("ApproveAfterDays") is None and until is None:
            return f"ApprovalRules.PatchRules.{i}: either ApproveAfterDays or ApproveUntilDate must be specified."
    return None


# ======================================================================= SNS
# Publish (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html). SNS answers
# `InvalidParameter` with messages of the form "Invalid parameter: <what>"; the
# messages below are AWS's where known (README, "Guessed error codes", for the rest).

_DEFAULT_MAX_MESSAGE = 262_144


def _sns_topic(params: dict[str, Any], ctx: Ctx) -> Any:
    arn = params.get("TopicArn") or params.get("TargetArn") or ""
    try:
        from moto.sns.models import sns_backends

        return sns_backends[ctx.account][ctx.region].topics.get(arn)
    except Exception:
        return None


def publish_input(params: dict[str, Any], ctx: Ctx) -> str | None:
    """TopicArn: "If you don't specify a value for the TopicArn parameter, you must
    specify a value for the PhoneNumber or TargetArn parameters." Message: "By default,
    a message can be at most 256 KiB in size (262,144 bytes, not 262,144 characters).
    When you publish to a topic, the maximum size is determined by the topic's
    MaximumMessageSize attribute ... Amazon SNS validates the combined size of the
    message body and message attributes against this value and returns an
    InvalidParameter error if the limit is exceeded." Subject: "Subjects must be UTF-8
    text with no line breaks or control characters, and less than 100 characters
    long." MessageStructure: "If you set MessageStructure to json, the value of the
    Message parameter must: be a syntactically valid JSON object; and contain at least
    a top-level JSON key of "default" with a value that is a string." "Valid value:
    json". MessageDeduplicationId: "This parameter applies only to FIFO
    (first-in-first-out) topics". MessageGroupId (FIFO): "Every message must include a
    MessageGroupId"."""
    destinations = [k for k in ("TopicArn", "TargetArn", "PhoneNumber") if params.get(k)]
    if not destinations:
        return "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter"
    if len(destinations) > 1:
        return f"Invalid parameter: {destinations[1]} Reason: only one of TopicArn, TargetArn or PhoneNumber may be given"
    message = params.get("Message")
    if message == "":
        return "Invalid parameter: Empty message"
    subject = params.get("Subject")
    if subject is not None and (len(subject) >= 100 or not subject or any(ord(c) < 32 or ord(c) == 127 for c in subject)):
        return "Invalid parameter: Subject"
    structure = params.get("MessageStructure")
    if structure is not None:
        if structure != "json":
            return "Invalid parameter: MessageStructure"
        try:
            doc = json.loads(message or "")
        except ValueError:
            return "Invalid parameter: Message Structure - JSON message body failed to parse"
        if not isinstance(doc, dict):
            return "Invalid parameter: Message Structure - JSON message body failed to parse"
        if not isinstance(doc.get("default"), str):
            return "Invalid parameter: Message Structure - No default entry in JSON message body"
    topic = _sns_topic(params, ctx)
    limit = _DEFAULT_MAX_MESSAGE
    size = len((message or "").encode("utf-8"))
    for name, attr in (params.get("MessageAttributes") or {}).items():
        size += len(name.encode("utf-8"))
        for member in ("DataType", "StringValue"):
            size += len(str((attr or {}).get(member) or "").encode("utf-8"))
        binary = (attr or {}).get("BinaryValue")
        if binary is not None:
            size += len(binary)
    if size > limit:
        return "Invalid parameter: Message too long"
    arn = params.get("TopicArn") or params.get("TargetArn") or ""
    fifo = arn.endswith(".fifo") or bool(getattr(topic, "fifo_topic", False) not in (False, "false", None))
    if not fifo and params.get("MessageDeduplicationId") is not None:
        return "Invalid parameter: The MessageDeduplicationId parameter is only for FIFO topics"
    if fifo and params.get("TopicArn") and not params.get("MessageGroupId"):
        return "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    return None


# ================================================================== Logs (2)


def describe_log_groups_filters(params: dict[str, Any], ctx: Ctx) -> str | None:
    """DescribeLogGroups: "logGroupNamePattern and logGroupNamePrefix are mutually
    exclusive. Only one of these parameters can be passed."; logGroupIdentifiers: "If
    you specify this parameter, the only other filter that you can choose to specify
    is includeLinkedAccounts"."""
    if params.get("logGroupNamePattern") is not None and params.get("logGroupNamePrefix") is not None:
        return "logGroupNamePattern and logGroupNamePrefix are mutually exclusive. Only one of these parameters can be passed."
    if params.get("logGroupIdentifiers") is not None:
        others = [k for k in ("logGroupNamePrefix", "logGroupNamePattern") if params.get(k) is not None]
        if others:
            return f"logGroupIdentifiers cannot be combined with {', '.join(others)}."
    return None


def kms_key_target(params: dict[str, Any], ctx: Ctx) -> str | None:
    """AssociateKmsKey / DisassociateKmsKey: "you must specify either the
    resourceIdentifier parameter or the logGroup parameter, but you can't specify
    both"."""
    given = [k for k in ("logGroupName", "resourceIdentifier") if params.get(k) is not None]
    if len(given) != 1:
        return "Specify either logGroupName or resourceIdentifier, but not both."
    return None


# ================================================================ Backup (2)


def vault_lock_days(params: dict[str, Any], ctx: Ctx) -> str | None:
    """PutBackupVaultLockConfiguration: ChangeableForDays "Backup enforces a 72-hour
    cooling-off period before Vault Lock takes effect and becomes immutable.
    Therefore, you must set ChangeableForDays to 3 or greater. The maximum value you
    can specify is 36,500 days"; MinRetentionDays "The shortest minimum retention
    period you can specify is 1 day"; MaxRetentionDays "The longest maximum retention
    period you can specify is 36500 days"; a job must keep within both, so the minimum
    cannot exceed the maximum."""
    changeable = params.get("ChangeableForDays")
    if changeable is not None and not 3 <= changeable <= 36_500:
        return f"ChangeableForDays ({changeable}) must be between 3 and 36500."
    low, high = params.get("MinRetentionDays"), params.get("MaxRetentionDays")
    if low is not None and not 1 <= low <= 36_500:
        return f"MinRetentionDays ({low}) must be between 1 and 36500."
    if high is not None and not 1 <= high <= 36_500:
        return f"MaxRetentionDays ({high}) must be between 1 and 36500."
    if low is not None and high is not None and low > high:
        return f"MinRetentionDays ({low}) cannot be greater than MaxRetentionDays ({high})."
    return None


_BACKUP_PLAN_RULES = (backup_schedule, backup_windows, backup_lifecycle, backup_index_actions, backup_target_vault)

RULES: dict[tuple[str, str], tuple[Rule, ...]] = {
    ("cloudwatch", "PutMetricAlarm"): (
        alarm_metric_choice,
        alarm_queries,
        alarm_query_ids,
        alarm_return_data,
        alarm_threshold,
        alarm_statistics,
        alarm_documented_values,
        alarm_period,
        alarm_metric_stat_periods,
        alarm_evaluation_range,
        alarm_datapoints,
        alarm_action_regions,
        reserved_tags("Tags"),
    ),
    ("cloudwatch", "PutCompositeAlarm"): (alarm_action_regions, reserved_tags("Tags")),
    ("cloudwatch", "TagResource"): (reserved_tags("Tags"),),
    ("cloudwatch", "UntagResource"): (reserved_tags("TagKeys"),),
    ("logs", "CreateLogGroup"): (reserved_tags("tags"),),
    ("logs", "DescribeLogGroups"): (describe_log_groups_filters,),
    ("logs", "AssociateKmsKey"): (kms_key_target,),
    ("logs", "DisassociateKmsKey"): (kms_key_target,),
    ("logs", "TagResource"): (reserved_tags("tags"),),
    ("logs", "UntagResource"): (reserved_tags("tagKeys"),),
    ("ssm", "CreateMaintenanceWindow"): (window_settings, window_time_settings, reserved_tags("Tags")),
    ("ssm", "UpdateMaintenanceWindow"): (window_settings, window_time_settings),
    ("ssm", "RegisterTaskWithMaintenanceWindow"): (task_targets, task_shape),
    ("ssm", "UpdateMaintenanceWindowTask"): (task_targets, task_shape),
    ("ssm", "CreatePatchBaseline"): (
        patch_filter_keys, patch_filter_values, approval_rule_dates, approval_rule_needs_date, reserved_tags("Tags"),
    ),
    ("ssm", "UpdatePatchBaseline"): (patch_filter_keys, patch_filter_values, approval_rule_dates, approval_rule_needs_date),
    ("ssm", "AddTagsToResource"): (reserved_tags("Tags"),),
    ("ssm", "RemoveTagsFromResource"): (reserved_tags("TagKeys"),),
    ("backup", "CreateBackupPlan"): _BACKUP_PLAN_RULES + (reserved_tags("BackupPlanTags"),),
    ("backup", "UpdateBackupPlan"): _BACKUP_PLAN_RULES,
    ("backup", "CreateBackupVault"): (reserved_tags("BackupVaultTags"),),
    ("backup", "PutBackupVaultLockConfiguration"): (vault_lock_days,),
    ("backup", "TagResource"): (reserved_tags("Tags"),),
    ("backup", "UntagResource"): (reserved_tags("TagKeyList"),),
    ("sns", "Publish"): (publish_input,),
}


# ============================================================== coverage
# Every operation driftless calls (controller/core/src/iam.rs CALLS) and whether the
# rules its API reference states in prose are encoded: "rules.py" (here), the ext_*
# module that encodes them, "none stated" (the reference states nothing beyond what
# the model encodes), or "not encoded: ..." with what is left. test_rules_prose.py
# checks that every operation of CALLS is listed; the README's coverage table is this.
_NONE = "none stated"
PROSE_COVERAGE: dict[tuple[str, str], str] = {
    ("resourcegroupstaggingapi", "GetResources"): "ext_tagging.py (ResourcesPerPage 1-100, PaginationToken)",
    ("organizations", "ListChildren"): "moto (ParentNotFoundException, ChildType, pages); not encoded: AWSOrganizationsNotInUseException for an account outside an organization, AccessDeniedException for a member that is not a delegated administrator",
    ("organizations", "ListAccountsForParent"): "moto (ParentNotFoundException, pages); not encoded: as ListChildren",
    ("organizations", "DescribeAccount"): "moto (AccountNotFoundException); not encoded: as ListChildren",
    ("cloudwatch", "DescribeAlarms"): "ext_cloudwatch.py (at most 100 AlarmNames, AlarmTypes, Children/ParentsOfAlarmName)",
    ("cloudwatch", "ListTagsForResource"): _NONE,
    ("cloudwatch", "GetMetricData"): "ext_cloudwatch_metric_data.py (500 queries, MaxDatapoints pages, StartTime rounding, statistics, metric math); not encoded: Metrics Insights queries, cross-account and cross-Region data",
    ("cloudwatch", "PutMetricAlarm"): "rules.py",
    ("cloudwatch", "PutCompositeAlarm"): "rules.py, ext_cloudwatch.py (AlarmRule grammar and limits, ActionsSuppressor periods)",
    ("cloudwatch", "DeleteAlarms"): "ext_cloudwatch.py (one composite per call, alarms a composite names)",
    ("cloudwatch", "TagResource"): "rules.py; not encoded: at most 50 tags per alarm",
    ("cloudwatch", "UntagResource"): "rules.py",
    ("logs", "DescribeLogGroups"): "rules.py",
    ("logs", "ListTagsForResource"): _NONE,
    ("logs", "CreateLogGroup"): "rules.py; not encoded: the KMS key exists and its policy lets Logs use it",
    ("logs", "DeleteLogGroup"): _NONE,
    ("logs", "PutRetentionPolicy"): "ext_logs.py (the fixed retention values, DELIVERY groups)",
    ("logs", "DeleteRetentionPolicy"): "ext_logs.py (DELIVERY groups)",
    ("logs", "AssociateKmsKey"): "rules.py; not encoded: the KMS key exists and its policy lets Logs use it",
    ("logs", "DisassociateKmsKey"): "rules.py",
    ("logs", "TagResource"): "rules.py",
    ("logs", "UntagResource"): "rules.py",
    ("logs", "DescribeMetricFilters"): "ext_logs_metric_filters.py (filterNamePrefix only with logGroupName)",
    ("logs", "PutMetricFilter"): "ext_logs_metric_filters.py (100 filters, dimensions); not encoded: the filter pattern syntax",
    ("logs", "DeleteMetricFilter"): _NONE,
    ("ssm", "ListTagsForResource"): _NONE,
    ("ssm", "AddTagsToResource"): "rules.py",
    ("ssm", "RemoveTagsFromResource"): "rules.py",
    ("ssm", "DescribePatchBaselines"): "ext_ssm.py (NextToken)",
    ("ssm", "DescribePatchGroups"): "ext_ssm.py (NextToken)",
    ("ssm", "GetPatchBaseline"): _NONE,
    ("ssm", "CreatePatchBaseline"): "rules.py; not encoded: PRODUCT values per operating system, the approved/rejected patch name formats",
    ("ssm", "UpdatePatchBaseline"): "rules.py, ext_ssm.py (Replace); not encoded: as CreatePatchBaseline",
    ("ssm", "DeletePatchBaseline"): "ext_ssm.py (a baseline registered to a patch group or as a default)",
    ("ssm", "RegisterPatchBaselineForPatchGroup"): "ext_ssm.py (one baseline per operating system; AWS's own baselines by ARN)",
    ("ssm", "DeregisterPatchBaselineForPatchGroup"): "ext_ssm.py",
    ("ssm", "RegisterDefaultPatchBaseline"): _NONE,
    ("ssm", "DescribeMaintenanceWindows"): _NONE,
    ("ssm", "GetMaintenanceWindow"): _NONE,
    ("ssm", "DescribeMaintenanceWindowTargets"): _NONE,
    ("ssm", "DescribeMaintenanceWindowTasks"): _NONE,
    ("ssm", "GetMaintenanceWindowTask"): _NONE,
    ("ssm", "CreateMaintenanceWindow"): "rules.py",
    ("ssm", "UpdateMaintenanceWindow"): "rules.py",
    ("ssm", "DeleteMaintenanceWindow"): _NONE,
    ("ssm", "RegisterTargetWithMaintenanceWindow"): "not encoded: the target key syntax (InstanceIds, tag:<key>, resource-groups:Name, ...) per ResourceType",
    ("ssm", "UpdateMaintenanceWindowTarget"): "not encoded: as RegisterTargetWithMaintenanceWindow",
    ("ssm", "DeregisterTargetFromMaintenanceWindow"): "not encoded: Safe (refuse a target a task still names)",
    ("ssm", "RegisterTaskWithMaintenanceWindow"): "rules.py",
    ("ssm", "UpdateMaintenanceWindowTask"): "rules.py, ext_ssm.py (Replace)",
    ("ssm", "DeregisterTaskFromMaintenanceWindow"): _NONE,
    ("backup", "ListTags"): _NONE,
    ("backup", "TagResource"): "rules.py",
    ("backup", "UntagResource"): "rules.py",
    ("backup", "ListBackupVaults"): _NONE,
    ("backup", "DescribeBackupVault"): _NONE,
    ("backup", "CreateBackupVault"): "rules.py",
    ("backup", "DeleteBackupVault"): "ext_backup_recovery.py (a vault holding recovery points)",
    ("backup", "GetBackupVaultAccessPolicy"): "ext_backup_vault.py (none set)",
    ("backup", "PutBackupVaultAccessPolicy"): "ext_backup_vault.py (a JSON object); not encoded: the policy grammar",
    ("backup", "DeleteBackupVaultAccessPolicy"): _NONE,
    ("backup", "GetBackupVaultNotifications"): "ext_backup_vault.py (none set)",
    ("backup", "PutBackupVaultNotifications"): "not encoded: the topic exists and lets AWS Backup publish",
    ("backup", "DeleteBackupVaultNotifications"): _NONE,
    ("backup", "PutBackupVaultLockConfiguration"): "rules.py; moto: immutable after the lock date",
    ("backup", "DeleteBackupVaultLockConfiguration"): "moto (immutable after the lock date)",
    ("backup", "ListRecoveryPointsByBackupVault"): _NONE,
    ("backup", "DeleteRecoveryPoint"): _NONE,
    ("backup", "ListBackupPlans"): _NONE,
    ("backup", "GetBackupPlan"): _NONE,
    ("backup", "ListBackupSelections"): _NONE,
    ("backup", "GetBackupSelection"): _NONE,
    ("backup", "CreateBackupPlan"): "rules.py",
    ("backup", "UpdateBackupPlan"): "rules.py",
    ("backup", "DeleteBackupPlan"): "ext_backup.py (a plan with selections)",
    ("backup", "CreateBackupSelection"): "not encoded: the IAM role exists and trusts AWS Backup; resource ARN formats",
    ("backup", "DeleteBackupSelection"): _NONE,
    ("config", "DescribeConfigurationAggregators"): _NONE,
    ("config", "ListTagsForResource"): _NONE,
    ("config", "PutConfigurationAggregator"): "ext_config.py (tags at creation only, AggregatorFilters kept); moto: one account source, regions xor allRegions, not both sources",
    ("config", "DeleteConfigurationAggregator"): _NONE,
    ("config", "TagResource"): _NONE,
    ("config", "UntagResource"): _NONE,
    ("sns", "Publish"): "rules.py",
    ("cloudtrail", "LookupEvents"): "ext_cloudtrail.py",
    ("sts", "GetCallerIdentity"): _NONE,
    ("config", "DescribeConfigRules"): "moto (NoSuchConfigRuleException for a rule named that does not exist)",
    ("config", "DescribeRemediationConfigurations"): _NONE,
    ("config", "ListTagsForResource"): "moto (ResourceNotFoundException)",
    ("config", "PutConfigRule"): "moto (managed identifiers and parameter names from its catalogue, required parameters, owners), ext_config_rules module (CUSTOM_POLICY), ext_config_packs.py (a pack's rule: AccessDeniedException); not encoded: parameter value types, the Lambda function's permissions",
    ("config", "DeleteConfigRule"): "ext_config_rules module (its remediation goes with it), ext_config_packs.py (a pack's rule: AccessDeniedException)",
    ("config", "PutRemediationConfigurations"): "ext_config_rules module (the rule exists, else FailedBatches; one of ResourceValue and StaticValue); not encoded: the SSM document exists and its parameters",
    ("config", "DeleteRemediationConfiguration"): "ext_config_rules module (NoSuchRemediationConfigurationException)",
    ("config", "TagResource"): "moto (tag limits)",
    ("config", "UntagResource"): "moto",
    ("config", "DescribeConformancePacks"): "ext_config_packs.py (NoSuchConformancePackException for a pack named that does not exist)",
    ("config", "DescribeConformancePackCompliance"): "ext_config_packs.py (NoSuchConformancePackException; pages); not encoded: the rules' compliance (INSUFFICIENT_DATA)",
    ("config", "PutConformancePack"): "ext_config_packs.py (TemplateBody: a template of AWS::Config::ConfigRule / RemediationConfiguration resources, rules with a Source, inputs the template declares; the rules through moto's PutConfigRule catalogue checks; tags at creation only); not encoded: TemplateS3Uri, TemplateSSMDocumentDetails, the delivery bucket exists, RemediationConfiguration resources deployed",
    ("config", "DeleteConformancePack"): "ext_config_packs.py (NoSuchConformancePackException; the pack's rules go with it)",
    ("config", "GetComplianceDetailsByConfigRule"): "ext_config_eval.py (NoSuchConfigRuleException; results only while a recorder records)",
    ("ssm", "ListAssociations"): "ext_ssm_associations.py (NextToken)",
    ("ssm", "DescribeAssociation"): "ext_ssm_associations.py (AssociationDoesNotExist)",
    ("ssm", "CreateAssociation"): "ext_ssm_associations.py (document, version, parameters, schedule, targets); not encoded: AssociationAlreadyExists, the output bucket exists",
    ("ssm", "UpdateAssociation"): "ext_ssm_associations.py (as CreateAssociation; nulls what a request leaves out; AssociationVersion)",
    ("ssm", "DeleteAssociation"): "ext_ssm_associations.py (AssociationDoesNotExist)",
    ("config", "DescribeConfigurationRecorders"): "moto (NoSuchConfigurationRecorderException); ext_config_recorder.py (the API's shape, recordingMode, arn)",
    ("config", "DescribeConfigurationRecorderStatus"): "moto (NoSuchConfigurationRecorderException); ext_config_recorder.py (lastStatus spelled as the model)",
    ("config", "DescribeDeliveryChannels"): "moto (NoSuchDeliveryChannelException)",
    ("config", "PutConfigurationRecorder"): "moto (one recorder per Region, recording group combinations); ext_config_recorder.py (InvalidRoleException, reserved name prefix, no servicePrincipal, recordingMode kept, tags at creation only); not encoded: the role exists and trusts AWS Config",
    ("config", "PutDeliveryChannel"): "moto (a recorder first, one channel per Region, an empty prefix); ext_config_recorder.py (the bucket and the topic exist); not encoded: the bucket policy lets AWS Config write (InsufficientDeliveryPolicyException), the KMS key exists",
    ("config", "StartConfigurationRecorder"): "moto (NoSuchConfigurationRecorderException, NoAvailableDeliveryChannelException)",
    ("config", "StopConfigurationRecorder"): "moto (NoSuchConfigurationRecorderException)",
    ("config", "DeleteDeliveryChannel"): "moto (NoSuchDeliveryChannelException, LastDeliveryChannelDeleteFailedException while recording)",
    ("config", "DeleteConfigurationRecorder"): "moto (NoSuchConfigurationRecorderException)",
}
