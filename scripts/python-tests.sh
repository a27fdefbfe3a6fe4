#!/usr/bin/env bash
# The Python tests: the real fal-serverless 0.6.41 client, from PyPI, runs the reference pages'
# examples against a real `isolated serve --grpc-port` (Tests/Python, pytest). The client runs on
# CPython 3.8 to 3.11; its virtual environment is made once, in .build/python-tests.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/python-tests
if [ ! -x "$venv/bin/pytest" ]; then
    python=""
    for candidate in python3.11 python3.10 python3.9 python3.8; do
        if command -v "$candidate" >/dev/null && "$candidate" -c 'import ensurepip, venv' 2>/dev/null; then
            python="$candidate"
            break
        fi
    done
    if [ -z "$python" ]; then
        echo "the Python tests need CPython 3.8 to 3.11 with venv (the fal-serverless client runs on those); install one" >&2
        exit 1
    fi
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check fal-serverless==0.6.41 pytest==8.3.5
fi
swift build --product isolated
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider Tests/Python "$@"
