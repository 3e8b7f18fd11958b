#!/usr/bin/env bash
# The main job end to end on the emulator: validate, plan, apply the quickstart, change
# something by hand (as in the console), see it as drift, put it back, and end clean.
# Run by `make demo`; needs only what the repository installs itself.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BIN=${BIN:-$root/target/debug/driftless}
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

step "8. the controller follows a git repository: changed by hand again, corrected within a resync" \
  "driftless run --source file://…/ops --ref main --resync 5s --listen 127.0.0.1:0"
git_=(git -c user.name=Demo -c user.email=demo@example.com -c init.defaultBranch=main)
mkdir "$work/ops" && cp -R examples/quickstart/. "$work/ops"
"${git_[@]}" -C "$work/ops" init -q && "${git_[@]}" -C "$work/ops" add . && "${git_[@]}" -C "$work/ops" commit -qm "quickstart"
export DRIFTLESS_WEBHOOK_SECRET=demo-secret
"$BIN" run --source "file://$work/ops" --ref main --interval 1h --resync 5s --listen 127.0.0.1:0 \
  "${state[@]}" 2>"$work/controller.log" &
controller=$!
trap 'kill $controller $emulator 2>/dev/null; rm -rf "$work"' EXIT
addr=
for _ in $(seq 1 100); do
  addr=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$work/controller.log" | head -1)
  [ -n "$addr" ] && break; sleep 0.1
done
[ -n "$addr" ] || { cat "$work/controller.log"; exit 1; }
wait_for() { # wait_for WHAT PYTHON-EXPRESSION-ON-status-AND-logs
  for _ in $(seq 1 300); do
    if .venv/bin/python - "$addr" "$2" <<'PY'
import json, sys, urllib.request, boto3
status = json.load(urllib.request.urlopen(f"http://{sys.argv[1]}/status"))["targets"]
retention = boto3.client("logs").describe_log_groups(logGroupNamePrefix="/app/web/access")["logGroups"][0].get("retentionInDays")
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
    then return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for $1"; cat "$work/controller.log"; exit 1
}
wait_for "the first reconcile" 'all(t.get("lastResult") == "converged" for t in status.values())'
.venv/bin/python - <<'PY'
import boto3
boto3.client("logs").put_retention_policy(logGroupName="/app/web/access", retentionInDays=3)
PY
echo "retention of /app/web/access set to 3 by hand"
start=$(date +%s)
wait_for "the drift to be corrected" 'retention == 30'
echo "corrected to 30 by the controller within $(( $(date +%s) - start + 1 )) s"

step "9. a commit, announced by a signed webhook, is applied at once" "git commit -am 'keep access logs 60 days' && POST /hooks/git"
sed -i 's/retentionInDays: 30/retentionInDays: 60/' "$work/ops/monitoring/logs.yaml"
"${git_[@]}" -C "$work/ops" commit -qam "keep access logs 60 days"
sha=$(git -C "$work/ops" rev-parse HEAD)
.venv/bin/python - "$addr" <<'PY'
import hashlib, hmac, os, sys, urllib.request
body = b'{"ref": "refs/heads/main"}'
sig = "sha256=" + hmac.new(os.environ["DRIFTLESS_WEBHOOK_SECRET"].encode(), body, hashlib.sha256).hexdigest()
req = urllib.request.Request(f"http://{sys.argv[1]}/hooks/git", data=body, method="POST",
                             headers={"X-Hub-Signature-256": sig, "X-GitHub-Event": "push"})
print("webhook:", urllib.request.urlopen(req).status)
PY
wait_for "the commit to be applied" "retention == 60 and all(t.get('lastAppliedRevision') == '$sha' for t in status.values())"
echo "applied $sha"
echo "GET /status:"
.venv/bin/python - "$addr" <<'PY'
import json, sys, urllib.request
for name, t in json.load(urllib.request.urlopen(f"http://{sys.argv[1]}/status"))["targets"].items():
    ready = next(c for c in t["conditions"] if c["type"] == "Ready")
    print(f"  {name}: {t['lastResult']}, lastAppliedRevision {t['lastAppliedRevision'][:12]}, "
          f"driftCount {t['driftCount']}, Ready={ready['status']} ({ready['message']})")
PY
echo "GET /metrics (excerpt):"
curl -s "http://$addr/metrics" | grep -E '^driftless_(reconciles_total|drift_corrected_total)' | sed 's/^/  /'
kill -TERM "$controller"; wait "$controller"
echo "--- the controller's log"
cat "$work/controller.log"

step "10. what the controller did" driftless history --limit 3
"$BIN" history "${state[@]}" --limit 3

step "11. nothing left to do" driftless plan --source "file://…/ops" --detailed-exitcode
"$BIN" plan --source "file://$work/ops" --ref main --detailed-exitcode "${state[@]}"
