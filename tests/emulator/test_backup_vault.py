"""AWS Backup vault settings: Vault Lock (moto's), access policy and notifications
(driftless_emulator/ext_backup_vault.py), and selection conditions round-tripping."""

import json

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/backup"
TOPIC = "arn:aws:sns:us-east-1:123456789012:backup-events"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "backup:DeleteRecoveryPoint",
            "Resource": "*",
        }
    ],
}


@pytest.fixture
def backup(client):
    bk = client("backup")
    bk.create_backup_vault(BackupVaultName="vault")
    return bk


def _code(e):
    return e.value.response["Error"]["Code"]


def test_access_policy_round_trips_and_goes_with_the_vault(backup):
    with pytest.raises(ClientError) as e:
        backup.get_backup_vault_access_policy(BackupVaultName="vault")
    assert _code(e) == "ResourceNotFoundException"
    backup.put_backup_vault_access_policy(BackupVaultName="vault", Policy=json.dumps(POLICY))
    got = backup.get_backup_vault_access_policy(BackupVaultName="vault")
    assert json.loads(got["Policy"]) == POLICY
    assert got["BackupVaultName"] == "vault" and got["BackupVaultArn"].endswith(":backup-vault:vault")
    backup.delete_backup_vault_access_policy(BackupVaultName="vault")
    with pytest.raises(ClientError) as e:
        backup.get_backup_vault_access_policy(BackupVaultName="vault")
    assert _code(e) == "ResourceNotFoundException"
    backup.put_backup_vault_access_policy(BackupVaultName="vault", Policy=json.dumps(POLICY))
    backup.delete_backup_vault(BackupVaultName="vault")
    backup.create_backup_vault(BackupVaultName="vault")
    with pytest.raises(ClientError) as e:
        backup.get_backup_vault_access_policy(BackupVaultName="vault")
    assert _code(e) == "ResourceNotFoundException"


def test_access_policy_refuses_what_is_not_a_policy_and_unknown_vaults(backup):
    with pytest.raises(ClientError) as e:
        backup.put_backup_vault_access_policy(BackupVaultName="vault", Policy="{not json")
    assert _code(e) == "InvalidParameterValueException"
    with pytest.raises(ClientError) as e:
        backup.put_backup_vault_access_policy(BackupVaultName="nope", Policy=json.dumps(POLICY))
    assert _code(e) == "ResourceNotFoundException"


def test_notifications_round_trip_and_event_names_are_validated(backup):
    with pytest.raises(ClientError) as e:
        backup.get_backup_vault_notifications(BackupVaultName="vault")
    assert _code(e) == "ResourceNotFoundException"
    events = ["BACKUP_JOB_FAILED", "RESTORE_JOB_COMPLETED"]
    backup.put_backup_vault_notifications(BackupVaultName="vault", SNSTopicArn=TOPIC, BackupVaultEvents=events)
    got = backup.get_backup_vault_notifications(BackupVaultName="vault")
    assert got["SNSTopicArn"] == TOPIC and got["BackupVaultEvents"] == events
    with pytest.raises(ClientError) as e:
        backup.put_backup_vault_notifications(
            BackupVaultName="vault", SNSTopicArn=TOPIC, BackupVaultEvents=["BACKUP_JOB_EXPLODED"]
        )
    assert _code(e) == "InvalidParameterValueException"
    backup.delete_backup_vault_notifications(BackupVaultName="vault")
    with pytest.raises(ClientError) as e:
        backup.get_backup_vault_notifications(BackupVaultName="vault")
    assert _code(e) == "ResourceNotFoundException"


def test_vault_lock_is_listed_and_removable_in_its_grace_time(backup):
    backup.put_backup_vault_lock_configuration(
        BackupVaultName="vault", MinRetentionDays=7, MaxRetentionDays=365, ChangeableForDays=3
    )
    listed = {v["BackupVaultName"]: v for v in backup.list_backup_vaults()["BackupVaultList"]}["vault"]
    assert listed["Locked"] is True
    assert (listed["MinRetentionDays"], listed["MaxRetentionDays"]) == (7, 365)
    assert "LockDate" in listed and "ChangeableForDays" not in listed
    with pytest.raises(ClientError) as e:
        backup.put_backup_vault_lock_configuration(BackupVaultName="vault", MinRetentionDays=30, MaxRetentionDays=7)
    assert _code(e) == "InvalidParameterValueException"
    backup.delete_backup_vault_lock_configuration(BackupVaultName="vault")
    listed = {v["BackupVaultName"]: v for v in backup.list_backup_vaults()["BackupVaultList"]}["vault"]
    assert listed["Locked"] is False and "MinRetentionDays" not in listed


def test_selection_conditions_of_every_operator_round_trip(backup):
    plan = {"BackupPlanName": "p", "Rules": [{"RuleName": "r", "TargetBackupVaultName": "vault"}]}
    plan_id = backup.create_backup_plan(BackupPlan=plan)["BackupPlanId"]
    conditions = {
        op: [{"ConditionKey": f"aws:ResourceTag/{op}", "ConditionValue": "x*"}]
        for op in ("StringEquals", "StringNotEquals", "StringLike", "StringNotLike")
    }
    selection = {"SelectionName": "s", "IamRoleArn": ROLE, "Resources": ["*"], "Conditions": conditions}
    sid = backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection=selection)["SelectionId"]
    got = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=sid)["BackupSelection"]
    assert got["Conditions"] == conditions
