"""SSM operations moto 5.2.5 lacks or gets wrong (see driftless_emulator/ext_ssm.py)."""

import datetime as dt

import pytest
from botocore.exceptions import ClientError


def _baseline(ssm, name="driftless-base", **kw):
    return ssm.create_patch_baseline(Name=name, **kw)["BaselineId"]


def _window(ssm, name="driftless-mw", **kw):
    kw.setdefault("Schedule", "cron(0 2 ? * SUN *)")
    kw.setdefault("Duration", 3)
    kw.setdefault("Cutoff", 1)
    kw.setdefault("AllowUnassociatedTargets", False)
    return ssm.create_maintenance_window(Name=name, **kw)["WindowId"]


def test_create_patch_baseline_with_tags_and_get(client):
    ssm = client("ssm")
    bid = _baseline(
        ssm,
        OperatingSystem="AMAZON_LINUX_2023",
        Description="d",
        ApprovalRules={
            "PatchRules": [
                {
                    "PatchFilterGroup": {"PatchFilters": [{"Key": "CLASSIFICATION", "Values": ["Security"]}]},
                    "ApproveAfterDays": 7,
                    "ComplianceLevel": "CRITICAL",
                }
            ]
        },
        ApprovedPatches=["KB1"],
        RejectedPatches=["KB2"],
        Tags=[{"Key": "managed-by", "Value": "driftless"}],
    )
    got = ssm.get_patch_baseline(BaselineId=bid)
    assert got["BaselineId"] == bid
    assert got["Name"] == "driftless-base"
    assert got["OperatingSystem"] == "AMAZON_LINUX_2023"
    assert got["ApprovalRules"]["PatchRules"][0]["ApproveAfterDays"] == 7
    assert got["ApprovedPatches"] == ["KB1"]
    assert got["RejectedPatches"] == ["KB2"]
    assert got["Description"] == "d"
    assert isinstance(got["CreatedDate"], dt.datetime)
    assert got["PatchGroups"] == []
    tags = ssm.list_tags_for_resource(ResourceType="PatchBaseline", ResourceId=bid)["TagList"]
    assert tags == [{"Key": "managed-by", "Value": "driftless"}]


def test_get_patch_baseline_missing(client):
    ssm = client("ssm")
    with pytest.raises(ClientError) as e:
        ssm.get_patch_baseline(BaselineId="pb-0123456789abcdef0")
    assert e.value.response["Error"]["Code"] == "DoesNotExistException"


def test_patch_baseline_idempotent_client_token(client):
    ssm = client("ssm")
    a = _baseline(ssm, ClientToken="tok-1")
    b = _baseline(ssm, ClientToken="tok-1")
    c = _baseline(ssm, ClientToken="tok-2")
    assert a == b != c
    assert len(ssm.describe_patch_baselines()["BaselineIdentities"]) == 2
    with pytest.raises(ClientError) as e:
        _baseline(ssm, name="other-name", ClientToken="tok-1")
    assert e.value.response["Error"]["Code"] == "IdempotentParameterMismatch"


def test_update_patch_baseline(client):
    ssm = client("ssm")
    bid = _baseline(ssm, Description="old", ApprovedPatches=["KB1"])
    out = ssm.update_patch_baseline(BaselineId=bid, Name="renamed", Description="new")
    assert out["Name"] == "renamed" and out["Description"] == "new"
    assert out["ApprovedPatches"] == ["KB1"]  # untouched without Replace
    assert out["ModifiedDate"] >= out["CreatedDate"]
    out = ssm.update_patch_baseline(BaselineId=bid, Replace=True, Name="renamed")
    assert out.get("ApprovedPatches", []) == [] and "Description" not in out
    assert ssm.get_patch_baseline(BaselineId=bid)["Name"] == "renamed"


def test_patch_baseline_tags(client):
    ssm = client("ssm")
    bid = _baseline(ssm)
    ssm.add_tags_to_resource(
        ResourceType="PatchBaseline", ResourceId=bid, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    )
    ssm.remove_tags_from_resource(ResourceType="PatchBaseline", ResourceId=bid, TagKeys=["a"])
    tags = ssm.list_tags_for_resource(ResourceType="PatchBaseline", ResourceId=bid)["TagList"]
    assert tags == [{"Key": "b", "Value": "2"}]
    with pytest.raises(ClientError) as e:
        ssm.list_tags_for_resource(ResourceType="PatchBaseline", ResourceId="pb-0000000000000000f")
    assert e.value.response["Error"]["Code"] == "InvalidResourceId"


def test_patch_groups(client):
    ssm = client("ssm")
    bid = _baseline(ssm, OperatingSystem="UBUNTU")
    other = _baseline(ssm, name="second", OperatingSystem="UBUNTU")
    ssm.register_patch_baseline_for_patch_group(BaselineId=bid, PatchGroup="web")
    got = ssm.get_patch_baseline_for_patch_group(PatchGroup="web", OperatingSystem="UBUNTU")
    assert got["BaselineId"] == bid and got["OperatingSystem"] == "UBUNTU"
    with pytest.raises(ClientError) as e:
        ssm.register_patch_baseline_for_patch_group(BaselineId=other, PatchGroup="web")
    assert e.value.response["Error"]["Code"] == "AlreadyExistsException"
    mappings = ssm.describe_patch_groups()["Mappings"]
    assert mappings == [
        {
            "PatchGroup": "web",
            "BaselineIdentity": {
                "BaselineId": bid,
                "BaselineName": "driftless-base",
                "OperatingSystem": "UBUNTU",
                "DefaultBaseline": False,
            },
        }
    ]
    assert ssm.get_patch_baseline(BaselineId=bid)["PatchGroups"] == ["web"]
    with pytest.raises(ClientError) as e:
        ssm.delete_patch_baseline(BaselineId=bid)
    assert e.value.response["Error"]["Code"] == "ResourceInUseException"
    ssm.deregister_patch_baseline_for_patch_group(BaselineId=bid, PatchGroup="web")
    assert ssm.describe_patch_groups()["Mappings"] == []
    # unregistered group falls back to the AWS default baseline for the OS
    fallback = ssm.get_patch_baseline_for_patch_group(PatchGroup="web", OperatingSystem="UBUNTU")["BaselineId"]
    assert fallback.startswith("arn:aws:ssm:us-east-1:") and "patchbaseline/pb-" in fallback
    with pytest.raises(ClientError) as e:
        ssm.deregister_patch_baseline_for_patch_group(BaselineId=bid, PatchGroup="web")
    assert e.value.response["Error"]["Code"] == "DoesNotExistException"
    assert ssm.delete_patch_baseline(BaselineId=bid)["BaselineId"] == bid


def test_default_patch_baseline(client):
    ssm = client("ssm")
    aws_default = ssm.get_default_patch_baseline(OperatingSystem="AMAZON_LINUX_2")
    assert aws_default["OperatingSystem"] == "AMAZON_LINUX_2"
    assert "patchbaseline/pb-" in aws_default["BaselineId"]
    bid = _baseline(ssm, OperatingSystem="AMAZON_LINUX_2")
    assert ssm.register_default_patch_baseline(BaselineId=bid)["BaselineId"] == bid
    assert ssm.get_default_patch_baseline(OperatingSystem="AMAZON_LINUX_2")["BaselineId"] == bid
    ids = ssm.describe_patch_baselines()["BaselineIdentities"]
    assert [i["DefaultBaseline"] for i in ids if i["BaselineId"] == bid] == [True]
    # other OS unaffected; WINDOWS is the default OperatingSystem
    assert ssm.get_default_patch_baseline()["OperatingSystem"] == "WINDOWS"


def test_maintenance_window_update_and_get(client):
    ssm = client("ssm")
    wid = _window(ssm, Description="desc", Tags=[{"Key": "k", "Value": "v"}])
    got = ssm.get_maintenance_window(WindowId=wid)
    assert got["Enabled"] is True and got["AllowUnassociatedTargets"] is False
    assert isinstance(got["CreatedDate"], dt.datetime)
    out = ssm.update_maintenance_window(WindowId=wid, Duration=4, Enabled=False, Schedule="rate(7 days)")
    assert out["Duration"] == 4 and out["Enabled"] is False and out["Schedule"] == "rate(7 days)"
    assert out["Name"] == "driftless-mw" and out["Description"] == "desc"
    got = ssm.get_maintenance_window(WindowId=wid)
    assert got["Duration"] == 4 and got["Enabled"] is False
    out = ssm.update_maintenance_window(
        WindowId=wid,
        Replace=True,
        Name="driftless-mw",
        Schedule="rate(7 days)",
        Duration=2,
        Cutoff=0,
        AllowUnassociatedTargets=True,
    )
    assert "Description" not in out and out["AllowUnassociatedTargets"] is True
    assert ssm.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=wid)["TagList"] == [
        {"Key": "k", "Value": "v"}
    ]
    with pytest.raises(ClientError) as e:
        ssm.update_maintenance_window(WindowId="mw-0123456789abcdef0", Duration=2)
    assert e.value.response["Error"]["Code"] == "DoesNotExistException"


def test_maintenance_window_client_tokens(client):
    ssm = client("ssm")
    w1 = _window(ssm, ClientToken="mw-token")
    assert _window(ssm, ClientToken="mw-token") == w1
    assert len(ssm.describe_maintenance_windows()["WindowIdentities"]) == 1
    targets = [{"Key": "tag:Patch", "Values": ["yes"]}]
    t1 = ssm.register_target_with_maintenance_window(
        WindowId=w1, ResourceType="INSTANCE", Targets=targets, ClientToken="t-token"
    )["WindowTargetId"]
    t2 = ssm.register_target_with_maintenance_window(
        WindowId=w1, ResourceType="INSTANCE", Targets=targets, ClientToken="t-token"
    )["WindowTargetId"]
    assert t1 == t2
    assert len(ssm.describe_maintenance_window_targets(WindowId=w1)["Targets"]) == 1
    task_args = dict(
        WindowId=w1,
        TaskArn="AWS-RunPatchBaseline",
        TaskType="RUN_COMMAND",
        Targets=[{"Key": "WindowTargetIds", "Values": [t1]}],
        MaxConcurrency="1",
        MaxErrors="1",
        ClientToken="task-token",
    )
    k1 = ssm.register_task_with_maintenance_window(**task_args)["WindowTaskId"]
    k2 = ssm.register_task_with_maintenance_window(**task_args)["WindowTaskId"]
    assert k1 == k2
    assert len(ssm.describe_maintenance_window_tasks(WindowId=w1)["Tasks"]) == 1


def test_update_maintenance_window_target(client):
    ssm = client("ssm")
    wid = _window(ssm)
    tid = ssm.register_target_with_maintenance_window(
        WindowId=wid,
        ResourceType="INSTANCE",
        Targets=[{"Key": "tag:Patch", "Values": ["yes"]}],
        OwnerInformation="owner",
        Name="targets",
    )["WindowTargetId"]
    out = ssm.update_maintenance_window_target(
        WindowId=wid, WindowTargetId=tid, Targets=[{"Key": "tag:Patch", "Values": ["no"]}], Description="x"
    )
    assert out["Targets"] == [{"Key": "tag:Patch", "Values": ["no"]}]
    assert out["Name"] == "targets" and out["OwnerInformation"] == "owner" and out["Description"] == "x"
    listed = ssm.describe_maintenance_window_targets(WindowId=wid)["Targets"]
    assert listed[0]["Targets"] == [{"Key": "tag:Patch", "Values": ["no"]}]
    assert listed[0]["OwnerInformation"] == "owner"
    with pytest.raises(ClientError) as e:
        ssm.update_maintenance_window_target(WindowId=wid, WindowTargetId="00000000-0000-0000-0000-000000000000")
    assert e.value.response["Error"]["Code"] == "DoesNotExistException"


def test_get_and_update_maintenance_window_task(client):
    ssm = client("ssm")
    wid = _window(ssm)
    tid = ssm.register_target_with_maintenance_window(
        WindowId=wid, ResourceType="INSTANCE", Targets=[{"Key": "tag:Patch", "Values": ["yes"]}]
    )["WindowTargetId"]
    kid = ssm.register_task_with_maintenance_window(
        WindowId=wid,
        TaskArn="AWS-RunPatchBaseline",
        TaskType="RUN_COMMAND",
        Targets=[{"Key": "WindowTargetIds", "Values": [tid]}],
        MaxConcurrency="2",
        MaxErrors="1",
        Priority=5,
        Name="patch",
        TaskInvocationParameters={"RunCommand": {"Parameters": {"Operation": ["Install"]}}},
    )["WindowTaskId"]
    got = ssm.get_maintenance_window_task(WindowId=wid, WindowTaskId=kid)
    assert got["TaskType"] == "RUN_COMMAND" and got["Priority"] == 5 and got["MaxConcurrency"] == "2"
    assert got["TaskInvocationParameters"]["RunCommand"]["Parameters"] == {"Operation": ["Install"]}
    out = ssm.update_maintenance_window_task(WindowId=wid, WindowTaskId=kid, Priority=1, MaxErrors="10%")
    assert out["Priority"] == 1 and out["MaxErrors"] == "10%" and out["Name"] == "patch"
    got = ssm.get_maintenance_window_task(WindowId=wid, WindowTaskId=kid)
    assert got["Priority"] == 1 and got["MaxErrors"] == "10%"
    with pytest.raises(ClientError) as e:
        ssm.get_maintenance_window_task(WindowId=wid, WindowTaskId="00000000-0000-0000-0000-000000000000")
    assert e.value.response["Error"]["Code"] == "DoesNotExistException"
    ssm.deregister_task_from_maintenance_window(WindowId=wid, WindowTaskId=kid)
    assert ssm.describe_maintenance_window_tasks(WindowId=wid)["Tasks"] == []


def test_task_listing_names_the_type_field_as_the_model_does(client):
    ssm = client("ssm")
    wid = ssm.create_maintenance_window(Name="typed", Schedule="rate(7 days)", Duration=2, Cutoff=1, AllowUnassociatedTargets=True)["WindowId"]
    ssm.register_task_with_maintenance_window(
        WindowId=wid, TaskArn="AWS-RunPatchBaseline", TaskType="RUN_COMMAND", Name="scan",
        Targets=[{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}], MaxConcurrency="1", MaxErrors="0",
    )
    tasks = ssm.describe_maintenance_window_tasks(WindowId=wid)["Tasks"]
    assert tasks[0]["Type"] == "RUN_COMMAND"
    assert "TaskType" not in tasks[0]
    filtered = ssm.describe_maintenance_window_tasks(WindowId=wid, Filters=[{"Key": "TaskType", "Values": ["LAMBDA"]}])
    assert filtered["Tasks"] == []


def test_update_patch_baseline_replace_resets_unset_fields_to_defaults(client):
    ssm = client("ssm")
    bid = ssm.create_patch_baseline(
        Name="replaced",
        OperatingSystem="AMAZON_LINUX_2023",
        ApprovedPatches=["kernel"],
        ApprovedPatchesComplianceLevel="HIGH",
        ApprovedPatchesEnableNonSecurity=True,
        RejectedPatches=["bash"],
        RejectedPatchesAction="BLOCK",
        Description="before",
    )["BaselineId"]
    out = ssm.update_patch_baseline(BaselineId=bid, Name="replaced", Replace=True)
    got = ssm.get_patch_baseline(BaselineId=bid)
    for doc in (out, got):
        assert doc["ApprovedPatches"] == [] and doc["RejectedPatches"] == []
        assert doc["ApprovedPatchesComplianceLevel"] == "UNSPECIFIED"
        assert doc["ApprovedPatchesEnableNonSecurity"] is False
        assert doc["RejectedPatchesAction"] == "ALLOW_AS_DEPENDENCY"
        assert "Description" not in doc and "ApprovalRules" not in doc
    assert got["Name"] == "replaced" and got["OperatingSystem"] == "AMAZON_LINUX_2023"


def _lambda_task(ssm, wid, **kw):
    return ssm.register_task_with_maintenance_window(
        WindowId=wid,
        TaskArn="arn:aws:lambda:us-east-1:123456789012:function:report",
        TaskType="LAMBDA",
        Name="report",
        **kw,
    )["WindowTaskId"]


def test_lambda_payload_round_trips_as_the_bytes_sent(client):
    # Payload is a blob (botocore: MaintenanceWindowLambdaPayload): the JSON protocol
    # carries it base64-encoded once each way, and the client gets the bytes it sent.
    ssm = client("ssm")
    wid = _window(ssm)
    payload = b'{"window": "prod", "n": [1, 2]}'
    kid = _lambda_task(
        ssm,
        wid,
        TaskInvocationParameters={"Lambda": {"Payload": payload, "Qualifier": "live", "ClientContext": "e30="}},
    )
    got = ssm.get_maintenance_window_task(WindowId=wid, WindowTaskId=kid)
    lam = got["TaskInvocationParameters"]["Lambda"]
    assert lam["Payload"] == payload
    assert lam["Qualifier"] == "live" and lam["ClientContext"] == "e30="
    out = ssm.update_maintenance_window_task(
        WindowId=wid, WindowTaskId=kid, TaskInvocationParameters={"Lambda": {"Payload": b"plain"}}
    )
    assert out["TaskInvocationParameters"]["Lambda"]["Payload"] == b"plain"
    got = ssm.get_maintenance_window_task(WindowId=wid, WindowTaskId=kid)
    assert got["TaskInvocationParameters"]["Lambda"]["Payload"] == b"plain"


def test_lambda_payload_over_the_model_max_is_refused(client):
    ssm = client("ssm")
    wid = _window(ssm)
    with pytest.raises(ClientError) as e:
        _lambda_task(ssm, wid, TaskInvocationParameters={"Lambda": {"Payload": b"x" * 4097}})
    assert e.value.response["Error"]["Code"] == "ValidationException"


def test_targetless_task_reports_placeholder_limits(client):
    # "For maintenance window tasks without a target specified, you can't supply a
    # value for this option. Instead, the system inserts a placeholder value of 1"
    # (GetMaintenanceWindowTask, MaxConcurrency and MaxErrors).
    ssm = client("ssm")
    wid = _window(ssm)
    kid = _lambda_task(ssm, wid)
    got = ssm.get_maintenance_window_task(WindowId=wid, WindowTaskId=kid)
    assert got["MaxConcurrency"] == "1" and got["MaxErrors"] == "1"
    listed = ssm.describe_maintenance_window_tasks(WindowId=wid)["Tasks"][0]
    assert listed["MaxConcurrency"] == "1" and listed["MaxErrors"] == "1"


def test_update_task_without_replace_keeps_what_it_leaves_out(client):
    ssm = client("ssm")
    wid = _window(ssm)
    tid = ssm.register_target_with_maintenance_window(
        WindowId=wid, ResourceType="INSTANCE", Targets=[{"Key": "tag-key", "Values": ["Patch"]}]
    )["WindowTargetId"]
    kid = ssm.register_task_with_maintenance_window(
        WindowId=wid,
        TaskArn="AWS-RunShellScript",
        TaskType="RUN_COMMAND",
        Targets=[{"Key": "WindowTargetIds", "Values": [tid]}],
        MaxConcurrency="1",
        MaxErrors="1",
        Name="shell",
        Description="d",
        TaskInvocationParameters={"RunCommand": {"TimeoutSeconds": 900, "Parameters": {"commands": ["uptime"]}}},
    )["WindowTaskId"]
    ssm.update_maintenance_window_task(WindowId=wid, WindowTaskId=kid, Priority=4)
    got = ssm.get_maintenance_window_task(WindowId=wid, WindowTaskId=kid)
    assert got["Description"] == "d" and got["Priority"] == 4
    assert got["TaskInvocationParameters"]["RunCommand"]["TimeoutSeconds"] == 900
    ssm.update_maintenance_window_task(
        WindowId=wid, WindowTaskId=kid, TaskArn="AWS-RunShellScript",
        Targets=[{"Key": "WindowTargetIds", "Values": [tid]}], MaxConcurrency="1", MaxErrors="1", Replace=True,
    )
    got = ssm.get_maintenance_window_task(WindowId=wid, WindowTaskId=kid)
    assert "Description" not in got and "TaskInvocationParameters" not in got
