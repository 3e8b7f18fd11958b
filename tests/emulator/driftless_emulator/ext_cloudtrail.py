"""CloudTrail management events for the writes the emulator serves, and LookupEvents.

moto 5.2.5's CloudTrail keeps trails but records no API call and has no
LookupEvents. Here every successful (2xx) write request to another service -
any operation that is not a Describe/List/Get/BatchGet read - becomes a
management event in its account and region, as CloudTrail's event history
keeps them: event id, name, time, source (`logs.amazonaws.com`), read-only
false, the access key, the caller as CloudTrail's `userIdentity` names it (an
IAM user's ARN `arn:aws:iam::<account>:user/<name>` for a key made with IAM
CreateAccessKey, the session ARN `arn:aws:sts::<account>:assumed-role/<role>/<session>`
for AssumeRole credentials, and otherwise the account's root
`arn:aws:iam::<account>:root`, since a 12-digit access key names an account
here, not a user), the resources the request names
(log group, alarm, window, baseline, vault, plan names and ARNs), and the
full CloudTrailEvent JSON with sourceIPAddress and userAgent.

LookupEvents answers as AWS does: at most one LookupAttribute (ResourceName,
EventName, Username, EventSource, ReadOnly, AccessKeyId, EventId,
ResourceType), StartTime/EndTime, newest first, MaxResults 1..50 (default 50)
with NextToken, the last 90 days only; more than one attribute is
InvalidLookupAttributesException, an unknown key InvalidLookupAttributesException,
StartTime after EndTime InvalidTimeRangeException.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from typing import Any, Callable

from . import models, request_params

READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "LookupEvents")
NOT_RECORDED = {"cloudtrail", "sts", "unknown"}
# Request members that name the resource a write is about, in the order tried.
NAME_KEYS = (
    "logGroupName",
    "AlarmName",
    "AlarmNames",
    "Name",
    "BaselineId",
    "WindowId",
    "BackupVaultName",
    "BackupPlanId",
    "resourceArn",
    "ResourceARN",
    "ResourceArn",
    "ResourceARNList",
    "ResourceId",
)
ATTRIBUTE_KEYS = (
    "EventId",
    "EventName",
    "ReadOnly",
    "Username",
    "ResourceType",
    "ResourceName",
    "EventSource",
    "AccessKeyId",
)
RETENTION = dt.timedelta(days=90)


class Trail:
    """Every recorded event, per (account, region), oldest first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def add(self, account: str, region: str, event: dict[str, Any]) -> None:
        with self._lock:
            self._events.setdefault((account, region), []).append(event)

    def events(self, account: str, region: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._events.get((account, region), []))

    def reset(self) -> None:
        with self._lock:
            self._events.clear()


TRAIL = Trail()


def is_write(service: str, operation: str) -> bool:
    return service not in NOT_RECORDED and not operation.startswith(READ_PREFIXES)


def _resource_names(info: Any, environ: dict, body: bytes) -> list[str]:
    try:
        op = models.service_model(info.service).operation_model(info.operation)
    except Exception:
        return []
    params = request_params.parse(info.protocol, op, environ, body) or {}
    names: list[str] = []
    for key in NAME_KEYS:
        value = params.get(key)
        if isinstance(value, str) and value:
            names.append(value)
        elif isinstance(value, list):
            names.extend(v for v in value if isinstance(v, str) and v)
    return names


def recorder(info: Any, environ: dict, body: bytes, account: str) -> Callable | None:
    """A start_response wrapper that records the request as an event when it
    succeeds, or None for requests CloudTrail would not record here."""
    if not is_write(info.service, info.operation):
        return None
    names = _resource_names(info, environ, body)
    source = f"{info.service}.amazonaws.com"
    if info.service == "resourcegroupstaggingapi":
        source = "tagging.amazonaws.com"

    def wrap(start_response: Callable) -> Callable:
        def recording(status: str, headers: list, exc_info: Any = None) -> Callable:
            if status[:1] == "2":
                # The event goes to the caller's account: an IAM user's or a role
                # session's key is moto's, not a 12-digit account key.
                who = identity(account, info.access_key)
                TRAIL.add(who["accountId"], info.region, _event(info, environ, who, source, names))
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return recording

    return wrap


def identity(account: str, access_key: str | None) -> dict[str, str]:
    """CloudTrail's userIdentity of the caller with `access_key` (see the module
    doc), with `userName` for the event's Username."""
    key = access_key or ""
    if key:
        from moto.iam.models import iam_backends
        from moto.sts.models import sts_backends

        for acct, partitions in list(iam_backends.items()):
            for backend in list(partitions.values()):
                for user in list(backend.users.values()):
                    if any(k.access_key_id == key for k in user.access_keys):
                        return {
                            "type": "IAMUser",
                            "principalId": user.id,
                            "arn": user.arn,
                            "accountId": acct,
                            "accessKeyId": key,
                            "userName": user.name,
                        }
        for acct, partitions in list(sts_backends.items()):
            for partition, backend in list(partitions.items()):
                for role in list(backend.assumed_roles):
                    if role.access_key_id == key:
                        role_name = role.role_arn.split("/")[-1]
                        return {
                            "type": "AssumedRole",
                            "principalId": f"{role_name}:{role.session_name}",
                            "arn": f"arn:{partition}:sts::{acct}:assumed-role/{role_name}/{role.session_name}",
                            "accountId": acct,
                            "accessKeyId": key,
                            "userName": role.session_name,
                        }
    return {
        "type": "Root",
        "principalId": account,
        "arn": f"arn:aws:iam::{account}:root",
        "accountId": account,
        "accessKeyId": key,
        "userName": "root",
    }


def _event(info: Any, environ: dict, who: dict[str, str], source: str, names: list[str]) -> dict[str, Any]:
    # CloudTrail's event times are whole seconds.
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    event_id = str(uuid.uuid4())
    account = who["accountId"]
    detail = {
        "eventVersion": "1.08",
        "userIdentity": {k: v for k, v in who.items() if k != "userName" or who["type"] == "IAMUser"},
        "eventTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": info.operation,
        "awsRegion": info.region,
        "sourceIPAddress": environ.get("REMOTE_ADDR", ""),
        "userAgent": environ.get("HTTP_USER_AGENT", ""),
        "requestID": str(uuid.uuid4()),
        "eventID": event_id,
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }
    return {
        "EventId": event_id,
        "EventName": info.operation,
        "ReadOnly": "false",
        "AccessKeyId": info.access_key or "",
        "EventTime": now.timestamp(),
        "EventSource": source,
        "Username": who["userName"],
        "Resources": [{"ResourceType": _resource_type(info.service, n), "ResourceName": n} for n in names],
        "CloudTrailEvent": json.dumps(detail),
    }


def _resource_type(service: str, name: str) -> str:
    return {
        "logs": "AWS::Logs::LogGroup",
        "cloudwatch": "AWS::CloudWatch::Alarm",
        "backup": "AWS::Backup::BackupPlan",
        "ssm": "AWS::SSM::PatchBaseline" if name.startswith("pb-") else "AWS::SSM::MaintenanceWindow",
    }.get(service, "AWS::Unknown")


class LookupError_(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _time(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(float(value), dt.timezone.utc)
    text = str(value)
    try:
        return dt.datetime.fromtimestamp(float(text), dt.timezone.utc)
    except ValueError:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _matches(event: dict[str, Any], key: str, value: str) -> bool:
    if key == "ResourceName":
        return any(r["ResourceName"] == value for r in event["Resources"])
    if key == "ResourceType":
        return any(r["ResourceType"] == value for r in event["Resources"])
    return str(event.get(key, "")) == value


def lookup(account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    attributes = params.get("LookupAttributes") or []
    if len(attributes) > 1:
        raise LookupError_("InvalidLookupAttributesException", "You cannot specify more than one lookup attribute.")
    for a in attributes:
        if a.get("AttributeKey") not in ATTRIBUTE_KEYS:
            raise LookupError_(
                "InvalidLookupAttributesException",
                f"Invalid attribute key: {a.get('AttributeKey')}. Valid keys: {', '.join(ATTRIBUTE_KEYS)}",
            )
    now = dt.datetime.now(dt.timezone.utc)
    start = _time(params.get("StartTime")) or now - RETENTION
    end = _time(params.get("EndTime")) or now
    if start > end:
        raise LookupError_("InvalidTimeRangeException", "Start time must be before end time.")
    start = max(start, now - RETENTION)
    max_results = int(params.get("MaxResults") or 50)
    if not 1 <= max_results <= 50:
        raise LookupError_("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
    found = [
        e
        for e in reversed(TRAIL.events(account, region))
        if start.timestamp() <= e["EventTime"] <= end.timestamp()
        and all(_matches(e, a["AttributeKey"], a.get("AttributeValue", "")) for a in attributes)
    ]
    offset = int(params.get("NextToken") or 0)
    page = found[offset : offset + max_results]
    out: dict[str, Any] = {"Events": page}
    if offset + max_results < len(found):
        out["NextToken"] = str(offset + max_results)
    return out


def lookup_events(self: Any) -> Any:
    """CloudTrailResponse.lookup_events."""
    params = json.loads(self.body or "{}")
    from moto.core.exceptions import JsonRESTError

    try:
        return json.dumps(lookup(self.current_account, self.region, params))
    except LookupError_ as e:
        raise JsonRESTError(e.code, e.message) from e


def apply() -> None:
    from moto.cloudtrail.responses import CloudTrailResponse

    CloudTrailResponse.lookup_events = lookup_events  # type: ignore[attr-defined]
