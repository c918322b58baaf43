#!/usr/bin/env bash
# JSON micro benchmark: parse and serialize a 1.1 KiB Pod (and a 100-Pod list) with SkiffModel's JSON and with
# Foundation's JSONSerialization, in a release build. Prints µs per operation and per KiB.
# It is a Swift Testing suite (Tests/SkiffModelTests/JSONBenchmark.swift) that only runs when SKIFF_BENCH=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p bench/out
SKIFF_BENCH=1 swift test -c release --scratch-path .build-bench --filter JSONBenchmark "$@" 2>&1 \
    | tee bench/out/json.txt
