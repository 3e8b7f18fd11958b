#!/usr/bin/env bash
# Benchmark of a no-change `driftless plan` against the emulator (not a test: prints
# figures). Seeds 1,000 alarms + 1,000 log groups + 50 patch baselines, maintenance
# windows and backup plans (with vaults), all owned, applies nothing, then plans the
# matching repository and prints wall time, AWS calls against the minimal page count,
# and peak RSS.
#   tests/bench/plan.sh [N_ALARMS_AND_GROUPS] [N_OTHER]
# QUOTAS='{"cloudwatch.DescribeAlarms": {"rate": 90}, ...}' turns the emulator's rate
# quotas on (AWS's defaults) with those overrides for the plan (tests/bench/pacing.sh
# raises every read's); DRIFTLESS_BIN overrides the binary (default: the release one,
# built here).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
n=${1:-1000}
m=${2:-50}
if [ -z "${DRIFTLESS_BIN:-}" ]; then
  cargo build --release --bin driftless >/dev/null 2>&1
fi
tests/emulator/run --setup-only
BIN=$(realpath -m "${DRIFTLESS_BIN:-target/release/driftless}")
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
work=$(mktemp -d)
tests/emulator/run --port "$port" >"$work/emulator.log" 2>&1 &
emulator=$!
trap 'kill $emulator 2>/dev/null; rm -rf "$work"' EXIT
export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=210987654321 \
  AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
for _ in $(seq 1 600); do curl -sf -o /dev/null "$AWS_ENDPOINT_URL/moto-api/" && break; sleep 0.2; done

echo "seeding $n alarms, $n log groups, $m baselines/windows/vaults+plans ..."
.venv/bin/python - "$n" "$m" "$work/repo" <<'PY'
import os, sys, boto3
n, m, repo = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
own = {"driftless.dev/managed-by": "driftless"}
tag_list = [{"Key": k, "Value": v} for k, v in own.items()]
cw, logs, ssm, backup = (boto3.client(s) for s in ("cloudwatch", "logs", "ssm", "backup"))
docs = []
def doc(kind, name, spec):
    docs.append(f"---\napiVersion: driftless.dev/v1\nkind: {kind}\nmetadata: {{name: \"{name}\"}}\nspec: {spec}\n")
for i in range(n):
    cw.put_metric_alarm(AlarmName=f"bench-{i:04d}", Namespace="AWS/EC2", MetricName="CPUUtilization",
        Statistic="Average", Period=300, EvaluationPeriods=3, Threshold=80.0,
        ComparisonOperator="GreaterThanThreshold", TreatMissingData="missing", Tags=tag_list)
    doc("MetricAlarm", f"bench-{i:04d}", "{namespace: AWS/EC2, metricName: CPUUtilization, statistic: Average, period: 300, evaluationPeriods: 3, threshold: 80, comparisonOperator: GreaterThanThreshold}")
    logs.create_log_group(logGroupName=f"/bench/{i:04d}", tags=own)
    logs.put_retention_policy(logGroupName=f"/bench/{i:04d}", retentionInDays=30)
    doc("LogGroup", f"/bench/{i:04d}", "{retentionInDays: 30}")
for i in range(m):
    ssm.create_patch_baseline(Name=f"bench-baseline-{i:02d}", OperatingSystem="AMAZON_LINUX_2023",
        ApprovalRules={"PatchRules": [{"PatchFilterGroup": {"PatchFilters": [{"Key": "CLASSIFICATION", "Values": ["Security"]}]}, "ApproveAfterDays": 7}]},
        Tags=tag_list)
    doc("PatchBaseline", f"bench-baseline-{i:02d}", "{operatingSystem: AMAZON_LINUX_2023, approvalRules: [{patchFilters: {CLASSIFICATION: [Security]}, approveAfterDays: 7}]}")
    ssm.create_maintenance_window(Name=f"bench-window-{i:02d}", Schedule="rate(7 days)", Duration=2, Cutoff=1,
        AllowUnassociatedTargets=False, Tags=tag_list)
    doc("MaintenanceWindow", f"bench-window-{i:02d}", "{schedule: rate(7 days), duration: 2, cutoff: 1}")
    backup.create_backup_vault(BackupVaultName=f"bench-vault-{i:02d}", BackupVaultTags=own)
    doc("BackupVault", f"bench-vault-{i:02d}", "{}")
    backup.create_backup_plan(BackupPlan={"BackupPlanName": f"bench-plan-{i:02d}", "Rules": [
        {"RuleName": "daily", "TargetBackupVaultName": f"bench-vault-{i:02d}", "ScheduleExpression": "cron(0 5 ? * * *)"}]},
        BackupPlanTags=own)
    doc("BackupPlan", f"bench-plan-{i:02d}", f"{{rules: [{{name: daily, targetVault: bench-vault-{i:02d}, schedule: \"cron(0 5 ? * * *)\"}}]}}")
os.makedirs(repo, exist_ok=True)
open(os.path.join(repo, "all.yaml"), "w").write("".join(docs))
PY

curl -sf -X POST "$AWS_ENDPOINT_URL/_driftless/calls/reset" >/dev/null
if [ -n "${QUOTAS:-}" ]; then
  curl -sf -X POST "$AWS_ENDPOINT_URL/_driftless/quotas" -d "{\"mode\": \"aws\", \"overrides\": $QUOTAS}" >/dev/null
  echo "emulator quotas: AWS's defaults, overridden: $QUOTAS"
fi
set +e
/usr/bin/time -v "$BIN" plan --source "$work/repo" --state-dir "$work/state" --detailed-exitcode >"$work/plan.out" 2>"$work/time.txt"
code=$?
set -e
calls=$(curl -sf "$AWS_ENDPOINT_URL/_driftless/calls?account=$AWS_ACCESS_KEY_ID")
python3 - "$n" "$m" "$code" "$calls" "$work/time.txt" "$work/plan.out" <<'PY'
import json, math, re, sys
n, m, code = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
calls = json.loads(sys.argv[4])
time_txt = open(sys.argv[5]).read()
wall = re.search(r"Elapsed \(wall clock\) time.*: (.*)", time_txt).group(1)
rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_txt).group(1))
pages = lambda count, per: max(1, math.ceil(count / per))
owned = 2 * n + 4 * m
# The minimal count: listings only, plus the detail calls AWS has no batch API for.
minimal = (pages(owned, 100)               # GetResources (ownership, every kind)
    + pages(n, 100)                        # DescribeAlarms, 100 names a call
    + pages(n, 50)                         # DescribeLogGroups pages
    + pages(m, 100) + 1 + m                # DescribePatchBaselines, DescribePatchGroups, GetPatchBaseline
    + pages(m, 100) + 3 * m                # DescribeMaintenanceWindows, Get/DescribeTargets/DescribeTasks per window
    + pages(m, 1000) + 2 * m               # ListBackupVaults, GetBackupVaultAccessPolicy + GetBackupVaultNotifications per vault
    + pages(m, 1000) + 2 * m)              # ListBackupPlans, GetBackupPlan + ListBackupSelections per plan
print(f"resources:   {2*n} alarms+log groups, {m} each of baselines, windows, vaults, plans")
print(f"exit code:   {code} (0 = no changes)")
print(f"throttled:   {calls.get('throttledTotal', 0)} requests answered over quota by the emulator")
print(f"wall time:   {wall}")
print(f"AWS calls:   {calls['total']}  (minimal page count {minimal}, ratio {calls['total']/minimal:.2f}; target <= 1.20)")
for service, ops in sorted(calls["calls"].items()):
    print(f"   {service}: " + ", ".join(f"{op} {k}" for op, k in sorted(ops.items())))
print(f"peak RSS:    {rss_kb/1024:.1f} MiB (target < 100 MB)")
if code != 0:
    print(open(sys.argv[6]).read()[-2000:])
PY
