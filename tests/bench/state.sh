#!/usr/bin/env bash
# Benchmark of the state backends (issue 26; not a test: prints figures). On a private
# emulator, for each backend (local SQLite under --state-dir, then S3 in the emulator's
# S3), in an account of its own: `driftless apply` of a repository of N alarms (all
# created: N units, each with its records written ahead and confirmed), then
# REPEAT no-change `driftless plan`s of it. Prints, per backend, wall time and the
# calls the emulator served (AWS calls to the target, S3 calls to the state), then
# the per-unit record overhead: S3 calls per unit, and (S3 time - local time) per
# unit, with the ratios S3/local.
#
#   tests/bench/state.sh [N_ALARMS] [REPEAT]
#
# DRIFTLESS_BIN (default target/debug/driftless; built here with `cargo build` when
# missing). Everything listens on 127.0.0.1.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
n=${1:-300}
repeat=${2:-3}
BIN=$(realpath -m "${DRIFTLESS_BIN:-target/debug/driftless}")
[ -x "$BIN" ] || cargo build --bin driftless >/dev/null 2>&1
tests/emulator/run --setup-only
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
work=$(mktemp -d)
tests/emulator/run --port "$port" >"$work/emulator.log" 2>&1 &
emulator=$!
trap 'kill $emulator 2>/dev/null; wait $emulator 2>/dev/null; rm -rf "$work"' EXIT
export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 \
  AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
for _ in $(seq 1 600); do curl -sf -o /dev/null "$AWS_ENDPOINT_URL/moto-api/" && break; sleep 0.2; done

mkdir -p "$work/repo"
python3 - "$n" "$work/repo/alarms.yaml" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    for i in range(n):
        f.write(f"---\napiVersion: driftless.dev/v1\nkind: MetricAlarm\nmetadata: {{name: \"bench-{i:04d}\"}}\n"
                "spec: {namespace: AWS/EC2, metricName: CPUUtilization, statistic: Average, period: 300, "
                "evaluationPeriods: 3, threshold: 80, comparisonOperator: GreaterThanThreshold}\n")
PY

# One run of the binary in account $1: "<seconds> <json calls>" on stdout.
measure() {
  local account=$1; shift
  curl -sf -X POST "$AWS_ENDPOINT_URL/_driftless/calls/reset?account=$account" >/dev/null
  local start end code
  start=$(date +%s.%N)
  set +e
  AWS_ACCESS_KEY_ID=$account "$BIN" "$@" >"$work/out" 2>"$work/err"
  code=$?
  set -e
  end=$(date +%s.%N)
  if [ "$code" -ne 0 ]; then
    echo "driftless $* exited $code:" >&2; tail -n 20 "$work/out" "$work/err" >&2; exit 1
  fi
  echo "$(python3 -c "print($end - $start)") $(curl -sf "$AWS_ENDPOINT_URL/_driftless/calls?account=$account")"
}

results=$work/results
: >"$results"
for backend in local s3; do
  case $backend in local) account=210987650001 ;; s3) account=210987650002 ;; esac
  flags=(--source "$work/repo" --state-dir "$work/state-$backend")
  if [ "$backend" = s3 ]; then
    AWS_ACCESS_KEY_ID=$account .venv/bin/python -c \
      'import boto3; boto3.client("s3").create_bucket(Bucket="bench-state")'
    flags+=(--state s3://bench-state/driftless)
  fi
  echo "-- $backend: apply of $n alarms" >&2
  echo "$backend apply $(measure "$account" apply --auto-approve "${flags[@]}")" >>"$results"
  for i in $(seq 1 "$repeat"); do
    echo "-- $backend: no-change plan $i/$repeat" >&2
    echo "$backend plan $(measure "$account" plan --detailed-exitcode "${flags[@]}")" >>"$results"
  done
done

python3 - "$n" "$repeat" "$results" <<'PY'
import json, statistics, sys
n, repeat = int(sys.argv[1]), int(sys.argv[2])
runs = {}
for line in open(sys.argv[3]):
    backend, op, secs, calls = line.split(" ", 3)
    calls = json.loads(calls)["calls"]
    s3 = sum(calls.get("s3", {}).values())
    aws = sum(k for svc, ops in calls.items() if svc != "s3" for k in ops.values())
    runs.setdefault((backend, op), []).append((float(secs), aws, s3, calls.get("s3", {})))
print(f"state backends: {n} alarms, debug build (target/debug/driftless), emulator on loopback; "
      f"plan figures: median of {repeat}")
fig = {}
for (backend, op), rs in runs.items():
    secs = statistics.median(r[0] for r in rs)
    aws, s3, ops = rs[0][1], rs[0][2], rs[0][3]
    fig[(backend, op)] = (secs, aws, s3)
    label = "apply" if op == "apply" else "no-change plan"
    print(f"  {backend:5} {label:15} {secs:7.2f} s  AWS calls {aws:4}  state (S3) calls {s3:4}"
          + ("  (" + ", ".join(f"{o} {k}" for o, k in sorted(ops.items())) + ")" if ops else ""))
for op, units in (("apply", n), ("plan", n)):
    (lt, la, ls), (st, sa, ss) = fig[("local", op)], fig[("s3", op)]
    label = f"apply ({n} units written)" if op == "apply" else f"no-change plan ({n} resources)"
    print(f"{label}:")
    print(f"  state calls per unit: local {ls/units:.3f}, S3 {ss/units:.3f}")
    print(f"  time: local {lt:.2f} s, S3 {st:.2f} s; S3/local {st/lt:.2f}; "
          f"S3 overhead {1000*(st-lt)/units:+.1f} ms per unit")
    print(f"  AWS calls to the target: local {la}, S3 {sa} (ratio {sa/max(la,1):.2f})")
PY
