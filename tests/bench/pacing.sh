#!/usr/bin/env bash
# Benchmarks of adaptive pacing (not tests: print figures; docs/benchmarks.md,
# "Pacing ..."). The emulator's quotas are overridden to rates the client does not
# know (POST /_driftless/quotas), and driftless starts from AWS's published defaults:
#   raised    150 alarms, PutMetricAlarm allowed 6/s (default 3): time vs the 25 s floor
#   lowered   150 alarms, PutMetricAlarm allowed 1.5/s: time vs the 100 s floor, throttled share
#   shared    150 alarms split between two targets of one account and Region at the
#             default 3/s: one bucket between them (time vs 50 s, throttled share)
#   reads     the benchmark estate's no-change plan (tests/bench/plan.sh) with every
#             read's quota raised ten-fold
#   tests/bench/pacing.sh [raised|lowered|shared|reads ...]     (default: all four)
# DRIFTLESS_BIN overrides the binary (default: target/release/driftless, built by the
# scripts it runs).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cases=("$@")
[ ${#cases[@]} -eq 0 ] && cases=(raised lowered shared reads)
put() { echo "{\"cloudwatch.PutMetricAlarm\": {\"rate\": $1, \"burst\": $1}}"; }
reads='{"resourcegroupstaggingapi.GetResources": {"rate": 100}, "cloudwatch.DescribeAlarms": {"rate": 90},
 "logs.DescribeLogGroups": {"rate": 50}, "ssm.DescribePatchBaselines": {"rate": 100},
 "ssm.DescribePatchGroups": {"rate": 100}, "ssm.GetPatchBaseline": {"rate": 100},
 "ssm.DescribeMaintenanceWindows": {"rate": 100}, "ssm.GetMaintenanceWindow": {"rate": 100},
 "ssm.DescribeMaintenanceWindowTargets": {"rate": 100}, "ssm.DescribeMaintenanceWindowTasks": {"rate": 100},
 "backup.ListBackupVaults": {"rate": 100}, "backup.GetBackupVaultAccessPolicy": {"rate": 100},
 "backup.GetBackupVaultNotifications": {"rate": 100}, "backup.ListBackupPlans": {"rate": 100},
 "backup.GetBackupPlan": {"rate": 100}, "backup.ListBackupSelections": {"rate": 100}}'
for c in "${cases[@]}"; do
  echo "=== $c"
  case $c in
    raised) QUOTAS=$(put 6) tests/bench/quotas.sh 150 0 ;;
    lowered) QUOTAS=$(put 1.5) tests/bench/quotas.sh 150 0 ;;
    shared) QUOTAS=$(put 3) TARGETS=2 tests/bench/quotas.sh 150 0 ;;
    reads) QUOTAS=$reads tests/bench/plan.sh ;;
    *) echo "unknown case $c (raised, lowered, shared, reads)" >&2; exit 2 ;;
  esac
done
