#!/usr/bin/env bash
# Service proxy programming latency (root): `skiff-bench proxy` (release build) in a network namespace of its own
# programs 1 000 Services × 10 endpoints into real nftables, then measures, change by change, the time from an
# EndpointSlice change to the transaction that holds it committed in the kernel; anchor, same run: `nft -f` of a
# one-line transaction. Target: p99 ≤ 1 s (upstream's SLO for kube-proxy is 30 s).
# Usage: [SERVICES=1000] [ENDPOINTS=10] [CHANGES=200] bench/proxy/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "bench/proxy needs root (nftables)"; exit 1; }
command -v nft >/dev/null || apt-get install -y -qq nftables >/dev/null
swift build -c release --product skiff-bench >/dev/null
bin=$(swift build -c release --show-bin-path)/skiff-bench
ns=skiff-bench-proxy
ip netns delete $ns 2>/dev/null || true
ip netns add $ns
trap 'ip netns delete $ns 2>/dev/null' EXIT
/usr/bin/time -f "skiff-bench proxy: %M KB max RSS, %U s user, %S s system" \
  ip netns exec $ns "$bin" proxy --services "${SERVICES:-1000}" --endpoints "${ENDPOINTS:-10}" --changes "${CHANGES:-200}"
