#!/usr/bin/env bash
# The hand-written Swift files (generated protobuf/gRPC code is left as its generator wrote it).
cd "$(dirname "$0")/.."
find Sources Tests bench/Sources -name '*.swift' -not -path '*/Generated/*' | sort
