"""CloudTrail event history added by driftless_emulator/ext_cloudtrail.py: writes
served are recorded as management events; LookupEvents answers as AWS does."""

import datetime as dt
import json

import pytest
from botocore.exceptions import ClientError


def _by_resource(trail, name, **kw):
    return trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": name}], **kw
    )["Events"]


def test_writes_are_recorded_newest_first_and_reads_are_not(client, account):
    logs, trail = client("logs"), client("cloudtrail")
    logs.create_log_group(logGroupName="/trail/app")
    logs.put_retention_policy(logGroupName="/trail/app", retentionInDays=30)
    logs.describe_log_groups(logGroupNamePrefix="/trail/")
    events = _by_resource(trail, "/trail/app")
    assert [e["EventName"] for e in events] == ["PutRetentionPolicy", "CreateLogGroup"]
    newest = events[0]
    assert newest["EventSource"] == "logs.amazonaws.com"
    assert newest["ReadOnly"] == "false"
    assert newest["Username"] == "root"
    assert newest["AccessKeyId"] == account
    assert newest["Resources"] == [{"ResourceType": "AWS::Logs::LogGroup", "ResourceName": "/trail/app"}]
    detail = json.loads(newest["CloudTrailEvent"])
    assert detail["userIdentity"]["arn"] == f"arn:aws:iam::{account}:root"
    assert detail["eventName"] == "PutRetentionPolicy"
    assert detail["sourceIPAddress"] == "127.0.0.1"
    assert "Boto3" in detail["userAgent"] or "botocore" in detail["userAgent"]
    assert isinstance(newest["EventTime"], dt.datetime)


def test_failed_writes_are_not_recorded_and_regions_are_separate(client):
    logs, trail = client("logs"), client("cloudtrail")
    with pytest.raises(ClientError):
        logs.put_retention_policy(logGroupName="/trail/missing", retentionInDays=30)
    assert _by_resource(trail, "/trail/missing") == []
    client("logs", "eu-west-1").create_log_group(logGroupName="/trail/eu")
    assert _by_resource(trail, "/trail/eu") == []
    assert len(_by_resource(client("cloudtrail", "eu-west-1"), "/trail/eu")) == 1


def test_alarm_writes_over_every_protocol_name_the_alarm(client, cbor_client):
    trail = client("cloudtrail")
    for cw, name in ((client("cloudwatch"), "trail-json"), (cbor_client("cloudwatch"), "trail-cbor")):
        cw.put_metric_alarm(
            AlarmName=name, Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
            Period=60, EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold",
        )
        assert [e["EventName"] for e in _by_resource(trail, name)] == ["PutMetricAlarm"]


def test_time_range_paging_and_attribute_rules(client):
    logs, trail = client("logs"), client("cloudtrail")
    for i in range(3):
        logs.create_log_group(logGroupName=f"/trail/page/{i}")
    page = trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateLogGroup"}], MaxResults=2
    )
    assert len(page["Events"]) == 2 and page["NextToken"]
    rest = trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateLogGroup"}],
        MaxResults=2, NextToken=page["NextToken"],
    )
    assert len(rest["Events"]) >= 1
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    assert _by_resource(trail, "/trail/page/0", StartTime=future, EndTime=future + dt.timedelta(hours=1)) == []
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    assert len(_by_resource(trail, "/trail/page/0", StartTime=past)) == 1
    with pytest.raises(ClientError) as e:
        trail.lookup_events(LookupAttributes=[
            {"AttributeKey": "EventName", "AttributeValue": "a"},
            {"AttributeKey": "Username", "AttributeValue": "b"},
        ])
    assert e.value.response["Error"]["Code"] == "InvalidLookupAttributesException"
    with pytest.raises(ClientError) as e:
        trail.lookup_events(StartTime=future, EndTime=future - dt.timedelta(hours=2))
    assert e.value.response["Error"]["Code"] == "InvalidTimeRangeException"


def _keyed(endpoint, service, creds, region="us-east-1"):
    import boto3
    import botocore.config

    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds.get("SessionToken"),
        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def test_an_iam_users_own_keys_name_that_user(client, account, endpoint):
    iam = client("iam")
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    _keyed(endpoint, "logs", key).create_log_group(logGroupName="/trail/alice")
    events = _by_resource(client("cloudtrail"), "/trail/alice")
    assert [e["Username"] for e in events] == ["alice"]
    assert events[0]["AccessKeyId"] == key["AccessKeyId"]
    who = json.loads(events[0]["CloudTrailEvent"])["userIdentity"]
    assert who["type"] == "IAMUser"
    assert who["arn"] == f"arn:aws:iam::{account}:user/alice"
    assert who["accountId"] == account
    assert who["userName"] == "alice"


def test_assumed_role_credentials_name_the_session(client, account, endpoint):
    role_arn = f"arn:aws:iam::{account}:role/ops"
    creds = client("sts").assume_role(RoleArn=role_arn, RoleSessionName="bob-console")["Credentials"]
    _keyed(endpoint, "logs", creds).create_log_group(logGroupName="/trail/bob")
    events = _by_resource(client("cloudtrail"), "/trail/bob")
    assert [e["Username"] for e in events] == ["bob-console"]
    who = json.loads(events[0]["CloudTrailEvent"])["userIdentity"]
    assert who["type"] == "AssumedRole"
    assert who["arn"] == f"arn:aws:sts::{account}:assumed-role/ops/bob-console"
    assert "userName" not in who
