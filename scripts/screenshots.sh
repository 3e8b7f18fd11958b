#!/usr/bin/env bash
# Screenshots of the dashboard (home and a target page) into docs/img/, made by the
# browser tests' headless Chromium against the debug binary on the emulator
# (DRIFTLESS_BIN, else target/debug/driftless built here).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ -z "${DRIFTLESS_BIN:-}" ]; then
    cargo build --bin driftless
    export DRIFTLESS_BIN=target/debug/driftless
fi
tests/browser/run --screenshots docs/img
