#!/usr/bin/env bash
# Scheduler benchmark: 5 000 simulated nodes, 10 000 pods from Deployments, in-process control plane, release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product skiff-bench >/dev/null
work=$(mktemp -d /var/tmp/skiff-bench-sched.XXXXXX)
trap 'rm -rf "$work"' EXIT
.build/release/skiff-bench scheduler --dir "$work" "$@"
