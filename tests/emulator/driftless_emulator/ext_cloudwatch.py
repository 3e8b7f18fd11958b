"""CloudWatch: DescribeAlarms as AWS does it, and metric queries kept whole.

moto 5.2.5 ignores AlarmTypes (returns composite alarms unasked), MaxRecords
and NextToken (no pagination), does not limit AlarmNames to 100 and applies
only one of the filters. Its PutMetricAlarm drops `MetricDataQuery.AccountId`
(cross-account metric math); here it is kept on moto's query objects, so
DescribeAlarms returns it (moto's serialiser reads `account_id`). The wire protocols (awsQuery, awsJson1_0) are moto's;
rpcv2Cbor is served by cbor_proto in front of the awsJson one.
"""

from __future__ import annotations

import base64
from typing import Any

from moto.cloudwatch.exceptions import InvalidParameterCombination, InvalidParameterValue, ValidationError
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult


def _token(index: int) -> str:
    return base64.urlsafe_b64encode(f"driftless:{index}".encode()).decode()


def _index(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token.encode()).decode()
        prefix, _, n = raw.partition(":")
        if prefix != "driftless":
            raise ValueError
        return int(n)
    except Exception:
        raise InvalidParameterValue("The service cannot find the specified NextToken.")


def describe_alarms(self: Any) -> ActionResult:
    names = self._get_param("AlarmNames") or []
    prefix = self._get_param("AlarmNamePrefix")
    action_prefix = self._get_param("ActionPrefix")
    state = self._get_param("StateValue")
    types = self._get_param("AlarmTypes") or ["MetricAlarm"]
    max_records = self._get_param("MaxRecords")
    next_token = self._get_param("NextToken")
    children_of = self._get_param("ChildrenOfAlarmName")
    parents_of = self._get_param("ParentsOfAlarmName")

    if len(names) > 100:
        raise ValidationError(
            f"1 validation error detected: Value '{names}' at 'alarmNames' failed to satisfy constraint: "
            "Member must have length less than or equal to 100"
        )
    if names and prefix:
        raise InvalidParameterCombination("AlarmNamePrefix and AlarmNames cannot be specified together.")
    if max_records is not None:
        max_records = int(max_records)
        if not 1 <= max_records <= 100:
            raise ValidationError(
                f"1 validation error detected: Value '{max_records}' at 'maxRecords' failed to satisfy "
                "constraint: Member must have value between 1 and 100"
            )
    page_size = max_records or 50

    alarms = list(self.cloudwatch_backend.alarms.values())
    if names:
        wanted = set(names)
        alarms = [a for a in alarms if a.name in wanted]
    if prefix:
        alarms = [a for a in alarms if a.name.startswith(prefix)]
    if action_prefix:
        alarms = [a for a in alarms if any(str(x).startswith(action_prefix) for x in (a.alarm_actions or []))]
    if state:
        alarms = [a for a in alarms if a.state_value == state]
    if children_of or parents_of:
        alarms = []  # alarm-rule graph not modelled
    alarms = [
        a
        for a in alarms
        if ("CompositeAlarm" if a.rule is not None else "MetricAlarm") in types
    ]
    alarms.sort(key=lambda a: a.name)

    start = _index(next_token) if next_token else 0
    page = alarms[start : start + page_size]
    result: dict[str, Any] = {}
    if "MetricAlarm" in types:
        result["MetricAlarms"] = [a for a in page if a.rule is None]
    if "CompositeAlarm" in types:
        result["CompositeAlarms"] = [a for a in page if a.rule is not None]
    if start + page_size < len(alarms):
        result["NextToken"] = _token(start + page_size)
    return ActionResult(result)


_orig_put_metric_alarm = CloudWatchResponse.put_metric_alarm


def put_metric_alarm(self: Any) -> Any:
    result = _orig_put_metric_alarm(self)
    alarm = self.cloudwatch_backend.alarms.get(self._get_param("AlarmName"))
    queries = getattr(alarm, "metric_data_queries", None) or []
    for query, given in zip(queries, self._get_param("Metrics", []) or []):
        query.account_id = given.get("AccountId")
    return result


def put_composite_alarm(self: Any) -> Any:
    # moto's backend keeps composite alarms as alarms with a rule; its
    # put_metric_alarm handler already reads AlarmRule.
    return _orig_put_metric_alarm(self)


def apply() -> None:
    CloudWatchResponse.describe_alarms = describe_alarms
    CloudWatchResponse.put_metric_alarm = put_metric_alarm
    if not hasattr(CloudWatchResponse, "put_composite_alarm"):
        CloudWatchResponse.put_composite_alarm = put_composite_alarm
