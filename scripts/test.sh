#!/usr/bin/env bash
# The whole test suite: formatting, then every test, then the benchmark's quick mode against
# the tests' cache (both systems, so it cannot rot; its timings mean nothing here: a debug
# build on a busy machine). CI runs exactly this. The timeouts are backstops far above the
# usual times (about 10 and 3 minutes from a fresh clone), so a hang fails with its output
# instead of running out CI's clock.
set -euo pipefail
cd "$(dirname "$0")/.."
swift format lint --strict -r Package.swift Sources Tests Examples Benchmarks
timeout --kill-after=1m 60m swift test
ISOLATED_HOME="$PWD/.build/isolated-test-home" timeout --kill-after=1m 30m swift run bench --quick
