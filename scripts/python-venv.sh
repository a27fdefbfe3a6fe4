#!/usr/bin/env bash
# The real fal-serverless 0.6.41 client's virtual environment, shared by the Python tests and the
# benchmark's Python rows: made once, in .build/python-tests, on CPython 3.8 to 3.11 (the client
# runs on those), from PyPI. Prints its python's path.
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
        echo "the fal-serverless client needs CPython 3.8 to 3.11 with venv; install one" >&2
        exit 1
    fi
    rm -rf "$venv"
    "$python" -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check fal-serverless==0.6.41 pytest==8.3.5 >&2
fi
echo "$PWD/$venv/bin/python"
