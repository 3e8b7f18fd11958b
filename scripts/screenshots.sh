#!/usr/bin/env bash
# Screenshots of the dashboard (home and a target page) into docs/img/, made by the
# browser tests' headless Chromium against the debug binary on the emulator.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
cargo build --bin driftless
DRIFTLESS_BIN="${DRIFTLESS_BIN:-target/debug/driftless}" tests/browser/run --screenshots docs/img
