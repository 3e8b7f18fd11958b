#!/usr/bin/env bash
# Peers side by side (not a test: prints figures). For each N (default 100 and 1000)
# one emulator account is seeded with N owned alarms and N owned log groups that match
# the repository, and three no-change checks run against the same emulator, one after
# the other:
#   ansible    ansible-playbook --check, amazon.aws cloudwatch_metric_alarm and
#              cloudwatchlogs_log_group in a loop (tests/bench/peers/check.yml)
#   per-call   Terraform's refresh pattern: a describe by name plus a tag read per
#              resource, 10 workers (tests/bench/peers/one_per_resource.py)
#   driftless  driftless plan --detailed-exitcode (release build)
# Printed for each: wall time, AWS calls (the emulator's per-account counters), peak RSS
# (the largest single process, from /usr/bin/time -v), whether it saw no change, and
# driftless's ratios.
#   tests/bench/peers.sh [N ...]
# PEERS="per-call driftless" runs only those (Ansible takes ~1 h at N = 1,000).
# The peers' virtual environment .venv-bench is built from tests/bench/requirements.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100 1000)

venv=$root/.venv-bench
req=$root/tests/bench/requirements.txt
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
  echo "setting up $venv ..." >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --disable-pip-version-check -q -r "$req"
  echo "$want" >"$venv/.requirements.sha256"
fi
cargo build --release --bin driftless >/dev/null 2>&1
tests/emulator/run --setup-only
BIN=$root/target/release/driftless

port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
work=$(mktemp -d)
tests/emulator/run --port "$port" >"$work/emulator.log" 2>&1 &
emulator=$!
trap 'kill $emulator 2>/dev/null; rm -rf "$work"' EXIT
export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 \
  AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true ANSIBLE_NOCOLOR=1 \
  ANSIBLE_PYTHON_INTERPRETER=$venv/bin/python ANSIBLE_LOCALHOST_WARNING=false \
  ANSIBLE_INVENTORY_UNPARSED_WARNING=false
for _ in $(seq 1 600); do curl -sf -o /dev/null "$AWS_ENDPOINT_URL/moto-api/" && break; sleep 0.2; done

# run_peer LABEL OUT COMMAND...: time COMMAND, then its calls; a line of figures in $work/results
run_peer() {
  local label=$1 out=$2
  shift 2
  curl -sf -X POST "$AWS_ENDPOINT_URL/_driftless/calls/reset" >/dev/null
  set +e
  /usr/bin/time -v -o "$work/time.txt" "$@" >"$out" 2>&1
  local code=$?
  set -e
  local calls
  calls=$(curl -sf "$AWS_ENDPOINT_URL/_driftless/calls?account=$AWS_ACCESS_KEY_ID")
  "$venv/bin/python" - "$label" "$code" "$calls" "$work/time.txt" "$out" >>"$work/results" <<'PY'
import json, re, sys
label, code, calls = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
t = open(sys.argv[4]).read()
out = open(sys.argv[5]).read()
wall = re.search(r"Elapsed \(wall clock\) time.*: (.*)", t).group(1)
parts = [float(p) for p in wall.split(":")]
seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024
if label == "ansible":
    m = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", out)
    clean = bool(m) and m.groups() == ("0", "0", "0") and code == 0
else:
    clean = code == 0
ops = " ".join(f"{op}={k}" for s in sorted(calls["calls"]) for op, k in sorted(calls["calls"][s].items()))
print(json.dumps({"peer": label, "seconds": seconds, "calls": calls["total"], "rss": rss,
                  "clean": clean, "ops": ops}))
PY
}

for n in "${sizes[@]}"; do
  export AWS_ACCESS_KEY_ID
  AWS_ACCESS_KEY_ID=$(printf '3%011d' "$n")
  echo "N=$n: seeding $n alarms and $n log groups in account $AWS_ACCESS_KEY_ID ..." >&2
  "$venv/bin/python" tests/bench/peers/seed.py "$n" "$work/repo-$n"
  : >"$work/results"
  want() { [[ " ${PEERS:-ansible per-call driftless} " == *" $1 "* ]]; }
  want ansible && run_peer ansible "$work/ansible-$n.out" "$venv/bin/ansible-playbook" --check -i localhost, \
    -e "n=$n endpoint=$AWS_ENDPOINT_URL" tests/bench/peers/check.yml
  want per-call && run_peer per-call "$work/per-call-$n.out" "$venv/bin/python" tests/bench/peers/one_per_resource.py "$n"
  want driftless && run_peer driftless "$work/driftless-$n.out" "$BIN" plan --source "$work/repo-$n" \
    --state-dir "$work/state-$n" --detailed-exitcode
  "$venv/bin/python" - "$n" "$work/results" <<'PY'
import json, sys
n = int(sys.argv[1])
rows = {r["peer"]: r for r in map(json.loads, open(sys.argv[2]))}
print(f"\nN = {n} alarms + {n} log groups, no change")
print(f"{'peer':<10} {'wall s':>9} {'AWS calls':>10} {'peak RSS MiB':>13}  no change")
for r in rows.values():
    print(f"{r['peer']:<10} {r['seconds']:>9.2f} {r['calls']:>10} {r['rss']:>13.1f}  {'yes' if r['clean'] else 'NO'}")
    print(f"{'':<10} {r['ops']}")
d = rows.get("driftless")
for peer in ("ansible", "per-call"):
    r = rows.get(peer)
    if d is None or r is None:
        continue
    print(f"driftless vs {peer}: {r['seconds'] / d['seconds']:.0f}x faster, "
          f"{r['calls'] / d['calls']:.0f}x fewer calls, peak RSS {d['rss']:.0f} vs {r['rss']:.0f} MiB")
PY
  if grep -q '"clean": false' "$work/results"; then
    echo "some peer did not see a clean no-change check; its output:" >&2
    for f in "$work"/*-"$n".out; do echo "== $f" >&2; tail -20 "$f" >&2; done
  fi
done
