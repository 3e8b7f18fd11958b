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


def test_failed_and_refused_writes_are_recorded_with_their_error(client):
    """CloudTrail record contents: "If the request returns an error, the event
    includes errorCode and errorMessage"."""
    logs, trail = client("logs"), client("cloudtrail")
    with pytest.raises(ClientError):  # moto: the group does not exist
        logs.put_retention_policy(logGroupName="/trail/missing", retentionInDays=30)
    with pytest.raises(ClientError):  # the gate: not one of the fixed retention values
        client("logs", parameter_validation=False).put_retention_policy(
            logGroupName="/trail/missing", retentionInDays=2
        )
    events = _by_resource(trail, "/trail/missing")
    assert [e["EventName"] for e in events] == ["PutRetentionPolicy", "PutRetentionPolicy"]
    refused, failed = (json.loads(e["CloudTrailEvent"]) for e in events)
    assert refused["errorCode"] == "InvalidParameterException", refused
    assert refused["errorMessage"]
    assert failed["errorCode"] == "ResourceNotFoundException", failed
    assert failed["responseElements"] is None


def test_regions_are_separate(client):
    trail = client("cloudtrail")
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
    from conftest import create_role

    role_arn = create_role(endpoint, account, "ops", trusted=account)
    creds = client("sts").assume_role(RoleArn=role_arn, RoleSessionName="bob-console")["Credentials"]
    _keyed(endpoint, "logs", creds).create_log_group(logGroupName="/trail/bob")
    events = _by_resource(client("cloudtrail"), "/trail/bob")
    assert [e["Username"] for e in events] == ["bob-console"]
    who = json.loads(events[0]["CloudTrailEvent"])["userIdentity"]
    assert who["type"] == "AssumedRole"
    assert who["arn"] == f"arn:aws:sts::{account}:assumed-role/ops/bob-console"
    assert "userName" not in who


def test_event_sources_resource_types_and_parameters_as_aws_records_them(client):
    cw, backup, trail = client("cloudwatch"), client("backup"), client("cloudtrail")
    cw.put_metric_alarm(
        AlarmName="trail-src", Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
        Period=60, EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold",
    )
    (event,) = _by_resource(trail, "trail-src")
    assert event["EventSource"] == "monitoring.amazonaws.com"
    detail = json.loads(event["CloudTrailEvent"])
    assert detail["eventSource"] == "monitoring.amazonaws.com"
    assert detail["requestParameters"]["alarmName"] == "trail-src"
    assert detail["requestParameters"]["threshold"] == 1.0
    assert detail["responseElements"] is None
    assert "errorCode" not in detail
    backup.create_backup_vault(BackupVaultName="trail-vault")
    (event,) = _by_resource(trail, "trail-vault")
    assert event["Resources"] == [{"ResourceType": "AWS::Backup::BackupVault", "ResourceName": "trail-vault"}]
    detail = json.loads(event["CloudTrailEvent"])
    assert detail["responseElements"]["backupVaultName"] == "trail-vault"
    assert detail["responseElements"]["backupVaultArn"].endswith(":backup-vault:trail-vault")
    assert _by_resource(trail, "AWS::Backup::BackupVault") == []
    typed = trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "ResourceType", "AttributeValue": "AWS::Backup::BackupVault"}]
    )["Events"]
    assert [e["EventName"] for e in typed] == ["CreateBackupVault"]


def test_sensitive_parameters_are_hidden(client):
    backup, trail = client("backup"), client("cloudtrail")
    backup.create_backup_vault(BackupVaultName="trail-tags", BackupVaultTags={"team": "ops"})
    (event,) = _by_resource(trail, "trail-tags")
    params = json.loads(event["CloudTrailEvent"])["requestParameters"]
    assert params["backupVaultTags"] == "HIDDEN_DUE_TO_SECURITY_REASONS"


def test_data_plane_calls_are_not_in_event_history(client):
    logs, sns, trail = client("logs"), client("sns"), client("cloudtrail")
    logs.create_log_group(logGroupName="/trail/data")
    logs.create_log_stream(logGroupName="/trail/data", logStreamName="s")
    logs.put_log_events(
        logGroupName="/trail/data", logStreamName="s", logEvents=[{"timestamp": 1, "message": "m"}]
    )
    topic = sns.create_topic(Name="trail-data")["TopicArn"]
    sns.publish(TopicArn=topic, Message="hello")
    names = {
        e["EventName"]
        for e in trail.lookup_events(MaxResults=50)["Events"]
    }
    assert "PutLogEvents" not in names and "Publish" not in names
    assert {"CreateLogGroup", "CreateLogStream", "CreateTopic"} <= names


def test_bad_next_token_and_other_lookup_input(client):
    trail = client("cloudtrail")
    for token in ("garbage", "eyJvIjogMiwgImsiOiAiMDAifQ=="):
        with pytest.raises(ClientError) as e:
            trail.lookup_events(NextToken=token)
        assert e.value.response["Error"]["Code"] == "InvalidNextTokenException"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    logs = client("logs")
    for i in range(3):
        logs.create_log_group(logGroupName=f"/trail/token/{i}")
    page = trail.lookup_events(MaxResults=1)
    # A token is bound to the parameters it was handed out with.
    with pytest.raises(ClientError) as e:
        trail.lookup_events(
            MaxResults=1, NextToken=page["NextToken"],
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateLogGroup"}],
        )
    assert e.value.response["Error"]["Code"] == "InvalidNextTokenException"
    assert trail.lookup_events(MaxResults=1, NextToken=page["NextToken"])["Events"]
    raw = client("cloudtrail", parameter_validation=False)
    # "The following characters ('_', ' ', ',', '\n') count as two characters towards
    # the 2000 character limit."
    trail.lookup_events(LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": "a" * 2000}])
    with pytest.raises(ClientError) as e:
        raw.lookup_events(LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": "_" * 1001}])
    assert e.value.response["Error"]["Code"] == "InvalidLookupAttributesException"
    for bad in (0, 51):
        with pytest.raises(ClientError) as e:
            raw.lookup_events(MaxResults=bad)
        assert e.value.response["Error"]["Code"] == "InvalidMaxResultsException"
    with pytest.raises(ClientError) as e:
        raw.lookup_events(EventCategory="management")
    assert e.value.response["Error"]["Code"] in ("InvalidEventCategoryException", "ValidationException")


def test_moto_api_reset_clears_the_history(client, endpoint):
    import urllib.request

    client("logs").create_log_group(logGroupName="/trail/reset")
    assert _by_resource(client("cloudtrail"), "/trail/reset")
    req = urllib.request.Request(endpoint + "/moto-api/reset", method="POST", data=b"")
    urllib.request.urlopen(req).read()
    assert _by_resource(client("cloudtrail"), "/trail/reset") == []
