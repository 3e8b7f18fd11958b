#!/usr/bin/env bash
# Fault-convergence soak (not part of `make test`, which runs seed 13 once): the fault
# test of tests/it/faults.rs (20 % throttling, 5 % 5xx, 1 % dropped connections, 1 %
# lost answers on every operation; the quickstart and a generated repository of every
# kind, with unowned namesakes) once per seed, each on a fresh private emulator.
# Prints each run's figures (applies to convergence, changes failed and retried,
# calls, faults injected by kind, wall time); exits non-zero at the first failure.
#   tests/soak/faults.sh [FIRST_SEED] [LAST_SEED]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
first=${1:-1}
last=${2:-5}
tests/emulator/run --setup-only
cargo test --test it --no-run >/dev/null 2>&1
for seed in $(seq "$first" "$last"); do
  DRIFTLESS_FAULT_SEED=$seed cargo test --test it \
    faults::apply_converges_under_faults_without_duplicates_or_writes_to_unowned_namesakes \
    -- --exact --nocapture
done
