"""AWS Config rules on the emulator: CUSTOM_POLICY rules, remediation
configurations (ext_config_rules.py) and evaluations (ext_config_eval.py)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError


def _code(e: ClientError) -> str:
    return e.response["Error"]["Code"]


def _retention_rule(cfg, name="log-retention", params=None, scope=None):
    rule = {
        "ConfigRuleName": name,
        "Source": {"Owner": "AWS", "SourceIdentifier": "CW_LOGGROUP_RETENTION_PERIOD_CHECK"},
        "InputParameters": json.dumps(params if params is not None else {"MinRetentionTime": "365"}),
    }
    if scope:
        rule["Scope"] = scope
    cfg.put_config_rule(ConfigRule=rule)


def _record(client):
    cfg = client("config")
    bucket = f"config-{cfg.meta.config.user_agent_extra or ''}{id(cfg)}"
    client("s3").create_bucket(Bucket=bucket)
    cfg.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": "arn:aws:iam::123456789012:role/config",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": False}})
    cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
    cfg.start_configuration_recorder(ConfigurationRecorderName="default")
    return cfg


def test_remediation_configurations_put_describe_delete(client):
    cfg = client("config")
    _retention_rule(cfg)
    remediation = {
        "ConfigRuleName": "log-retention",
        "TargetType": "SSM_DOCUMENT",
        "TargetId": "AWSConfigRemediation-SetCloudWatchLogGroupRetention",
        "Parameters": {
            "LogGroupName": {"ResourceValue": {"Value": "RESOURCE_ID"}},
            "RetentionInDays": {"StaticValue": {"Values": ["365"]}},
        },
        "Automatic": True,
        "MaximumAutomaticAttempts": 3,
        "RetryAttemptSeconds": 60,
    }
    out = cfg.put_remediation_configurations(RemediationConfigurations=[remediation])
    assert out["FailedBatches"] == []
    got = cfg.describe_remediation_configurations(ConfigRuleNames=["log-retention", "other"])
    [r] = got["RemediationConfigurations"]
    assert r["TargetId"] == remediation["TargetId"]
    assert r["Parameters"] == remediation["Parameters"]
    assert (r["Automatic"], r["MaximumAutomaticAttempts"], r["RetryAttemptSeconds"]) == (True, 3, 60)
    assert ":remediation-configuration/log-retention/" in r["Arn"]
    cfg.delete_remediation_configuration(ConfigRuleName="log-retention")
    assert cfg.describe_remediation_configurations(ConfigRuleNames=["log-retention"])["RemediationConfigurations"] == []
    with pytest.raises(ClientError) as e:
        cfg.delete_remediation_configuration(ConfigRuleName="log-retention")
    assert _code(e.value) == "NoSuchRemediationConfigurationException"


def test_a_remediation_without_its_rule_fails_in_its_batch(client):
    cfg = client("config")
    out = cfg.put_remediation_configurations(RemediationConfigurations=[{
        "ConfigRuleName": "missing", "TargetType": "SSM_DOCUMENT", "TargetId": "AWS-PublishSNSNotification"}])
    [failed] = out["FailedBatches"]
    assert "missing" in failed["FailureMessage"]
    assert cfg.describe_remediation_configurations(ConfigRuleNames=["missing"])["RemediationConfigurations"] == []


def test_a_parameter_is_one_kind_of_value_and_the_model_bounds_attempts(client):
    cfg = client("config")
    _retention_rule(cfg)
    base = {"ConfigRuleName": "log-retention", "TargetType": "SSM_DOCUMENT", "TargetId": "AWS-PublishSNSNotification"}
    with pytest.raises(ClientError) as e:
        cfg.put_remediation_configurations(RemediationConfigurations=[dict(base, Parameters={
            "X": {"ResourceValue": {"Value": "RESOURCE_ID"}, "StaticValue": {"Values": ["a"]}}})])
    assert _code(e.value) == "InvalidParameterValueException"
    with pytest.raises(ClientError) as e:
        cfg.put_remediation_configurations(RemediationConfigurations=[dict(base, MaximumAutomaticAttempts=26)])
    assert _code(e.value) == "ValidationException"


def test_deleting_a_rule_deletes_its_remediation(client):
    cfg = client("config")
    _retention_rule(cfg)
    cfg.put_remediation_configurations(RemediationConfigurations=[{
        "ConfigRuleName": "log-retention", "TargetType": "SSM_DOCUMENT", "TargetId": "AWS-PublishSNSNotification"}])
    cfg.delete_config_rule(ConfigRuleName="log-retention")
    _retention_rule(cfg)
    assert cfg.describe_remediation_configurations(ConfigRuleNames=["log-retention"])["RemediationConfigurations"] == []


def test_custom_policy_rules_keep_their_policy(client):
    cfg = client("config")
    policy = "rule retention { configuration.retentionInDays >= 365 }"
    cfg.put_config_rule(ConfigRule={
        "ConfigRuleName": "guard",
        "Source": {"Owner": "CUSTOM_POLICY",
                   "SourceDetails": [{"EventSource": "aws.config", "MessageType": "ConfigurationItemChangeNotification"}],
                   "CustomPolicyDetails": {"PolicyRuntime": "guard-2.x.x", "PolicyText": policy}}})
    [rule] = cfg.describe_config_rules(ConfigRuleNames=["guard"])["ConfigRules"]
    assert rule["Source"]["Owner"] == "CUSTOM_POLICY"
    assert rule["Source"]["CustomPolicyDetails"]["PolicyText"] == policy
    with pytest.raises(ClientError) as e:
        cfg.put_config_rule(ConfigRule={"ConfigRuleName": "guard2", "Source": {
            "Owner": "CUSTOM_POLICY",
            "SourceDetails": [{"EventSource": "aws.config", "MessageType": "ConfigurationItemChangeNotification"}]}})
    assert _code(e.value) == "InvalidParameterValueException"


def test_managed_rules_are_checked_against_the_catalogue(client):
    cfg = client("config")
    with pytest.raises(ClientError) as e:
        _retention_rule(cfg, params={"minRetentionTime": "365"})
    assert _code(e.value) == "InvalidParameterValueException"
    with pytest.raises(ClientError) as e:
        cfg.put_config_rule(ConfigRule={"ConfigRuleName": "x", "Source": {"Owner": "AWS", "SourceIdentifier": "NO_SUCH_RULE"}})
    assert _code(e.value) == "InvalidParameterValueException"


def _details(cfg, rule):
    out = cfg.get_compliance_details_by_config_rule(ConfigRuleName=rule)["EvaluationResults"]
    return {r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"]: r["ComplianceType"] for r in out}


def test_log_group_retention_is_evaluated_while_recording(client):
    logs = client("logs")
    logs.create_log_group(logGroupName="short")
    logs.put_retention_policy(logGroupName="short", retentionInDays=30)
    logs.create_log_group(logGroupName="long")
    logs.put_retention_policy(logGroupName="long", retentionInDays=400)
    logs.create_log_group(logGroupName="forever")
    cfg = client("config")
    _retention_rule(cfg)
    assert _details(cfg, "log-retention") == {}, "nothing is evaluated while no recorder records"
    assert cfg.describe_compliance_by_config_rule(ConfigRuleNames=["log-retention"])["ComplianceByConfigRules"][0][
        "Compliance"]["ComplianceType"] == "INSUFFICIENT_DATA"
    _record(client)
    assert _details(cfg, "log-retention") == {"short": "NON_COMPLIANT", "long": "COMPLIANT", "forever": "COMPLIANT"}
    [c] = cfg.describe_compliance_by_config_rule(ConfigRuleNames=["log-retention"])["ComplianceByConfigRules"]
    assert c["Compliance"]["ComplianceType"] == "NON_COMPLIANT"
    assert c["Compliance"]["ComplianceContributorCount"]["CappedCount"] == 1
    logs.put_retention_policy(logGroupName="short", retentionInDays=365)
    assert _details(cfg, "log-retention")["short"] == "COMPLIANT", "results follow the resources"
    only = cfg.get_compliance_details_by_config_rule(ConfigRuleName="log-retention", ComplianceTypes=["NON_COMPLIANT"])
    assert only["EvaluationResults"] == []


def test_scope_narrows_what_is_evaluated(client):
    logs = client("logs")
    logs.create_log_group(logGroupName="tagged", tags={"team": "ops"})
    logs.create_log_group(logGroupName="untagged")
    cfg = _record(client)
    _retention_rule(cfg, scope={"TagKey": "team", "TagValue": "ops"})
    assert _details(cfg, "log-retention") == {"tagged": "COMPLIANT"}
    [rule] = cfg.describe_config_rules(ConfigRuleNames=["log-retention"])["ConfigRules"]
    assert rule["Scope"] == {"TagKey": "team", "TagValue": "ops"}, "the tag scope reads back as AWS's model has it"


def test_alarm_rules_judge_metric_alarms(client):
    cw = client("cloudwatch")
    common = dict(MetricName="CPUUtilization", Namespace="AWS/EC2", Statistic="Average", Period=300,
                  EvaluationPeriods=1, Threshold=80, ComparisonOperator="GreaterThanThreshold")
    cw.put_metric_alarm(AlarmName="with-actions", AlarmActions=["arn:aws:sns:us-east-1:123456789012:ops"],
                        InsufficientDataActions=["arn:aws:sns:us-east-1:123456789012:ops"], **common)
    cw.put_metric_alarm(AlarmName="silent", ActionsEnabled=False, **common)
    cfg = _record(client)
    cfg.put_config_rule(ConfigRule={"ConfigRuleName": "actions", "Source": {
        "Owner": "AWS", "SourceIdentifier": "CLOUDWATCH_ALARM_ACTION_CHECK"},
        "InputParameters": json.dumps({"alarmActionRequired": "true", "insufficientDataActionRequired": "true",
                                       "okActionRequired": "false"})})
    cfg.put_config_rule(ConfigRule={"ConfigRuleName": "enabled", "Source": {
        "Owner": "AWS", "SourceIdentifier": "CLOUDWATCH_ALARM_ACTION_ENABLED_CHECK"}})
    cfg.put_config_rule(ConfigRule={"ConfigRuleName": "settings", "Source": {
        "Owner": "AWS", "SourceIdentifier": "CLOUDWATCH_ALARM_SETTINGS_CHECK"},
        "InputParameters": json.dumps({"metricName": "CPUUtilization", "threshold": "90"})})
    assert _details(cfg, "actions") == {"with-actions": "COMPLIANT", "silent": "NON_COMPLIANT"}
    assert _details(cfg, "enabled") == {"with-actions": "COMPLIANT", "silent": "NON_COMPLIANT"}
    assert _details(cfg, "settings") == {"with-actions": "NON_COMPLIANT", "silent": "NON_COMPLIANT"}


def test_compliance_of_an_unknown_rule_is_refused(client):
    cfg = client("config")
    with pytest.raises(ClientError) as e:
        cfg.get_compliance_details_by_config_rule(ConfigRuleName="nope")
    assert _code(e.value) == "NoSuchConfigRuleException"


def test_evaluation_modes_are_kept(client):
    cfg = client("config")
    cfg.put_config_rule(ConfigRule={
        "ConfigRuleName": "modes",
        "Source": {"Owner": "AWS", "SourceIdentifier": "CLOUDWATCH_ALARM_ACTION_ENABLED_CHECK"},
        "EvaluationModes": [{"Mode": "DETECTIVE"}, {"Mode": "PROACTIVE"}]})
    [rule] = cfg.describe_config_rules(ConfigRuleNames=["modes"])["ConfigRules"]
    assert rule["EvaluationModes"] == [{"Mode": "DETECTIVE"}, {"Mode": "PROACTIVE"}]
