"""AssumeRole refuses what AWS refuses; Organizations behind the model validation."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from conftest import create_role, make_client


def _other(account: str, n: int) -> str:
    return f"{(int(account) + 700_000 + n) % 10**12:012d}"


def _denied(call, **params) -> dict:
    with pytest.raises(ClientError) as e:
        call(**params)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    return e.value.response["Error"]


def test_a_role_that_does_not_exist_cannot_be_assumed(client, account):
    role = f"arn:aws:iam::{_other(account, 1)}:role/missing"
    err = _denied(client("sts").assume_role, RoleArn=role, RoleSessionName="sess")
    assert err["Code"] == "AccessDenied"
    assert err["Message"] == (
        f"User: arn:aws:iam::{account}:root is not authorized to perform: sts:AssumeRole on resource: {role}"
    )


def test_a_role_is_assumed_only_by_whom_its_trust_policy_names(endpoint, client, account):
    other, stranger = _other(account, 2), _other(account, 3)
    role = create_role(endpoint, other, "driftless", trusted=account)
    creds = client("sts").assume_role(RoleArn=role, RoleSessionName="sess")["Credentials"]
    assert creds["AccessKeyId"]
    outsider = make_client(endpoint, "sts", stranger)
    err = _denied(outsider.assume_role, RoleArn=role, RoleSessionName="sess")
    assert err["Code"] == "AccessDenied" and stranger in err["Message"]


def test_trust_policies_deny_and_external_ids_are_honoured(endpoint, client, account):
    other = _other(account, 4)
    iam = make_client(endpoint, "iam", other)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": account},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "ext-1"}},
            }
        ],
    }
    role = iam.create_role(RoleName="ext", AssumeRolePolicyDocument=json.dumps(policy))["Role"]["Arn"]
    sts = client("sts")
    _denied(sts.assume_role, RoleArn=role, RoleSessionName="sess")
    _denied(sts.assume_role, RoleArn=role, RoleSessionName="sess", ExternalId="ext-2")
    assert sts.assume_role(RoleArn=role, RoleSessionName="sess", ExternalId="ext-1")["Credentials"]
    policy["Statement"].append({"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"})
    iam.update_assume_role_policy(RoleName="ext", PolicyDocument=json.dumps(policy))
    _denied(sts.assume_role, RoleArn=role, RoleSessionName="sess", ExternalId="ext-1")


def test_a_service_principal_does_not_let_an_account_in(endpoint, client, account):
    iam = make_client(endpoint, "iam", account)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    role = iam.create_role(RoleName="svc", AssumeRolePolicyDocument=json.dumps(policy))["Role"]["Arn"]
    _denied(client("sts").assume_role, RoleArn=role, RoleSessionName="sess")


def test_organizations_lists_nested_ous_and_accounts(client):
    org = client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name="prod")["OrganizationalUnit"]["Id"]
    inner = org.create_organizational_unit(ParentId=ou, Name="web")["OrganizationalUnit"]["Id"]
    made = org.create_account(Email="web@example.com", AccountName="web")["CreateAccountStatus"]
    member = made["AccountId"]
    org.move_account(AccountId=member, SourceParentId=root, DestinationParentId=inner)
    children = org.list_children(ParentId=ou, ChildType="ORGANIZATIONAL_UNIT")["Children"]
    assert [c["Id"] for c in children] == [inner]
    accounts = org.list_accounts_for_parent(ParentId=inner)["Accounts"]
    assert [(a["Id"], a["Status"]) for a in accounts] == [(member, "ACTIVE")]
    assert org.describe_account(AccountId=member)["Account"]["Id"] == member


def test_organizations_requests_are_checked_against_the_model(client):
    org = client("organizations", parameter_validation=False)
    with pytest.raises(ClientError) as e:
        org.list_children(ParentId="not-an-ou", ChildType="ORGANIZATIONAL_UNIT")
    err = e.value.response["Error"]
    assert err["Code"] == "InvalidInputException"
    assert "parentId" in err["Message"]
    with pytest.raises(ClientError) as e:
        org.list_accounts_for_parent(ParentId="r-abcd", MaxResults=100)
    assert e.value.response["Error"]["Code"] == "InvalidInputException"
