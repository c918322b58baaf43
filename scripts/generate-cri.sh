#!/usr/bin/env bash
# Regenerates Sources/SkiffContainerd/Generated/ from Protos/cri.proto. CI never runs this: the output is committed.
#
# Needs protoc (Debian: apt-get install protobuf-compiler) and two Swift plugins, built once in a scratch package
# outside the repo that depends on swift-protobuf 1.39.0 and grpc-swift-protobuf 2.4.1 (a plugin must not be newer than
# the GRPCProtobuf runtime the app links):
#   swift build -c release --product protoc-gen-swift
#   swift build -c release --product protoc-gen-grpc-swift-2
# then point PLUGINS at that package's .build/release directory.
set -euo pipefail
cd "$(dirname "$0")/.."
PLUGINS="${PLUGINS:-/work/tools-protoc/.build/release}"
OUT=Sources/SkiffContainerd/Generated
mkdir -p "$OUT"
protoc --plugin=protoc-gen-swift="$PLUGINS/protoc-gen-swift" \
    --swift_out="$OUT" --swift_opt=Visibility=Internal -IProtos Protos/cri.proto
protoc --plugin=protoc-gen-grpc-swift-2="$PLUGINS/protoc-gen-grpc-swift-2" \
    --grpc-swift-2_out="$OUT" --grpc-swift-2_opt=Server=false,Visibility=Internal -IProtos Protos/cri.proto
echo "generated: $(ls "$OUT")"
