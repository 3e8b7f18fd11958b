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
