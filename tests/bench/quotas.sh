#!/usr/bin/env bash
# Benchmark of `driftless apply` at AWS's rate quotas (not a test: prints figures).
# Starts the emulator with DRIFTLESS_EMULATOR_QUOTAS=aws (AWS's default request rates as
# token buckets, tests/emulator/README.md "Rate quotas"), applies a repository of
# N_ALARMS metric alarms and N_GROUPS log groups (with a retention policy) to an empty
# account, and prints the wall time, the quota floor (the time the quotas allow: the
# slowest operation's count / rate, e.g. 300 PutMetricAlarm at 3/s = 100 s), their
# ratio (target <= 1.20), the failures apply reported, the requests the emulator
# throttled, and whether a plan afterwards shows no changes.
#   tests/bench/quotas.sh [N_ALARMS] [N_GROUPS]        (defaults 300 100)
# DRIFTLESS_BIN overrides the binary (default: target/release/driftless, built here).
# QUOTAS='{"cloudwatch.PutMetricAlarm": {"rate": 6}}' overrides the emulator's quotas
# (rates the client does not know: tests/bench/pacing.sh); TARGETS=K splits the
# resources between K targets of the same account and Region (one bucket between
# them).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
n=${1:-300}
g=${2:-100}
if [ -z "${DRIFTLESS_BIN:-}" ]; then
  cargo build --release --bin driftless >/dev/null 2>&1
fi
BIN=$(realpath -m "${DRIFTLESS_BIN:-target/release/driftless}")
tests/emulator/run --setup-only
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
work=$(mktemp -d)
DRIFTLESS_EMULATOR_QUOTAS=aws tests/emulator/run --port "$port" >"$work/emulator.log" 2>&1 &
emulator=$!
trap 'kill $emulator 2>/dev/null; rm -rf "$work"' EXIT
export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=210987654322 \
  AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
for _ in $(seq 1 600); do curl -sf -o /dev/null "$AWS_ENDPOINT_URL/moto-api/" && break; sleep 0.2; done
if [ -n "${QUOTAS:-}" ]; then
  curl -sf -X POST "$AWS_ENDPOINT_URL/_driftless/quotas" -d "{\"mode\": \"aws\", \"overrides\": $QUOTAS}" >/dev/null
fi
curl -sf "$AWS_ENDPOINT_URL/_driftless/quotas" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["mode"]=="aws", d'
targets=${TARGETS:-1}

mkdir -p "$work/repo"
python3 - "$n" "$g" "$work/repo/all.yaml" "$targets" <<'PY'
import os, sys
n, g, path, k = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
docs = []
if k > 1:
    # K targets in the ambient account and Region; alarm i goes to target i mod K.
    with open(os.path.join(os.path.dirname(path), "driftless.yaml"), "w") as f:
        f.write("targets:\n" + "".join(f"  - {{name: t{t}, region: us-east-1}}\n" for t in range(k)))
def where(i):
    return f", targets: [t{i % k}]" if k > 1 else ""
for i in range(n):
    docs.append(f"---\napiVersion: driftless.dev/v1\nkind: MetricAlarm\nmetadata: {{name: quota-{i:04d}{where(i)}}}\n"
                "spec: {namespace: AWS/EC2, metricName: CPUUtilization, statistic: Average, period: 300, "
                "evaluationPeriods: 3, threshold: 80, comparisonOperator: GreaterThanThreshold}\n")
for i in range(g):
    docs.append(f"---\napiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {{name: /quota/{i:04d}}}\n"
                "spec: {retentionInDays: 30}\n")
open(path, "w").write("".join(docs))
PY

echo "applying $n alarms and $g log groups with the emulator at AWS's rate quotas ..."
set +e
/usr/bin/time -v "$BIN" apply --auto-approve --source "$work/repo" --state-dir "$work/state" \
  >"$work/apply.out" 2>"$work/apply.err"
code=$?
"$BIN" plan --source "$work/repo" --state-dir "$work/state" --detailed-exitcode >"$work/plan.out" 2>&1
plan_code=$?
set -e
calls=$(curl -sf "$AWS_ENDPOINT_URL/_driftless/calls?account=$AWS_ACCESS_KEY_ID")
quotas=$(curl -sf "$AWS_ENDPOINT_URL/_driftless/quotas")
python3 - "$n" "$g" "$code" "$plan_code" "$calls" "$quotas" "$work/apply.err" "$work/apply.out" <<'PY'
import json, re, sys
n, g, code, plan_code = map(int, sys.argv[1:5])
calls, quotas = json.loads(sys.argv[5]), json.loads(sys.argv[6])
err, out = open(sys.argv[7]).read(), open(sys.argv[8]).read()
wall = re.search(r"Elapsed \(wall clock\) time.*: (.*)", err).group(1)
parts = [float(p) for p in wall.split(":")]
seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))
rate = {(q["service"], q["operation"]): q["rate"] for q in quotas["quotas"]}
writes = {("cloudwatch", "PutMetricAlarm"): n, ("logs", "CreateLogGroup"): g, ("logs", "PutRetentionPolicy"): g}
floor_op, floor = max(((op, count / rate[op]) for op, count in writes.items()), key=lambda x: x[1])
summary = re.search(r"Apply complete: (\d+) \w+ made, (\d+) failed, (\d+) \w+ not written", out)
print(f"resources:   {n} alarms, {g} log groups (empty account, all created)")
print(f"apply exit:  {code}; {summary.group(0) if summary else 'no summary line'}")
print(f"failures:    {summary.group(2) if summary else 'unknown'}")
print(f"wall time:   {seconds:.1f} s")
print(f"quota floor: {floor:.1f} s ({floor_op[0]}.{floor_op[1]}: {writes[floor_op]} at {rate[floor_op]:g}/s)")
print(f"ratio:       {seconds / floor:.3f} (target <= 1.20)")
print(f"throttled:   {calls['throttledTotal']} requests answered over quota by the emulator {calls['throttled']}")
puts = calls["calls"].get("cloudwatch", {}).get("PutMetricAlarm", 0)
put_thr = calls["throttled"].get("cloudwatch", {}).get("PutMetricAlarm", 0)
if puts:
    print(f"PutMetricAlarm throttled: {put_thr} of {puts} calls ({100 * put_thr / puts:.1f} %)")
print(f"AWS calls:   {calls['total']}: " + "; ".join(
    f"{s} " + ", ".join(f"{o} {k}" for o, k in sorted(ops.items())) for s, ops in sorted(calls["calls"].items())))
print(f"plan after:  exit {plan_code} (0 = no changes)")
print(f"peak RSS:    {rss_kb / 1024:.1f} MiB")
if code != 0:
    print(out[-3000:], err[-3000:])
PY
