"""Resource Groups Tagging API GetResources over everything driftless tags."""

import pytest


@pytest.fixture(params=["json", "smithy-rpc-v2-cbor"])
def tagging(request, client, cbor_client):
    if request.param == "json":
        return client("resourcegroupstaggingapi")
    return cbor_client("resourcegroupstaggingapi")


def test_get_resources_covers_driftless_resource_types(client, tagging, account):
    tags = [{"Key": "managed-by", "Value": "driftless"}]
    logs, ssm, bk, cw = client("logs"), client("ssm"), client("backup"), client("cloudwatch")
    logs.create_log_group(logGroupName="/app", tags={"managed-by": "driftless"})
    logs.create_log_group(logGroupName="/untagged")
    bid = ssm.create_patch_baseline(Name="base", Tags=tags)["BaselineId"]
    wid = ssm.create_maintenance_window(
        Name="mw1", Schedule="rate(1 day)", Duration=2, Cutoff=1, AllowUnassociatedTargets=False, Tags=tags
    )["WindowId"]
    bk.create_backup_vault(BackupVaultName="vault", BackupVaultTags={"managed-by": "driftless"})
    plan = bk.create_backup_plan(
        BackupPlan={"BackupPlanName": "p", "Rules": [{"RuleName": "r", "TargetBackupVaultName": "vault"}]},
        BackupPlanTags={"managed-by": "driftless"},
    )
    cw.put_metric_alarm(
        AlarmName="al", MetricName="m", Namespace="n", Statistic="Sum", Period=60, EvaluationPeriods=1,
        Threshold=1, ComparisonOperator="GreaterThanThreshold", Tags=tags,
    )
    found = {
        m["ResourceARN"]: m["Tags"]
        for m in tagging.get_resources(TagFilters=[{"Key": "managed-by", "Values": ["driftless"]}])[
            "ResourceTagMappingList"
        ]
    }
    p = f"us-east-1:{account}"
    assert set(found) == {
        f"arn:aws:logs:{p}:log-group:/app",
        f"arn:aws:ssm:{p}:patchbaseline/{bid}",
        f"arn:aws:ssm:{p}:maintenancewindow/{wid}",
        f"arn:aws:backup:{p}:backup-vault:vault",
        plan["BackupPlanArn"],
        f"arn:aws:cloudwatch:{p}:alarm:al",
    }
    assert all(t == tags for t in found.values())
    only_ssm = tagging.get_resources(
        TagFilters=[{"Key": "managed-by"}], ResourceTypeFilters=["ssm:patchbaseline", "ssm:maintenancewindow"]
    )["ResourceTagMappingList"]
    assert len(only_ssm) == 2


def test_get_resources_pages_of_100(client, tagging):
    logs = client("logs")
    for i in range(230):
        logs.create_log_group(logGroupName=f"/page/{i:03d}", tags={"k": "v", "n": str(i)})
    first = tagging.get_resources(TagFilters=[{"Key": "k", "Values": ["v"]}])
    assert len(first["ResourceTagMappingList"]) == 100 and first["PaginationToken"]
    pages = tagging.get_paginator("get_resources").paginate(TagFilters=[{"Key": "k", "Values": ["v"]}])
    sizes = [len(p["ResourceTagMappingList"]) for p in pages]
    assert sizes == [100, 100, 30]
    small = tagging.get_resources(TagFilters=[{"Key": "k"}], ResourcesPerPage=7)
    assert len(small["ResourceTagMappingList"]) == 7
