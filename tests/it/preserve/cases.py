"""The preservation cases: one per writer call driftless makes on a live resource
(update, put, register, tagging), each with

- `covers`: the calls (`service:Operation`) the edit's apply must make;
- `shape`: the call whose input members must all be set on the live resource before
  driftless touches it (`unset` names the few a case cannot set, with the reason; the
  other cases of the same call must set them);
- `seed`: makes the resource with the SDK, every input generated from the botocore
  model (`model.generate`: every member, domain values in the overrides below);
- `read`: the resource's whole live state (`aws.py`);
- `doc`, `edit`: the imported document to change and the unrelated change made to
  it in git; `changed`: the paths of the live state that change may move (regexes).

Every live setting outside `changed` must read back exactly as before import.
"""

import json

from model import generate
import aws

TOKEN = "preserve-token-0001"


class Case:
    def __init__(self, name, covers, shape, seed, read, doc, edit, changed, unset=None,
                 not_settings=("ClientToken", "Replace", "CreatorRequestId"), minimal=False):
        # A minimal case seeds only what the model requires: nothing may appear either.
        self.minimal = minimal
        self.name, self.covers, self.shape = name, covers, shape
        self.seed, self.read, self.doc, self.edit = seed, read, doc, edit
        self.changed = changed
        self.unset = unset or {}
        self.not_settings = set(not_settings)


class Ctx:
    """One case's run: the account, what the seed generated, the ids it made."""

    def __init__(self, acct):
        self.acct = acct
        self.generated = {}
        self.ids = {}

    def gen(self, service, operation, overrides, exclude=None, minimal=False):
        value = generate(service, operation, overrides, exclude or {}, minimal)
        self.generated.setdefault(f"{service}:{operation}", []).append(value)
        return value

    def note(self, service, operation, **params):
        """A call made with exactly these parameters (recorded as set by the seed)."""
        self.generated.setdefault(f"{service}:{operation}", []).append(params)
        return getattr(self.acct.client(service), _snake(operation))(**params)

    def call(self, service, operation, overrides, exclude=None, minimal=False):
        params = self.gen(service, operation, overrides, exclude, minimal)
        method = getattr(self.acct.client(service), _snake(operation))
        return method(**params)


def _snake(op):
    out = ""
    for i, ch in enumerate(op):
        if ch.isupper() and i and (not op[i - 1].isupper() or (i + 1 < len(op) and op[i + 1].islower())):
            out += "_"
        out += ch.lower()
    return out


def role(ctx, name="preserve-role"):
    return f"arn:aws:iam::{ctx.acct.account}:role/{name}"


def topic(ctx, name="preserve-topic"):
    return ctx.acct.arn("sns", name)


# ---------------------------------------------------------------------------
# Patch baselines
# ---------------------------------------------------------------------------

BASELINE_COMMON = {
    "ClientToken": TOKEN,
    "Tags[].Key": "team",
    "Tags[].Value": "preserve",
    "ApprovalRules.PatchRules[].ComplianceLevel": "HIGH",
}


def seed_windows_baseline(ctx):
    out = ctx.call("ssm", "CreatePatchBaseline", {
        **BASELINE_COMMON,
        "OperatingSystem": "WINDOWS",
        "Name": "preserve-windows",
        "GlobalFilters.PatchFilters[].Key": "PRODUCT",
        "GlobalFilters.PatchFilters[].Values[]": "WindowsServer2019",
        "ApprovalRules.PatchRules[].PatchFilterGroup.PatchFilters[].Key": "CLASSIFICATION",
        "ApprovalRules.PatchRules[].PatchFilterGroup.PatchFilters[].Values[]": "SecurityUpdates",
        "ApprovalRules.PatchRules[].ApproveAfterDays": 7,
        "ApprovedPatches[]": "KB2032276",
        "RejectedPatches[]": "KB2124261",
    }, {
        "ApprovalRules.PatchRules[].ApproveUntilDate": "a rule approves after days or until a date, not both (set by the Linux case)",
        "ApprovalRules.PatchRules[].EnableNonSecurity": "Linux only (set by the Linux case)",
        "ApprovedPatchesEnableNonSecurity": "Linux only (set by the Linux case)",
        "Sources": "Linux only (set by the Linux case)",
    })
    ctx.ids["baseline"] = out["BaselineId"]
    ctx.acct.client("ssm").register_patch_baseline_for_patch_group(
        BaselineId=out["BaselineId"], PatchGroup="preserve-kept")


def seed_linux_baseline(ctx):
    out = ctx.call("ssm", "CreatePatchBaseline", {
        **BASELINE_COMMON,
        "OperatingSystem": "AMAZON_LINUX_2",
        "Name": "preserve-linux",
        "GlobalFilters.PatchFilters[].Key": "PRODUCT",
        "GlobalFilters.PatchFilters[].Values[]": "AmazonLinux2",
        "ApprovalRules.PatchRules[].PatchFilterGroup.PatchFilters[].Key": "CLASSIFICATION",
        "ApprovalRules.PatchRules[].PatchFilterGroup.PatchFilters[].Values[]": "Security",
        "ApprovalRules.PatchRules[].ApproveUntilDate": "2030-01-15",
        "ApprovalRules.PatchRules[].EnableNonSecurity": True,
        "ApprovedPatches[]": "curl-7.79.1-1.amzn2.0.1.x86_64",
        "RejectedPatches[]": "kernel-4.14.355-275.570.amzn2.x86_64",
        "ApprovedPatchesEnableNonSecurity": True,
        "Sources[].Name": "preserve-repo",
        "Sources[].Products[]": "AmazonLinux2",
        "Sources[].Configuration": "[main]\nname=PreserveRepo\nbaseurl=https://example.com/repo/\nenabled=1",
    }, {
        "ApprovalRules.PatchRules[].ApproveAfterDays": "a rule approves after days or until a date, not both (set by the Windows case)",
        "AvailableSecurityUpdatesComplianceStatus": "Windows only (set by the Windows case)",
    })
    ctx.ids["baseline"] = out["BaselineId"]


def read_baseline(ctx):
    return aws.read_baseline(ctx.acct, ctx.ids["baseline"])


def set_in(path, value):
    def edit(spec):
        node = spec
        keys = path.split(".")
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node[k]
        last = keys[-1]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return edit


def both(*edits):
    def edit(spec):
        for e in edits:
            e(spec)
    return edit


def add_tag(key="preserve-added", value="yes"):
    def edit(spec):
        spec.setdefault("tags", {})[key] = value
    return edit


def remove_tag(key):
    def edit(spec):
        del spec["tags"][key]
    return edit


def add_to(path, item):
    def edit(spec):
        spec.setdefault(path, []).append(item)
    return edit


WINDOWS_UNSET = {"Sources": "Linux only", "ApprovedPatchesEnableNonSecurity": "Linux only"}
LINUX_UNSET = {"AvailableSecurityUpdatesComplianceStatus": "Windows only"}

BASELINE_CASES = [
    Case("UpdatePatchBaseline/windows", ["ssm:UpdatePatchBaseline"],
         ("ssm", "UpdatePatchBaseline"), seed_windows_baseline, read_baseline,
         ("PatchBaseline", "preserve-windows"),
         set_in("approvalRules.0.approveAfterDays", 9),
         [r"ApprovalRules\.PatchRules\.0\.ApproveAfterDays"],
         unset=WINDOWS_UNSET,
         not_settings=("BaselineId", "Replace")),
    Case("UpdatePatchBaseline/linux", ["ssm:UpdatePatchBaseline"],
         ("ssm", "UpdatePatchBaseline"), seed_linux_baseline, read_baseline,
         ("PatchBaseline", "preserve-linux"),
         set_in("description", "changed by the preservation test"),
         [r"Description"],
         unset=LINUX_UNSET,
         not_settings=("BaselineId", "Replace")),
    Case("ssm-tags/baseline", ["ssm:AddTagsToResource", "ssm:RemoveTagsFromResource"],
         ("ssm", "UpdatePatchBaseline"), seed_windows_baseline, read_baseline,
         ("PatchBaseline", "preserve-windows"),
         both(add_tag(), remove_tag("team")),
         [r"Tags\.preserve-added", r"Tags\.team", r"Tags$"],
         unset=WINDOWS_UNSET, not_settings=("BaselineId", "Replace")),
    Case("RegisterPatchBaselineForPatchGroup", ["ssm:RegisterPatchBaselineForPatchGroup"],
         ("ssm", "UpdatePatchBaseline"), seed_windows_baseline, read_baseline,
         ("PatchBaseline", "preserve-windows"),
         add_to("patchGroups", "preserve-added"),
         [r"PatchGroups"],
         unset=WINDOWS_UNSET, not_settings=("BaselineId", "Replace")),
    Case("RegisterDefaultPatchBaseline", ["ssm:RegisterDefaultPatchBaseline"],
         ("ssm", "UpdatePatchBaseline"), seed_linux_baseline, read_baseline,
         ("PatchBaseline", "preserve-linux"),
         set_in("defaultForOperatingSystem", True),
         [r"IsDefault"],
         unset=LINUX_UNSET, not_settings=("BaselineId", "Replace")),
]


# ---------------------------------------------------------------------------
# Maintenance windows, their targets and tasks
# ---------------------------------------------------------------------------

WINDOW = "preserve-window"


def seed_window(ctx, target_name=True, legacy_task=False):
    out = ctx.call("ssm", "CreateMaintenanceWindow", {
        "Name": WINDOW,
        "StartDate": "2027-01-01T00:00:00Z",
        "EndDate": "2035-12-31T00:00:00Z",
        "Schedule": "cron(0 4 ? * SUN *)",
        "ScheduleTimezone": "Asia/Tokyo",
        "ScheduleOffset": 2,
        "Duration": 4,
        "Cutoff": 1,
        "AllowUnassociatedTargets": True,
        "ClientToken": TOKEN,
        "Tags[].Key": "team",
        "Tags[].Value": "preserve",
    })
    window = ctx.ids["window"] = out["WindowId"]
    ctx.note("ssm", "UpdateMaintenanceWindow", WindowId=window, Enabled=False)
    target_overrides = {
        "WindowId": window,
        "ResourceType": "INSTANCE",
        "Targets[].Key": "tag:Patch Group",
        "Targets[].Values[]": "preserve",
        "Name": "preserve-target",
        "ClientToken": TOKEN,
    }
    exclude = {}
    if not target_name:
        del target_overrides["Name"]
        exclude["Name"] = "the unnamed-target case: a target registered without a name stays unnamed"
    target = ctx.call("ssm", "RegisterTargetWithMaintenanceWindow", target_overrides, exclude)
    ctx.ids["target"] = target["WindowTargetId"]
    seed_task(ctx, window, target["WindowTargetId"], legacy_task)


OTHER_TYPES = "another task type's block (a RUN_COMMAND task takes RunCommand only)"


OTHER_TASK_TYPES = {
    "AUTOMATION": ("AWS-RestartEC2Instance", {
        "TaskInvocationParameters.Automation.DocumentVersion": "1",
        "TaskInvocationParameters.Automation.Parameters": {"InstanceId": ["{{RESOURCE_ID}}"]},
    }),
    "LAMBDA": ("arn:aws:lambda:{region}:{account}:function:preserve", {
        "TaskInvocationParameters.Lambda.ClientContext": "eyJjdXN0b20iOnsid2luZG93IjoicHJlc2VydmUifX0=",
        "TaskInvocationParameters.Lambda.Qualifier": "1",
        "TaskInvocationParameters.Lambda.Payload": b'{"window": "preserve"}',
    }),
    "STEP_FUNCTIONS": ("arn:aws:states:{region}:{account}:stateMachine:preserve", {
        "TaskInvocationParameters.StepFunctions.Input": '{"window": "preserve"}',
        "TaskInvocationParameters.StepFunctions.Name": "preserve-execution",
    }),
}
BLOCK = {"RUN_COMMAND": "RunCommand", "AUTOMATION": "Automation", "LAMBDA": "Lambda",
         "STEP_FUNCTIONS": "StepFunctions"}


def seed_typed_task(ctx, task_type):
    """A window with one task of another type than RUN_COMMAND, every member of its
    own block set."""
    out = ctx.call("ssm", "CreateMaintenanceWindow", {
        "Name": WINDOW, "Schedule": "cron(0 4 ? * SUN *)", "Duration": 4, "Cutoff": 1,
        "AllowUnassociatedTargets": True,
    }, minimal=True)
    window = ctx.ids["window"] = out["WindowId"]
    arn, block = OTHER_TASK_TYPES[task_type]
    arn = arn.format(region=ctx.acct.region, account=ctx.acct.account)
    exclude = {f"TaskInvocationParameters.{b}": f"a {task_type} task takes its own block only"
               for t, b in BLOCK.items() if t != task_type}
    exclude["TaskParameters"] = "deprecated: set by the legacy-task case"
    exclude["LoggingInfo"] = "Run Command's deprecated log location: set by the RUN_COMMAND cases"
    task = ctx.call("ssm", "RegisterTaskWithMaintenanceWindow", {
        **block,
        "WindowId": window,
        "Targets[].Key": "InstanceIds",
        "Targets[].Values[]": "i-0123456789abcdef0",
        "TaskArn": arn,
        "ServiceRoleArn": role(ctx),
        "TaskType": task_type,
        "Priority": 3,
        "MaxConcurrency": "2",
        "MaxErrors": "1",
        "Name": "preserve-task",
        "ClientToken": TOKEN,
        "AlarmConfiguration.IgnorePollAlarmFailure": True,
        "AlarmConfiguration.Alarms[].Name": "preserve-stop-alarm",
    }, exclude)
    ctx.ids["task"] = task["WindowTaskId"]


def typed_task_case(task_type):
    return Case(f"UpdateMaintenanceWindowTask/{task_type.lower()}", ["ssm:UpdateMaintenanceWindowTask"],
                ("ssm", "UpdateMaintenanceWindowTask"), lambda ctx: seed_typed_task(ctx, task_type),
                read_window, ("MaintenanceWindow", WINDOW), in_list("tasks", 0, "priority", 5),
                [r"WindowTasks\.preserve-task\.Priority$"], not_settings=TASK_NOT_SETTINGS,
                unset={**MODERN_UNSET, "LoggingInfo": "Run Command only"})




def seed_task(ctx, window, target_id, legacy):
    overrides = {
        "WindowId": window,
        "Targets[].Key": "WindowTargetIds",
        "Targets[].Values[]": target_id,
        "TaskArn": "AWS-RunPatchBaseline",
        "ServiceRoleArn": role(ctx),
        "TaskType": "RUN_COMMAND",
        "Priority": 3,
        "MaxConcurrency": "2",
        "MaxErrors": "1",
        "LoggingInfo.S3BucketName": "preserve-logs",
        "LoggingInfo.S3KeyPrefix": "windows/",
        "LoggingInfo.S3Region": ctx.acct.region,
        "Name": "preserve-task",
        "ClientToken": TOKEN,
        "AlarmConfiguration.IgnorePollAlarmFailure": True,
        "AlarmConfiguration.Alarms[].Name": "preserve-stop-alarm",
    }
    exclude = {}
    if legacy:
        overrides["TaskParameters"] = {"Operation": {"Values": ["Scan"]}}
        exclude["TaskInvocationParameters"] = "the legacy case: a task registered with TaskParameters only"
    else:
        exclude["TaskParameters"] = "deprecated: set by the legacy-task case"
        overrides.update({
            "TaskInvocationParameters.RunCommand.CloudWatchOutputConfig.CloudWatchLogGroupName": "/preserve/run-command",
            "TaskInvocationParameters.RunCommand.CloudWatchOutputConfig.CloudWatchOutputEnabled": True,
            "TaskInvocationParameters.RunCommand.DocumentHash": "a" * 64,
            "TaskInvocationParameters.RunCommand.DocumentHashType": "Sha256",
            "TaskInvocationParameters.RunCommand.DocumentVersion": "1",
            "TaskInvocationParameters.RunCommand.NotificationConfig.NotificationArn": topic(ctx),
            "TaskInvocationParameters.RunCommand.OutputS3BucketName": "preserve-output",
            "TaskInvocationParameters.RunCommand.OutputS3KeyPrefix": "run-command/",
            "TaskInvocationParameters.RunCommand.Parameters": {"Operation": ["Install"]},
            "TaskInvocationParameters.RunCommand.ServiceRoleArn": role(ctx, "preserve-notify"),
            "TaskInvocationParameters.RunCommand.TimeoutSeconds": 1800,
        })
        for block in ("Automation", "StepFunctions", "Lambda"):
            exclude[f"TaskInvocationParameters.{block}"] = OTHER_TYPES
    task = ctx.call("ssm", "RegisterTaskWithMaintenanceWindow", overrides, exclude)
    ctx.ids["task"] = task["WindowTaskId"]


def read_window(ctx):
    return aws.read_window(ctx.acct, ctx.ids["window"])


def in_list(field, index, key, value):
    def edit(spec):
        spec[field][index][key] = value
    return edit


WINDOW_NOT_SETTINGS = ("WindowId", "Replace", "ClientToken")
TASK_NOT_SETTINGS = ("WindowId", "WindowTaskId", "Replace", "ClientToken")
TARGET_NOT_SETTINGS = ("WindowId", "WindowTargetId", "Replace", "ClientToken")
LEGACY_UNSET = {"TaskInvocationParameters": "the legacy case registers TaskParameters only"}
MODERN_UNSET = {"TaskParameters": "deprecated: the legacy case sets it"}


def seed_unnamed(ctx):
    seed_window(ctx, target_name=False)


def seed_legacy(ctx):
    seed_window(ctx, legacy_task=True)


WINDOW_CASES = [
    Case("UpdateMaintenanceWindow", ["ssm:UpdateMaintenanceWindow"],
         ("ssm", "UpdateMaintenanceWindow"), seed_window, read_window,
         ("MaintenanceWindow", WINDOW),
         set_in("description", "changed by the preservation test"),
         [r"Description$"], not_settings=WINDOW_NOT_SETTINGS),
    Case("ssm-tags/window", ["ssm:AddTagsToResource", "ssm:RemoveTagsFromResource"],
         ("ssm", "UpdateMaintenanceWindow"), seed_window, read_window,
         ("MaintenanceWindow", WINDOW),
         both(add_tag(), remove_tag("team")),
         [r"Tags\.preserve-added", r"Tags\.team", r"Tags$"], not_settings=WINDOW_NOT_SETTINGS),
    Case("UpdateMaintenanceWindowTarget", ["ssm:UpdateMaintenanceWindowTarget"],
         ("ssm", "UpdateMaintenanceWindowTarget"), seed_window, read_window,
         ("MaintenanceWindow", WINDOW),
         in_list("targets", 0, "description", "changed by the preservation test"),
         [r"WindowTargets\.preserve-target\.Description$"], not_settings=TARGET_NOT_SETTINGS),
    Case("UpdateMaintenanceWindowTarget/unnamed", ["ssm:UpdateMaintenanceWindowTarget"],
         ("ssm", "UpdateMaintenanceWindowTarget"), seed_unnamed, read_window,
         ("MaintenanceWindow", WINDOW),
         in_list("targets", 0, "description", "changed by the preservation test"),
         [r"WindowTargets\.[^.]+\.Description$"], not_settings=TARGET_NOT_SETTINGS,
         unset={"Name": "the unnamed case: must stay unnamed"}),
    Case("RegisterTargetWithMaintenanceWindow", ["ssm:RegisterTargetWithMaintenanceWindow"],
         ("ssm", "UpdateMaintenanceWindow"), seed_window, read_window,
         ("MaintenanceWindow", WINDOW),
         add_to("targets", {"name": "preserve-added", "resourceType": "INSTANCE",
                            "tags": {"Patch Group": "preserve-added"}}),
         [r"WindowTargets\.preserve-added\."], not_settings=WINDOW_NOT_SETTINGS),
    Case("UpdateMaintenanceWindowTask", ["ssm:UpdateMaintenanceWindowTask"],
         ("ssm", "UpdateMaintenanceWindowTask"), seed_window, read_window,
         ("MaintenanceWindow", WINDOW),
         in_list("tasks", 0, "priority", 5),
         [r"WindowTasks\.preserve-task\.Priority$"], not_settings=TASK_NOT_SETTINGS,
         unset=MODERN_UNSET),
    Case("UpdateMaintenanceWindowTask/legacy", ["ssm:UpdateMaintenanceWindowTask"],
         ("ssm", "UpdateMaintenanceWindowTask"), seed_legacy, read_window,
         ("MaintenanceWindow", WINDOW),
         in_list("tasks", 0, "priority", 5),
         [r"WindowTasks\.preserve-task\.Priority$"], not_settings=TASK_NOT_SETTINGS,
         unset=LEGACY_UNSET),
    Case("RegisterTaskWithMaintenanceWindow", ["ssm:RegisterTaskWithMaintenanceWindow"],
         ("ssm", "UpdateMaintenanceWindow"), seed_window, read_window,
         ("MaintenanceWindow", WINDOW),
         add_to("tasks", {"name": "preserve-added", "type": "AUTOMATION",
                          "taskArn": "AWS-RestartEC2Instance", "priority": 9}),
         [r"WindowTasks\.preserve-added\."], not_settings=WINDOW_NOT_SETTINGS),
]


# ---------------------------------------------------------------------------
# AWS Backup: vaults, plans, selections
# ---------------------------------------------------------------------------

VAULT = "preserve-vault"
PLAN = "preserve-plan"


def vault_policy(ctx):
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "deny-deletes",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": ["backup:DeleteRecoveryPoint"],
            "Resource": "*",
        }],
    })


def seed_vault(ctx):
    ctx.call("backup", "CreateBackupVault", {
        "BackupVaultName": VAULT,
        "BackupVaultTags": {"team": "preserve", "cost-centre": "cc-42"},
        "EncryptionKeyArn": ctx.acct.arn("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab"),
        "CreatorRequestId": TOKEN,
    })
    ctx.call("backup", "PutBackupVaultAccessPolicy", {"BackupVaultName": VAULT, "Policy": vault_policy(ctx)})
    ctx.call("backup", "PutBackupVaultNotifications", {
        "BackupVaultName": VAULT,
        "SNSTopicArn": topic(ctx),
        "BackupVaultEvents": ["BACKUP_JOB_COMPLETED", "RESTORE_JOB_COMPLETED"],
    })
    ctx.call("backup", "PutBackupVaultLockConfiguration", {
        "BackupVaultName": VAULT, "MinRetentionDays": 7, "MaxRetentionDays": 3650, "ChangeableForDays": 30,
    })
    ctx.ids["vault"] = VAULT


def seed_plan(ctx):
    seed_vault(ctx)
    dest = f"arn:aws:backup:eu-west-3:{ctx.acct.account}:backup-vault:preserve-dr"
    out = ctx.call("backup", "CreateBackupPlan", {
        "BackupPlan.BackupPlanName": PLAN,
        "BackupPlan.Rules[].RuleName": "daily",
        "BackupPlan.Rules[].TargetBackupVaultName": VAULT,
        "BackupPlan.Rules[].TargetLogicallyAirGappedBackupVaultArn":
            ctx.acct.arn("backup", "backup-vault:preserve-air-gapped"),
        "BackupPlan.Rules[].ScheduleExpression": "cron(0 5 ? * * *)",
        "BackupPlan.Rules[].StartWindowMinutes": 120,
        "BackupPlan.Rules[].CompletionWindowMinutes": 360,
        "BackupPlan.Rules[].Lifecycle.MoveToColdStorageAfterDays": 30,
        "BackupPlan.Rules[].Lifecycle.DeleteAfterDays": 365,
        "BackupPlan.Rules[].Lifecycle.OptInToArchiveForSupportedResources": True,
        "BackupPlan.Rules[].RecoveryPointTags": {"preserve": "yes"},
        "BackupPlan.Rules[].CopyActions[].Lifecycle.MoveToColdStorageAfterDays": 30,
        "BackupPlan.Rules[].CopyActions[].Lifecycle.DeleteAfterDays": 400,
        "BackupPlan.Rules[].CopyActions[].Lifecycle.OptInToArchiveForSupportedResources": True,
        "BackupPlan.Rules[].CopyActions[].DestinationBackupVaultArn": dest,
        "BackupPlan.Rules[].ScheduleExpressionTimezone": "Asia/Tokyo",
        "BackupPlan.Rules[].IndexActions[].ResourceTypes[]": "EBS",
        "BackupPlan.AdvancedBackupSettings[].ResourceType": "EC2",
        "BackupPlan.AdvancedBackupSettings[].BackupOptions": {"WindowsVSS": "enabled"},
        "BackupPlan.ScanSettings[].ResourceTypes[]": "EBS",
        "BackupPlan.ScanSettings[].ScannerRoleArn": role(ctx, "preserve-scanner"),
        "BackupPlanTags": {"team": "preserve", "cost-centre": "cc-42"},
        "CreatorRequestId": TOKEN,
    }, {
        "BackupPlan.Rules[].EnableContinuousBackup":
            "continuous backups are kept at most 35 days and never in cold storage; this rule is not one",
        "BackupPlan.Rules[].Lifecycle.DeleteAfterEvent":
            "DELETE_AFTER_COPY replaces DeleteAfterDays, which the unrelated change edits",
        "BackupPlan.Rules[].CopyActions[].Lifecycle.DeleteAfterEvent":
            "DELETE_AFTER_COPY on a copy's own lifecycle has no copy after it",
    })
    plan_id = ctx.ids["plan"] = out["BackupPlanId"]
    ctx.call("backup", "CreateBackupSelection", {
        "BackupPlanId": plan_id,
        "BackupSelection.SelectionName": "preserve-selection",
        "BackupSelection.IamRoleArn": role(ctx, "preserve-backup"),
        "BackupSelection.Resources[]": ctx.acct.arn("ec2", "volume/*"),
        "BackupSelection.ListOfTags[].ConditionKey": "backup",
        "BackupSelection.ListOfTags[].ConditionValue": "daily",
        "BackupSelection.NotResources[]": ctx.acct.arn("ec2", "volume/vol-0123456789abcdef0"),
        "BackupSelection.Conditions.StringEquals[].ConditionKey": "aws:ResourceTag/env",
        "BackupSelection.Conditions.StringEquals[].ConditionValue": "prod",
        "BackupSelection.Conditions.StringNotEquals[].ConditionKey": "aws:ResourceTag/scratch",
        "BackupSelection.Conditions.StringNotEquals[].ConditionValue": "true",
        "BackupSelection.Conditions.StringLike[].ConditionKey": "aws:ResourceTag/app",
        "BackupSelection.Conditions.StringLike[].ConditionValue": "web-*",
        "BackupSelection.Conditions.StringNotLike[].ConditionKey": "aws:ResourceTag/Name",
        "BackupSelection.Conditions.StringNotLike[].ConditionValue": "tmp-*",
        "CreatorRequestId": TOKEN,
    })


def read_vault(ctx):
    return aws.read_vault(ctx.acct, ctx.ids["vault"])


def read_plan(ctx):
    # The emulator gives a rule a new RuleId on every UpdateBackupPlan; the id is
    # AWS's, never a setting, so it is left out of the comparison.
    return {"Plan": aws.read_plan(ctx.acct, ctx.ids["plan"]), "Vault": aws.read_vault(ctx.acct, VAULT)}


def set_nested(*keys_and_value):
    *keys, value = keys_and_value

    def edit(spec):
        node = spec
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    return edit


def add_policy_statement(spec):
    spec["accessPolicy"]["Statement"].append({
        "Sid": "deny-lifecycle", "Effect": "Deny", "Principal": {"AWS": "*"},
        "Action": ["backup:UpdateRecoveryPointLifecycle"], "Resource": "*",
    })


def add_event(spec):
    spec["notifications"]["events"].append("BACKUP_JOB_FAILED")


VAULT_NOT_SETTINGS = ("BackupVaultName",)

BACKUP_CASES = [
    Case("PutBackupVaultAccessPolicy", ["backup:PutBackupVaultAccessPolicy"],
         ("backup", "PutBackupVaultAccessPolicy"), seed_vault, read_vault,
         ("BackupVault", VAULT), add_policy_statement,
         [r"AccessPolicy\.Policy\.Statement\.1\."], not_settings=VAULT_NOT_SETTINGS),
    Case("PutBackupVaultNotifications", ["backup:PutBackupVaultNotifications"],
         ("backup", "PutBackupVaultNotifications"), seed_vault, read_vault,
         ("BackupVault", VAULT), add_event,
         [r"Notifications\.BackupVaultEvents\."], not_settings=VAULT_NOT_SETTINGS),
    Case("PutBackupVaultLockConfiguration", ["backup:PutBackupVaultLockConfiguration"],
         ("backup", "PutBackupVaultLockConfiguration"), seed_vault, read_vault,
         ("BackupVault", VAULT), set_nested("lock", "maxRetentionDays", 3000),
         [r"MaxRetentionDays$"], not_settings=VAULT_NOT_SETTINGS),
    Case("backup-tags/vault", ["backup:TagResource", "backup:UntagResource"],
         ("backup", "CreateBackupVault"), seed_vault, read_vault,
         ("BackupVault", VAULT), both(add_tag(), remove_tag("cost-centre")),
         [r"Tags\.preserve-added", r"Tags\.cost-centre"], not_settings=VAULT_NOT_SETTINGS),
    Case("UpdateBackupPlan", ["backup:UpdateBackupPlan"],
         ("backup", "UpdateBackupPlan"), seed_plan, read_plan,
         ("BackupPlan", PLAN), lambda spec: spec["rules"][0]["lifecycle"].update(deleteAfterDays=400),
         [r"Plan\.BackupPlan\.Rules\.0\.Lifecycle\.DeleteAfterDays$"], not_settings=("BackupPlanId",)),
    Case("backup-tags/plan", ["backup:TagResource", "backup:UntagResource"],
         ("backup", "UpdateBackupPlan"), seed_plan, read_plan,
         ("BackupPlan", PLAN), both(add_tag(), remove_tag("cost-centre")),
         [r"Plan\.Tags\.preserve-added", r"Plan\.Tags\.cost-centre"], not_settings=("BackupPlanId",)),
    Case("CreateBackupSelection/changed", ["backup:CreateBackupSelection"],
         ("backup", "CreateBackupSelection"), seed_plan, read_plan,
         ("BackupPlan", PLAN), lambda spec: spec["selections"][0]["anyOfTags"].update(backup="hourly"),
         [r"Plan\.Selections\.preserve-selection\.BackupSelection\.ListOfTags\.0\.ConditionValue$"],
         not_settings=("BackupPlanId", "CreatorRequestId")),
]


# ---------------------------------------------------------------------------
# CloudWatch alarms
# ---------------------------------------------------------------------------

# Members no case sets, each with the reason: never silently skipped. `preserve.py
# list` prints them and the Rust test names them.
NOT_COVERED = {
    "cloudwatch:PutMetricAlarm": {
        "EvaluationCriteria": "PromQL alarms only: the format has none and import leaves them out, "
                              "so no driftless writer touches one",
        "EvaluationInterval": "PromQL alarms only (as EvaluationCriteria)",
    },
}

ALARM = "preserve-alarm"
ALARM_COMMON = {
    "AlarmName": ALARM,
    "ActionsEnabled": False,
    "EvaluationPeriods": 5,
    "DatapointsToAlarm": 3,
    "TreatMissingData": "breaching",
    "Tags[].Key": "team",
    "Tags[].Value": "preserve",
}


def actions(ctx):
    return {
        "OKActions[]": topic(ctx, "preserve-ok"),
        "AlarmActions[]": topic(ctx, "preserve-alarm"),
        "InsufficientDataActions[]": topic(ctx, "preserve-data"),
    }


NEW_ALARM_MEMBERS = dict(NOT_COVERED["cloudwatch:PutMetricAlarm"])
SET_BY_SINGLE = "set by the single-metric case"
NEW_SET_ELSEWHERE = {m: SET_BY_SINGLE for m in ("WarmUpConfiguration", "ActionConfiguration", "EvaluationWindow")}
TAG_PROPAGATION = {
    "ActionConfiguration.AlarmTagsPropagation.Enabled": True,
    "ActionConfiguration.AlarmTagsPropagation.IncludedTagKeys[]": "team",
    "ActionConfiguration.AlarmTagsPropagation.ExcludedTagKeys[]": "cost-centre",
}
MATH_ONLY = "metric-math alarms only (set by the math and anomaly cases)"
SINGLE_ONLY = "single-metric alarms only (set by the single and percentile cases)"


def seed_single(ctx):
    ctx.call("cloudwatch", "PutMetricAlarm", {
        **ALARM_COMMON, **actions(ctx),
        "MetricName": "CPUUtilization",
        "Namespace": "AWS/EC2",
        "Statistic": "Average",
        "Dimensions[].Name": "InstanceId",
        "Dimensions[].Value": "i-0123456789abcdef0",
        "Period": 300,
        "Unit": "Percent",
        "Threshold": 75.5,
        "WarmUpConfiguration.WarmUpPeriodDurationInMinutes": 15,
        "WarmUpConfiguration.OnlyStartEvaluatingAfterWarmUpPeriodEnds": True,
        "EvaluationWindow.WallClockWindow.Timezone": "Asia/Tokyo",
        **TAG_PROPAGATION,
    }, {
        **NEW_ALARM_MEMBERS,
        "EvaluationWindow.SlidingWindow": "a union: this alarm's window is a wall-clock one",
        "ExtendedStatistic": "a statistic or an extended statistic, not both (set by the percentile case)",
        "EvaluateLowSampleCountPercentile": "percentile alarms only (set by the percentile case)",
        "Metrics": MATH_ONLY, "ThresholdMetricId": MATH_ONLY,
    })
    ctx.ids["alarm"] = ALARM


def seed_percentile(ctx):
    ctx.call("cloudwatch", "PutMetricAlarm", {
        **ALARM_COMMON, **actions(ctx),
        "MetricName": "TargetResponseTime",
        "Namespace": "AWS/ApplicationELB",
        "ExtendedStatistic": "p99",
        "EvaluateLowSampleCountPercentile": "ignore",
        "Dimensions[].Name": "LoadBalancer",
        "Dimensions[].Value": "app/web/0123456789abcdef",
        "Period": 60,
        "Unit": "Seconds",
        "Threshold": 1.5,
    }, {
        **NEW_ALARM_MEMBERS, **NEW_SET_ELSEWHERE,
        "Statistic": "a statistic or an extended statistic, not both (set by the single case)",
        "Metrics": MATH_ONLY, "ThresholdMetricId": MATH_ONLY,
    })
    ctx.ids["alarm"] = ALARM


def seed_math(ctx, anomaly=False):
    account = ctx.acct.account
    metric = {
        "Id": "errors",
        "MetricStat": {
            "Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": "HTTPCode_Target_5XX_Count",
                       "Dimensions": [{"Name": "LoadBalancer", "Value": "app/web/0123456789abcdef"}]},
            "Period": 300, "Stat": "Sum", "Unit": "Count",
        },
        "Label": "5xx", "ReturnData": anomaly, "AccountId": account,
    }
    if anomaly:
        band = {"Id": "band", "Expression": "ANOMALY_DETECTION_BAND(errors, 2)", "Label": "expected",
                "ReturnData": True}
        overrides = {"Metrics": [metric, band], "ThresholdMetricId": "band",
                     "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold"}
        exclude = {"Threshold": "an anomaly-detection alarm has a band, not a threshold"}
    else:
        rate = {"Id": "rate", "Expression": "errors / 60", "Label": "per second", "ReturnData": True,
                "Period": 300}
        overrides = {"Metrics": [metric, rate], "Threshold": 5.0}
        exclude = {"ThresholdMetricId": "anomaly-detection alarms only (set by the anomaly case)"}
    ctx.call("cloudwatch", "PutMetricAlarm", {**ALARM_COMMON, **actions(ctx), **overrides}, {
        **NEW_ALARM_MEMBERS, **NEW_SET_ELSEWHERE, **exclude,
        "MetricName": SINGLE_ONLY, "Namespace": SINGLE_ONLY, "Statistic": SINGLE_ONLY,
        "ExtendedStatistic": SINGLE_ONLY, "Dimensions": SINGLE_ONLY, "Period": SINGLE_ONLY,
        "Unit": SINGLE_ONLY, "EvaluateLowSampleCountPercentile": SINGLE_ONLY,
    })
    ctx.ids["alarm"] = ALARM


def seed_anomaly(ctx):
    seed_math(ctx, anomaly=True)


COMPOSITE = "preserve-composite"


def seed_composite(ctx):
    seed_single(ctx)
    ctx.call("cloudwatch", "PutCompositeAlarm", {
        **actions(ctx),
        "ActionsEnabled": False,
        "AlarmName": COMPOSITE,
        "AlarmRule": f'ALARM("{ALARM}") OR OK("{ALARM}")',
        "ActionsSuppressor": ctx.acct.arn("cloudwatch", f"alarm:{ALARM}"),
        "ActionsSuppressorWaitPeriod": 120,
        "ActionsSuppressorExtensionPeriod": 60,
        "Tags[].Key": "team",
        "Tags[].Value": "preserve",
        **TAG_PROPAGATION,
    })
    ctx.ids["alarm"] = COMPOSITE


def read_alarm(ctx):
    return aws.read_alarm(ctx.acct, ctx.ids["alarm"])


def read_composite(ctx):
    """The composite alarm and the metric alarm its rule and suppressor name."""
    return {"Composite": aws.read_alarm(ctx.acct, COMPOSITE), "Child": aws.read_alarm(ctx.acct, ALARM)}


def alarm_case(name, seed, edit, changed, unset):
    return Case(name, ["cloudwatch:PutMetricAlarm"], ("cloudwatch", "PutMetricAlarm"), seed, read_alarm,
                ("MetricAlarm", ALARM), edit, changed, unset={**NEW_ALARM_MEMBERS, **unset},
                not_settings=("AlarmName", "Tags"))


SINGLE_UNSET = {m: MATH_ONLY for m in ("Metrics", "ThresholdMetricId")}
MATH_UNSET = {m: SINGLE_ONLY for m in ("MetricName", "Namespace", "Statistic", "ExtendedStatistic",
                                        "Dimensions", "Period", "Unit", "EvaluateLowSampleCountPercentile")}

ALARM_CASES = [
    alarm_case("PutMetricAlarm/single", seed_single, set_in("threshold", 80),
               [r"Threshold$"], {**SINGLE_UNSET, "ExtendedStatistic": "percentile case",
                                  "EvaluateLowSampleCountPercentile": "percentile case"}),
    alarm_case("PutMetricAlarm/percentile", seed_percentile, set_in("threshold", 2),
               [r"Threshold$"], {**SINGLE_UNSET, **NEW_SET_ELSEWHERE, "Statistic": "single case"}),
    alarm_case("PutMetricAlarm/math", seed_math, set_in("threshold", 6),
               [r"Threshold$"], {**MATH_UNSET, **NEW_SET_ELSEWHERE, "ThresholdMetricId": "anomaly case"}),
    alarm_case("PutMetricAlarm/anomaly", seed_anomaly, set_in("evaluationPeriods", 6),
               [r"EvaluationPeriods$"], {**MATH_UNSET, **NEW_SET_ELSEWHERE, "Threshold": "a band, no threshold"}),
    Case("cloudwatch-tags/alarm", ["cloudwatch:TagResource", "cloudwatch:UntagResource"],
         ("cloudwatch", "PutMetricAlarm"), seed_single, read_alarm, ("MetricAlarm", ALARM),
         both(add_tag(), remove_tag("team")), [r"Tags\.preserve-added", r"Tags\.team", r"Tags$"],
         unset={**NEW_ALARM_MEMBERS, **SINGLE_UNSET, "ExtendedStatistic": "percentile case",
                "EvaluateLowSampleCountPercentile": "percentile case"},
         not_settings=("AlarmName", "Tags")),
    Case("PutCompositeAlarm", ["cloudwatch:PutCompositeAlarm"],
         ("cloudwatch", "PutCompositeAlarm"), seed_composite, read_composite, ("CompositeAlarm", COMPOSITE),
         set_in("description", "changed by the preservation test"), [r"Composite\.AlarmDescription$"],
         not_settings=("AlarmName", "Tags")),
]


# ---------------------------------------------------------------------------
# CloudWatch Logs: log groups and metric filters
# ---------------------------------------------------------------------------

GROUP = "/preserve/app"
KEY_A = "key/1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_B = "key/abcd1234-ab12-cd34-ef56-abcdef123456"


def seed_group(ctx):
    ctx.call("logs", "CreateLogGroup", {
        "logGroupName": GROUP,
        "kmsKeyId": ctx.acct.arn("kms", KEY_A),
        "tags": {"team": "preserve", "cost-centre": "cc-42"},
        "logGroupClass": "STANDARD",
        "deletionProtectionEnabled": True,
    })
    ctx.call("logs", "PutRetentionPolicy", {"logGroupName": GROUP, "retentionInDays": 30})
    ctx.ids["group"] = GROUP


def seed_filter(ctx, dimensions=False):
    seed_group(ctx)
    overrides = {
        "logGroupName": GROUP,
        "filterName": "preserve-errors",
        "filterPattern": "{ $.level = \"ERROR\" }",
        "metricTransformations[].metricName": "Errors",
        "metricTransformations[].metricNamespace": "Preserve",
        "metricTransformations[].metricValue": "1",
        "metricTransformations[].unit": "Count",
        "applyOnTransformedLogs": True,
        "fieldSelectionCriteria": "\"level\" IN [\"ERROR\"]",
        "emitSystemFieldDimensions[]": "@aws.account",
    }
    if dimensions:
        overrides["metricTransformations[].dimensions"] = {"Service": "$.service"}
        exclude = {"metricTransformations[].defaultValue": "a filter with dimensions has no default value"}
    else:
        overrides["metricTransformations[].defaultValue"] = 2.5
        exclude = {"metricTransformations[].dimensions": "set by the dimensions case (no default value with dimensions)"}
    ctx.call("logs", "PutMetricFilter", overrides, exclude)


def seed_filter_dimensions(ctx):
    seed_filter(ctx, dimensions=True)


def read_group(ctx):
    return aws.read_log_group(ctx.acct, ctx.ids["group"])


def drop_key(spec):
    spec.pop("retentionInDays")


def filter_value(value):
    def edit(spec):
        spec["metricTransformations"][0]["metricValue"] = value
    return edit



LOGS_CASES = [
    Case("PutRetentionPolicy", ["logs:PutRetentionPolicy"], ("logs", "CreateLogGroup"), seed_group, read_group,
         ("LogGroup", GROUP), set_in("retentionInDays", 60), [r"retentionInDays$"],
         not_settings=("logGroupName",)),
    Case("DeleteRetentionPolicy", ["logs:DeleteRetentionPolicy"], ("logs", "CreateLogGroup"), seed_group,
         read_group, ("LogGroup", GROUP), drop_key, [r"retentionInDays$"],
         not_settings=("logGroupName",)),
    Case("AssociateKmsKey", ["logs:AssociateKmsKey"], ("logs", "CreateLogGroup"), seed_group, read_group,
         ("LogGroup", GROUP), lambda spec: spec.update(kmsKeyId=spec["kmsKeyId"].replace(KEY_A, KEY_B)),
         [r"kmsKeyId$"], not_settings=("logGroupName",)),
    Case("DisassociateKmsKey", ["logs:DisassociateKmsKey"], ("logs", "CreateLogGroup"), seed_group, read_group,
         ("LogGroup", GROUP), lambda spec: spec.pop("kmsKeyId"),
         [r"kmsKeyId$"], not_settings=("logGroupName",)),
    Case("logs-tags/group", ["logs:TagResource", "logs:UntagResource"], ("logs", "CreateLogGroup"), seed_group,
         read_group, ("LogGroup", GROUP), both(add_tag(), remove_tag("cost-centre")),
         [r"tags\.preserve-added", r"tags\.cost-centre"], not_settings=("logGroupName",)),
    Case("PutMetricFilter", ["logs:PutMetricFilter"], ("logs", "PutMetricFilter"), seed_filter, read_group,
         ("MetricFilter", "preserve-errors"), filter_value("2"),
         [r"metricFilters\.preserve-errors\.metricTransformations\.0\.metricValue$"],
         not_settings=("logGroupName", "filterName")),
    Case("PutMetricFilter/dimensions", ["logs:PutMetricFilter"], ("logs", "PutMetricFilter"),
         seed_filter_dimensions, read_group,
         ("MetricFilter", "preserve-errors"), filter_value("2"),
         [r"metricFilters\.preserve-errors\.metricTransformations\.0\.metricValue$"],
         not_settings=("logGroupName", "filterName")),
]


def drop_field(name):
    def edit(spec):
        del spec[name]
    return edit


def remove_from(path, item):
    def edit(spec):
        spec[path].remove(item)
    return edit


REMOVAL_CASES = [
    Case("DeregisterPatchBaselineForPatchGroup", ["ssm:DeregisterPatchBaselineForPatchGroup"],
         ("ssm", "UpdatePatchBaseline"), seed_windows_baseline, read_baseline,
         ("PatchBaseline", "preserve-windows"), remove_from("patchGroups", "preserve-kept"),
         [r"PatchGroups"], unset=WINDOWS_UNSET, not_settings=("BaselineId", "Replace")),
    Case("DeleteBackupVaultAccessPolicy", ["backup:DeleteBackupVaultAccessPolicy"],
         ("backup", "PutBackupVaultNotifications"), seed_vault, read_vault,
         ("BackupVault", VAULT), drop_field("accessPolicy"), [r"AccessPolicy"],
         not_settings=VAULT_NOT_SETTINGS),
    Case("DeleteBackupVaultNotifications", ["backup:DeleteBackupVaultNotifications"],
         ("backup", "PutBackupVaultAccessPolicy"), seed_vault, read_vault,
         ("BackupVault", VAULT), drop_field("notifications"), [r"Notifications"],
         not_settings=VAULT_NOT_SETTINGS),
    Case("DeleteBackupVaultLockConfiguration", ["backup:DeleteBackupVaultLockConfiguration"],
         ("backup", "PutBackupVaultNotifications"), seed_vault, read_vault,
         ("BackupVault", VAULT), drop_field("lock"),
         [r"Locked$", r"MinRetentionDays$", r"MaxRetentionDays$", r"LockDate$"],
         not_settings=VAULT_NOT_SETTINGS),
]


# ---------------------------------------------------------------------------
# Minimal resources: only what the model requires, so that an edit is seen to add
# nothing (AWS's defaults are kept as AWS has them: absent stays absent)
# ---------------------------------------------------------------------------


def seed_minimal_window(ctx):
    out = ctx.call("ssm", "CreateMaintenanceWindow", {
        "Name": WINDOW, "Schedule": "cron(0 4 ? * SUN *)", "Duration": 4, "Cutoff": 1,
        "AllowUnassociatedTargets": False,
    }, minimal=True)
    window = ctx.ids["window"] = out["WindowId"]
    target = ctx.call("ssm", "RegisterTargetWithMaintenanceWindow", {
        "WindowId": window, "ResourceType": "INSTANCE",
        "Targets[].Key": "InstanceIds", "Targets[].Values[]": "i-0123456789abcdef0",
    }, minimal=True)
    ctx.call("ssm", "RegisterTaskWithMaintenanceWindow", {
        "WindowId": window, "TaskArn": "AWS-RunPatchBaseline", "TaskType": "RUN_COMMAND",
        "Targets[].Key": "WindowTargetIds", "Targets[].Values[]": target["WindowTargetId"],
        "MaxConcurrency": "1", "MaxErrors": "0",
    }, minimal=True)


def seed_minimal_baseline(ctx):
    out = ctx.call("ssm", "CreatePatchBaseline", {"Name": "preserve-minimal"}, minimal=True)
    ctx.ids["baseline"] = out["BaselineId"]


def seed_minimal_alarm(ctx):
    ctx.call("cloudwatch", "PutMetricAlarm", {
        "AlarmName": ALARM, "EvaluationPeriods": 1, "ComparisonOperator": "GreaterThanThreshold",
        "MetricName": "CPUUtilization", "Namespace": "AWS/EC2", "Statistic": "Average",
        "Period": 300, "Threshold": 80.0,
    }, minimal=True)
    ctx.ids["alarm"] = ALARM


def seed_minimal_composite(ctx):
    seed_minimal_alarm(ctx)
    ctx.call("cloudwatch", "PutCompositeAlarm", {
        "AlarmName": COMPOSITE, "AlarmRule": f'ALARM("{ALARM}")',
    }, minimal=True)
    ctx.ids["alarm"] = COMPOSITE


def seed_minimal_plan(ctx):
    ctx.call("backup", "CreateBackupVault", {"BackupVaultName": VAULT}, minimal=True)
    out = ctx.call("backup", "CreateBackupPlan", {
        "BackupPlan.BackupPlanName": PLAN,
        "BackupPlan.Rules[].RuleName": "daily",
        "BackupPlan.Rules[].TargetBackupVaultName": VAULT,
    }, minimal=True)
    ctx.ids["plan"] = out["BackupPlanId"]


def seed_minimal_filter(ctx):
    ctx.call("logs", "CreateLogGroup", {"logGroupName": GROUP}, minimal=True)
    ctx.ids["group"] = GROUP
    ctx.call("logs", "PutMetricFilter", {
        "logGroupName": GROUP, "filterName": "preserve-errors", "filterPattern": "ERROR",
        "metricTransformations[].metricName": "Errors",
        "metricTransformations[].metricNamespace": "Preserve",
        "metricTransformations[].metricValue": "1",
    }, minimal=True)


MINIMAL_CASES = [
    Case("UpdateMaintenanceWindow/minimal", ["ssm:UpdateMaintenanceWindow"],
         ("ssm", "UpdateMaintenanceWindow"), seed_minimal_window, read_window,
         ("MaintenanceWindow", WINDOW), set_in("duration", 5), [r"Duration$"], minimal=True),
    Case("UpdateMaintenanceWindowTarget/minimal", ["ssm:UpdateMaintenanceWindowTarget"],
         ("ssm", "UpdateMaintenanceWindowTarget"), seed_minimal_window, read_window,
         ("MaintenanceWindow", WINDOW), in_list("targets", 0, "ownerInformation", "added"),
         [r"WindowTargets\.[^.]+\.OwnerInformation$"], minimal=True),
    Case("UpdateMaintenanceWindowTask/minimal", ["ssm:UpdateMaintenanceWindowTask"],
         ("ssm", "UpdateMaintenanceWindowTask"), seed_minimal_window, read_window,
         ("MaintenanceWindow", WINDOW), in_list("tasks", 0, "priority", 5),
         [r"WindowTasks\.[^.]+\.Priority$"], minimal=True),
    Case("UpdatePatchBaseline/minimal", ["ssm:UpdatePatchBaseline"],
         ("ssm", "UpdatePatchBaseline"), seed_minimal_baseline, read_baseline,
         ("PatchBaseline", "preserve-minimal"), set_in("description", "added"), [r"Description$"],
         minimal=True),
    Case("PutMetricAlarm/minimal", ["cloudwatch:PutMetricAlarm"],
         ("cloudwatch", "PutMetricAlarm"), seed_minimal_alarm, read_alarm,
         ("MetricAlarm", ALARM), set_in("threshold", 90), [r"Threshold$"], minimal=True),
    Case("PutCompositeAlarm/minimal", ["cloudwatch:PutCompositeAlarm"],
         ("cloudwatch", "PutCompositeAlarm"), seed_minimal_composite, read_alarm,
         ("CompositeAlarm", COMPOSITE), set_in("description", "added"), [r"AlarmDescription$"],
         minimal=True),
    Case("UpdateBackupPlan/minimal", ["backup:UpdateBackupPlan"],
         ("backup", "UpdateBackupPlan"), seed_minimal_plan, lambda ctx: aws.read_plan(ctx.acct, ctx.ids["plan"]),
         ("BackupPlan", PLAN), lambda spec: spec["rules"][0].update(completionWindowMinutes=300),
         [r"BackupPlan\.Rules\.0\.CompletionWindowMinutes$"], minimal=True),
    Case("PutMetricFilter/minimal", ["logs:PutMetricFilter"],
         ("logs", "PutMetricFilter"), seed_minimal_filter, read_group,
         ("MetricFilter", "preserve-errors"), filter_value("2"),
         [r"metricFilters\.preserve-errors\.metricTransformations\.0\.metricValue$"], minimal=True),
]


# ---------------------------------------------------------------------------
# AWS Config aggregators
# ---------------------------------------------------------------------------

AGGREGATOR = "preserve-aggregator"
AGG_SOURCES = "exclusive with the other source (AWS takes one); the other case sets it"


def seed_aggregator(ctx, organization=False):
    overrides = {
        "ConfigurationAggregatorName": AGGREGATOR,
        "Tags[].Key": "team",
        "Tags[].Value": "preserve",
        "AggregatorFilters.ResourceType.Type": "INCLUDE",
        "AggregatorFilters.ResourceType.Value[]": "AWS::EC2::Instance",
        "AggregatorFilters.ServicePrincipal.Type": "INCLUDE",
        "AggregatorFilters.ServicePrincipal.Value[]": "config.amazonaws.com",
    }
    if organization:
        overrides.update({
            "OrganizationAggregationSource.RoleArn": role(ctx, "preserve-aggregator"),
            "OrganizationAggregationSource.AwsRegions[]": "eu-west-1",
        })
        exclude = {"AccountAggregationSources": AGG_SOURCES,
                   "OrganizationAggregationSource.AllAwsRegions": "exclusive with AwsRegions"}
    else:
        overrides.update({
            "AccountAggregationSources[].AccountIds[]": "111111111111",
            "AccountAggregationSources[].AwsRegions[]": "eu-west-1",
        })
        exclude = {"OrganizationAggregationSource": AGG_SOURCES,
                   "AccountAggregationSources[].AllAwsRegions": "exclusive with AwsRegions"}
    ctx.call("config", "PutConfigurationAggregator", overrides, exclude)
    ctx.ids["aggregator"] = AGGREGATOR


def read_aggregator(ctx):
    return aws.read_aggregator(ctx.acct, ctx.ids["aggregator"])


CONFIG_AGGREGATOR_CASES = [
    Case("PutConfigurationAggregator/accounts", ["config:PutConfigurationAggregator"],
         ("config", "PutConfigurationAggregator"), seed_aggregator, read_aggregator,
         ("ConfigurationAggregator", AGGREGATOR), set_in("accounts.0.regions", ["eu-west-1", "us-east-1"]),
         [r"AccountAggregationSources\.0\.AwsRegions"],
         unset={"OrganizationAggregationSource": AGG_SOURCES},
         not_settings=("ConfigurationAggregatorName",)),
    Case("PutConfigurationAggregator/organization", ["config:PutConfigurationAggregator"],
         ("config", "PutConfigurationAggregator"), lambda ctx: seed_aggregator(ctx, organization=True),
         read_aggregator, ("ConfigurationAggregator", AGGREGATOR),
         set_in("organization.regions", ["eu-west-1", "us-east-1"]),
         [r"OrganizationAggregationSource\.AwsRegions"],
         unset={"AccountAggregationSources": AGG_SOURCES},
         not_settings=("ConfigurationAggregatorName",)),
    Case("config-tags/aggregator", ["config:TagResource", "config:UntagResource"],
         ("config", "PutConfigurationAggregator"), seed_aggregator, read_aggregator,
         ("ConfigurationAggregator", AGGREGATOR), both(add_tag(), remove_tag("team")),
         [r"Tags\.preserve-added", r"Tags\.team", r"Tags$"],
         unset={"OrganizationAggregationSource": AGG_SOURCES},
         not_settings=("ConfigurationAggregatorName",)),
]


# ---------------------------------------------------------------------------
# AWS Config recorder and delivery channel
# ---------------------------------------------------------------------------

RECORDER = "default"
RECORDER_EXCLUDE = {
    "ConfigurationRecorder.arn": "AWS assigns it",
    "ConfigurationRecorder.servicePrincipal": "service-linked recorders only: PutConfigurationRecorder refuses it "
                                              "(UnmodifiableEntityException)",
    "ConfigurationRecorder.recordingScope": "AWS sets it (service-linked recorders record INTERNAL types); a "
                                            "customer managed recorder's is not the caller's to choose",
    "ConfigurationRecorder.connectorArn": "recorders of another cloud's resources (through a connector) only",
    "ConfigurationRecorder.scopeConfiguration": "as connectorArn",
    "ConfigurationRecorder.recordingGroup.exclusionByResourceTypes": "exclusive with resourceTypes (AWS refuses "
                                                                     "both)",
}


def seed_recorder(ctx):
    ctx.call("config", "PutConfigurationRecorder", {
        "ConfigurationRecorder.name": RECORDER,
        "ConfigurationRecorder.roleARN": role(ctx, "preserve-config"),
        "ConfigurationRecorder.recordingGroup.allSupported": False,
        "ConfigurationRecorder.recordingGroup.includeGlobalResourceTypes": False,
        "ConfigurationRecorder.recordingGroup.resourceTypes[]": "AWS::SNS::Topic",
        "ConfigurationRecorder.recordingGroup.recordingStrategy.useOnly": "INCLUSION_BY_RESOURCE_TYPES",
        "ConfigurationRecorder.recordingMode.recordingFrequency": "DAILY",
        "ConfigurationRecorder.recordingMode.recordingModeOverrides[].description": "alarms as they change",
        "ConfigurationRecorder.recordingMode.recordingModeOverrides[].resourceTypes[]": "AWS::CloudWatch::Alarm",
        "ConfigurationRecorder.recordingMode.recordingModeOverrides[].recordingFrequency": "CONTINUOUS",
        "Tags[].Key": "team",
        "Tags[].Value": "preserve",
    }, RECORDER_EXCLUDE)
    ctx.ids["recorder"] = RECORDER


def seed_channel(ctx, recording=True):
    """A recorder (named calls), its channel with every member, the recorder started
    (`recording`) or started and stopped."""
    ctx.note("config", "PutConfigurationRecorder", ConfigurationRecorder={
        "name": RECORDER, "roleARN": role(ctx, "preserve-config"), "recordingGroup": {"allSupported": True}})
    bucket = f"preserve-config-{ctx.acct.account}"
    # Outside us-east-1, S3 wants the Region named, as in AWS.
    where = {} if ctx.acct.region == "us-east-1" else {
        "CreateBucketConfiguration": {"LocationConstraint": ctx.acct.region}}
    ctx.acct.client("s3").create_bucket(Bucket=bucket, **where)
    arn = ctx.acct.client("sns").create_topic(Name="preserve-config")["TopicArn"]
    ctx.call("config", "PutDeliveryChannel", {
        "DeliveryChannel.name": RECORDER,
        "DeliveryChannel.s3BucketName": bucket,
        "DeliveryChannel.s3KeyPrefix": "preserve",
        "DeliveryChannel.s3KmsKeyArn": ctx.acct.arn("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab"),
        "DeliveryChannel.snsTopicARN": arn,
        "DeliveryChannel.configSnapshotDeliveryProperties.deliveryFrequency": "Six_Hours",
    })
    ctx.note("config", "StartConfigurationRecorder", ConfigurationRecorderName=RECORDER)
    if not recording:
        ctx.note("config", "StopConfigurationRecorder", ConfigurationRecorderName=RECORDER)
    ctx.ids["recorder"] = RECORDER


def read_recorder(ctx):
    return aws.read_recorder(ctx.acct)


CONFIG_RECORDER_CASES = [
    Case("PutConfigurationRecorder", ["config:PutConfigurationRecorder"],
         ("config", "PutConfigurationRecorder"), seed_recorder, read_recorder,
         ("ConfigurationRecorder", RECORDER), set_in("roleArn", "arn:aws:iam::111111111111:role/edited"),
         [r"ConfigurationRecorder\.roleARN$"]),
    Case("PutDeliveryChannel", ["config:PutDeliveryChannel"],
         ("config", "PutDeliveryChannel"), seed_channel, read_recorder,
         ("ConfigurationRecorder", RECORDER), set_in("deliveryChannel.deliveryFrequency", "Twelve_Hours"),
         [r"DeliveryChannel\.configSnapshotDeliveryProperties\.deliveryFrequency$"]),
    Case("StopConfigurationRecorder", ["config:StopConfigurationRecorder"],
         ("config", "PutDeliveryChannel"), seed_channel, read_recorder,
         ("ConfigurationRecorder", RECORDER), set_in("recording", False), [r"Status\.recording$"]),
    Case("StartConfigurationRecorder", ["config:StartConfigurationRecorder"],
         ("config", "PutDeliveryChannel"), lambda ctx: seed_channel(ctx, recording=False), read_recorder,
         ("ConfigurationRecorder", RECORDER), set_in("recording", True), [r"Status\.recording$"]),
]


TYPED_TASK_CASES = [typed_task_case(t) for t in ("AUTOMATION", "LAMBDA", "STEP_FUNCTIONS")]


def to_automation(spec):
    """The task's type changes (AWS cannot update it: deregister and register again)."""
    task = spec["tasks"][0]
    for block in ("runCommand", "parameters"):
        task.pop(block, None)
    task.update(type="AUTOMATION", taskArn="AWS-RestartEC2Instance")


REREGISTER = r"WindowTasks\.preserve-task\.(WindowTaskId|TaskArn|TaskType|Type|TaskInvocationParameters|TaskParameters|LoggingInfo)"

REREGISTER_CASES = [
    Case("RegisterTaskWithMaintenanceWindow/type-change", ["ssm:RegisterTaskWithMaintenanceWindow"],
         ("ssm", "UpdateMaintenanceWindowTask"), seed_window, read_window,
         ("MaintenanceWindow", WINDOW), to_automation, [REREGISTER],
         not_settings=TASK_NOT_SETTINGS, unset=MODERN_UNSET),
]


# ---------------------------------------------------------------------------
# AWS Config rules and their remediation configurations
# ---------------------------------------------------------------------------

CONFIG_RULE = "preserve-rule"
NOT_KEPT_BY_MOTO = "moto 5.2.5 does not keep it (nor does the emulator's extension yet): the " \
    "writer sends it back as read (rule.rs), which this case cannot check"


def seed_config_rule(ctx):
    ctx.call("config", "PutConfigRule", {
        "ConfigRule.ConfigRuleName": CONFIG_RULE,
        "ConfigRule.Scope.ComplianceResourceTypes[]": "AWS::Logs::LogGroup",
        "ConfigRule.Scope.ComplianceResourceId": "preserve-group",
        "ConfigRule.Source.Owner": "AWS",
        "ConfigRule.Source.SourceIdentifier": "CW_LOGGROUP_RETENTION_PERIOD_CHECK",
        "ConfigRule.InputParameters": json.dumps({"MinRetentionTime": "365"}),
        "ConfigRule.ConfigRuleState": "ACTIVE",
        "Tags[].Key": "team",
        "Tags[].Value": "preserve",
    }, {
        "ConfigRule.ConfigRuleArn": "AWS assigns it; a put naming it is refused",
        "ConfigRule.ConfigRuleId": "AWS assigns it; a put naming it is refused",
        "ConfigRule.CreatedBy": "AWS sets it for service-linked rules only; a put naming it is refused",
        "ConfigRule.Scope.TagKey": "a scope is resource types or a tag, not both (this case sets types)",
        "ConfigRule.Scope.TagValue": "as TagKey",
        "ConfigRule.Scope.ServicePrincipals": NOT_KEPT_BY_MOTO,
        "ConfigRule.RuleEvaluationVisibility": NOT_KEPT_BY_MOTO,
        "ConfigRule.Source.SourceDetails": "an AWS managed rule takes none (CUSTOM_LAMBDA / CUSTOM_POLICY only)",
        "ConfigRule.Source.CustomPolicyDetails": "CUSTOM_POLICY rules only",
    })
    arn = ctx.acct.client("config").describe_config_rules(ConfigRuleNames=[CONFIG_RULE])["ConfigRules"][0]["ConfigRuleArn"]
    ctx.note("config", "TagResource", ResourceArn=arn, Tags=[{"Key": "cost-centre", "Value": "42"}])
    ctx.ids["rule"] = CONFIG_RULE


def seed_config_rule_with_remediation(ctx):
    seed_config_rule(ctx)
    ctx.call("config", "PutRemediationConfigurations", {
        "RemediationConfigurations[].ConfigRuleName": CONFIG_RULE,
        "RemediationConfigurations[].TargetId": "AWSConfigRemediation-SetCloudWatchLogGroupRetention",
        "RemediationConfigurations[].TargetVersion": "1",
        "RemediationConfigurations[].Parameters{key}": "RetentionInDays",
        "RemediationConfigurations[].Parameters{}.StaticValue.Values[]": "365",
        "RemediationConfigurations[].ResourceType": "AWS::Logs::LogGroup",
        "RemediationConfigurations[].Automatic": True,
        "RemediationConfigurations[].ExecutionControls.SsmControls.ConcurrentExecutionRatePercentage": 20,
        "RemediationConfigurations[].ExecutionControls.SsmControls.ErrorPercentage": 30,
        "RemediationConfigurations[].MaximumAutomaticAttempts": 4,
        "RemediationConfigurations[].RetryAttemptSeconds": 90,
    }, {
        "RemediationConfigurations[].Parameters{}.ResourceValue": "a parameter is a resource value or a static value (this case sets the static one)",
        "RemediationConfigurations[].Arn": "AWS assigns it",
        "RemediationConfigurations[].CreatedByService": "AWS sets it for service-created configurations only",
    })


def read_config_rule(ctx):
    return aws.read_config_rule(ctx.acct, ctx.ids["rule"])


CONFIG_RULE_NOT_SETTINGS = ("ConfigRuleName",)
CONFIG_RULE_CASES = [
    Case("PutConfigRule", ["config:PutConfigRule"], ("config", "PutConfigRule"),
         seed_config_rule_with_remediation, read_config_rule, ("ConfigRule", CONFIG_RULE),
         set_in("description", "changed by preserve"), [r"ConfigRule\.Description$"]),
    Case("PutRemediationConfigurations", ["config:PutRemediationConfigurations"],
         ("config", "PutRemediationConfigurations"), seed_config_rule_with_remediation, read_config_rule,
         ("ConfigRule", CONFIG_RULE), set_in("remediation.retryAttemptSeconds", 120),
         [r"RemediationConfigurations\.0\.RetryAttemptSeconds$"]),
    Case("config-tags/rule", ["config:TagResource", "config:UntagResource"], ("config", "PutConfigRule"),
         seed_config_rule_with_remediation, read_config_rule, ("ConfigRule", CONFIG_RULE),
         both(add_tag(), remove_tag("cost-centre")), [r"Tags\.preserve-added", r"Tags\.cost-centre"]),
    Case("DeleteRemediationConfiguration", ["config:DeleteRemediationConfiguration"],
         ("config", "PutConfigRule"), seed_config_rule_with_remediation, read_config_rule,
         ("ConfigRule", CONFIG_RULE), drop_field("remediation"), [r"RemediationConfigurations"]),
]


# ---------------------------------------------------------------------------
# SSM State Manager associations
# ---------------------------------------------------------------------------

ASSOCIATION = "preserve-association"


def seed_association(ctx):
    """Every member of UpdateAssociation set, most of them ones the format has no
    field for (calendars, target locations and maps, offset, duration, alarms, the
    automation target parameter, the dispatch role): UpdateAssociation nulls each one
    a request leaves out, so only a read-modify-write keeps them."""
    cron_target = [{"Key": "tag:Patch Group", "Values": ["web"]}]
    out = ctx.call("ssm", "CreateAssociation", {
        "Name": "AWS-RunPatchBaseline",
        "AssociationName": ASSOCIATION,
        "DocumentVersion": "$DEFAULT",
        "Parameters": {"Operation": ["Scan"]},
        "Targets": cron_target,
        "ScheduleExpression": "cron(0 2 ? * SUN *)",
        "ApplyOnlyAtCronInterval": True,
        "ScheduleOffset": 2,
        "Duration": 3,
        "OutputLocation.S3Location.OutputS3Region": ctx.acct.region,
        "OutputLocation.S3Location.OutputS3BucketName": "preserve-output",
        "OutputLocation.S3Location.OutputS3KeyPrefix": "ssm/",
        "AutomationTargetParameterName": "InstanceId",
        "MaxErrors": "2",
        "MaxConcurrency": "20%",
        "CalendarNames[]": "preserve-change-calendar",
        "TargetLocations[].Accounts": [ctx.acct.account],
        "TargetLocations[].Regions": [ctx.acct.region],
        "TargetLocations[].TargetLocationMaxConcurrency": "3",
        "TargetLocations[].TargetLocationMaxErrors": "1",
        "TargetLocations[].ExecutionRoleName": "preserve-execution",
        "TargetLocations[].TargetLocationAlarmConfiguration.IgnorePollAlarmFailure": True,
        "TargetLocations[].TargetLocationAlarmConfiguration.Alarms[].Name": "preserve-location-alarm",
        "TargetLocations[].IncludeChildOrganizationUnits": True,
        "TargetLocations[].ExcludeAccounts[]": "123456789012",
        "TargetLocations[].Targets": cron_target,
        "TargetLocations[].TargetsMaxConcurrency": "4",
        "TargetLocations[].TargetsMaxErrors": "2",
        "TargetMaps[]{key}": "InstanceIds",
        "Tags[].Key": "team",
        "Tags[].Value": "preserve",
        "AlarmConfiguration.IgnorePollAlarmFailure": True,
        "AlarmConfiguration.Alarms[].Name": "preserve-alarm",
        "AssociationDispatchAssumeRole": f"arn:aws:iam::{ctx.acct.account}:role/preserve-dispatch",
    }, exclude={"InstanceId": "the legacy single-instance form, instead of Targets"})
    ctx.ids["association"] = out["AssociationDescription"]["AssociationId"]


def read_association(ctx):
    return aws.read_association(ctx.acct, ctx.ids["association"])


ASSOCIATION_CASES = [
    Case("UpdateAssociation", ["ssm:UpdateAssociation"],
         ("ssm", "UpdateAssociation"), seed_association, read_association,
         ("Association", ASSOCIATION), set_in("maxErrors", "3"), [r"MaxErrors$"],
         not_settings=("AssociationId", "AssociationVersion")),
]


# ---------------------------------------------------------------------------
# AWS Config conformance packs
# ---------------------------------------------------------------------------

PACK = "preserve-pack"
PACK_TEMPLATE = """
Parameters:
  Days: {Type: String, Default: "365"}
Resources:
  LogRetention:
    Type: AWS::Config::ConfigRule
    Properties:
      ConfigRuleName: preserve-pack-retention
      Source: {Owner: AWS, SourceIdentifier: CW_LOGGROUP_RETENTION_PERIOD_CHECK}
      InputParameters: {MinRetentionTime: {Ref: Days}}
      Scope: {ComplianceResourceTypes: ["AWS::Logs::LogGroup"]}
      MaximumExecutionFrequency: Six_Hours
"""
ONE_TEMPLATE_SOURCE = "a pack's template is one of TemplateBody, TemplateS3Uri and " \
    "TemplateSSMDocumentDetails (this case sets the body; the emulator reads neither S3 nor SSM)"


# A known gap: driftless sends the template as TemplateBody only, so a pack made from
# an S3 object or an SSM document gets the body of the rules it deployed instead
# (`import` notes templateSSMDocumentDetails); the emulator reads neither source.
MANAGED_PACK = "a managed conformance pack (Source, with its Scope) excludes TemplateBody and " \
    "cannot be converted to or from a template pack (the model's documentation); the format models " \
    "template packs only, and the Rust SDK driftless builds on has neither member"
NOT_COVERED["config:PutConformancePack"] = {
    "TemplateS3Uri": ONE_TEMPLATE_SOURCE,
    "TemplateSSMDocumentDetails": ONE_TEMPLATE_SOURCE,
    "Source": MANAGED_PACK,
    "Scope": MANAGED_PACK,
}
PACK_UNSET = {"TemplateS3Uri": ONE_TEMPLATE_SOURCE, "TemplateSSMDocumentDetails": ONE_TEMPLATE_SOURCE,
              "Source": MANAGED_PACK, "Scope": MANAGED_PACK}


def seed_pack(ctx):
    ctx.call("config", "PutConformancePack", {
        "ConformancePackName": PACK,
        "TemplateBody": PACK_TEMPLATE,
        "ConformancePackInputParameters[].ParameterName": "Days",
        "ConformancePackInputParameters[].ParameterValue": "400",
        "DeliveryS3Bucket": "awsconfigconforms-preserve",
        "DeliveryS3KeyPrefix": "preserve",
        "Tags[].Key": "team",
        "Tags[].Value": "preserve",
    }, PACK_UNSET)
    ctx.ids["pack"] = PACK


def read_pack(ctx):
    return aws.read_pack(ctx.acct, ctx.ids["pack"])


CONFORMANCE_PACK_CASES = [
    Case("PutConformancePack", ["config:PutConformancePack"], ("config", "PutConformancePack"),
         seed_pack, read_pack, ("ConformancePack", PACK), set_in("deliveryS3KeyPrefix", "changed"),
         [r"ConformancePackDetail\.DeliveryS3KeyPrefix$"],
         unset=PACK_UNSET, not_settings=("ConformancePackName",)),
]
