"""SSM State Manager associations (driftless_emulator/ext_ssm_associations.py)."""

import pytest
from botocore.exceptions import ClientError

TARGETS = [{"Key": "tag:Patch Group", "Values": ["web"]}]


def _create(ssm, **kw):
    kw.setdefault("Name", "AWS-RunPatchBaseline")
    kw.setdefault("AssociationName", "patch-scan")
    kw.setdefault("Parameters", {"Operation": ["Scan"]})
    kw.setdefault("Targets", TARGETS)
    kw.setdefault("ScheduleExpression", "cron(0 2 ? * * *)")
    return ssm.create_association(**kw)["AssociationDescription"]


def _code(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"]


def test_create_describe_list_tag_delete(client):
    ssm = client("ssm")
    made = _create(
        ssm,
        ApplyOnlyAtCronInterval=True,
        ComplianceSeverity="HIGH",
        MaxConcurrency="10%",
        MaxErrors="1",
        OutputLocation={"S3Location": {"OutputS3BucketName": "logs-bucket", "OutputS3KeyPrefix": "ssm/"}},
        Tags=[{"Key": "managed-by", "Value": "driftless"}],
    )
    aid = made["AssociationId"]
    got = ssm.describe_association(AssociationId=aid)["AssociationDescription"]
    assert got["AssociationName"] == "patch-scan"
    assert got["Name"] == "AWS-RunPatchBaseline"
    assert got["DocumentVersion"] == "$DEFAULT"
    assert got["Parameters"] == {"Operation": ["Scan"]}
    assert got["Targets"] == TARGETS
    assert got["ApplyOnlyAtCronInterval"] is True
    assert (got["ComplianceSeverity"], got["SyncCompliance"]) == ("HIGH", "AUTO")
    assert (got["MaxConcurrency"], got["MaxErrors"], got["AssociationVersion"]) == ("10%", "1", "1")
    assert got["OutputLocation"]["S3Location"]["OutputS3KeyPrefix"] == "ssm/"
    listed = ssm.list_associations(AssociationFilterList=[{"key": "AssociationName", "value": "patch-scan"}])
    assert [a["AssociationId"] for a in listed["Associations"]] == [aid]
    tags = ssm.list_tags_for_resource(ResourceType="Association", ResourceId=aid)["TagList"]
    assert tags == [{"Key": "managed-by", "Value": "driftless"}]
    ssm.add_tags_to_resource(ResourceType="Association", ResourceId=aid, Tags=[{"Key": "team", "Value": "ops"}])
    arn = f"association/{aid}"
    found = client("resourcegroupstaggingapi").get_resources(ResourceTypeFilters=["ssm:association"])
    assert any(r["ResourceARN"].endswith(arn) for r in found["ResourceTagMappingList"])
    ssm.delete_association(AssociationId=aid)
    assert _code(lambda: ssm.describe_association(AssociationId=aid)) == "AssociationDoesNotExist"
    assert _code(lambda: ssm.delete_association(AssociationId=aid)) == "AssociationDoesNotExist"
    assert _code(lambda: ssm.list_tags_for_resource(ResourceType="Association", ResourceId=aid)) == "InvalidResourceId"


def test_update_nulls_what_it_is_not_given(client):
    """UpdateAssociation "overwrites the association with null values" for optional
    members left out, and counts versions."""
    ssm = client("ssm")
    aid = _create(ssm, CalendarNames=["change-freeze"], MaxErrors="2", MaxConcurrency="5")["AssociationId"]
    ssm.update_association(AssociationId=aid, Targets=TARGETS, Parameters={"Operation": ["Install"]})
    got = ssm.describe_association(AssociationId=aid)["AssociationDescription"]
    assert got["Parameters"] == {"Operation": ["Install"]}
    assert got["AssociationVersion"] == "2"
    for gone in ("CalendarNames", "MaxErrors", "MaxConcurrency", "ScheduleExpression", "AssociationName"):
        assert gone not in got, gone


def test_refusals(client):
    ssm = client("ssm")
    assert _code(lambda: _create(ssm, Name="AWS-NoSuchDocument")) == "InvalidDocument"
    assert _code(lambda: _create(ssm, DocumentVersion="7")) == "InvalidDocumentVersion"
    assert _code(lambda: _create(ssm, Parameters={"Operaton": ["Scan"]})) == "InvalidParameters"
    assert _code(lambda: _create(ssm, Parameters={"Operation": ["Patch"]})) == "InvalidParameters"
    assert _code(lambda: _create(ssm, Parameters={})) == "InvalidParameters"
    assert _code(lambda: _create(ssm, ScheduleExpression="cron(0 2 * * *)")) == "InvalidSchedule"
    assert _code(lambda: _create(ssm, ScheduleExpression="rate(15 minutes)")) == "InvalidSchedule"
    assert _code(lambda: _create(ssm, ScheduleExpression="rate(1 days)")) == "InvalidSchedule"
    assert (
        _code(lambda: _create(ssm, ScheduleExpression="rate(1 day)", ApplyOnlyAtCronInterval=True))
        == "InvalidSchedule"
    )
    assert _code(lambda: _create(ssm, Targets=[{"Key": "Tag:Env", "Values": ["x"]}])) == "InvalidTarget"
    assert _code(lambda: _create(ssm, Targets=[{"Key": "InstanceIds", "Values": ["web-1"]}])) == "InvalidTarget"
    # the model's own limits come first
    assert _code(lambda: _create(ssm, ComplianceSeverity="SEVERE")) == "ValidationException"
    assert _code(lambda: _create(ssm, AssociationName="a b")) == "ValidationException"
    assert _code(lambda: ssm.update_association(AssociationId="00000000-0000-4000-8000-000000000000")) == "AssociationDoesNotExist"
    assert ssm.list_associations()["Associations"] == []


def test_account_documents_and_paging(client):
    ssm = client("ssm")
    content = '{"schemaVersion": "2.2", "parameters": {"msg": {"type": "String", "default": "hi"}},' \
        ' "mainSteps": [{"action": "aws:runShellScript", "name": "run", "inputs": {"runCommand": ["echo"]}}]}'
    ssm.create_document(Name="my-doc", Content=content, DocumentType="Command")
    for i in range(3):
        ssm.create_association(Name="my-doc", AssociationName=f"mine-{i}", Targets=TARGETS, Parameters={"msg": ["x"]})
    assert _code(lambda: ssm.create_association(Name="my-doc", Targets=TARGETS, Parameters={"other": ["x"]})) == (
        "InvalidParameters"
    )
    first = ssm.list_associations(MaxResults=2)
    second = ssm.list_associations(MaxResults=2, NextToken=first["NextToken"])
    assert len(first["Associations"]) + len(second["Associations"]) == 3
    assert "NextToken" not in second
