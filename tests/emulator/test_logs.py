"""CloudWatch Logs strictness added by driftless_emulator/ext_logs.py."""

import pytest
from botocore.exceptions import ClientError

from driftless_emulator.ext_logs import VALID_RETENTION_DAYS


def test_valid_retention_days_accepted(client):
    logs = client("logs")
    logs.create_log_group(logGroupName="/driftless/ok")
    for days in VALID_RETENTION_DAYS:
        logs.put_retention_policy(logGroupName="/driftless/ok", retentionInDays=days)
    group = logs.describe_log_groups(logGroupNamePrefix="/driftless/ok")["logGroups"][0]
    assert group["retentionInDays"] == 3653


@pytest.mark.parametrize("days", [0, 2, 4, 8, 31, 366, 3650, 4000])
def test_invalid_retention_days_rejected(client, days):
    logs = client("logs")
    logs.create_log_group(logGroupName="/driftless/bad")
    with pytest.raises(ClientError) as e:
        logs.put_retention_policy(logGroupName="/driftless/bad", retentionInDays=days)
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    group = logs.describe_log_groups(logGroupNamePrefix="/driftless/bad")["logGroups"][0]
    assert "retentionInDays" not in group


KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _group(logs, name):
    return logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]


def test_log_group_class_is_stored_and_returned(client):
    logs = client("logs")
    logs.create_log_group(logGroupName="/driftless/ia", logGroupClass="INFREQUENT_ACCESS")
    logs.create_log_group(logGroupName="/driftless/std")
    assert _group(logs, "/driftless/ia")["logGroupClass"] == "INFREQUENT_ACCESS"
    assert _group(logs, "/driftless/std")["logGroupClass"] == "STANDARD"


def test_delivery_groups_keep_events_one_day(client):
    logs = client("logs")
    logs.create_log_group(logGroupName="/driftless/delivery", logGroupClass="DELIVERY")
    group = _group(logs, "/driftless/delivery")
    assert group["logGroupClass"] == "DELIVERY" and group["retentionInDays"] == 1
    for call in (
        lambda: logs.put_retention_policy(logGroupName="/driftless/delivery", retentionInDays=7),
        lambda: logs.delete_retention_policy(logGroupName="/driftless/delivery"),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    assert _group(logs, "/driftless/delivery")["retentionInDays"] == 1


def test_associate_and_disassociate_kms_key(client):
    logs = client("logs")
    logs.create_log_group(logGroupName="/driftless/key")
    assert "kmsKeyId" not in _group(logs, "/driftless/key")
    logs.associate_kms_key(logGroupName="/driftless/key", kmsKeyId=KEY)
    assert _group(logs, "/driftless/key")["kmsKeyId"] == KEY
    logs.disassociate_kms_key(logGroupName="/driftless/key")
    assert "kmsKeyId" not in _group(logs, "/driftless/key")
    with pytest.raises(ClientError) as e:
        logs.associate_kms_key(logGroupName="/driftless/none", kmsKeyId=KEY)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_deletion_protection_is_kept_and_refuses_delete(client):
    logs = client("logs")
    logs.create_log_group(logGroupName="/kept", deletionProtectionEnabled=True)
    logs.create_log_group(logGroupName="/plain")
    assert _group(logs, "/kept")["deletionProtectionEnabled"] is True
    assert _group(logs, "/plain")["deletionProtectionEnabled"] is False
    with pytest.raises(ClientError) as e:
        logs.delete_log_group(logGroupName="/kept")
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert "deletion protection enabled" in e.value.response["Error"]["Message"]
    logs.put_log_group_deletion_protection(logGroupIdentifier="/kept", deletionProtectionEnabled=False)
    assert _group(logs, "/kept")["deletionProtectionEnabled"] is False
    logs.delete_log_group(logGroupName="/kept")
    logs.put_log_group_deletion_protection(logGroupIdentifier="/plain", deletionProtectionEnabled=True)
    assert _group(logs, "/plain")["deletionProtectionEnabled"] is True


POLICY = {
    "Name": "data-protection-policy",
    "Version": "2021-06-01",
    "Statement": [
        {
            "Sid": "audit-policy",
            "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],
            "Operation": {"Audit": {"FindingsDestination": {}}},
        },
        {
            "Sid": "redact-policy",
            "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],
            "Operation": {"Deidentify": {"MaskConfig": {}}},
        },
    ],
}


def test_data_protection_policy_put_get_delete(client):
    import json

    logs = client("logs")
    logs.create_log_group(logGroupName="/pii")
    document = json.dumps(POLICY)
    out = logs.put_data_protection_policy(logGroupIdentifier="/pii", policyDocument=document)
    assert out["policyDocument"] == document and out["logGroupIdentifier"] == "/pii"
    got = logs.get_data_protection_policy(logGroupIdentifier="/pii")
    assert got["policyDocument"] == document
    assert _group(logs, "/pii")["dataProtectionStatus"] == "ACTIVATED"
    logs.delete_data_protection_policy(logGroupIdentifier="/pii")
    assert "policyDocument" not in logs.get_data_protection_policy(logGroupIdentifier="/pii")
    assert "dataProtectionStatus" not in _group(logs, "/pii")


@pytest.mark.parametrize("document", ["not json", None])
def test_data_protection_policy_refuses_what_aws_refuses(client, document):
    import json

    logs = client("logs")
    logs.create_log_group(logGroupName="/pii")
    if document is None:
        bad = json.loads(json.dumps(POLICY))
        bad["Statement"][1]["DataIdentifier"] = ["arn:aws:dataprotection::aws:data-identifier/Address"]
        document = json.dumps(bad)
    with pytest.raises(ClientError) as e:
        logs.put_data_protection_policy(logGroupIdentifier="/pii", policyDocument=document)
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        logs.put_data_protection_policy(logGroupIdentifier="/missing", policyDocument=json.dumps(POLICY))
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
