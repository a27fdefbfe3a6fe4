#!/usr/bin/env bash
# The whole test suite: formatting, a Slurm cluster on loopback, then every Swift test, the Python tests (the real
# fal-serverless client against isolated serve; scripts/python-tests.sh installs what they
# need), schemathesis against the HTTP API (scripts/fuzz-api.sh), then the benchmark's quick mode against
# the tests' cache (both systems, so it cannot rot; its timings mean nothing here: a debug
# build on a busy machine). CI runs exactly this. The timeouts are backstops far above the
# usual times (about 10 and 3 minutes from a fresh clone), so a hang fails with its output
# instead of running out CI's clock.
set -euo pipefail
cd "$(dirname "$0")/.."
swift format lint --strict -r Package.swift Sources Tests Examples Benchmarks
# The real Slurm cluster on loopback (three nodes) that the cluster tests run on (Debian's packages
# installed when missing), stopped however the run ends.
eval "export $(scripts/slurm-cluster.sh start .build/slurm | grep '^SLURM_CONF=')"
trap 'scripts/slurm-cluster.sh stop .build/slurm' EXIT
timeout --kill-after=1m 60m swift test
timeout --kill-after=1m 30m scripts/python-tests.sh
# schemathesis against a real server with an invoke key and an admin key: zero failures, every check on.
timeout --kill-after=1m 30m scripts/fuzz-api.sh
ISOLATED_HOME="$PWD/.build/isolated-test-home" timeout --kill-after=1m 30m swift run bench --quick
