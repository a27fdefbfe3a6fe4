#!/usr/bin/env bash
# Regenerates Sources/IsolatedGRPC/Generated from Sources/IsolatedGRPC/Protos. The generated code
# is committed: the two protoc plugins take about ten minutes to build, which no build should pay.
# Needs protoc (Debian: apt-get install protobuf-compiler); builds the plugins, at the versions
# Package.swift uses, in a scratch package.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${TMPDIR:-/tmp}/isolated-grpc-codegen"
mkdir -p "$scratch/Sources/codegen"
cat > "$scratch/Package.swift" <<'MANIFEST'
// swift-tools-version: 6.0
import PackageDescription
let package = Package(
    name: "codegen",
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", exact: "2.4.1"),
    ],
    targets: [.executableTarget(name: "codegen")]
)
MANIFEST
echo 'print("unused")' > "$scratch/Sources/codegen/main.swift"
(cd "$scratch" && swift build -c release --product protoc-gen-swift && swift build -c release --product protoc-gen-grpc-swift-2)
out=Sources/IsolatedGRPC/Generated
rm -rf "$out" && mkdir -p "$out"
protoc -I Sources/IsolatedGRPC/Protos -I /usr/include \
    --plugin=protoc-gen-swift="$scratch/.build/release/protoc-gen-swift" \
    --plugin=protoc-gen-grpc-swift="$scratch/.build/release/protoc-gen-grpc-swift-2" \
    --swift_out="$out" --swift_opt=Visibility=Internal \
    --grpc-swift_out="$out" --grpc-swift_opt=Visibility=Internal,Client=false,Server=true \
    Sources/IsolatedGRPC/Protos/*.proto
# Files without a service have nothing in their gRPC half.
rm -f "$out/isolate_common.grpc.swift" "$out/isolate_environment.grpc.swift"
for file in "$out"/*.swift; do
    printf '// swift-format-ignore-file\n%s\n' "$(cat "$file")" > "$file"
done
