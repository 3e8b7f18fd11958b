#!/usr/bin/env bash
# Benchmark of the controller (`driftless run`) against the emulator (not a test: prints
# figures). Each part has its own real git repository (served over file://), its own
# controller and its own emulator account; everything listens on 127.0.0.1 only.
#  1. Webhook to applied: ROUNDS times, commit a new threshold for one alarm, send a
#     signed GitHub push webhook (POST /hooks/git) and time until GET /status shows
#     that commit as the target's lastAppliedRevision; then read the alarm back from
#     the emulator to check the threshold really changed. min/median/p90/max in ms.
#  2. Idle with N_RESOURCES managed resources (half MetricAlarm, half LogGroup): the
#     controller creates them, then IDLE_SECONDS with --interval INTERVAL --resync
#     RESYNC: average CPU (% of one core, from /proc/PID/stat), RSS at start and end
#     and peak (/proc/PID/status), and the AWS calls of one no-change resync (the
#     emulator's /_driftless/calls before and after).
#
#   DRIFTLESS_BIN=target/release/driftless tests/bench/controller.sh
#
# Settings (environment): DRIFTLESS_BIN (default target/release/driftless; the script
# does not build it), ROUNDS (10), N_RESOURCES (1000), IDLE_SECONDS (180), INTERVAL
# (30s), RESYNC (60s), TIMEOUT (900: the most seconds any wait may take; the script
# fails when something does not converge in time).
set -euo pipefail
BIN=$(realpath -m "${DRIFTLESS_BIN:-target/release/driftless}")
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
rounds=${ROUNDS:-10}
n=${N_RESOURCES:-1000}
idle=${IDLE_SECONDS:-180}
interval=${INTERVAL:-30s}
resync=${RESYNC:-60s}
timeout=${TIMEOUT:-900}
region=us-east-1
[ -x "$BIN" ] || { echo "no driftless binary at $BIN (cargo build --release --bin driftless, or set DRIFTLESS_BIN)" >&2; exit 1; }
command -v git >/dev/null || { echo "git is needed (the controller reads a real git repository)" >&2; exit 1; }
tests/emulator/run --setup-only
PY=$root/.venv/bin/python
# The user's git configuration (signing, hooks, templates) stays out of the repositories.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
work=$(mktemp -d)
emulator='' controller='' controller_log='' helper=''
log() { echo "-- $*" >&2; }
stop_controller() {
  [ -n "$controller" ] || return 0
  kill -TERM "$controller" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$controller" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$controller" 2>/dev/null || true
  wait "$controller" 2>/dev/null || true
  controller=''
}
cleanup() {
  local code=$?
  set +e
  if [ "$code" -ne 0 ]; then
    echo "FAILED (exit $code)" >&2
    if [ -n "$controller_log" ] && [ -f "$controller_log" ]; then
      echo "--- last lines of the controller's stderr ($controller_log):" >&2
      tail -n 30 "$controller_log" >&2
    fi
    echo "--- last lines of the emulator's log:" >&2
    tail -n 15 "$work/emulator.log" >&2
  fi
  if [ -n "$helper" ]; then kill "$helper" 2>/dev/null; wait "$helper" 2>/dev/null; fi
  stop_controller
  exec 8>&-                      # the emulator's lifeline: it exits at EOF on stdin
  if [ -n "$emulator" ]; then kill "$emulator" 2>/dev/null; wait "$emulator" 2>/dev/null; fi
  rm -rf "$work"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The emulator, on loopback; it also exits when this script's fd 8 closes (even on kill -9).
mkfifo "$work/emulator.stdin"
tests/emulator/run --port "$port" --host 127.0.0.1 --exit-with-stdin <"$work/emulator.stdin" >"$work/emulator.log" 2>&1 &
emulator=$!
exec 8>"$work/emulator.stdin"
endpoint=http://127.0.0.1:$port
for _ in $(seq 1 600); do curl -sf -o /dev/null "$endpoint/moto-api/" && break; sleep 0.2; done
curl -sf -o /dev/null "$endpoint/moto-api/" || { echo "the emulator did not start" >&2; exit 1; }
secret=$("$PY" -c 'import secrets;print(secrets.token_hex(32))')

# The measuring side (Python from the emulator's venv: boto3 to read the emulator back).
cat >"$work/bench.py" <<'PY'
import hashlib, hmac, http.client, json, math, os, statistics, subprocess, sys, time, urllib.request

TARGET = "default"
WRITES = ("Put", "Create", "Delete", "Tag", "Untag", "Update", "Register", "Deregister")

def die(message):
    sys.exit(f"error: {message}")

def fetch(url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.read()

def calls(endpoint, account):
    return json.loads(fetch(f"{endpoint}/_driftless/calls?account={account}")[1])

def flat(c):
    return {(s, op): k for s, ops in c["calls"].items() for op, k in ops.items()}

def delta(after, before):
    """Calls made between two readings of /_driftless/calls, by (service, operation)."""
    a, b = flat(after), flat(before)
    return {key: v - b.get(key, 0) for key, v in a.items() if v - b.get(key, 0)}

def breakdown(d, per=1):
    return ", ".join(f"{op} {v / per:g}" for (_, op), v in sorted(d.items())) or "none"

def reconciles(addr):
    """Reconciles finished so far, from GET /metrics (none counted yet: 0)."""
    for line in fetch(f"http://{addr}/metrics")[1].decode().splitlines():
        if line.startswith("driftless_reconcile_duration_seconds_count"):
            return int(float(line.split()[-1]))
    return 0

def reconcile_seconds(addr):
    for line in fetch(f"http://{addr}/metrics")[1].decode().splitlines():
        if line.startswith("driftless_reconcile_duration_seconds_sum"):
            return float(line.split()[-1])
    return 0.0

class Status:
    """GET /status over one kept-alive connection (cheap to poll every few ms)."""
    def __init__(self, addr):
        self.addr, self.conn = addr, None
    def get(self):
        for attempt in (0, 1):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.addr, timeout=30)
                self.conn.request("GET", "/status")
                r = self.conn.getresponse()
                body = r.read()
                if r.status != 200:
                    die(f"GET /status answered {r.status}: {body[:200]!r}")
                return json.loads(body)
            except (OSError, http.client.HTTPException):
                self.conn = None
                if attempt:
                    raise
    def wait_applied(self, sha, timeout, pause):
        """Seconds until the target shows `sha` applied; fails on a failed reconcile of it."""
        start = time.perf_counter()
        while True:
            t = self.get().get("targets", {}).get(TARGET, {})
            if t.get("lastAppliedRevision") == sha:
                if t.get("lastResult") != "converged":
                    die(f"{sha} applied but lastResult is {t.get('lastResult')}: {json.dumps(t)}")
                return time.perf_counter() - start, t
            if t.get("lastAttemptedRevision") == sha and t.get("lastResult") not in (None, "converged"):
                die(f"the reconcile of {sha} ended {t.get('lastResult')}: {json.dumps(t)}")
            if time.perf_counter() - start > timeout:
                die(f"{sha} not applied within {timeout} s; status: {json.dumps(t)}")
            time.sleep(pause)

def alarm_doc(name, threshold):
    return (f"---\napiVersion: driftless.dev/v1\nkind: MetricAlarm\nmetadata: {{name: \"{name}\"}}\n"
            f"spec: {{namespace: AWS/EC2, metricName: CPUUtilization, statistic: Average, period: 300, "
            f"evaluationPeriods: 3, threshold: {threshold:g}, comparisonOperator: GreaterThanThreshold}}\n")

def write_alarms(repo, thresholds):
    with open(os.path.join(repo, "alarms.yaml"), "w") as f:
        f.write("".join(alarm_doc(a, t) for a, t in sorted(thresholds.items())))

def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True, text=True).stdout.strip()

def cmd_repo(repo, n_alarms, n_groups, region):
    """A git repository on branch main: driftless.yaml (one target) and the specs."""
    n_alarms, n_groups = int(n_alarms), int(n_groups)
    os.makedirs(repo)
    open(os.path.join(repo, "driftless.yaml"), "w").write(
        f"targets:\n  - name: {TARGET}\n    region: {region}\n")
    write_alarms(repo, {f"bench-{i:04d}": 80.0 for i in range(n_alarms)})
    if n_groups:
        open(os.path.join(repo, "logs.yaml"), "w").write("".join(
            f"---\napiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {{name: \"/bench/{i:04d}\"}}\n"
            f"spec: {{retentionInDays: 30}}\n" for i in range(n_groups)))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", "initial")
    print(git(repo, "rev-parse", "HEAD"))

def cmd_converge(addr, repo, endpoint, account, timeout, label):
    """Waits for the repository's HEAD to be applied; prints how long and how many calls."""
    sha = git(repo, "rev-parse", "HEAD")
    seconds, _ = Status(addr).wait_applied(sha, float(timeout), 0.1)
    c = calls(endpoint, account)
    print(f"{label}: {seconds:.1f} s after the controller was listening, {c['total']} AWS calls "
          f"({breakdown(flat(c))})")

def pct(sorted_values, p):
    """Nearest-rank percentile."""
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]

def cmd_latency(addr, repo, endpoint, account, region, n_alarms, rounds, timeout):
    import boto3
    n_alarms, rounds, timeout = int(n_alarms), int(rounds), float(timeout)
    secret = os.environ["DRIFTLESS_WEBHOOK_SECRET"].encode()
    cw = boto3.client("cloudwatch", endpoint_url=endpoint, region_name=region,
                      aws_access_key_id=account, aws_secret_access_key="testing")
    status = Status(addr)
    thresholds = {f"bench-{i:04d}": 80.0 for i in range(n_alarms)}
    latencies, inside, round_calls = [], [], []
    for r in range(rounds):
        name = f"bench-{r % n_alarms:04d}"
        thresholds[name] = 100.0 + r
        write_alarms(repo, thresholds)
        git(repo, "-c", "user.name=bench", "-c", "user.email=bench@localhost",
            "commit", "-q", "-am", f"{name}: threshold {thresholds[name]:g}")
        sha = git(repo, "rev-parse", "HEAD")
        body = json.dumps({"ref": "refs/heads/main", "after": sha}).encode()
        signature = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        before_calls, before_seconds = calls(endpoint, account), reconcile_seconds(addr)
        start = time.perf_counter()
        code, answer = fetch(f"http://{addr}/hooks/git", data=body, headers={
            "Content-Type": "application/json", "X-GitHub-Event": "push",
            "X-GitHub-Delivery": f"bench-{r}", "X-Hub-Signature-256": signature})
        if code != 202:
            die(f"the webhook was answered {code}: {answer!r}")
        waited, _ = status.wait_applied(sha, timeout, 0.005)
        latencies.append((time.perf_counter() - start) * 1000)
        inside.append((reconcile_seconds(addr) - before_seconds) * 1000)
        round_calls.append(delta(calls(endpoint, account), before_calls))
        live = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        if not live or live[0]["Threshold"] != thresholds[name]:
            die(f"{name}: the emulator has {live[0]['Threshold'] if live else 'no alarm'}, "
                f"expected threshold {thresholds[name]:g} after {sha}")
    s = sorted(latencies)
    print(f"rounds:        {rounds} (each: commit one alarm's new threshold, POST /hooks/git, poll GET /status every 5 ms)")
    print(f"latency:       min {s[0]:.0f} ms, median {statistics.median(s):.0f} ms, "
          f"p90 {pct(s, 90):.0f} ms, max {s[-1]:.0f} ms  (webhook sent → status shows the commit applied)")
    print(f"   each round: " + " ".join(f"{v:.0f}" for v in latencies) + " ms")
    print(f"reconcile:     median {statistics.median(inside):.0f} ms of it inside the reconcile "
          f"(driftless_reconcile_duration_seconds; fetch, validate, plan, apply, record)")
    totals = sorted(sum(d.values()) for d in round_calls)
    print(f"AWS calls:     {totals[len(totals) // 2]} per webhook reconcile, median "
          f"(last round: {breakdown(round_calls[-1])})")
    print(f"verified:      every changed threshold read back from the emulator ({rounds}/{rounds})")

def proc(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])           # utime + stime, every thread
    mem = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                mem[key] = int(value.split()[0]) / 1024     # kB → MiB
    return ticks, mem

def quiet(addr, endpoint, account, timeout):
    """Waits until neither the call count nor the reconcile count moves for 3 s."""
    start, last = time.monotonic(), None
    while time.monotonic() - start < timeout:
        now = (calls(endpoint, account)["total"], reconciles(addr))
        if now == last:
            return calls(endpoint, account), now[1]
        last = now
        time.sleep(3)
    die(f"the controller kept calling AWS for {timeout} s")

def cmd_idle(addr, pid, endpoint, account, seconds, n_alarms, n_groups, interval, resync, timeout):
    seconds, n_alarms, n_groups, timeout = float(seconds), int(n_alarms), int(n_groups), float(timeout)
    hz = os.sysconf("SC_CLK_TCK")
    calls0, k0 = quiet(addr, endpoint, account, timeout)
    ticks0, mem0 = proc(pid)
    start = time.monotonic()
    peak = mem0["VmRSS"]
    while (left := seconds - (time.monotonic() - start)) > 0:
        time.sleep(min(1.0, left))
        _, mem = proc(pid)
        peak = max(peak, mem["VmRSS"])
    ticks1, mem1 = proc(pid)
    wall = time.monotonic() - start
    k_window = reconciles(addr) - k0
    calls1, k1 = quiet(addr, endpoint, account, timeout)
    d, k = delta(calls1, calls0), k1 - k0
    cpu = (ticks1 - ticks0) / hz
    print(f"resources:     {n_alarms + n_groups} ({n_alarms} MetricAlarm, {n_groups} LogGroup), "
          f"--interval {interval} --resync {resync}")
    print(f"window:        {wall:.0f} s, which included {k_window} reconcile{'' if k_window == 1 else 's'} of the unchanged revision "
          f"(driftless_reconcile_duration_seconds_count; polls and resyncs)")
    print(f"CPU:           {100 * cpu / wall:.2f} % of one core on average "
          f"({cpu:.2f} s user+system in {wall:.0f} s)")
    print(f"RSS:           {mem0['VmRSS']:.1f} MiB at the start, {mem1['VmRSS']:.1f} MiB at the end, "
          f"{peak:.1f} MiB peak in the window (1 s samples); VmHWM {mem1['VmHWM']:.1f} MiB "
          f"(lifetime peak, initial creates included)")
    if k == 0:
        print("AWS calls:     no reconcile in the window (make IDLE_SECONDS longer than the interval)")
        return
    total = sum(d.values())
    minimal = math.ceil((n_alarms + n_groups) / 100) + math.ceil(n_alarms / 100) + math.ceil(n_groups / 50)
    print(f"AWS calls:     {total / k:g} per no-change resync ({breakdown(d, k)}); "
          f"{total} over {k} reconciles (counted on until the controller was quiet after the window); "
          f"minimal page count {minimal}, ratio {total / k / minimal:.2f}")
    writes = {key: v for key, v in d.items() if key[1].startswith(WRITES)}
    if writes:
        print(f"   WARNING: writes during the idle window: {breakdown(writes)}")
    if total % k:
        print("   WARNING: the calls are not a whole number per reconcile (a reconcile was cut by the window?)")

commands = {"repo": cmd_repo, "converge": cmd_converge, "latency": cmd_latency, "idle": cmd_idle}
commands[sys.argv[1]](*sys.argv[2:])
PY
# In the background and waited for, so that a signal to this script is handled at once.
bench() {
  DRIFTLESS_WEBHOOK_SECRET="$secret" "$PY" "$work/bench.py" "$@" 8>&- &
  helper=$!
  wait "$helper"
  helper=''
}

# start_controller NAME REPO ACCOUNT INTERVAL RESYNC: sets controller, controller_log, addr.
start_controller() {
  local name=$1 repo=$2 account=$3
  controller_log=$work/$name.stderr
  : >"$controller_log"
  env AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID="$account" AWS_SECRET_ACCESS_KEY=testing \
    AWS_REGION=$region AWS_DEFAULT_REGION=$region AWS_EC2_METADATA_DISABLED=true \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    DRIFTLESS_WEBHOOK_SECRET="$secret" \
    "$BIN" run --source "file://$repo" --ref main --listen 127.0.0.1:0 \
      --interval "$4" --resync "$5" --state-dir "$work/$name.state" \
      >"$work/$name.stdout" 2>"$controller_log" 8>&- &
  controller=$!
  addr=''
  for _ in $(seq 1 $((timeout * 10))); do
    # The address follows `listening on ` up to whitespace (colour codes stripped).
    addr=$(sed -e 's/\x1b\[[0-9;]*m//g' "$controller_log" | sed -n 's/.*listening on \([^[:space:]]*\).*/\1/p' | head -n 1)
    [ -n "$addr" ] && break
    kill -0 "$controller" 2>/dev/null || { echo "the controller exited before listening" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$addr" ] || { echo "the controller printed no 'listening on' line in $timeout s" >&2; exit 1; }
  log "controller ($name) pid $controller listening on $addr"
}
stderr_summary() {
  local lines problems
  lines=$(wc -l <"$controller_log")
  problems=$(grep -ciE 'warn|error|fail|panic' "$controller_log" || true)
  echo "controller stderr: $lines lines, $problems mentioning warn/error/fail/panic"
  grep -iE 'warn|error|fail|panic' "$controller_log" | sort | uniq -c | sort -rn | head -n 5 | sed 's/^/   /' || true
}

echo "driftless controller benchmark: $BIN"
echo "emulator on $endpoint (moto + extension), controllers on 127.0.0.1, region $region"

echo
echo "== 1. webhook to applied"
latency_alarms=10
account1=310000000001
bench repo "$work/repo1" "$latency_alarms" 0 "$region" >/dev/null
start_controller latency "$work/repo1" "$account1" 1h 1h
bench converge "$addr" "$work/repo1" "$endpoint" "$account1" "$timeout" "first revision applied ($latency_alarms alarms created)"
bench latency "$addr" "$work/repo1" "$endpoint" "$account1" "$region" "$latency_alarms" "$rounds" "$timeout"
stderr_summary
stop_controller

echo
echo "== 2. idle with $n managed resources"
account2=310000000002
alarms=$((n / 2))
groups=$((n - alarms))
log "writing $alarms alarms and $groups log groups"
bench repo "$work/repo2" "$alarms" "$groups" "$region" >/dev/null
start_controller idle "$work/repo2" "$account2" "$interval" "$resync"
bench converge "$addr" "$work/repo2" "$endpoint" "$account2" "$timeout" "initial reconcile ($n creates)"
log "sampling the idle controller for $idle s"
bench idle "$addr" "$controller" "$endpoint" "$account2" "$idle" "$alarms" "$groups" "$interval" "$resync" "$timeout"
stderr_summary
