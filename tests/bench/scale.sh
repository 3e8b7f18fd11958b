#!/usr/bin/env bash
# Benchmark of many targets in one process against the emulator (not a test: prints
# figures). Every target is one (account, Region) pair reached through a role
# (`roleArn` in driftless.yaml; four Regions per account, so one role serves four
# targets) and holds 7 resources: 3 MetricAlarm, 2 LogGroup, 1 PatchBaseline,
# 1 MaintenanceWindow.
#
#   tests/bench/scale.sh plan [N_TARGETS ...]     (default: 100 1000)
#     For each N, on a fresh emulator: the first `driftless apply` (creates N x 7
#     resources: time, failed writes, peak RSS), then a no-change `driftless plan`:
#     time per target, AWS calls against the minimal count, peak RSS (/usr/bin/time -v).
#     The ratio of the time per target at the largest N to that at the smallest.
#   tests/bench/scale.sh apply [N_TARGETS ...]    only the first apply of each N.
#   tests/bench/scale.sh controller [N_TARGETS]   (default: 300)
#     `driftless run` over N targets (fresh accounts: its first reconcile of each target
#     creates them), sampled every second from /proc: RSS until every target has been
#     reconciled, then for WINDOW seconds of resyncs: RSS at start, end and peak, the
#     slope, VmHWM, and CPU per reconcile (user+system ticks / reconciles counted in
#     driftless_reconcile_duration_seconds_count).
#
# Settings (environment): PLAN_WRAP (a command the no-change plan runs under, e.g.
# `heaptrack -o /tmp/plan`: its peak RSS then includes the wrapper), DRIFTLESS_BIN (default target/debug/driftless; the script does
# not build it), RESYNC (30s), WINDOW (120), TIMEOUT (1800), EMULATOR_RUN (default
# tests/emulator/run: another checkout's, to compare emulator versions).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
BIN=$(realpath -m "${DRIFTLESS_BIN:-target/debug/driftless}")
mode=${1:-plan}
shift || true
resync=${RESYNC:-30s}
window=${WINDOW:-120}
timeout=${TIMEOUT:-1800}
[ -x "$BIN" ] || { echo "no driftless binary at $BIN (cargo build --bin driftless, or set DRIFTLESS_BIN)" >&2; exit 1; }
tests/emulator/run --setup-only
PY=$root/.venv/bin/python
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
work=$(mktemp -d)
emulator='' controller=''
cleanup() {
  set +e
  [ -n "$controller" ] && { kill -TERM "$controller" 2>/dev/null; wait "$controller" 2>/dev/null; }
  [ -n "$emulator" ] && { kill "$emulator" 2>/dev/null; wait "$emulator" 2>/dev/null; }
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_emulator() {
  [ -n "$emulator" ] && { kill "$emulator" 2>/dev/null; wait "$emulator" 2>/dev/null || true; }
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  "${EMULATOR_RUN:-tests/emulator/run}" --port "$port" --host 127.0.0.1 >"$work/emulator.log" 2>&1 &
  emulator=$!
  endpoint=http://127.0.0.1:$port
  for _ in $(seq 1 600); do curl -sf -o /dev/null "$endpoint/moto-api/" && break; sleep 0.2; done
  curl -sf -o /dev/null "$endpoint/moto-api/" || { echo "the emulator did not start" >&2; exit 1; }
}

# The ambient identity: the account that assumes every target's role.
caller=210987654321
aws_env() {
  env AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID=$caller AWS_SECRET_ACCESS_KEY=bench \
    AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null "$@"
}

cat >"$work/scale.py" <<'PY'
import json, math, os, re, subprocess, sys, time, urllib.request

REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"]
ROLE = "driftless-bench"

def accounts(n, base):
    return [f"{base + i:012d}" for i in range(math.ceil(n / len(REGIONS)))]

def cmd_repo(repo, n, base, caller, endpoint):
    """driftless.yaml with n targets (role per account, four Regions each), 7 resources
    each, and the roles themselves (trusting the caller) in every account."""
    import boto3
    n, base = int(n), int(base)
    accts = accounts(n, base)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{caller}:root"}, "Action": "sts:AssumeRole"}]})
    for a in accts:
        iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id=a, aws_secret_access_key="bench")
        iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=trust)
    lines = ["targets:"]
    names = []
    for i in range(n):
        a, r = accts[i // len(REGIONS)], REGIONS[i % len(REGIONS)]
        name = f"t{i:04d}"
        names.append(name)
        lines += [f"  - name: {name}", f"    region: {r}", f"    accountId: \"{a}\"",
                  f"    roleArn: arn:aws:iam::{a}:role/{ROLE}"]
    lines += ["groups:", "  all: [" + ", ".join(names) + "]", "defaults:", "  targets: [all]"]
    os.makedirs(repo)
    open(os.path.join(repo, "driftless.yaml"), "w").write("\n".join(lines) + "\n")
    docs = []
    def doc(kind, name, spec):
        docs.append(f"---\napiVersion: driftless.dev/v1\nkind: {kind}\nmetadata: {{name: \"{name}\"}}\nspec: {spec}\n")
    for k in range(3):
        doc("MetricAlarm", f"scale-cpu-{k}", "{namespace: AWS/EC2, metricName: CPUUtilization, statistic: Average, "
            f"period: 300, evaluationPeriods: 3, threshold: {70 + k}, comparisonOperator: GreaterThanThreshold}}")
    for k in range(2):
        doc("LogGroup", f"/scale/app-{k}", "{retentionInDays: 30}")
    doc("PatchBaseline", "scale-baseline", "{operatingSystem: AMAZON_LINUX_2023, approvalRules: "
        "[{patchFilters: {CLASSIFICATION: [Security]}, approveAfterDays: 7}]}")
    doc("MaintenanceWindow", "scale-window", "{schedule: rate(7 days), duration: 2, cutoff: 1}")
    open(os.path.join(repo, "scale.yaml"), "w").write("".join(docs))

def minimal(n):
    """The fewest calls a no-change plan can make: per target, GetResources (ownership),
    DescribeAlarms, DescribeLogGroups, DescribePatchBaselines + DescribePatchGroups +
    GetPatchBaseline, DescribeMaintenanceWindows + GetMaintenanceWindow +
    DescribeMaintenanceWindowTargets + DescribeMaintenanceWindowTasks; and one
    AssumeRole per role."""
    return 10 * n + len(accounts(n, 0))

def calls(endpoint):
    with urllib.request.urlopen(f"{endpoint}/_driftless/calls", timeout=60) as r:
        return json.loads(r.read())

def reset(endpoint):
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/_driftless/calls/reset", data=b"", method="POST"), timeout=60).read()

def timed(time_txt):
    t = open(time_txt).read()
    wall = re.search(r"Elapsed \(wall clock\) time.*: (.*)", t).group(1)
    parts = [float(p) for p in wall.split(":")]
    seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024
    cpu = float(re.search(r"User time \(seconds\): ([\d.]+)", t).group(1)) + \
        float(re.search(r"System time \(seconds\): ([\d.]+)", t).group(1))
    return seconds, rss, cpu

def breakdown(c):
    return ", ".join(f"{op} {k}" for s, ops in sorted(c["calls"].items()) for op, k in sorted(ops.items()))

WRITES = ("Put", "Create", "Delete", "Tag", "Untag", "Update", "Register", "Deregister", "Add")

def cmd_report(what, n, code, time_txt, out, endpoint, figures):
    n, code = int(n), int(code)
    seconds, rss, cpu = timed(time_txt)
    c = calls(endpoint)
    text = open(out, errors="replace").read()
    done = re.search(r"Apply complete: (\d+) changes made, (\d+) failed", text)
    # A failed write is counted in the apply line; a failed target's read in an error line.
    errors = re.findall(r"(?m)^error: .*?failed for `[^`]*`: (.*)$", text)
    failed = int(done.group(2)) if done else len(re.findall(r"(?m)^error\b", text))
    causes = {}
    for e in errors:
        cause = re.sub(r"\d+(\.\d+)?", "N", e)[:110]
        causes[cause] = causes.get(cause, 0) + 1
    print(f"{what} of {n} targets ({7 * n} resources): exit code {code}, {seconds:.1f} s wall, "
          f"{1000 * seconds / n:.1f} ms per target, {cpu:.1f} s CPU, peak RSS {rss:.1f} MiB")
    writes = sum(k for s, ops in c["calls"].items() for op, k in ops.items() if op.startswith(WRITES))
    print(f"   AWS calls: {c['total']} ({writes} writes); faults {c.get('faultsTotal', 0)}, "
          f"throttled {c.get('throttledTotal', 0)}; failed: {failed}"
          + (f"; {done.group(0)}" if done else ""))
    if what == "plan":
        m = minimal(n)
        print(f"   minimal count {m} (10 per target + one AssumeRole per role), ratio {c['total'] / m:.2f}")
    for cause, k in sorted(causes.items(), key=lambda x: -x[1]):
        print(f"   failed {k}x: {cause}")
    print(f"   {breakdown(c)}")
    if failed or code not in (0, 2 if what == "apply" else 0):
        print("   --- output tail:\n" + text[-600:])
    with open(figures, "a") as f:
        f.write(json.dumps({"what": what, "n": n, "seconds": seconds, "rss": rss, "cpu": cpu,
                            "calls": c["total"], "failed": failed, "code": code}) + "\n")

def cmd_summary(figures):
    rows = [json.loads(l) for l in open(figures)]
    plans = sorted((r for r in rows if r["what"] == "plan"), key=lambda r: r["n"])
    if len(plans) >= 2:
        a, b = plans[0], plans[-1]
        pa, pb = a["seconds"] / a["n"], b["seconds"] / b["n"]
        print(f"no-change plan, time per target: {1000 * pa:.1f} ms at {a['n']}, {1000 * pb:.1f} ms at "
              f"{b['n']}: ratio {pb / pa:.2f} (goal <= 1.3); peak RSS {a['rss']:.0f} -> {b['rss']:.0f} MiB "
              f"(goal < 200 at 1,000)")

def proc(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    mem = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                mem[k] = int(v.split()[0]) / 1024
    return int(fields[11]) + int(fields[12]), mem

def metric(addr, name):
    with urllib.request.urlopen(f"http://{addr}/metrics", timeout=60) as r:
        body = r.read().decode()
    total = 0.0
    for line in body.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.split()[-1])
    return total, len(body)

def status_size(addr):
    t = time.perf_counter()
    with urllib.request.urlopen(f"http://{addr}/status", timeout=60) as r:
        body = r.read()
    return len(body), time.perf_counter() - t, json.loads(body)

def cmd_controller(addr, pid, n, window, timeout):
    n, window, timeout = int(n), float(window), float(timeout)
    hz = os.sysconf("SC_CLK_TCK")
    start = time.monotonic()
    samples = []
    while True:
        ticks, mem = proc(pid)
        samples.append((time.monotonic() - start, mem["VmRSS"]))
        st = status_size(addr)[2].get("targets", {})
        done = sum(1 for t in st.values() if t.get("lastResult") == "converged")
        bad = sum(1 for t in st.values() if t.get("lastResult") not in (None, "converged"))
        if done + bad >= n:
            break
        if time.monotonic() - start > timeout:
            sys.exit(f"error: only {done} of {n} targets converged in {timeout} s ({bad} not)")
        time.sleep(1)
    first = time.monotonic() - start
    peak_first = max(r for _, r in samples)
    print(f"first reconcile of every target: {first:.0f} s; {done} converged, {bad} not; "
          f"RSS peak {peak_first:.1f} MiB while they ran")
    k0, _ = metric(addr, "driftless_reconcile_duration_seconds_count")
    ticks0, mem0 = proc(pid)
    w0 = time.monotonic()
    window_samples = []
    while time.monotonic() - w0 < window:
        time.sleep(1)
        window_samples.append((time.monotonic() - w0, proc(pid)[1]["VmRSS"]))
    ticks1, mem1 = proc(pid)
    k1, metrics_bytes = metric(addr, "driftless_reconcile_duration_seconds_count")
    wall = time.monotonic() - w0
    k = k1 - k0
    cpu = (ticks1 - ticks0) / hz
    xs = [x for x, _ in window_samples]
    ys = [y for _, y in window_samples]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in window_samples) / max(1e-9, sum((x - mx) ** 2 for x in xs))
    size, took, _ = status_size(addr)
    print(f"window: {wall:.0f} s of resyncs, {k:.0f} reconciles")
    print(f"RSS: {mem0['VmRSS']:.1f} MiB at the start, {mem1['VmRSS']:.1f} MiB at the end, "
          f"{max(ys):.1f} MiB peak in the window; slope {slope * 60:+.2f} MiB/min; "
          f"VmHWM {mem1['VmHWM']:.1f} MiB (lifetime peak, first reconciles included; goal < 250)")
    if k:
        print(f"CPU: {100 * cpu / wall:.1f} % of one core; {1000 * cpu / k:.1f} ms per reconcile "
              f"({cpu:.1f} s user+system / {k:.0f} reconciles)")
    print(f"/status: {size / 1024:.0f} KiB, answered in {1000 * took:.0f} ms; /metrics: {metrics_bytes / 1024:.1f} KiB")

commands = {"repo": cmd_repo, "report": cmd_report, "summary": cmd_summary, "controller": cmd_controller,
            "reset": reset}
commands[sys.argv[1]](*sys.argv[2:])
PY
bench() { aws_env "$PY" "$work/scale.py" "$@"; }

run_plan() {
  local n=$1 only_apply=${2:-} repo=$work/repo-$1
  start_emulator
  echo "-- $n targets: writing the repository and $(( (n + 3) / 4 )) roles" >&2
  bench repo "$repo" "$n" 400000000000 "$caller" "$endpoint"
  bench reset "$endpoint"
  set +e
  aws_env /usr/bin/time -v "$BIN" apply --source "$repo" --state-dir "$work/state-$n" --auto-approve \
    --no-color >"$work/apply-$n.out" 2>"$work/apply-$n.time"
  code=$?
  set -e
  grep -v -E '^\s+(Command being timed|[A-Z][a-z].*: )' "$work/apply-$n.time" >>"$work/apply-$n.out" || true
  bench report apply "$n" "$code" "$work/apply-$n.time" "$work/apply-$n.out" "$endpoint" "$work/figures"
  [ -z "$only_apply" ] || return 0
  bench reset "$endpoint"
  set +e
  # shellcheck disable=SC2086 # PLAN_WRAP is a command line (e.g. heaptrack -o FILE)
  aws_env /usr/bin/time -v ${PLAN_WRAP:-} "$BIN" plan --source "$repo" --state-dir "$work/state-$n" --detailed-exitcode \
    --no-color >"$work/plan-$n.out" 2>"$work/plan-$n.time"
  code=$?
  set -e
  grep -v -E '^\s+(Command being timed|[A-Z][a-z].*: )' "$work/plan-$n.time" >>"$work/plan-$n.out" || true
  bench report plan "$n" "$code" "$work/plan-$n.time" "$work/plan-$n.out" "$endpoint" "$work/figures"
}

run_controller() {
  local n=$1 repo=$work/repo-c
  start_emulator
  echo "-- $n targets: writing the repository and $(( (n + 3) / 4 )) roles" >&2
  bench repo "$repo" "$n" 500000000000 "$caller" "$endpoint"
  git -C "$repo" init -q -b main
  git -C "$repo" add -A
  git -C "$repo" -c user.name=bench -c user.email=bench@localhost commit -q -m initial
  aws_env "$BIN" run --source "file://$repo" --ref main --listen 127.0.0.1:0 --interval 1h \
    --resync "$resync" --state-dir "$work/state-c" >"$work/run.out" 2>"$work/run.err" &
  controller=$!
  addr=''
  for _ in $(seq 1 600); do
    addr=$(sed -n 's/.*listening on \([^[:space:]]*\).*/\1/p' "$work/run.err" | head -n 1)
    [ -n "$addr" ] && break
    kill -0 "$controller" 2>/dev/null || { echo "the controller exited"; tail "$work/run.err"; exit 1; }
    sleep 0.1
  done
  # $controller is the subshell running aws_env; the process measured is driftless.
  local pid
  pid=$(pgrep -n -P "$controller" -x driftless || echo "$controller")
  echo "controller over $n targets, --resync $resync, window $window s (pid $pid, $addr)"
  bench controller "$addr" "$pid" "$n" "$window" "$timeout"
  echo "controller stderr: $(wc -l <"$work/run.err") lines, $(grep -ciE 'warn|error|fail|panic' "$work/run.err" || true) naming warn/error/fail/panic"
}

echo "driftless scale benchmark: $BIN ($(nproc) cores)"
case $mode in
  plan)
    [ $# -gt 0 ] || set -- 100 1000
    for n in "$@"; do run_plan "$n"; done
    bench summary "$work/figures"
    ;;
  apply) for n in "${@:-1000}"; do run_plan "$n" apply-only; done ;;
  controller) run_controller "${1:-300}" ;;
  *) echo "usage: $0 plan [N ...] | apply [N ...] | controller [N]" >&2; exit 2 ;;
esac
