#!/usr/bin/env bash
# Isolated and fal's isolate side by side: builds the benchmark and the server in release, then
# runs the comparison (it installs isolate into .build/isolate-venv on first use, and the
# loopback Slurm cluster's Debian packages when missing).
#   scripts/bench.sh [--quick] [--json] [--skip-isolate]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product isolated >&2
swift build -c release --product bench >&2
# The cluster rows run on the loopback Slurm cluster: the one SLURM_CONF names, or one started
# here and stopped at the end.
if [ -z "${SLURM_CONF:-}" ]; then
    eval "export $(scripts/slurm-cluster.sh start .build/slurm | grep '^SLURM_CONF=')"
    trap 'scripts/slurm-cluster.sh stop .build/slurm' EXIT
fi
.build/release/bench "$@"
