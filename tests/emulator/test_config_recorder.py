"""AWS Config configuration recorders and delivery channels: what moto refuses as AWS
does, and what ext_config_recorder.py adds."""

import botocore.exceptions
import pytest

ROLE = "arn:aws:iam::111111111111:role/config"
GROUP = {"allSupported": False, "resourceTypes": ["AWS::SNS::Topic"]}


def _code(e):
    return e.value.response["Error"]["Code"]


def _recorder(cfg, name="default", **extra):
    cfg.put_configuration_recorder(
        ConfigurationRecorder={"name": name, "roleARN": ROLE, "recordingGroup": GROUP, **extra.pop("recorder", {})},
        **extra,
    )


def _bucket(client, name):
    client("s3").create_bucket(Bucket=name)
    return name


def test_one_recorder_per_region_and_a_channel_only_after_it(client):
    cfg = client("config")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "x-config"})
    assert _code(e) == "NoAvailableConfigurationRecorderException"
    _recorder(cfg)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        _recorder(cfg, "second")
    assert _code(e) == "MaxNumberOfConfigurationRecordersExceededException"


def test_start_needs_a_channel_and_a_recording_channel_is_not_deleted(client):
    cfg = client("config")
    _recorder(cfg)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.start_configuration_recorder(ConfigurationRecorderName="default")
    assert _code(e) == "NoAvailableDeliveryChannelException"
    bucket = _bucket(client, "recorder-start-bucket")
    cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
    cfg.start_configuration_recorder(ConfigurationRecorderName="default")
    status = cfg.describe_configuration_recorder_status()["ConfigurationRecordersStatus"][0]
    assert status["recording"] is True
    assert status["lastStatus"] == "Pending"
    assert status["arn"].startswith("arn:aws:config:us-east-1:")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.delete_delivery_channel(DeliveryChannelName="default")
    assert _code(e) == "LastDeliveryChannelDeleteFailedException"
    cfg.stop_configuration_recorder(ConfigurationRecorderName="default")
    cfg.delete_delivery_channel(DeliveryChannelName="default")
    cfg.delete_configuration_recorder(ConfigurationRecorderName="default")
    assert cfg.describe_configuration_recorders()["ConfigurationRecorders"] == []


def test_role_name_and_service_principal_are_checked(client):
    cfg = client("config")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.put_configuration_recorder(ConfigurationRecorder={"name": "default", "recordingGroup": GROUP})
    assert _code(e) == "InvalidRoleException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        _recorder(cfg, "AWSConfigurationRecorderForMine")
    assert _code(e) == "InvalidConfigurationRecorderNameException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        _recorder(cfg, recorder={"servicePrincipal": "config.amazonaws.com"})
    assert _code(e) == "UnmodifiableEntityException"
    assert cfg.describe_configuration_recorders()["ConfigurationRecorders"] == []


def test_recording_mode_is_kept_and_defaults_to_continuous(client):
    cfg = client("config")
    _recorder(cfg)
    got = cfg.describe_configuration_recorders()["ConfigurationRecorders"][0]
    assert got["recordingMode"] == {"recordingFrequency": "CONTINUOUS", "recordingModeOverrides": []}
    assert "status" not in got
    mode = {"recordingFrequency": "DAILY", "recordingModeOverrides": [
        {"description": "alarms", "resourceTypes": ["AWS::CloudWatch::Alarm"], "recordingFrequency": "CONTINUOUS"}]}
    _recorder(cfg, recorder={"recordingMode": mode})
    got = cfg.describe_configuration_recorders(ConfigurationRecorderNames=["default"])["ConfigurationRecorders"][0]
    assert got["recordingMode"] == mode
    with pytest.raises(botocore.exceptions.ClientError) as e:
        _recorder(cfg, recorder={"recordingMode": {"recordingFrequency": "WEEKLY"}})
    assert _code(e) == "ValidationException"


def test_unknown_resource_types_are_refused(client):
    cfg = client("config")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.put_configuration_recorder(ConfigurationRecorder={
            "name": "default", "roleARN": ROLE,
            "recordingGroup": {"allSupported": False, "resourceTypes": ["AWS::CloudWatch::Alarms"]}})
    assert _code(e) == "ValidationException"


def test_tags_are_added_at_creation_and_changed_by_tagging(client):
    cfg = client("config")
    _recorder(cfg, Tags=[{"Key": "team", "Value": "ops"}])
    arn = cfg.describe_configuration_recorders()["ConfigurationRecorders"][0]["arn"]
    _recorder(cfg, Tags=[{"Key": "team", "Value": "other"}])
    assert cfg.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ops"}]
    cfg.tag_resource(ResourceArn=arn, Tags=[{"Key": "cost", "Value": "1"}])
    cfg.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert cfg.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "cost", "Value": "1"}]


def test_the_channel_bucket_and_topic_must_exist(client):
    cfg = client("config")
    _recorder(cfg)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "recorder-no-such-bucket"})
    assert _code(e) == "NoSuchBucketException"
    bucket = _bucket(client, "recorder-channel-bucket")
    topic = client("sns").create_topic(Name="config-topic")["TopicArn"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.put_delivery_channel(DeliveryChannel={
            "name": "default", "s3BucketName": bucket, "snsTopicARN": topic + "-gone"})
    assert _code(e) == "InvalidSNSTopicARNException"
    channel = {"name": "default", "s3BucketName": bucket, "s3KeyPrefix": "config", "snsTopicARN": topic,
               "configSnapshotDeliveryProperties": {"deliveryFrequency": "Six_Hours"}}
    cfg.put_delivery_channel(DeliveryChannel=channel)
    assert cfg.describe_delivery_channels()["DeliveryChannels"] == [channel]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.put_delivery_channel(DeliveryChannel={**channel, "name": "second"})
    assert _code(e) == "MaxNumberOfDeliveryChannelsExceededException"
