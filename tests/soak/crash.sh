#!/usr/bin/env bash
# Crash-safety soak (not part of `make test`): TRIALS trials (default 50) of SIGKILL
# at seeded random points of `driftless apply` and `driftless run` (alternating, one
# or two kills per trial) while they create a generated repository of every kind on a
# private emulator, then a restart until the command succeeds. Prints trials,
# convergences, kills (how many landed in the middle of the writes), restarts,
# duplicates, orphans and intact histories; exits non-zero if any trial failed.
# STATE `s3` keeps the state in the emulator's S3 (`--state s3://…`), default local.
#   tests/soak/crash.sh [TRIALS] [SEED] [STATE]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
trials=${1:-50}
seed=${2:-1}
state=${3:-local}
tests/emulator/run --setup-only
DRIFTLESS_CRASH_TRIALS=$trials DRIFTLESS_CRASH_SEED=$seed DRIFTLESS_CRASH_STATE=$state \
  cargo test --test it crash::crash_soak -- --ignored --exact --nocapture
