"""The tagging API lists log groups under AWS's resource type `logs:log-group`."""


def test_log_groups_are_found_by_their_aws_resource_type(client):
    logs = client("logs")
    logs.create_log_group(logGroupName="/tagging/a", tags={"driftless.dev/managed-by": "driftless"})
    logs.create_log_group(logGroupName="/tagging/b")
    tagging = client("resourcegroupstaggingapi")
    found = tagging.get_resources(
        ResourceTypeFilters=["logs:log-group"],
        TagFilters=[{"Key": "driftless.dev/managed-by", "Values": ["driftless"]}],
    )["ResourceTagMappingList"]
    arns = [r["ResourceARN"] for r in found]
    assert len(arns) == 1 and arns[0].endswith(":log-group:/tagging/a"), arns
