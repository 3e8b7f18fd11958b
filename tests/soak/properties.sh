#!/usr/bin/env bash
# The long suite of the convergence properties (tests/it/properties/): 1,000
# generated cases (10 batches of 100, each its own AWS account on the emulator)
# through validate → plan → apply → plan = no changes, and one out-of-band change
# per resource reported as drift on exactly that field.
#   tests/soak/properties.sh [CASES]        (default 1000)
# DRIFTLESS_PROPERTY_SEED=<64 hex digits> replays a run (the seed is printed on failure).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
CASES="${1:-1000}"
start=$(date +%s)
DRIFTLESS_PROPERTY_CASES="$CASES" cargo test --test it properties::specs_converge_and_drift_is_exact -- --exact --nocapture
echo "properties: $CASES cases in $(( $(date +%s) - start )) s"
