"""boto3 clients for one test account on the emulator, and the readers: each returns
a resource's whole live state as plain JSON (every setting AWS returns, its tags as a
map), minus what AWS changes by itself (timestamps, alarm state, next runs) and the
ownership tag driftless adds when it adopts."""

import json

import boto3
from botocore.config import Config

OWNERSHIP_TAG = "driftless.dev/managed-by"


class Account:
    def __init__(self, endpoint, account, region):
        self.endpoint, self.account, self.region = endpoint, account, region
        self._clients = {}

    def client(self, service):
        if service not in self._clients:
            c = boto3.client(
                service,
                endpoint_url=self.endpoint,
                region_name=self.region,
                aws_access_key_id=self.account,
                aws_secret_access_key="driftless-test-secret-key",
                config=Config(retries={"max_attempts": 3, "mode": "standard"}),
            )
            c.meta.events.register("before-sign.*.*", self._header)
            self._clients[service] = c
        return self._clients[service]

    def _header(self, request, **_):
        request.headers["x-moto-account-id"] = self.account

    def arn(self, service, rest, region=None):
        region = self.region if region is None else region
        return f"arn:aws:{service}:{region}:{self.account}:{rest}"


def plain(value):
    """JSON-able: datetimes and bytes as text, ResponseMetadata dropped."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    if hasattr(value, "read"):
        return value.read().decode("utf-8", "replace")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def drop(d, *keys):
    return {k: v for k, v in d.items() if k not in keys}


def tag_map(pairs, key="Key", value="Value"):
    out = {p[key]: p[value] for p in pairs}
    out.pop(OWNERSHIP_TAG, None)
    return out


def without_ownership(tags):
    return {k: v for k, v in (tags or {}).items() if k != OWNERSHIP_TAG}


# --- SSM ---------------------------------------------------------------------


def read_baseline(acct, baseline_id):
    ssm = acct.client("ssm")
    b = plain(ssm.get_patch_baseline(BaselineId=baseline_id))
    b = drop(b, "CreatedDate", "ModifiedDate")
    b["PatchGroups"] = sorted(b.get("PatchGroups", []))
    tags = ssm.list_tags_for_resource(ResourceType="PatchBaseline", ResourceId=baseline_id)
    b["Tags"] = tag_map(tags["TagList"])
    default = ssm.get_default_patch_baseline(OperatingSystem=b["OperatingSystem"])
    b["IsDefault"] = default.get("BaselineId", "").endswith(baseline_id)
    return b


def read_window(acct, window_id):
    ssm = acct.client("ssm")
    w = plain(ssm.get_maintenance_window(WindowId=window_id))
    w = drop(w, "CreatedDate", "ModifiedDate", "NextExecutionTime")
    tags = ssm.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=window_id)
    w["Tags"] = tag_map(tags["TagList"])
    targets = ssm.describe_maintenance_window_targets(WindowId=window_id)["Targets"]
    w["WindowTargets"] = {t.get("Name") or t["WindowTargetId"]: plain(t) for t in targets}
    tasks = ssm.describe_maintenance_window_tasks(WindowId=window_id)["Tasks"]
    w["WindowTasks"] = {}
    for t in tasks:
        got = plain(ssm.get_maintenance_window_task(WindowId=window_id, WindowTaskId=t["WindowTaskId"]))
        got["Targets"] = plain(t.get("Targets", []))
        got["Type"] = t.get("Type")
        w["WindowTasks"][t.get("Name") or t["WindowTaskId"]] = got
    return w


# --- AWS Backup --------------------------------------------------------------


def read_vault(acct, name):
    backup = acct.client("backup")
    v = plain(backup.describe_backup_vault(BackupVaultName=name))
    v = drop(v, "CreationDate", "NumberOfRecoveryPoints")
    v["Tags"] = without_ownership(backup.list_tags(ResourceArn=v["BackupVaultArn"])["Tags"])
    for what, call in (("AccessPolicy", backup.get_backup_vault_access_policy),
                       ("Notifications", backup.get_backup_vault_notifications)):
        try:
            got = plain(call(BackupVaultName=name))
            v[what] = drop(got, "BackupVaultName", "BackupVaultArn")
        except backup.exceptions.ResourceNotFoundException:
            v[what] = None
    if v.get("AccessPolicy"):
        v["AccessPolicy"]["Policy"] = json.loads(v["AccessPolicy"]["Policy"])
    return v


def read_plan(acct, plan_id):
    backup = acct.client("backup")
    p = plain(backup.get_backup_plan(BackupPlanId=plan_id))
    p = drop(p, "CreationDate", "LastExecutionDate", "VersionId", "ScheduledRunsPreview")
    for rule in p["BackupPlan"].get("Rules", []):
        rule.pop("RuleId", None)  # AWS's id of the rule, not a setting
    p["Tags"] = without_ownership(backup.list_tags(ResourceArn=p["BackupPlanArn"])["Tags"])
    selections = {}
    for s in backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]:
        got = plain(backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=s["SelectionId"]))
        selections[got["BackupSelection"]["SelectionName"]] = drop(
            got, "CreationDate", "SelectionId", "CreatorRequestId"
        )
    p["Selections"] = selections
    return p


# --- CloudWatch and CloudWatch Logs ----------------------------------------


_ALARM_STATE = (
    "StateValue", "StateReason", "StateReasonData", "StateUpdatedTimestamp",
    "StateTransitionedTimestamp", "AlarmConfigurationUpdatedTimestamp",
)


def read_alarm(acct, name):
    cw = acct.client("cloudwatch")
    out = plain(cw.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm", "CompositeAlarm"]))
    alarms = out["MetricAlarms"] + out["CompositeAlarms"]
    assert len(alarms) == 1, f"alarm {name}: {out}"
    a = drop(alarms[0], *_ALARM_STATE)
    a["Tags"] = tag_map(cw.list_tags_for_resource(ResourceARN=a["AlarmArn"])["Tags"])
    return a


def read_log_group(acct, name):
    logs = acct.client("logs")
    groups = [g for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
              if g["logGroupName"] == name]
    assert len(groups) == 1, f"log group {name}: {groups}"
    g = drop(plain(groups[0]), "creationTime", "storedBytes", "metricFilterCount")
    g["tags"] = without_ownership(logs.list_tags_for_resource(resourceArn=g["logGroupArn"])["tags"])
    filters = logs.describe_metric_filters(logGroupName=name)["metricFilters"]
    g["metricFilters"] = {f["filterName"]: drop(plain(f), "creationTime") for f in filters}
    return g


# --- AWS Config --------------------------------------------------------------


def read_aggregator(acct, name):
    cfg = acct.client("config")
    found = cfg.describe_configuration_aggregators(ConfigurationAggregatorNames=[name])
    a = plain(found["ConfigurationAggregators"][0])
    a = drop(a, "CreationTime", "LastUpdatedTime")
    a["Tags"] = tag_map(cfg.list_tags_for_resource(ResourceArn=a["ConfigurationAggregatorArn"])["Tags"])
    return a
def read_recorder(acct):
    """The Region's recorder (AWS allows one) with its tags, whether it records (not the
    status's timestamps, which starting and stopping move) and the Region's channel."""
    cfg = acct.client("config")
    [r] = cfg.describe_configuration_recorders()["ConfigurationRecorders"]
    r = plain(r)
    out = {"ConfigurationRecorder": r}
    if r.get("arn"):
        out["Tags"] = tag_map(cfg.list_tags_for_resource(ResourceArn=r["arn"])["Tags"])
    [status] = cfg.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
    out["Status"] = {"recording": status["recording"]}
    channels = cfg.describe_delivery_channels()["DeliveryChannels"]
    out["DeliveryChannel"] = plain(channels[0]) if channels else {}
    return out


def read_config_rule(acct, name):
    cfg = acct.client("config")
    [rule] = cfg.describe_config_rules(ConfigRuleNames=[name])["ConfigRules"]
    rule = plain(rule)
    # A JSON text: compared by meaning (AWS does not promise its spacing).
    if rule.get("InputParameters"):
        rule["InputParameters"] = json.loads(rule["InputParameters"])
    tags = tag_map(cfg.list_tags_for_resource(ResourceArn=rule["ConfigRuleArn"])["Tags"])
    remediations = cfg.describe_remediation_configurations(ConfigRuleNames=[name])["RemediationConfigurations"]
    return {"ConfigRule": rule, "Tags": tags, "RemediationConfigurations": plain(remediations)}
def read_pack(acct, name):
    """The pack as DescribeConformancePacks has it, its tags, and what AWS shows of its
    template (`TemplateBody`): the rules it deployed, by their deployed names."""
    cfg = acct.client("config")
    [pack] = cfg.describe_conformance_packs(ConformancePackNames=[name])["ConformancePackDetails"]
    pack = drop(plain(pack), "LastUpdateRequestedTime")
    listed = cfg.describe_conformance_pack_compliance(ConformancePackName=name)
    names = [r["ConfigRuleName"] for r in listed["ConformancePackRuleComplianceList"]]
    rules = {}
    for rule in cfg.describe_config_rules(ConfigRuleNames=names)["ConfigRules"]:
        rule = plain(rule)
        if rule.get("InputParameters"):
            rule["InputParameters"] = json.loads(rule["InputParameters"])
        rules[rule["ConfigRuleName"]] = rule
    tags = tag_map(cfg.list_tags_for_resource(ResourceArn=pack["ConformancePackArn"])["Tags"])
    return {"ConformancePackDetail": pack, "TemplateBody": rules, "Tags": tags}


# --- SSM State Manager -------------------------------------------------------


def read_association(acct, association_id):
    """The association as DescribeAssociation has it (its version, dates and status
    move by themselves), with its tags."""
    ssm = acct.client("ssm")
    a = plain(ssm.describe_association(AssociationId=association_id)["AssociationDescription"])
    a = drop(a, "AssociationVersion", "Date", "LastUpdateAssociationDate", "Overview", "Status",
             "LastExecutionDate", "LastSuccessfulExecutionDate")
    tags = ssm.list_tags_for_resource(ResourceType="Association", ResourceId=association_id)
    a["Tags"] = tag_map(tags["TagList"])
    return a
