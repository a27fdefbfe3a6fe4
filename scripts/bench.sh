#!/usr/bin/env bash
# Isolated and fal's isolate side by side: builds the benchmark and the server in release, then
# runs the comparison (it installs isolate into .build/isolate-venv on first use).
#   scripts/bench.sh [--quick] [--json] [--skip-isolate]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product isolated >&2
swift build -c release --product bench >&2
exec .build/release/bench "$@"
