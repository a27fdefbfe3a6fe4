#!/usr/bin/env bash
# The Python tests: the real fal-serverless 0.6.41 client, from PyPI, runs the reference pages'
# examples against a real `isolated serve --grpc-port` (Tests/Python, pytest). The client's
# virtual environment is made once, in .build/python-tests (scripts/python-venv.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(scripts/python-venv.sh)
swift build --product isolated
exec "$python" -m pytest -q -p no:cacheprovider Tests/Python "$@"
