"""AWS Config aggregators: what ext_config.py fixes in moto."""

import botocore.exceptions
import pytest

ORG = {"RoleArn": "arn:aws:iam::111111111111:role/agg", "AllAwsRegions": True}
FILTERS = {"ResourceType": {"Type": "INCLUDE", "Value": ["AWS::EC2::Instance"]}}


def _describe(cfg, name):
    return cfg.describe_configuration_aggregators(ConfigurationAggregatorNames=[name])[
        "ConfigurationAggregators"
    ][0]


def test_an_update_keeps_the_tags_set_at_creation(client):
    cfg = client("config")
    arn = cfg.put_configuration_aggregator(
        ConfigurationAggregatorName="org",
        OrganizationAggregationSource=ORG,
        Tags=[{"Key": "team", "Value": "ops"}],
    )["ConfigurationAggregator"]["ConfigurationAggregatorArn"]
    # AWS: "Tags are added at creation and cannot be updated with this operation".
    cfg.put_configuration_aggregator(
        ConfigurationAggregatorName="org",
        OrganizationAggregationSource={**ORG, "AllAwsRegions": False, "AwsRegions": ["us-east-1"]},
    )
    tags = cfg.list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert tags == [{"Key": "team", "Value": "ops"}]
    assert _describe(cfg, "org")["OrganizationAggregationSource"]["AwsRegions"] == ["us-east-1"]
    cfg.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert cfg.list_tags_for_resource(ResourceArn=arn)["Tags"] == []


def test_aggregator_filters_are_kept_and_cleared_by_a_put_without_them(client):
    cfg = client("config")
    cfg.put_configuration_aggregator(
        ConfigurationAggregatorName="filtered",
        AccountAggregationSources=[{"AccountIds": ["111111111111"], "AllAwsRegions": True}],
        AggregatorFilters=FILTERS,
    )
    assert _describe(cfg, "filtered")["AggregatorFilters"] == FILTERS
    cfg.put_configuration_aggregator(
        ConfigurationAggregatorName="filtered",
        AccountAggregationSources=[{"AccountIds": ["111111111111"], "AllAwsRegions": True}],
    )
    assert "AggregatorFilters" not in _describe(cfg, "filtered")


def test_both_sources_are_refused(client):
    cfg = client("config")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.put_configuration_aggregator(
            ConfigurationAggregatorName="both",
            AccountAggregationSources=[{"AccountIds": ["111111111111"], "AllAwsRegions": True}],
            OrganizationAggregationSource=ORG,
        )
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_requests_are_checked_against_the_model(client):
    cfg = client("config")
    for name, ids in (("bad name!", ["111111111111"]), ("ok-name", ["12345"])):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            cfg.put_configuration_aggregator(
                ConfigurationAggregatorName=name,
                AccountAggregationSources=[{"AccountIds": ids, "AllAwsRegions": True}],
            )
        assert e.value.response["Error"]["Code"] == "ValidationException", name
    assert cfg.describe_configuration_aggregators()["ConfigurationAggregators"] == []
