"""Model-driven request validation (driftless_emulator/validation.py, gate.py).

For every operation driftless calls, one valid request (it must get past the
gate: success, or a service error such as not-found, never the validation
error) and invalid ones derived from the model per constraint kind: a missing
required member, a wrong type, an enum value outside the set, a number below
its min / above its max, a string or list too short / too long and a string
breaking its pattern. Requests go through boto3 with client-side validation
off (as the Rust SDK sends them); CloudWatch also through CBOR and awsQuery.
Hand-written cases below cover nested members and the issue's examples.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any, Iterator

import pytest
from botocore.exceptions import ClientError

from driftless_emulator.gate import VALIDATION_ERROR
from driftless_emulator.validation import pattern_matches

ROLE = "arn:aws:iam::123456789012:role/driftless"
TOPIC = "arn:aws:sns:us-east-1:123456789012:ops"
ALARM_ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
VAULT_ARN = "arn:aws:backup:us-east-1:123456789012:backup-vault:vault"
PLAN_ID = "00000000-0000-0000-0000-000000000000"
WINDOW_ID = "mw-0123456789abcdef0"
TARGET_ID = "00000000-0000-0000-0000-000000000001"
BASELINE_ID = "pb-0123456789abcdef0"

ALARM = {
    "AlarmName": "cpu",
    "Namespace": "AWS/EC2",
    "MetricName": "CPUUtilization",
    "Statistic": "Average",
    "Period": 60,
    "EvaluationPeriods": 2,
    "DatapointsToAlarm": 1,
    "Threshold": 80.0,
    "ComparisonOperator": "GreaterThanThreshold",
    "Dimensions": [{"Name": "InstanceId", "Value": "i-0123"}],
    "AlarmActions": [TOPIC],
    "TreatMissingData": "notBreaching",
}
PATCH_RULES = {
    "PatchRules": [
        {
            "PatchFilterGroup": {"PatchFilters": [{"Key": "CLASSIFICATION", "Values": ["Security"]}]},
            "ApproveAfterDays": 7,
            "ComplianceLevel": "HIGH",
        }
    ]
}
PLAN = {
    "BackupPlanName": "daily",
    "Rules": [
        {
            "RuleName": "daily",
            "TargetBackupVaultName": "vault",
            "ScheduleExpression": "cron(0 5 ? * * *)",
            "StartWindowMinutes": 60,
            "CompletionWindowMinutes": 180,
            "Lifecycle": {"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 120},
        }
    ],
}
SELECTION = {"SelectionName": "tagged", "IamRoleArn": ROLE, "Resources": ["*"]}

# (service, operation, a valid request) for every operation driftless calls.
VALID: list[tuple[str, str, dict[str, Any]]] = [
    ("cloudwatch", "PutMetricAlarm", ALARM),
    ("cloudwatch", "DescribeAlarms", {"AlarmNames": ["cpu"], "MaxRecords": 100, "AlarmTypes": ["MetricAlarm"]}),
    ("cloudwatch", "DeleteAlarms", {"AlarmNames": ["cpu"]}),
    ("cloudwatch", "ListTagsForResource", {"ResourceARN": ALARM_ARN}),
    ("cloudwatch", "TagResource", {"ResourceARN": ALARM_ARN, "Tags": [{"Key": "team", "Value": "ops"}]}),
    ("cloudwatch", "UntagResource", {"ResourceARN": ALARM_ARN, "TagKeys": ["team"]}),
    ("logs", "CreateLogGroup", {"logGroupName": "/app/x", "logGroupClass": "STANDARD", "tags": {"team": "ops"}}),
    ("logs", "DeleteLogGroup", {"logGroupName": "/app/none"}),
    ("logs", "DescribeLogGroups", {"logGroupNamePrefix": "/app", "limit": 50}),
    ("logs", "PutRetentionPolicy", {"logGroupName": "/app/none", "retentionInDays": 7}),
    ("logs", "DeleteRetentionPolicy", {"logGroupName": "/app/none"}),
    ("logs", "AssociateKmsKey", {"logGroupName": "/app/none", "kmsKeyId": KEY}),
    ("logs", "DisassociateKmsKey", {"logGroupName": "/app/none"}),
    ("logs", "ListTagsForResource", {"resourceArn": "arn:aws:logs:us-east-1:123456789012:log-group:/app/x"}),
    ("logs", "TagResource", {"resourceArn": "arn:aws:logs:us-east-1:123456789012:log-group:/app/x", "tags": {"a": "b"}}),
    ("logs", "UntagResource", {"resourceArn": "arn:aws:logs:us-east-1:123456789012:log-group:/app/x", "tagKeys": ["a"]}),
    ("logs", "PutMetricFilter", {"logGroupName": "/app/none", "filterName": "f", "filterPattern": "", "metricTransformations": [{"metricName": "m", "metricNamespace": "n", "metricValue": "1"}]}),
    ("logs", "DescribeMetricFilters", {"logGroupName": "/app/none", "limit": 50}),
    ("logs", "DeleteMetricFilter", {"logGroupName": "/app/none", "filterName": "f"}),
    ("ssm", "CreatePatchBaseline", {"Name": "base", "OperatingSystem": "AMAZON_LINUX_2023", "ApprovalRules": PATCH_RULES}),
    ("ssm", "GetPatchBaseline", {"BaselineId": BASELINE_ID}),
    ("ssm", "UpdatePatchBaseline", {"BaselineId": BASELINE_ID, "Description": "d", "Replace": True}),
    ("ssm", "DeletePatchBaseline", {"BaselineId": BASELINE_ID}),
    ("ssm", "DescribePatchBaselines", {"Filters": [{"Key": "OWNER", "Values": ["Self"]}], "MaxResults": 100}),
    ("ssm", "DescribePatchGroups", {"MaxResults": 100}),
    ("ssm", "RegisterPatchBaselineForPatchGroup", {"BaselineId": BASELINE_ID, "PatchGroup": "web"}),
    ("ssm", "DeregisterPatchBaselineForPatchGroup", {"BaselineId": BASELINE_ID, "PatchGroup": "web"}),
    ("ssm", "RegisterDefaultPatchBaseline", {"BaselineId": BASELINE_ID}),
    ("ssm", "CreateMaintenanceWindow", {"Name": "patch-mw", "Schedule": "cron(0 2 ? * SUN *)", "Duration": 3, "Cutoff": 1, "AllowUnassociatedTargets": False}),
    ("ssm", "GetMaintenanceWindow", {"WindowId": WINDOW_ID}),
    ("ssm", "UpdateMaintenanceWindow", {"WindowId": WINDOW_ID, "Duration": 4}),
    ("ssm", "DeleteMaintenanceWindow", {"WindowId": WINDOW_ID}),
    ("ssm", "DescribeMaintenanceWindows", {"Filters": [{"Key": "Name", "Values": ["mw"]}], "MaxResults": 50}),
    ("ssm", "DescribeMaintenanceWindowTargets", {"WindowId": WINDOW_ID, "MaxResults": 50}),
    ("ssm", "DescribeMaintenanceWindowTasks", {"WindowId": WINDOW_ID, "MaxResults": 50}),
    ("ssm", "RegisterTargetWithMaintenanceWindow", {"WindowId": WINDOW_ID, "ResourceType": "INSTANCE", "Targets": [{"Key": "tag:Patch", "Values": ["yes"]}]}),
    ("ssm", "DeregisterTargetFromMaintenanceWindow", {"WindowId": WINDOW_ID, "WindowTargetId": TARGET_ID}),
    ("ssm", "UpdateMaintenanceWindowTarget", {"WindowId": WINDOW_ID, "WindowTargetId": TARGET_ID, "Name": "targets"}),
    ("ssm", "RegisterTaskWithMaintenanceWindow", {"WindowId": WINDOW_ID, "TaskArn": "AWS-RunPatchBaseline", "TaskType": "RUN_COMMAND", "Targets": [{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}], "MaxConcurrency": "1", "MaxErrors": "1"}),
    ("ssm", "GetMaintenanceWindowTask", {"WindowId": WINDOW_ID, "WindowTaskId": TARGET_ID}),
    ("ssm", "UpdateMaintenanceWindowTask", {"WindowId": WINDOW_ID, "WindowTaskId": TARGET_ID, "Priority": 2}),
    ("ssm", "DeregisterTaskFromMaintenanceWindow", {"WindowId": WINDOW_ID, "WindowTaskId": TARGET_ID}),
    ("ssm", "ListTagsForResource", {"ResourceType": "MaintenanceWindow", "ResourceId": WINDOW_ID}),
    ("ssm", "AddTagsToResource", {"ResourceType": "MaintenanceWindow", "ResourceId": WINDOW_ID, "Tags": [{"Key": "a", "Value": "b"}]}),
    ("ssm", "RemoveTagsFromResource", {"ResourceType": "MaintenanceWindow", "ResourceId": WINDOW_ID, "TagKeys": ["a"]}),
    ("backup", "CreateBackupVault", {"BackupVaultName": "vault2", "BackupVaultTags": {"a": "b"}}),
    ("backup", "DescribeBackupVault", {"BackupVaultName": "vault"}),
    ("backup", "DeleteBackupVault", {"BackupVaultName": "none"}),
    ("backup", "ListBackupVaults", {"MaxResults": 1000}),
    ("backup", "CreateBackupPlan", {"BackupPlan": PLAN, "CreatorRequestId": "r1"}),
    ("backup", "GetBackupPlan", {"BackupPlanId": PLAN_ID}),
    ("backup", "UpdateBackupPlan", {"BackupPlanId": PLAN_ID, "BackupPlan": PLAN}),
    ("backup", "DeleteBackupPlan", {"BackupPlanId": PLAN_ID}),
    ("backup", "ListBackupPlans", {"MaxResults": 1000}),
    ("backup", "CreateBackupSelection", {"BackupPlanId": PLAN_ID, "BackupSelection": SELECTION}),
    ("backup", "GetBackupSelection", {"BackupPlanId": PLAN_ID, "SelectionId": TARGET_ID}),
    ("backup", "ListBackupSelections", {"BackupPlanId": PLAN_ID, "MaxResults": 1000}),
    ("backup", "DeleteBackupSelection", {"BackupPlanId": PLAN_ID, "SelectionId": TARGET_ID}),
    ("backup", "ListTags", {"ResourceArn": VAULT_ARN}),
    ("backup", "TagResource", {"ResourceArn": VAULT_ARN, "Tags": {"a": "b"}}),
    ("backup", "UntagResource", {"ResourceArn": VAULT_ARN, "TagKeyList": ["a"]}),
    ("backup", "ListRecoveryPointsByBackupVault", {"BackupVaultName": "vault"}),
    ("resourcegroupstaggingapi", "GetResources", {"ResourcesPerPage": 100, "TagFilters": [{"Key": "driftless.dev/managed-by", "Values": ["driftless"]}]}),
    ("sts", "GetCallerIdentity", {}),
    ("sts", "AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "driftless"}),
    ("sns", "Publish", {"TopicArn": TOPIC, "Message": "hello", "Subject": "driftless"}),
]


def _call(c, operation: str, params: dict[str, Any]):
    return getattr(c, _method(c, operation))(**params)


def _method(c, operation: str) -> str:
    for method, api in c.meta.method_to_api_mapping.items():
        if api == operation:
            return method
    raise KeyError(operation)


def _refusal(c, service: str, operation: str, params: dict[str, Any]) -> str | None:
    """The validation message, or None if the request got past the gate."""
    try:
        _call(c, operation, params)
    except ClientError as e:
        if e.response["Error"]["Code"] == VALIDATION_ERROR[service]:
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            return e.response["Error"]["Message"]
    return None


# Every wire protocol a service's model offers is exercised where the Rust SDK
# may use another than botocore's default: CloudWatch speaks rpcv2Cbor from the
# Rust SDK (and awsQuery from older clients), the tagging API rpcv2Cbor.
WIRES = {
    "cloudwatch": ("json", "smithy-rpc-v2-cbor", "query"),
    "resourcegroupstaggingapi": ("json", "smithy-rpc-v2-cbor"),
}


def _wires(service: str) -> tuple[str, ...]:
    return WIRES.get(service, ("default",))


@pytest.fixture
def unchecked(client, cbor_client, query_client):
    """boto3 without client-side validation (as the Rust SDK sends requests),
    over the given wire protocol."""

    def factory(service: str, wire: str = "default", **kw):
        make = {"smithy-rpc-v2-cbor": cbor_client, "query": query_client}.get(wire, client)
        c = make(service, parameter_validation=False, **kw)
        if wire != "default":
            assert c.meta.service_model.resolved_protocol == wire
        if service == "backup":
            c.create_backup_vault(BackupVaultName="vault")
        return c

    return factory


VALID_WIRES = [(s, o, p, w) for s, o, p in VALID for w in _wires(s)]


@pytest.mark.parametrize(
    "service,operation,params,wire", VALID_WIRES, ids=[f"{s}.{o}-{w}" for s, o, _, w in VALID_WIRES]
)
def test_valid_request_passes(unchecked, service, operation, params, wire):
    c = unchecked(service, wire)
    assert _refusal(c, service, operation, copy.deepcopy(params)) is None


# ------------------------------------------------ invalid requests from the model

TOO_LONG = 100_000


def _bad_pattern_value(shape) -> str | None:
    pattern = shape.metadata["pattern"]
    lo, hi = shape.metadata.get("min", 0), shape.metadata.get("max", TOO_LONG)
    for candidate in ("!", "#%", " ", "-", "a", "1", "\u00e9\u00e9\u00e9"):
        value = (candidate * max(lo, 1))[: max(hi, 1)]
        if lo <= len(value) <= hi and not pattern_matches(pattern, value):
            return value
    return None


def mutations(shape, params: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(kind, broken request, expected message fragment) per top-level constraint."""
    for name, member in shape.members.items():
        if member.serialization.get("location") == "uri":
            continue  # part of the path, cannot be broken without a different route
        path = name[:1].lower() + name[1:]
        meta, t = member.metadata, member.type_name

        def with_(value: Any) -> dict[str, Any]:
            return {**params, name: value}

        if name in shape.required_members and name in params:
            yield "required", {k: v for k, v in params.items() if k != name}, f"at '{path}' failed to satisfy constraint: Member must not be null"
        if t in ("integer", "long"):
            yield "type", with_("not-a-number"), f"at '{path}' failed to satisfy constraint: Member must be of type"
            if "min" in meta:
                yield "min", with_(int(meta["min"]) - 1), f"at '{path}' failed to satisfy constraint: Member must have value greater than or equal to {int(meta['min'])}"
            if "max" in meta:
                yield "max", with_(int(meta["max"]) + 1), f"at '{path}' failed to satisfy constraint: Member must have value less than or equal to {int(meta['max'])}"
        if t == "string":
            if member.enum:
                yield "enum", with_("NOT_IN_THE_SET"), f"Value 'NOT_IN_THE_SET' at '{path}' failed to satisfy constraint: Member must satisfy enum value set: ["
                continue
            if meta.get("min", 0) >= 1:
                yield "min-length", with_(""), f"at '{path}' failed to satisfy constraint: Member must have length greater than or equal to {meta['min']}"
            if "max" in meta and meta["max"] < TOO_LONG:
                yield "max-length", with_("a" * (meta["max"] + 1)), f"at '{path}' failed to satisfy constraint: Member must have length less than or equal to {meta['max']}"
            if "pattern" in meta:
                bad = _bad_pattern_value(member)
                if bad is not None:
                    yield "pattern", with_(bad), f"at '{path}' failed to satisfy constraint: Member must satisfy regular expression pattern"
        if t == "list" and params.get(name):
            if "max" in meta and meta["max"] <= 200:
                yield "list-max", with_(params[name] * (meta["max"] + 1)), f"at '{path}' failed to satisfy constraint: Member must have length less than or equal to {meta['max']}"
            if meta.get("min", 0) >= 1:
                yield "list-min", with_([]), f"at '{path}' failed to satisfy constraint: Member must have length greater than or equal to {meta['min']}"


def _invalid_cases() -> list[tuple[str, str, str, dict[str, Any], str]]:
    import botocore.session

    session = botocore.session.get_session()
    cases = []
    for service, operation, params in VALID:
        shape = session.get_service_model(service).operation_model(operation).input_shape
        if shape is None:
            continue
        for kind, broken, fragment in mutations(shape, params):
            cases.append((service, operation, kind, broken, fragment))
    return cases


INVALID = [(*case, w) for case in _invalid_cases() for w in _wires(case[0])]


def test_every_constraint_kind_is_exercised():
    kinds = {kind for _, _, kind, _, _, _ in INVALID}
    assert {"required", "type", "enum", "min", "max", "min-length", "max-length", "pattern", "list-max"} <= kinds


@pytest.mark.parametrize(
    "service,operation,kind,params,fragment,wire",
    INVALID,
    ids=[f"{s}.{o}-{k}-{w}-{i}" for i, (s, o, k, _, _, w) in enumerate(INVALID)],
)
def test_invalid_request_refused(unchecked, endpoint, account, service, operation, kind, params, fragment, wire):
    if wire == "smithy-rpc-v2-cbor" and kind == "type":
        # botocore's CBOR serialiser cannot even encode a string for an integer
        message = _raw_cbor_refusal(endpoint, account, service, operation, params)
    else:
        message = _refusal(unchecked(service, wire), service, operation, copy.deepcopy(params))
    assert message is not None, f"{service}.{operation} accepted a request breaking {kind}"
    assert "validation error" in message and "detected: " in message
    assert fragment in message


SIGNING_NAMES = {"cloudwatch": "monitoring", "resourcegroupstaggingapi": "tagging"}


def _raw_cbor_refusal(endpoint: str, account: str, service: str, operation: str, params: dict[str, Any]) -> str | None:
    """Sends `params` as a SigV4-signed rpcv2Cbor request, as the Rust SDK would."""
    import urllib.error
    import urllib.request

    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    import botocore.session
    import cbor2

    prefix = botocore.session.get_session().get_service_model(service).metadata["targetPrefix"]
    url = f"{endpoint}/service/{prefix}/operation/{operation}"
    data = cbor2.dumps(params)
    headers = {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor", "Accept": "application/cbor"}
    req = botocore.awsrequest.AWSRequest(method="POST", url=url, data=data, headers=headers)
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(account, "testing"), SIGNING_NAMES[service], "us-east-1").add_auth(req)
    raw = urllib.request.Request(url, data=data, method="POST", headers=dict(req.prepare().headers))
    try:
        with urllib.request.urlopen(raw, timeout=10):
            return None
    except urllib.error.HTTPError as e:
        doc = cbor2.loads(e.read())
        assert e.code == 400 and e.headers["smithy-protocol"] == "rpc-v2-cbor"
        if service == "cloudwatch":  # query-compatible: the query code in a header
            assert doc["__type"] == "ValidationException"
            assert e.headers["x-amzn-query-error"] == "ValidationError;Sender"
        else:
            assert doc["__type"] == VALIDATION_ERROR[service]
        return doc.get("message")


# ----------------------------------------------------------- hand-written cases

CW_PROTOCOLS = ["json", "smithy-rpc-v2-cbor", "query"]


@pytest.fixture(params=CW_PROTOCOLS)
def cw(request, client, cbor_client, query_client):
    factory = {"json": client, "smithy-rpc-v2-cbor": cbor_client, "query": query_client}[request.param]
    c = factory("cloudwatch", parameter_validation=False)
    assert c.meta.service_model.resolved_protocol == request.param
    return c


def _error(fn, **params) -> dict[str, Any]:
    with pytest.raises(ClientError) as e:
        fn(**params)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return e.value.response["Error"]


def test_comparison_operator_bigger(cw):
    err = _error(cw.put_metric_alarm, **{**ALARM, "ComparisonOperator": "Bigger"})
    assert err["Code"] == "ValidationError"
    assert err["Message"].startswith(
        "1 validation error detected: Value 'Bigger' at 'comparisonOperator' failed to satisfy constraint: "
        "Member must satisfy enum value set: [GreaterThanOrEqualToThreshold, GreaterThanThreshold"
    )
    assert cw.describe_alarms()["MetricAlarms"] == []


def test_several_violations_in_one_message(cw):
    err = _error(cw.put_metric_alarm, **{**ALARM, "ComparisonOperator": "Bigger", "EvaluationPeriods": 0, "AlarmName": ""})
    assert err["Message"].startswith("3 validation errors detected: ")
    for path in ("alarmName", "evaluationPeriods", "comparisonOperator"):
        assert f"at '{path}'" in err["Message"]


def test_nested_members_are_checked(cw):
    dims = [{"Name": "", "Value": "x"}]
    err = _error(cw.put_metric_alarm, **{**ALARM, "Dimensions": dims})
    assert "at 'dimensions.1.member.name'" in err["Message"]
    metrics = [{"Id": "m1", "MetricStat": {"Metric": {"MetricName": "Errors", "Namespace": "AWS/Lambda"}, "Period": 60, "Stat": "Sum"}, "AccountId": "x" * 256}]
    alarm = {k: v for k, v in ALARM.items() if k not in ("MetricName", "Namespace", "Statistic", "Period", "Dimensions")}
    err = _error(cw.put_metric_alarm, **{**alarm, "Metrics": metrics})
    assert "at 'metrics.1.member.accountId'" in err["Message"]


def test_missing_required_member(cw):
    alarm = {k: v for k, v in ALARM.items() if k != "AlarmName"}
    err = _error(cw.put_metric_alarm, **alarm)
    assert "Value null at 'alarmName' failed to satisfy constraint: Member must not be null" in err["Message"]


def test_ssm_nested_enums(unchecked):
    ssm = unchecked("ssm")
    rules = copy.deepcopy(PATCH_RULES)
    rules["PatchRules"][0]["PatchFilterGroup"]["PatchFilters"][0]["Key"] = "NOT_A_KEY"
    err = _error(ssm.create_patch_baseline, Name="b", OperatingSystem="TEMPLEOS", ApprovalRules=rules)
    assert err["Code"] == "ValidationException"
    assert "Value 'TEMPLEOS' at 'operatingSystem'" in err["Message"]
    assert "Value 'NOT_A_KEY' at 'approvalRules.patchRules.1.member.patchFilterGroup.patchFilters.1.member.key'" in err["Message"]
    rules = copy.deepcopy(PATCH_RULES)
    rules["PatchRules"][0]["ApproveAfterDays"] = 9999
    err = _error(ssm.create_patch_baseline, Name="b", ApprovalRules=rules)
    assert "Member must have value less than or equal to 360" in err["Message"]


def test_ssm_task_type_and_window_duration(unchecked):
    ssm = unchecked("ssm")
    err = _error(ssm.create_maintenance_window, Name="mw", Schedule="rate(1 day)", Duration=99, Cutoff=1, AllowUnassociatedTargets=False)
    assert "Value '99' at 'duration' failed to satisfy constraint: Member must have value less than or equal to 24" in err["Message"]
    err = _error(ssm.register_task_with_maintenance_window, WindowId=WINDOW_ID, TaskArn="x", TaskType="BANANA")
    assert "Value 'BANANA' at 'taskType'" in err["Message"]


def test_logs_group_class(unchecked):
    err = _error(unchecked("logs").create_log_group, logGroupName="/x", logGroupClass="SUPER")
    assert err["Code"] == "InvalidParameterException"
    assert "Value 'SUPER' at 'logGroupClass'" in err["Message"]


def test_backup_nested_and_map_members(unchecked):
    backup = unchecked("backup")
    plan = copy.deepcopy(PLAN)
    plan["Rules"][0]["RuleName"] = "bad name!"
    err = _error(backup.create_backup_plan, BackupPlan=plan)
    assert err["Code"] == "InvalidParameterValueException"
    assert "at 'backupPlan.rules.1.member.ruleName'" in err["Message"]
    err = _error(backup.create_backup_vault, BackupVaultName="v")  # a path (uri) member
    assert "at 'backupVaultName'" in err["Message"]


def test_tagging_and_sns_and_sts_codes(unchecked):
    err = _error(unchecked("resourcegroupstaggingapi").get_resources, ResourcesPerPage="x")
    assert err["Code"] == "InvalidParameterException"
    err = _error(unchecked("sns").publish, TopicArn=TOPIC)
    assert err["Code"] == "InvalidParameter" and "at 'message'" in err["Message"]
    err = _error(unchecked("sts").assume_role, RoleArn=ROLE, RoleSessionName="has spaces")
    assert err["Code"] == "ValidationError" and "at 'roleSessionName'" in err["Message"]


def test_query_maps_and_nested_required_members(unchecked):
    """awsQuery maps (`MessageAttributes.entry.N.Name` / `.Value.DataType`) are
    unflattened per the model before they are checked."""
    sns = unchecked("sns")
    attributes = {"team": {"DataType": "String", "StringValue": "ops"}}
    err = _error(sns.publish, TopicArn=TOPIC, Message="m", MessageAttributes={"team": {"StringValue": "ops"}})
    assert err["Code"] == "InvalidParameter"
    assert "Value null at 'messageAttributes.team.dataType' failed to satisfy constraint: Member must not be null" in err["Message"]
    with pytest.raises(ClientError) as e:  # valid: past the gate, then moto's not-found
        sns.publish(TopicArn=TOPIC, Message="m", MessageAttributes=attributes)
    assert "validation error" not in e.value.response["Error"]["Message"]


def test_tagging_over_cbor(cbor_client):
    tagging = cbor_client("resourcegroupstaggingapi", parameter_validation=False)
    err = _error(tagging.get_resources, TagFilters=[{"Key": "k"}] * 51)
    assert err["Code"] == "InvalidParameterException"
    assert "at 'tagFilters' failed to satisfy constraint: Member must have length less than or equal to 50" in err["Message"]


def test_timestamps_and_doubles_are_not_type_errors(unchecked):
    ssm = unchecked("ssm")
    rules = copy.deepcopy(PATCH_RULES)
    rules["PatchRules"][0].pop("ApproveAfterDays")
    rules["PatchRules"][0]["ApproveUntilDate"] = "2026-12-31"
    ssm.create_patch_baseline(Name="dated", OperatingSystem="AMAZON_LINUX_2023", ApprovalRules={"PatchRules": [{**rules["PatchRules"][0], "PatchFilterGroup": {"PatchFilters": [{"Key": "SEVERITY", "Values": ["Critical"]}]}}]})
    cw = unchecked("cloudwatch")
    cw.put_metric_alarm(**{**ALARM, "Threshold": 1})  # an integral double
    assert dt.datetime  # (timestamps are checked by type only)
