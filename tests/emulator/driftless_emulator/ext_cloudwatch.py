"""CloudWatch: DescribeAlarms as AWS does it, metric queries kept whole, and
composite alarms as AWS keeps them.

moto 5.2.5 ignores AlarmTypes (returns composite alarms unasked), MaxRecords
and NextToken (no pagination), does not limit AlarmNames to 100 and applies
only one of the filters.

Composite alarms (PutCompositeAlarm,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html):
moto drops ActionsSuppressor and its two periods, accepts any rule, a rule
naming alarms that do not exist and a suppressor without its periods ("WaitPeriod
is required only when ActionsSuppressor is specified"), and applies Tags to an
existing alarm ("any tags you specify in this parameter are ignored" on update).
AWS refuses a rule naming a missing alarm ("Could not save the composite alarm as
alarms [..] in the alarm rule do not exist", as CloudFormation users report in
awsdocs/aws-cloudformation-user-guide#911); here the rule is parsed with the
grammar of the AlarmRule documentation and its limits (100 children, 500
elements). DeleteAlarms
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DeleteAlarms.html)
deletes at most one composite alarm per call and refuses an alarm a composite
alarm still names ("Cannot delete X as there are composite alarm(s) depending on
it.", the ValidationError reported in ekristen/aws-nuke#462), deleting nothing;
moto deletes anything. DescribeAlarms' ChildrenOfAlarmName / ParentsOfAlarmName
walk the rule graph (moto: not modelled). The wording of a rule syntax error is
not documented; ours names the position. Its PutMetricAlarm drops `MetricDataQuery.AccountId`
(cross-account metric math); here it is kept on moto's query objects, so
DescribeAlarms returns it (moto's serialiser reads `account_id`). It also drops the
newer PutMetricAlarm members EvaluationWindow, WarmUpConfiguration, EvaluationCriteria,
EvaluationInterval and ActionConfiguration (and PutCompositeAlarm's
ActionConfiguration); here they are kept on the alarm as given, so DescribeAlarms
returns them, and a put without one leaves it unset, as AWS's replace does. The wire protocols (awsQuery, awsJson1_0) are moto's;
rpcv2Cbor is served by cbor_proto in front of the awsJson one.
"""

from __future__ import annotations

import base64
import re
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
    if children_of:
        parent = self.cloudwatch_backend.alarms.get(children_of)
        kids = set(_rule_alarms(parent.rule)) if parent is not None and parent.rule else set()
        alarms = [a for a in alarms if a.name in kids]
    if parents_of:
        alarms = [a for a in alarms if a.rule is not None and parents_of in _rule_alarms(a.rule)]
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
    _keep_members(self, alarm, _METRIC_ALARM_MEMBERS)
    return result


_METRIC_ALARM_MEMBERS = (
    "EvaluationWindow",
    "WarmUpConfiguration",
    "EvaluationCriteria",
    "EvaluationInterval",
    "ActionConfiguration",
)


def _keep_members(resp: Any, alarm: Any, members: tuple[str, ...]) -> None:
    """Stores each of `members` the request gives on moto's alarm (under the
    attribute name moto's serialiser reads), and clears those it does not give."""
    if alarm is None:
        return
    for member in members:
        attribute = re.sub(r"(?<!^)(?=[A-Z])", "_", member).lower()
        setattr(alarm, attribute, resp._get_param(member))


_TOKEN = re.compile(
    r'\s*(?:(?P<fn>ALARM|OK|INSUFFICIENT_DATA)\s*\(\s*(?:"(?P<q>[^"]*)"|(?P<u>[^)"]*?))\s*\)'
    r"|(?P<kw>AND|OR|NOT|TRUE|FALSE)\b|(?P<open>\()|(?P<close>\)))",
    re.IGNORECASE,
)


def _bad_rule(pos: int) -> ValidationError:
    return ValidationError(f"AlarmRule is not a valid alarm rule expression (at character {pos + 1}).")


def _name_of(ref: str) -> str:
    return ref.split(":alarm:", 1)[1] if ref.startswith("arn:") and ":alarm:" in ref else ref


def _rule_alarms(rule: str) -> list[str]:
    """The alarm names a rule refers to, in order; ValidationError if it is not a rule."""
    names: list[str] = []
    pos, depth, operand, elements = 0, 0, True, 0
    rule_end = len(rule.rstrip())
    while pos < rule_end:
        m = _TOKEN.match(rule, pos)
        if not m or m.end() == pos:
            raise _bad_rule(pos)
        kw = (m.group("kw") or "").upper()
        if m.group("fn"):
            name = (m.group("q") if m.group("q") is not None else m.group("u") or "").strip()
            if not operand or not name:
                raise _bad_rule(pos)
            names.append(_name_of(name))
            operand, elements = False, elements + 1
        elif kw in ("TRUE", "FALSE"):
            if not operand:
                raise _bad_rule(pos)
            operand, elements = False, elements + 1
        elif kw == "NOT" or m.group("open"):
            if not operand:
                raise _bad_rule(pos)
            if m.group("open"):
                depth, elements = depth + 1, elements + 1
        elif kw in ("AND", "OR"):
            if operand:
                raise _bad_rule(pos)
            operand = True
        else:  # close
            if operand or depth == 0:
                raise _bad_rule(pos)
            depth -= 1
        pos = m.end()
    if operand or depth:
        raise _bad_rule(pos)
    if len(set(names)) > 100 or elements > 500:
        raise ValidationError("AlarmRule can reference at most 100 alarms and have at most 500 elements.")
    return names


def put_composite_alarm(self: Any) -> Any:
    backend = self.cloudwatch_backend
    name = self._get_param("AlarmName")
    rule = self._get_param("AlarmRule") or ""
    suppressor = self._get_param("ActionsSuppressor")
    wait = self._get_param("ActionsSuppressorWaitPeriod")
    extension = self._get_param("ActionsSuppressorExtensionPeriod")
    children = _rule_alarms(rule)
    missing = [c for c in dict.fromkeys(children) if c not in backend.alarms]
    if missing:
        raise ValidationError(
            f"Could not save the composite alarm as alarms [{', '.join(missing)}] in the alarm rule do not exist"
        )
    if suppressor is not None:
        if wait is None or extension is None:
            raise ValidationError(
                "ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod are required "
                "when ActionsSuppressor is specified."
            )
        if _name_of(suppressor) not in backend.alarms:
            raise ValidationError(f"ActionsSuppressor alarm {suppressor} does not exist.")
    existing = backend.alarms.get(name)
    arn = getattr(existing, "alarm_arn", None)
    before = backend.tagger.list_tags_for_resource(arn)["Tags"] if arn else None
    # moto's backend keeps composite alarms as alarms with a rule; its
    # put_metric_alarm handler already reads AlarmRule.
    result = _orig_put_metric_alarm(self)
    alarm = backend.alarms[name]
    alarm.actions_suppressor = suppressor
    alarm.actions_suppressor_wait_period = wait if suppressor is not None else None
    alarm.actions_suppressor_extension_period = extension if suppressor is not None else None
    _keep_members(self, alarm, ("ActionConfiguration",))
    if before is not None:
        # Tags of an update are ignored: put the alarm's own back.
        backend.tagger.delete_all_tags_for_resource(arn)
        if before:
            backend.tagger.tag_resource(arn, before)
    return result


_orig_delete_alarms = CloudWatchResponse.delete_alarms


def delete_alarms(self: Any) -> Any:
    alarms = self.cloudwatch_backend.alarms
    names = self._get_param("AlarmNames", []) or []
    composites = [n for n in names if n in alarms and alarms[n].rule is not None]
    if len(composites) > 1:
        raise ValidationError("DeleteAlarms can delete at most one composite alarm per call.")
    doomed = set(names)
    depended = [
        n
        for n in dict.fromkeys(names)
        if any(
            a.rule is not None and a.name not in doomed and n in _rule_alarms_lenient(a.rule)
            for a in alarms.values()
        )
    ]
    if depended:
        them = "it" if len(depended) == 1 else "them"
        raise ValidationError(
            f"Cannot delete {','.join(depended)} as there are composite alarm(s) depending on {them}."
        )
    return _orig_delete_alarms(self)


def _rule_alarms_lenient(rule: str) -> list[str]:
    try:
        return _rule_alarms(rule)
    except ValidationError:
        return []


def _backend_put_metric_alarm(orig: Any) -> Any:
    """moto refuses every ExtendedStatistic not starting with `p`; AWS takes the
    trimmed, winsorized and other statistics its reference lists. rules.py checks the
    syntax as AWS documents it, so here moto only stores the value."""

    def put_metric_alarm(self: Any, *args: Any, **kwargs: Any) -> Any:
        extended = kwargs.get("extended_statistic")
        if not extended or extended.startswith("p"):
            return orig(self, *args, **kwargs)
        alarm = orig(self, *args, **{**kwargs, "extended_statistic": "p50"})
        alarm.extended_statistic = extended
        return alarm

    return put_metric_alarm


def apply() -> None:
    from moto.cloudwatch.models import CloudWatchBackend

    CloudWatchBackend.put_metric_alarm = _backend_put_metric_alarm(CloudWatchBackend.put_metric_alarm)  # type: ignore[method-assign]
    CloudWatchResponse.describe_alarms = describe_alarms
    CloudWatchResponse.put_metric_alarm = put_metric_alarm
    CloudWatchResponse.put_composite_alarm = put_composite_alarm
    CloudWatchResponse.delete_alarms = delete_alarms
