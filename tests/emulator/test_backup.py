"""AWS Backup operations added or fixed by driftless_emulator/ext_backup.py."""

import datetime as dt

import pytest
from botocore.exceptions import ClientError

PLAN = {
    "BackupPlanName": "driftless-daily",
    "Rules": [{"RuleName": "daily", "TargetBackupVaultName": "vault", "ScheduleExpression": "cron(0 3 * * ? *)"}],
}
ROLE = "arn:aws:iam::123456789012:role/backup"


@pytest.fixture
def backup(client):
    bk = client("backup")
    bk.create_backup_vault(BackupVaultName="vault")
    return bk


def test_create_backup_plan_creator_request_id_is_idempotent(backup):
    a = backup.create_backup_plan(BackupPlan=PLAN, CreatorRequestId="req-1")
    b = backup.create_backup_plan(BackupPlan=PLAN, CreatorRequestId="req-1")
    assert a["BackupPlanId"] == b["BackupPlanId"] and a["VersionId"] == b["VersionId"]
    assert len(backup.list_backup_plans()["BackupPlansList"]) == 1
    with pytest.raises(ClientError) as e:
        backup.create_backup_plan(BackupPlan=PLAN, CreatorRequestId="req-2")
    assert e.value.response["Error"]["Code"] == "AlreadyExistsException"


def test_update_backup_plan(backup):
    created = backup.create_backup_plan(BackupPlan=PLAN)
    plan_id = created["BackupPlanId"]
    new = {
        "BackupPlanName": "driftless-daily",
        "Rules": [{"RuleName": "weekly", "TargetBackupVaultName": "vault", "ScheduleExpression": "cron(0 3 ? * SUN *)"}],
    }
    out = backup.update_backup_plan(BackupPlanId=plan_id, BackupPlan=new)
    assert out["BackupPlanId"] == plan_id and out["BackupPlanArn"] == created["BackupPlanArn"]
    assert out["VersionId"] != created["VersionId"]
    assert isinstance(out["CreationDate"], dt.datetime)
    got = backup.get_backup_plan(BackupPlanId=plan_id)
    assert [r["RuleName"] for r in got["BackupPlan"]["Rules"]] == ["weekly"]
    assert got["BackupPlan"]["Rules"][0]["ScheduleExpression"] == "cron(0 3 ? * SUN *)"
    assert got["VersionId"] == out["VersionId"]
    with pytest.raises(ClientError) as e:
        backup.update_backup_plan(BackupPlanId="00000000-0000-0000-0000-000000000000", BackupPlan=new)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_backup_selections(backup):
    plan_id = backup.create_backup_plan(BackupPlan=PLAN)["BackupPlanId"]
    selection = {
        "SelectionName": "tagged",
        "IamRoleArn": ROLE,
        "ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "daily"}],
    }
    created = backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection=selection, CreatorRequestId="s-1")
    again = backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection=selection, CreatorRequestId="s-1")
    assert created["SelectionId"] == again["SelectionId"]
    assert created["BackupPlanId"] == plan_id and isinstance(created["CreationDate"], dt.datetime)
    sid = created["SelectionId"]

    got = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=sid)
    assert got["BackupSelection"]["SelectionName"] == "tagged"
    assert got["BackupSelection"]["ListOfTags"] == selection["ListOfTags"]
    assert got["CreatorRequestId"] == "s-1"

    listed = backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]
    assert [(s["SelectionId"], s["SelectionName"], s["IamRoleArn"]) for s in listed] == [(sid, "tagged", ROLE)]

    with pytest.raises(ClientError) as e:
        backup.delete_backup_plan(BackupPlanId=plan_id)
    assert e.value.response["Error"]["Code"] == "InvalidRequestException"

    backup.delete_backup_selection(BackupPlanId=plan_id, SelectionId=sid)
    assert backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"] == []
    with pytest.raises(ClientError) as e:
        backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=sid)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    backup.delete_backup_plan(BackupPlanId=plan_id)
    # a deleted plan's name can be used again
    backup.create_backup_plan(BackupPlan=PLAN)


def test_list_backup_selections_paginates(backup):
    plan_id = backup.create_backup_plan(BackupPlan=PLAN)["BackupPlanId"]
    for i in range(5):
        backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection={"SelectionName": f"s{i}", "IamRoleArn": ROLE})
    pages = backup.get_paginator("list_backup_selections").paginate(BackupPlanId=plan_id, PaginationConfig={"PageSize": 2})
    names = [s["SelectionName"] for p in pages for s in p["BackupSelectionsList"]]
    assert sorted(names) == [f"s{i}" for i in range(5)]


def test_list_recovery_points_by_backup_vault(backup):
    assert backup.list_recovery_points_by_backup_vault(BackupVaultName="vault")["RecoveryPoints"] == []
    with pytest.raises(ClientError) as e:
        backup.list_recovery_points_by_backup_vault(BackupVaultName="nope")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_list_tags_takes_the_arn_from_the_last_path_segment(client, endpoint, account):
    """The Rust SDK sends GET /tags/{arn} without a trailing slash; botocore too."""
    backup = client("backup")
    arn = backup.create_backup_vault(BackupVaultName="tagged", BackupVaultTags={"team": "ops"})["BackupVaultArn"]
    assert backup.list_tags(ResourceArn=arn)["Tags"] == {"team": "ops"}


def test_vault_tags_go_with_the_vault(backup):
    arn = backup.create_backup_vault(BackupVaultName="tagged", BackupVaultTags={"team": "ops"})["BackupVaultArn"]
    backup.delete_backup_vault(BackupVaultName="tagged")
    backup.create_backup_vault(BackupVaultName="tagged")
    assert backup.list_tags(ResourceArn=arn)["Tags"] == {}


def _vault_entry(backup, name):
    return next(v for v in backup.list_backup_vaults()["BackupVaultList"] if v["BackupVaultName"] == name)


def test_recovery_points(backup):
    resource = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
    job = backup.start_backup_job(BackupVaultName="vault", ResourceArn=resource, IamRoleArn=ROLE, IdempotencyToken="t-1")
    again = backup.start_backup_job(BackupVaultName="vault", ResourceArn=resource, IamRoleArn=ROLE, IdempotencyToken="t-1")
    assert again["RecoveryPointArn"] == job["RecoveryPointArn"]
    described = backup.describe_backup_job(BackupJobId=job["BackupJobId"])
    assert described["State"] == "COMPLETED" and described["RecoveryPointArn"] == job["RecoveryPointArn"]

    points = backup.list_recovery_points_by_backup_vault(BackupVaultName="vault")["RecoveryPoints"]
    assert [(p["RecoveryPointArn"], p["Status"], p["ResourceArn"], p["ResourceType"]) for p in points] == [
        (job["RecoveryPointArn"], "COMPLETED", resource, "DynamoDB")
    ]
    assert _vault_entry(backup, "vault")["NumberOfRecoveryPoints"] == 1
    assert backup.describe_backup_vault(BackupVaultName="vault")["NumberOfRecoveryPoints"] == 1
    point = backup.describe_recovery_point(BackupVaultName="vault", RecoveryPointArn=job["RecoveryPointArn"])
    assert point["Status"] == "COMPLETED" and point["BackupVaultName"] == "vault"

    with pytest.raises(ClientError) as e:
        backup.delete_backup_vault(BackupVaultName="vault")
    assert e.value.response["Error"]["Code"] == "InvalidRequestException"

    backup.delete_recovery_point(BackupVaultName="vault", RecoveryPointArn=job["RecoveryPointArn"])
    assert backup.list_recovery_points_by_backup_vault(BackupVaultName="vault")["RecoveryPoints"] == []
    assert _vault_entry(backup, "vault")["NumberOfRecoveryPoints"] == 0
    with pytest.raises(ClientError) as e:
        backup.delete_recovery_point(BackupVaultName="vault", RecoveryPointArn=job["RecoveryPointArn"])
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    backup.delete_backup_vault(BackupVaultName="vault")
    with pytest.raises(ClientError) as e:
        backup.start_backup_job(BackupVaultName="vault", ResourceArn=resource, IamRoleArn=ROLE)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_recovery_points_paginate(backup):
    for i in range(3):
        backup.start_backup_job(BackupVaultName="vault", ResourceArn=f"arn:aws:ec2:us-east-1:123456789012:volume/vol-{i}", IamRoleArn=ROLE)
    pages = backup.get_paginator("list_recovery_points_by_backup_vault").paginate(BackupVaultName="vault", PaginationConfig={"PageSize": 2})
    assert [len(p["RecoveryPoints"]) for p in pages] == [2, 1]


def test_backup_plan_keeps_every_rule_member(backup):
    """IndexActions, ScanActions and the other rule members read back as written, on
    create and on update."""
    rule = {
        "RuleName": "daily",
        "TargetBackupVaultName": "vault",
        "IndexActions": [{"ResourceTypes": ["EBS"]}],
        "ScanActions": [{"MalwareScanner": "GUARDDUTY", "ScanMode": "FULL_SCAN"}],
        "Lifecycle": {"DeleteAfterDays": 35, "DeleteAfterEvent": "DELETE_AFTER_COPY"},
    }
    plan_id = backup.create_backup_plan(BackupPlan={"BackupPlanName": "p", "Rules": [rule]})["BackupPlanId"]
    got = backup.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]["Rules"][0]
    assert {k: got[k] for k in rule} == rule
    updated = dict(rule, IndexActions=[{"ResourceTypes": ["S3"]}])
    backup.update_backup_plan(BackupPlanId=plan_id, BackupPlan={"BackupPlanName": "p", "Rules": [updated]})
    got = backup.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]["Rules"][0]
    assert {k: got[k] for k in rule} == updated


@pytest.mark.parametrize(
    "actions",
    [
        [{"ResourceTypes": ["EBS"]}, {"ResourceTypes": ["S3"]}],
        [{"ResourceTypes": ["EBS", "S3"]}],
        [{"ResourceTypes": ["RDS"]}],
    ],
)
def test_backup_plan_refuses_index_actions_aws_refuses(backup, actions):
    rule = {"RuleName": "daily", "TargetBackupVaultName": "vault", "IndexActions": actions}
    with pytest.raises(ClientError) as e:
        backup.create_backup_plan(BackupPlan={"BackupPlanName": "p", "Rules": [rule]})
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
