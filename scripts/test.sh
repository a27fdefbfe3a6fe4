#!/usr/bin/env bash
# The whole test suite: formatting, then every test. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
swift format lint --strict -r Package.swift Sources Tests Examples Benchmarks
swift test
