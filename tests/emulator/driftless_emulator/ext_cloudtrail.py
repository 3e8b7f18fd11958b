"""CloudTrail management events for the writes the emulator serves, and LookupEvents.

moto 5.2.5's CloudTrail keeps trails but records no API call and has no
LookupEvents. Here every write request to another service - any operation that is
not a Describe/List/Get/BatchGet read, and not a data-plane call CloudTrail keeps out
of event history (`DATA_EVENTS`) - becomes a management event in its account and
region, as CloudTrail's event history keeps them, whether it succeeded or not: a
write refused (by validation, the rate quotas or an injected fault) or failed is
recorded with the `errorCode` and `errorMessage` it was answered with ("If the request
returns an error, the event includes errorCode and errorMessage", CloudTrail record
contents, https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).

Each event: event id, name, time, source as AWS names it (`EVENT_SOURCES`:
`monitoring.amazonaws.com` for CloudWatch), read-only false, the access key, the
caller as CloudTrail's `userIdentity` names it (an IAM user's ARN
`arn:aws:iam::<account>:user/<name>` for a key made with IAM CreateAccessKey, the
session ARN `arn:aws:sts::<account>:assumed-role/<role>/<session>` for AssumeRole
credentials, and otherwise the account's root `arn:aws:iam::<account>:root`, since a
12-digit access key names an account here, not a user), the resources the request
names with their CloudFormation-style types (a vault is `AWS::Backup::BackupVault`, a
plan `AWS::Backup::BackupPlan`), and the full CloudTrailEvent JSON with
sourceIPAddress, userAgent, `requestParameters` (the request's members in
lowerCamelCase, sensitive ones `HIDDEN_DUE_TO_SECURITY_REASONS`) and
`responseElements` (the answer's members, null when it has none or failed).
`POST /moto-api/reset` clears the history (`TRAIL.reset`).

LookupEvents answers as AWS does: at most one LookupAttribute (ResourceName,
EventName, Username, EventSource, ReadOnly, AccessKeyId, EventId,
ResourceType), StartTime/EndTime, newest first, MaxResults 1..50 (default 50)
with NextToken, the last 90 days only; more than one attribute is
InvalidLookupAttributesException, an unknown key InvalidLookupAttributesException,
StartTime after EndTime InvalidTimeRangeException, a NextToken this history did not
hand out for the same parameters InvalidNextTokenException.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import threading
import uuid
from typing import Any

import cbor2

from . import models, request_params

READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "LookupEvents")
NOT_RECORDED = {"cloudtrail", "sts", "unknown"}
# Data-plane calls that CloudTrail does not put in event history (they are data
# events, logged only by trails that select them): CloudWatch Logs "PutLogEvents"
# (CloudWatch Logs user guide, "Logging Amazon CloudWatch Logs API calls in AWS
# CloudTrail": data events such as PutLogEvents are not logged as management events),
# SNS "Publish" and "PublishBatch" (SNS developer guide, "Logging Amazon SNS API calls
# using AWS CloudTrail": "Amazon SNS data events ... Publish, PublishBatch"), and
# CloudWatch "PutMetricData" (CloudWatch user guide, "Logging Amazon CloudWatch API and
# console operations with AWS CloudTrail": data events).
DATA_EVENTS = {
    ("logs", "PutLogEvents"),
    ("sns", "Publish"),
    ("sns", "PublishBatch"),
    ("cloudwatch", "PutMetricData"),
}
# eventSource as CloudTrail names each service ("the service that the request was
# made to", e.g. CloudWatch's monitoring.amazonaws.com).
EVENT_SOURCES = {
    "cloudwatch": "monitoring.amazonaws.com",
    "resourcegroupstaggingapi": "tagging.amazonaws.com",
}
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
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
    return (
        service not in NOT_RECORDED
        and (service, operation) not in DATA_EVENTS
        and not operation.startswith(READ_PREFIXES)
    )


def event_source(service: str) -> str:
    return EVENT_SOURCES.get(service, f"{service}.amazonaws.com")


# The CloudFormation-style resource type of each request member that names a
# resource, per service (and, for SSM's generic members, per operation).
_TYPES_BY_KEY = {
    "logGroupName": "AWS::Logs::LogGroup",
    "AlarmName": "AWS::CloudWatch::Alarm",
    "AlarmNames": "AWS::CloudWatch::Alarm",
    "BaselineId": "AWS::SSM::PatchBaseline",
    "WindowId": "AWS::SSM::MaintenanceWindow",
    "BackupVaultName": "AWS::Backup::BackupVault",
    "BackupPlanId": "AWS::Backup::BackupPlan",
    "RecoveryPointArn": "AWS::Backup::RecoveryPoint",
}
_SSM_TAG_TYPES = {"PatchBaseline": "AWS::SSM::PatchBaseline", "MaintenanceWindow": "AWS::SSM::MaintenanceWindow"}
_ARN_TYPES = (
    (re.compile(r"^arn:[^:]+:logs:[^:]*:[^:]*:log-group:"), "AWS::Logs::LogGroup"),
    (re.compile(r"^arn:[^:]+:cloudwatch:[^:]*:[^:]*:alarm:"), "AWS::CloudWatch::Alarm"),
    (re.compile(r"^arn:[^:]+:backup:[^:]*:[^:]*:backup-vault:"), "AWS::Backup::BackupVault"),
    (re.compile(r"^arn:[^:]+:backup:[^:]*:[^:]*:backup-plan:"), "AWS::Backup::BackupPlan"),
    (re.compile(r"^arn:[^:]+:backup:[^:]*:[^:]*:recovery-point:"), "AWS::Backup::RecoveryPoint"),
    (re.compile(r"^arn:[^:]+:ssm:[^:]*:[^:]*:patchbaseline/"), "AWS::SSM::PatchBaseline"),
    (re.compile(r"^arn:[^:]+:ssm:[^:]*:[^:]*:maintenancewindow/"), "AWS::SSM::MaintenanceWindow"),
    (re.compile(r"^arn:[^:]+:sns:"), "AWS::SNS::Topic"),
)
_NAME_TYPES = {
    ("ssm", "CreatePatchBaseline"): "AWS::SSM::PatchBaseline",
    ("ssm", "CreateMaintenanceWindow"): "AWS::SSM::MaintenanceWindow",
}


def _arn_type(arn: str) -> str:
    for pattern, rtype in _ARN_TYPES:
        if pattern.match(arn):
            return rtype
    return "AWS::Unknown"


def resources(service: str, operation: str, params: dict[str, Any]) -> list[dict[str, str]]:
    """The resources a write names, with their types, in the order of NAME_KEYS."""
    out: list[dict[str, str]] = []

    def add(rtype: str, name: Any) -> None:
        if isinstance(name, str) and name:
            out.append({"ResourceType": rtype, "ResourceName": name})

    for key in NAME_KEYS:
        value = params.get(key)
        values = value if isinstance(value, list) else [value]
        for v in values:
            if key in _TYPES_BY_KEY:
                add(_TYPES_BY_KEY[key], v)
            elif key == "Name":
                add(_NAME_TYPES.get((service, operation), "AWS::Unknown"), v)
            elif key == "ResourceId":
                add(_SSM_TAG_TYPES.get(params.get("ResourceType") or "", "AWS::Unknown"), v)
            elif isinstance(v, str):
                add(_arn_type(v), v)
    return out


def _lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:] if name[:1].isupper() else name


def _jsonable(shape: Any, value: Any) -> Any:
    """A request or response value as CloudTrail writes it: structure members in
    lowerCamelCase, sensitive values hidden, timestamps ISO 8601, blobs base64."""
    if shape is not None and shape.metadata.get("sensitive"):
        return HIDDEN
    kind = shape.type_name if shape is not None else None
    if kind == "structure" and isinstance(value, dict):
        return {
            _lower_camel(k): _jsonable(shape.members.get(k), v) for k, v in value.items() if v is not None
        }
    if kind == "list" and isinstance(value, list):
        return [_jsonable(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {str(k): _jsonable(shape.value, v) for k, v in value.items()}
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).strftime("%b %d, %Y, %I:%M:%S %p")
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict):
        return {_lower_camel(str(k)): _jsonable(None, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(None, v) for v in value]
    return value


_BOTOCORE_PROTOCOLS = {"json": "json", "query": "query", "rest-json": "rest-json"}


def _response_elements(info: Any, op: Any, status: int, headers: list, out: bytes) -> Any:
    """The answer's output members (None when the operation has no output)."""
    shape = op.output_shape
    if shape is None or not shape.members:
        return None
    if info.protocol == "cbor":
        doc = cbor2.loads(out) if out else {}
    else:
        from botocore import parsers

        protocol = _BOTOCORE_PROTOCOLS.get(info.protocol)
        if protocol is None:
            return None
        parsed = parsers.create_parser(protocol).parse(
            {"body": out, "headers": {k: v for k, v in headers}, "status_code": status}, shape
        )
        doc = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
    return _jsonable(shape, doc) or None


_QUERY_CODE = re.compile(r"<Code>(.*?)</Code>", re.S)
_QUERY_MESSAGE = re.compile(r"<Message>(.*?)</Message>", re.S)


def error_of(info: Any, headers: list, out: bytes) -> tuple[str, str]:
    """(errorCode, errorMessage) of an error answer in the request's protocol."""
    header = {k.lower(): v for k, v in headers}
    code, message = "", ""
    try:
        if info.protocol == "query":
            text = out.decode("utf-8", "replace")
            m, n = _QUERY_CODE.search(text), _QUERY_MESSAGE.search(text)
            code, message = (m.group(1) if m else ""), (n.group(1) if n else "")
        else:
            doc = cbor2.loads(out) if info.protocol == "cbor" and out else json.loads(out or b"{}")
            code = str(header.get("x-amzn-errortype") or doc.get("__type") or doc.get("code") or "")
            message = str(doc.get("message") or doc.get("Message") or "")
    except Exception:
        pass
    code = code.split(":", 1)[0].rsplit("#", 1)[-1]
    query = header.get("x-amzn-query-error")
    if query:  # a query-compatible service: CloudTrail shows the awsQuery code
        code = query.split(";", 1)[0]
    return code or "InternalFailure", message


def record(
    info: Any, environ: dict, body: bytes, account: str, status: int, headers: list, out: bytes
) -> None:
    """Records the request and its answer as an event, when CloudTrail would."""
    if not is_write(info.service, info.operation):
        return
    try:
        op = models.service_model(info.service).operation_model(info.operation)
    except Exception:
        op = None
    params = (request_params.parse(info.protocol, op, environ, body) if op is not None else None) or {}
    # The event goes to the caller's account: an IAM user's or a role session's key
    # is moto's, not a 12-digit account key.
    who = identity(account, info.access_key)
    failed = status >= 300
    detail_extra: dict[str, Any] = {
        "requestParameters": _jsonable(op.input_shape if op is not None else None, params) or None,
        "responseElements": None,
    }
    if failed:
        code, message = error_of(info, headers, out)
        detail_extra = {"errorCode": code, "errorMessage": message, **detail_extra}
    elif op is not None:
        try:
            detail_extra["responseElements"] = _response_elements(info, op, status, headers, out)
        except Exception:  # an answer the parser cannot read is recorded without it
            detail_extra["responseElements"] = None
    event = _event(info, environ, who, event_source(info.service), resources(info.service, info.operation, params), detail_extra)
    TRAIL.add(who["accountId"], info.region, event)


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


def _event(
    info: Any, environ: dict, who: dict[str, str], source: str, named: list[dict[str, str]], extra: dict[str, Any]
) -> dict[str, Any]:
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
        **extra,
    }
    return {
        "EventId": event_id,
        "EventName": info.operation,
        "ReadOnly": "false",
        "AccessKeyId": info.access_key or "",
        "EventTime": now.timestamp(),
        "EventSource": source,
        "Username": who["userName"],
        "Resources": named,
        "CloudTrailEvent": json.dumps(detail),
    }


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


def _attribute_length(value: str) -> int:
    """AttributeValue: "The maximum length for the AttributeValue is 2000 characters.
    The following characters ('_', ' ', ',', '\\n') count as two characters towards
    the 2000 character limit." (API_LookupAttribute)"""
    return len(value) + sum(value.count(c) for c in ("_", " ", ",", "\n"))


def _token_key(params: dict[str, Any]) -> str:
    """NextToken: "This token must be passed in with the same parameters that were
    specified in the original call" - a token is bound to them."""
    rest = {k: v for k, v in params.items() if k not in ("NextToken", "MaxResults")}
    return hashlib.sha256(json.dumps(rest, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _token(params: dict[str, Any], offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "k": _token_key(params)}).encode()).decode()


def _offset(params: dict[str, Any]) -> int:
    token = params.get("NextToken")
    if token is None:
        return 0
    try:
        doc = json.loads(base64.urlsafe_b64decode(str(token).encode()))
        offset = doc["o"]
        if doc["k"] == _token_key(params) and isinstance(offset, int) and offset >= 0:
            return offset
    except Exception:
        pass
    raise LookupError_("InvalidNextTokenException", "Invalid NextToken.")


def lookup(account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    attributes = params.get("LookupAttributes") or []
    if not isinstance(attributes, list) or len(attributes) > 1:
        raise LookupError_("InvalidLookupAttributesException", "You cannot specify more than one lookup attribute.")
    for a in attributes:
        if not isinstance(a, dict) or a.get("AttributeKey") not in ATTRIBUTE_KEYS:
            key = a.get("AttributeKey") if isinstance(a, dict) else a
            raise LookupError_(
                "InvalidLookupAttributesException",
                f"Invalid attribute key: {key}. Valid keys: {', '.join(ATTRIBUTE_KEYS)}",
            )
        value = a.get("AttributeValue")
        if not isinstance(value, str) or not 1 <= _attribute_length(value) <= 2000:
            raise LookupError_(
                "InvalidLookupAttributesException",
                "The AttributeValue must be 1 to 2000 characters long ('_', ' ', ',' and newlines count twice).",
            )
    category = params.get("EventCategory")
    if category is not None and category != "insight":
        raise LookupError_("InvalidEventCategoryException", f"Invalid event category: {category}. Valid value: insight")
    now = dt.datetime.now(dt.timezone.utc)
    try:
        start = _time(params.get("StartTime")) or now - RETENTION
        end = _time(params.get("EndTime")) or now
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise LookupError_("InvalidTimeRangeException", "StartTime and EndTime must be timestamps.") from exc
    if start > end:
        raise LookupError_("InvalidTimeRangeException", "Start time must be before end time.")
    start = max(start, now - RETENTION)
    max_results = params.get("MaxResults")
    if max_results is None:
        max_results = 50
    if isinstance(max_results, bool) or not isinstance(max_results, int) or not 1 <= max_results <= 50:
        raise LookupError_("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
    offset = _offset(params)
    if category == "insight":  # the emulator records no Insights events
        return {"Events": []}
    found = [
        e
        for e in reversed(TRAIL.events(account, region))
        if start.timestamp() <= e["EventTime"] <= end.timestamp()
        and all(_matches(e, a["AttributeKey"], a.get("AttributeValue", "")) for a in attributes)
    ]
    page = found[offset : offset + max_results]
    out: dict[str, Any] = {"Events": page}
    if offset + max_results < len(found):
        out["NextToken"] = _token(params, offset + max_results)
    return out


def lookup_events(self: Any) -> Any:
    """CloudTrailResponse.lookup_events."""
    from moto.core.exceptions import JsonRESTError

    try:
        params = json.loads(self.body or "{}")
    except ValueError as exc:
        raise JsonRESTError("SerializationException", "The request body is not valid JSON.") from exc
    if not isinstance(params, dict):
        raise JsonRESTError("SerializationException", "The request body must be a JSON object.")

    try:
        return json.dumps(lookup(self.current_account, self.region, params))
    except LookupError_ as e:
        raise JsonRESTError(e.code, e.message) from e


def apply() -> None:
    from moto.cloudtrail.responses import CloudTrailResponse

    CloudTrailResponse.lookup_events = lookup_events  # type: ignore[attr-defined]
