#!/usr/bin/env bash
# Runs schemathesis against a real `isolated serve`, reading the OpenAPI document the server
# serves: once with an invoke key, once with an admin key (its run leaves out revoking keys,
# which would revoke the key it is using), every check on. Exits non-zero on any failure.
#
#   scripts/fuzz-api.sh [path/to/isolated]     (default: .build/debug/isolated)
#
# The server gets a home of its own under .build, so the fuzzer's functions do not mix with
# anyone's cache; FUZZ_MAX_EXAMPLES (default 40) bounds the cases per operation, and FUZZ_SEED
# (default 1) picks them.
set -euo pipefail
cd "$(dirname "$0")/.."
isolated="${1:-.build/debug/isolated}"
venv=.build/schemathesis-venv
if [ ! -x "$venv/bin/st" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check schemathesis==4.32.5
fi

work=$(mktemp -d /tmp/isolated-fuzz.XXXXXX)
home="$PWD/.build/fuzz-home"
mkdir -p "$home"
database="$work/isolated.sqlite"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

invoke_key=$("$isolated" keys create fuzz-invoke --scope invoke --home "$home" --database "$database" | grep '^isk_')
admin_key=$("$isolated" keys create fuzz-admin --scope admin --home "$home" --database "$database" | grep '^isk_')

"$isolated" serve --port 0 --home "$home" --database "$database" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
    url=$(sed -n 's/^isolated: serving on \(http[^ ]*\).*/\1/p' "$work/server.log")
    [ -n "$url" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$url" ] || { echo "isolated serve did not start" >&2; cat "$work/server.log" >&2; exit 1; }

# The first doctor report builds the runner runtime (about 20 s); the fuzzer's time limit is for answers, not that.
curl --silent --show-error --header "Authorization: Bearer $admin_key" "$url/v1/doctor" > /dev/null

status=0
run() {
    local name=$1 key=$2
    shift 2
    echo "schemathesis with the $name key against $url"
    "$venv/bin/st" run "$url/openapi.json" \
        --header "Authorization: Bearer $key" \
        --checks all \
        --max-examples "${FUZZ_MAX_EXAMPLES:-40}" \
        --seed "${FUZZ_SEED:-1}" \
        --request-timeout 120 \
        --max-response-time 120 \
        --workers 2 \
        --warnings off \
        "$@" || status=1
}
run invoke "$invoke_key"
run admin "$admin_key" --exclude-operation-id revokeKey
if [ "$status" -ne 0 ]; then
    echo "the server's log:" >&2
    tail -50 "$work/server.log" >&2
fi
exit "$status"
