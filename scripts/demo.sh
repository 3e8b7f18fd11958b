#!/usr/bin/env bash
# The main job end to end on the emulator: validate, plan, apply the quickstart, change
# something by hand (as in the console), see it as drift, put it back, and end clean.
# Run by `make demo`; needs only what the repository installs itself.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BIN=${BIN:-$root/target/release/driftless}
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
work=$(mktemp -d)
tests/emulator/run --port "$port" >"$work/emulator.log" 2>&1 &
emulator=$!
trap 'kill $emulator 2>/dev/null; rm -rf "$work"' EXIT
export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=123456789012 \
  AWS_SECRET_ACCESS_KEY=demo AWS_REGION=ap-northeast-1 AWS_DEFAULT_REGION=ap-northeast-1 AWS_EC2_METADATA_DISABLED=true
for _ in $(seq 1 600); do curl -sf -o /dev/null "$AWS_ENDPOINT_URL/moto-api/" && break; sleep 0.2; done
curl -sf -o /dev/null "$AWS_ENDPOINT_URL/moto-api/" || { cat "$work/emulator.log"; exit 1; }
state=(--state-dir "$work/state")
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n$ %s\n' "$bold" "$1" "$plain" "${*:2}"; }

step "1. validate the quickstart (offline)" driftless validate examples/quickstart
"$BIN" validate examples/quickstart

step "2. plan against the emulator: everything is new" driftless plan --source examples/quickstart
"$BIN" plan --source examples/quickstart "${state[@]}"

step "3. apply" driftless apply --source examples/quickstart --auto-approve
"$BIN" apply --source examples/quickstart --auto-approve "${state[@]}"

step "4. someone changes a log group's retention in the console" "aws logs put-retention-policy --log-group-name /app/web/access --retention-in-days 1"
.venv/bin/python - <<'PY'
import boto3
boto3.client("logs").put_retention_policy(logGroupName="/app/web/access", retentionInDays=1)
PY

step "5. plan shows it as drift" driftless plan --source examples/quickstart
"$BIN" plan --source examples/quickstart "${state[@]}"

step "6. apply puts it back" driftless apply --source examples/quickstart --auto-approve
"$BIN" apply --source examples/quickstart --auto-approve "${state[@]}"

step "7. nothing left to do" driftless plan --source examples/quickstart --detailed-exitcode
"$BIN" plan --source examples/quickstart --detailed-exitcode "${state[@]}"

step "8. changed by hand again; one pass of the controller corrects it" "driftless run --once --source examples/quickstart"
.venv/bin/python - <<'PY'
import boto3
boto3.client("logs").put_retention_policy(logGroupName="/app/web/access", retentionInDays=3)
PY
"$BIN" run --once --source examples/quickstart "${state[@]}"
"$BIN" history "${state[@]}" --limit 1

step "9. nothing left to do" driftless plan --source examples/quickstart --detailed-exitcode
"$BIN" plan --source examples/quickstart --detailed-exitcode "${state[@]}"
