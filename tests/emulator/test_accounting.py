"""Call counts per account (GET /_driftless/calls?account=...)."""



def test_counts_can_be_read_per_account(endpoint, client):
    import json
    import urllib.request

    logs_a = client("logs")
    logs_a.describe_log_groups()
    logs_a.describe_log_groups()
    account = logs_a._request_signer._credentials.access_key
    with urllib.request.urlopen(f"{endpoint}/_driftless/calls?account={account}") as r:
        mine = json.load(r)
    assert mine["calls"] == {"logs": {"DescribeLogGroups": 2}}
    assert mine["total"] == 2
    with urllib.request.urlopen(f"{endpoint}/_driftless/calls?account=000000000000") as r:
        assert json.load(r)["total"] == 0


def test_assumed_role_credentials_act_in_the_roles_account(endpoint, client, account):
    import json
    import urllib.request

    import boto3

    from conftest import create_role

    other = f"{(int(account) + 500_000) % 10**12:012d}"
    create_role(endpoint, other, "driftless", trusted=account)
    creds = client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{other}:role/driftless", RoleSessionName="test"
    )["Credentials"]
    assumed = boto3.session.Session().client(
        "backup",
        endpoint_url=endpoint,
        region_name="ap-northeast-3",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    assumed.create_backup_vault(BackupVaultName="in-role-account")
    # The vault rule of CreateBackupPlan looks in the role's account, where moto put it.
    assumed.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "p",
            "Rules": [{"RuleName": "r", "TargetBackupVaultName": "in-role-account"}],
        }
    )
    theirs = boto3.session.Session().client(
        "backup",
        endpoint_url=endpoint,
        region_name="ap-northeast-3",
        aws_access_key_id=other,
        aws_secret_access_key="testing",
    )
    names = [v["BackupVaultName"] for v in theirs.list_backup_vaults()["BackupVaultList"]]
    assert names == ["in-role-account"]
    with urllib.request.urlopen(f"{endpoint}/_driftless/calls?account={other}") as r:
        counted = json.load(r)["calls"]
    assert counted["backup"] == {
        "CreateBackupVault": 1,
        "CreateBackupPlan": 1,
        "ListBackupVaults": 1,
    }
