#!/usr/bin/env bash
# Regenerates the HTTP API's Swift code from Sources/IsolatedServer/openapi.json, with
# swift-openapi-generator: types and client into Sources/IsolatedClient/Generated, the server's
# routing into Sources/IsolatedServer/Generated (configurations in scripts/openapi/). The code is
# committed: the generator takes about three minutes to build, which no build should pay. Also
# re-embeds the document (scripts/embed-openapi.sh). A test fails when the generated code was made
# from another document.
set -euo pipefail
cd "$(dirname "$0")/.."
generator="${OPENAPI_GENERATOR:-}"
if [[ -z "$generator" ]]; then
    scratch="${TMPDIR:-/tmp}/isolated-openapi-codegen"
    mkdir -p "$scratch"
    cat > "$scratch/Package.swift" <<'MANIFEST'
// swift-tools-version: 6.0
import PackageDescription
let package = Package(
    name: "codegen",
    dependencies: [.package(url: "https://github.com/apple/swift-openapi-generator", exact: "1.14.3")]
)
MANIFEST
    (cd "$scratch" && swift build -c release --product swift-openapi-generator)
    generator="$scratch/.build/release/swift-openapi-generator"
fi
document=Sources/IsolatedServer/openapi.json
generate() {
    local config=$1 out=$2
    rm -rf "$out" && mkdir -p "$out"
    "$generator" generate --config "$config" --output-directory "$out" "$document"
    for file in "$out"/*.swift; do
        printf '// swift-format-ignore-file\n%s\n' "$(cat "$file")" > "$file"
    done
}
generate scripts/openapi/client.yaml Sources/IsolatedClient/Generated
generate scripts/openapi/server.yaml Sources/IsolatedServer/Generated
# Beside the target's own Server.swift, a file of the same name would clash.
mv Sources/IsolatedServer/Generated/Server.swift Sources/IsolatedServer/Generated/APIProtocol+Server.swift
sha256sum "$document" | cut -d' ' -f1 > Sources/IsolatedClient/Generated/openapi.json.sha256
scripts/embed-openapi.sh
