"""AWS Config evaluations: the managed rules driftless has guardrails for,
evaluated on the emulator's own resources, so that
GetComplianceDetailsByConfigRule and DescribeComplianceByConfigRule answer as
AWS Config would. moto stores rules and never evaluates them.

Written from AWS's rule documentation
(https://docs.aws.amazon.com/config/latest/developerguide/<rule>.html), not
from driftless's Rust code, so that `audit --config-results` is checked
against an independent reading:

* cw-loggroup-retention-period-check: NON_COMPLIANT when a log group's
  retention is shorter than MinRetentionTime (default 365 days); a group
  that never expires is COMPLIANT. LogGroupNames (CSV) narrows the groups
  evaluated.
* cloudwatch-log-group-encrypted: NON_COMPLIANT without a KMS key (or with
  another key than KmsKeyId when given).
* cloudwatch-alarm-action-check: NON_COMPLIANT when an action list the
  parameters require (alarmActionRequired true, insufficientDataActionRequired
  true, okActionRequired false by default) is empty, or when action1..action5
  are given and none of the alarm's actions is one of them.
* cloudwatch-alarm-action-enabled-check: NON_COMPLIANT when actions are
  disabled.
* cloudwatch-alarm-settings-check: only alarms on metricName are evaluated
  (others NOT_APPLICABLE); NON_COMPLIANT when period, statistic,
  comparisonOperator, threshold or evaluationPeriods differ from the
  parameter given (period's default 300).

Only metric alarms are AWS::CloudWatch::Alarm (composites are another type).
As in AWS, rules evaluate only while a configuration recorder records: with
none recording, a rule has no results (`INSUFFICIENT_DATA` in
DescribeComplianceByConfigRule). The rule's Scope (resource types, tag key
and value) narrows what is evaluated; a resource out of scope has no result.
Results are computed when asked, from the resources as they are then.
Unknown rule: NoSuchConfigRuleException. Limit is 0-100 (model), NextToken
pages as AWS's.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from moto.cloudwatch.models import cloudwatch_backends
from moto.config.exceptions import InvalidNextTokenException
from moto.config.responses import ConfigResponse
from moto.core.exceptions import JsonRESTError
from moto.logs.models import logs_backends


class NoSuchConfigRuleException(JsonRESTError):
    code = 400

    def __init__(self, rule: str):
        super().__init__(
            "NoSuchConfigRuleException",
            f"The ConfigRule '{rule}' provided in the request is invalid. Please check the configRule name",
        )


# (resource type, resource id, tags, the resource) of one account and region.
Resource = tuple[str, str, dict[str, str], Any]


def _log_groups(account: str, region: str) -> Iterator[Resource]:
    backend = logs_backends[account][region]
    for name, group in backend.groups.items():
        yield "AWS::Logs::LogGroup", name, backend.list_tags_for_resource(group.arn), group


def _alarms(account: str, region: str) -> Iterator[Resource]:
    backend = cloudwatch_backends[account][region]
    for name, alarm in backend.alarms.items():
        if getattr(alarm, "rule", None):
            continue  # a composite alarm
        tags = backend.tagger.get_tag_dict_for_resource(alarm.alarm_arn)
        yield "AWS::CloudWatch::Alarm", name, tags, alarm


def _true(params: dict[str, str], name: str, default: bool) -> bool:
    value = params.get(name)
    return default if value is None else str(value).strip().lower() == "true"


def _retention(params: dict[str, str], group: Any) -> tuple[str, str | None]:
    names = [n.strip() for n in params.get("LogGroupNames", "").split(",") if n.strip()]
    if names and group.name not in names:
        return "NOT_APPLICABLE", None
    minimum = int(params.get("MinRetentionTime") or 365)
    days = group.retention_in_days
    if days is None or int(days) >= minimum:
        return "COMPLIANT", None
    return "NON_COMPLIANT", f"Retention {days} days is below {minimum}"


def _encrypted(params: dict[str, str], group: Any) -> tuple[str, str | None]:
    key = group.kms_key_id
    wanted = params.get("KmsKeyId")
    if not key:
        return "NON_COMPLIANT", "The log group is not encrypted with a KMS key"
    if wanted and key != wanted:
        return "NON_COMPLIANT", f"The log group is encrypted with {key}, not {wanted}"
    return "COMPLIANT", None


def _actions(params: dict[str, str], alarm: Any) -> tuple[str, str | None]:
    lists = {
        "alarmActionRequired": (alarm.alarm_actions or [], True),
        "insufficientDataActionRequired": (alarm.insufficient_data_actions or [], True),
        "okActionRequired": (alarm.ok_actions or [], False),
    }
    for param, (actions, default) in lists.items():
        if _true(params, param, default) and not actions:
            return "NON_COMPLIANT", f"{param} is true and the alarm has none"
    wanted = {params[f"action{i}"] for i in range(1, 6) if params.get(f"action{i}")}
    if wanted:
        every = set(alarm.alarm_actions or []) | set(alarm.insufficient_data_actions or []) | set(alarm.ok_actions or [])
        if not every & wanted:
            return "NON_COMPLIANT", "None of the alarm's actions is one of action1..action5"
    return "COMPLIANT", None


def _enabled(params: dict[str, str], alarm: Any) -> tuple[str, str | None]:
    if alarm.actions_enabled in (False, "false", "False"):
        return "NON_COMPLIANT", "Actions are disabled"
    return "COMPLIANT", None


def _settings(params: dict[str, str], alarm: Any) -> tuple[str, str | None]:
    if alarm.metric_name != params.get("metricName"):
        return "NOT_APPLICABLE", None
    checks = [
        ("period", alarm.period, params.get("period") or "300"),
        ("statistic", alarm.statistic, params.get("statistic")),
        ("comparisonOperator", alarm.comparison_operator, params.get("comparisonOperator")),
        ("threshold", alarm.threshold, params.get("threshold")),
        ("evaluationPeriods", alarm.evaluation_periods, params.get("evaluationPeriods")),
    ]
    for name, actual, wanted in checks:
        if wanted is None or wanted == "":
            continue
        same = str(actual) == str(wanted)
        if not same:
            try:
                same = float(actual) == float(wanted)
            except (TypeError, ValueError):
                same = False
        if not same:
            return "NON_COMPLIANT", f"{name} is {actual}, not {wanted}"
    return "COMPLIANT", None


Evaluator = Callable[[dict[str, str], Any], tuple[str, "str | None"]]
# Managed rule identifier -> (what it reads, how it judges one resource).
RULES: dict[str, tuple[Callable[[str, str], Iterator[Resource]], Evaluator]] = {
    "CW_LOGGROUP_RETENTION_PERIOD_CHECK": (_log_groups, _retention),
    "CLOUDWATCH_LOG_GROUP_ENCRYPTED": (_log_groups, _encrypted),
    "CLOUDWATCH_ALARM_ACTION_CHECK": (_alarms, _actions),
    "CLOUDWATCH_ALARM_ACTION_ENABLED_CHECK": (_alarms, _enabled),
    "CLOUDWATCH_ALARM_SETTINGS_CHECK": (_alarms, _settings),
}


def _recording(backend: Any) -> bool:
    return any(r.status.recording for r in backend.recorders.values())


def _in_scope(scope: Any, rtype: str, rid: str, tags: dict[str, str]) -> bool:
    if scope is None:
        return True
    types = getattr(scope, "compliance_resource_types", None) or []
    if types and rtype not in types:
        return False
    rid_wanted = getattr(scope, "compliance_resource_id", None)
    if rid_wanted and rid != rid_wanted:
        return False
    for key, value in (getattr(scope, "tags", None) or {}).items():
        if key not in tags or (value is not None and tags[key] != value):
            return False
    return True


def evaluate(backend: Any, rule: Any) -> list[dict[str, Any]]:
    """Every result of `rule` now (empty when it is not a rule evaluated here or
    nothing records)."""
    source = rule.source
    if getattr(source, "owner", None) != "AWS" or not _recording(backend):
        return []
    entry = RULES.get(source.source_identifier)
    if entry is None:
        return []
    read, judge = entry
    params = {k: str(v) for k, v in (rule.input_parameters_dict or {}).items()}
    now = datetime.now(timezone.utc).timestamp()
    out = []
    for rtype, rid, tags, resource in read(backend.account_id, backend.region_name):
        if not _in_scope(rule.scope, rtype, rid, tags):
            continue
        compliance, annotation = judge(params, resource)
        result = {
            "EvaluationResultIdentifier": {
                "EvaluationResultQualifier": {
                    "ConfigRuleName": rule.config_rule_name,
                    "ResourceType": rtype,
                    "ResourceId": rid,
                    "EvaluationMode": "DETECTIVE",
                },
                "OrderingTimestamp": now,
            },
            "ComplianceType": compliance,
            "ResultRecordedTime": now,
            "ConfigRuleInvokedTime": now,
        }
        if annotation:
            result["Annotation"] = annotation
        out.append(result)
    return out


def _rule(backend: Any, name: str) -> Any:
    rule = backend.config_rules.get(name)
    if rule is None:
        raise NoSuchConfigRuleException(name)
    return rule


def _body(resp: Any) -> dict[str, Any]:
    raw = resp.body.decode("utf-8") if isinstance(resp.body, bytes) else resp.body
    return json.loads(raw or "{}")


def get_compliance_details_by_config_rule(self: Any) -> str:
    body = _body(self)
    backend = self.config_backend
    results = evaluate(backend, _rule(backend, body.get("ConfigRuleName")))
    wanted = body.get("ComplianceTypes") or []
    results = [r for r in results if not wanted or r["ComplianceType"] in wanted]
    limit = body.get("Limit") or 100
    start = 0
    if body.get("NextToken"):
        try:
            start = int(body["NextToken"])
        except ValueError:
            raise InvalidNextTokenException()
    page = results[start : start + limit]
    out: dict[str, Any] = {"EvaluationResults": page}
    if start + limit < len(results):
        out["NextToken"] = str(start + limit)
    return json.dumps(out)


def describe_compliance_by_config_rule(self: Any) -> str:
    body = _body(self)
    backend = self.config_backend
    names = body.get("ConfigRuleNames") or sorted(backend.config_rules)
    wanted = body.get("ComplianceTypes") or []
    out = []
    for name in names:
        results = evaluate(backend, _rule(backend, name))
        non = sum(1 for r in results if r["ComplianceType"] == "NON_COMPLIANT")
        if non:
            compliance = {"ComplianceType": "NON_COMPLIANT",
                          "ComplianceContributorCount": {"CappedCount": min(non, 100), "CapExceeded": non > 100}}
        elif any(r["ComplianceType"] == "COMPLIANT" for r in results):
            compliance = {"ComplianceType": "COMPLIANT"}
        else:
            compliance = {"ComplianceType": "INSUFFICIENT_DATA"}
        if not wanted or compliance["ComplianceType"] in wanted:
            out.append({"ConfigRuleName": name, "Compliance": compliance})
    return json.dumps({"ComplianceByConfigRules": out})


def apply() -> None:
    for fn in (get_compliance_details_by_config_rule, describe_compliance_by_config_rule):
        setattr(ConfigResponse, fn.__name__, fn)
