"""AWS Config conformance packs (ext_config_packs.py): template checks, the pack's
rules named as AWS names them, parameters, updates, deletes, tags, AWS's errors."""

import json

import botocore.exceptions
import pytest

TEMPLATE = """
Parameters:
  MinRetention: {Type: String, Default: "365"}
Resources:
  LogRetention:
    Type: AWS::Config::ConfigRule
    Properties:
      ConfigRuleName: log-retention
      Source: {Owner: AWS, SourceIdentifier: CW_LOGGROUP_RETENTION_PERIOD_CHECK}
      InputParameters: {MinRetentionTime: {Ref: MinRetention}}
      Scope: {ComplianceResourceTypes: ["AWS::Logs::LogGroup"]}
"""


def _code(e):
    return e.value.response["Error"]["Code"]


def _pack_rules(cfg, _pack):
    rules = cfg.describe_config_rules()["ConfigRules"]
    return [r for r in rules if r["ConfigRuleName"].startswith("log-retention-conformance-pack-")]


def test_a_pack_deploys_its_rules_with_parameters(client):
    cfg = client("config")
    arn = cfg.put_conformance_pack(
        ConformancePackName="ops-pack",
        TemplateBody=TEMPLATE,
        ConformancePackInputParameters=[{"ParameterName": "MinRetention", "ParameterValue": "90"}],
        DeliveryS3Bucket="pack-bucket",
        Tags=[{"Key": "team", "Value": "ops"}],
    )["ConformancePackArn"]
    detail = cfg.describe_conformance_packs(ConformancePackNames=["ops-pack"])["ConformancePackDetails"][0]
    assert detail["ConformancePackArn"] == arn
    assert detail["DeliveryS3Bucket"] == "pack-bucket"
    assert detail["ConformancePackInputParameters"] == [{"ParameterName": "MinRetention", "ParameterValue": "90"}]
    rules = _pack_rules(cfg, "ops-pack")
    assert len(rules) == 1
    rule = rules[0]
    assert len(rule["ConfigRuleName"].rsplit("-", 1)[1]) == 8
    assert rule["CreatedBy"] == "config-conforms.amazonaws.com"
    assert json.loads(rule["InputParameters"]) == {"MinRetentionTime": "90"}
    assert cfg.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ops"}]
    status = cfg.describe_conformance_pack_status(ConformancePackNames=["ops-pack"])
    assert status["ConformancePackStatusDetails"][0]["ConformancePackState"] == "CREATE_COMPLETE"

    # An update keeps the rule's name (the pack's suffix) and takes the default.
    cfg.put_conformance_pack(ConformancePackName="ops-pack", TemplateBody=TEMPLATE)
    again = _pack_rules(cfg, "ops-pack")
    assert [r["ConfigRuleName"] for r in again] == [rule["ConfigRuleName"]]
    assert json.loads(again[0]["InputParameters"]) == {"MinRetentionTime": "365"}

    # The pack's rules, as DescribeConformancePackCompliance lists them.
    listed = cfg.describe_conformance_pack_compliance(ConformancePackName="ops-pack")
    assert [r["ConfigRuleName"] for r in listed["ConformancePackRuleComplianceList"]] == [rule["ConfigRuleName"]]

    # A pack's rule is service-linked: neither changed nor deleted outside the pack.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.delete_config_rule(ConfigRuleName=rule["ConfigRuleName"])
    assert _code(e) == "AccessDeniedException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.put_config_rule(ConfigRule={"ConfigRuleName": rule["ConfigRuleName"], "Source": rule["Source"]})
    assert _code(e) == "AccessDeniedException"
    assert "ServiceLinkedConfigRule" in e.value.response["Error"]["Message"]
    cfg.delete_conformance_pack(ConformancePackName="ops-pack")
    assert _pack_rules(cfg, "ops-pack") == []
    assert cfg.describe_conformance_packs()["ConformancePackDetails"] == []


@pytest.mark.parametrize(
    "body",
    [
        "Resources: {}",
        "Resources: {Bucket: {Type: AWS::S3::Bucket}}",
        "Resources: {R: {Type: AWS::Config::ConfigRule, Properties: {ConfigRuleName: r}}}",
        "not: [valid",
    ],
)
def test_invalid_templates_are_refused(client, body):
    cfg = client("config")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.put_conformance_pack(ConformancePackName="bad-pack", TemplateBody=body)
    assert _code(e) == "ConformancePackTemplateValidationException"
    assert cfg.describe_conformance_packs()["ConformancePackDetails"] == []


def test_unknown_packs_parameters_and_names(client):
    cfg = client("config")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.describe_conformance_packs(ConformancePackNames=["missing"])
    assert _code(e) == "NoSuchConformancePackException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.delete_conformance_pack(ConformancePackName="missing")
    assert _code(e) == "NoSuchConformancePackException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.describe_conformance_pack_compliance(ConformancePackName="missing")
    assert _code(e) == "NoSuchConformancePackException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.put_conformance_pack(
            ConformancePackName="p",
            TemplateBody=TEMPLATE,
            ConformancePackInputParameters=[{"ParameterName": "Nope", "ParameterValue": "1"}],
        )
    assert _code(e) == "ConformancePackTemplateValidationException"
    # The model's name pattern [a-zA-Z][-a-zA-Z0-9]*.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.put_conformance_pack(ConformancePackName="1pack", TemplateBody=TEMPLATE)
    assert _code(e) == "ValidationException"


def test_pack_rules_are_listed_in_pages(client):
    cfg = client("config")
    body = "Resources:\n" + "".join(
        f"  R{i}: {{Type: AWS::Config::ConfigRule, Properties: {{ConfigRuleName: r{i}, "
        "Source: {Owner: AWS, SourceIdentifier: CLOUDWATCH_ALARM_ACTION_ENABLED_CHECK}}}\n"
        for i in range(3)
    )
    cfg.put_conformance_pack(ConformancePackName="paged", TemplateBody=body)
    first = cfg.describe_conformance_pack_compliance(ConformancePackName="paged", Limit=2)
    second = cfg.describe_conformance_pack_compliance(ConformancePackName="paged", Limit=2, NextToken=first["NextToken"])
    assert "NextToken" not in second
    names = [r["ConfigRuleName"].split("-conformance-pack-")[0]
             for r in first["ConformancePackRuleComplianceList"] + second["ConformancePackRuleComplianceList"]]
    assert sorted(names) == ["r0", "r1", "r2"]
