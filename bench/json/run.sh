#!/usr/bin/env bash
# JSON micro benchmark: parse and serialize a 1.1 KiB Pod (and a 100-Pod list) with SkiffModel's JSON and with
# Foundation's JSONSerialization, in a release build. Prints thread CPU µs per operation and per KiB (wall beside).
# It is a Swift Testing suite (Tests/SkiffModelTests/JSONBenchmark.swift) that only runs when SKIFF_BENCH=1.
# Only the test product is built, so an unrelated executable that does not compile cannot stop it; -enable-testing is
# what `swift test` adds by default, for the test targets that use @testable imports.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p bench/out
swift build -c release --scratch-path .build-bench --product skiffPackageTests -Xswiftc -enable-testing
SKIFF_BENCH=1 swift test -c release --scratch-path .build-bench --skip-build --filter JSONBenchmark "$@" 2>&1 \
    | tee bench/out/json.txt
