#!/usr/bin/env bash
# Writes Sources/IsolatedServer/OpenAPIDocument.swift from Sources/IsolatedServer/openapi.json, so
# the document `GET /openapi.json` serves is inside the binary. Run it after editing the document;
# a test fails while the two differ.
set -euo pipefail
cd "$(dirname "$0")/.."
source=Sources/IsolatedServer/openapi.json
target=Sources/IsolatedServer/OpenAPIDocument.swift
{
    echo "// swift-format-ignore-file"
    echo "// Generated from openapi.json by scripts/embed-openapi.sh; edit the document and run the script."
    echo
    echo "extension Server {"
    echo "    /// The OpenAPI document, \`openapi.json\`, served at \`GET /openapi.json\`."
    echo "    package static let openAPIDocument = #\"\"\""
    cat "$source"
    echo
    echo "\"\"\"#"
    echo "}"
} > "$target"
