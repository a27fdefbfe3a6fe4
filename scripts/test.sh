#!/usr/bin/env bash
# The whole test suite: formatting, then every test, then the benchmark's quick mode against
# the tests' cache (both systems, so it cannot rot; its timings mean nothing here: a debug
# build on a busy machine). CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
swift format lint --strict -r Package.swift Sources Tests Examples Benchmarks
swift test
ISOLATED_HOME="$PWD/.build/isolated-test-home" swift run bench --quick
