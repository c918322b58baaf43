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

# Throughput through a ClusterIP against the endpoint's own address, same run: a "pod" (a network namespace behind a
# veth, as the bridge plugin gives pods) runs iperf3's server; the node's namespace sends to each address for
# SECONDS seconds, twice, alternating.
command -v iperf3 >/dev/null || apt-get install -y -qq iperf3 >/dev/null
pod=skiff-bench-pod
ip netns delete $pod 2>/dev/null || true
ip netns add $pod
trap 'ip netns delete $ns 2>/dev/null; ip netns delete $pod 2>/dev/null' EXIT
ip link add skb-node type veth peer name skb-pod
ip link set skb-node netns $ns; ip link set skb-pod netns $pod
ip netns exec $ns ip addr add 10.42.0.1/24 dev skb-node; ip netns exec $ns ip link set skb-node up; ip netns exec $ns ip link set lo up
ip netns exec $pod ip addr add 10.42.0.2/24 dev skb-pod; ip netns exec $pod ip link set skb-pod up; ip netns exec $pod ip link set lo up
ip netns exec $pod ip route add default via 10.42.0.1
ip netns exec $ns ip route add 10.43.0.0/16 via 10.42.0.2   # a route for cluster IPs, as a node's default route gives
ip netns exec $ns "$bin" proxy-apply --cluster-ip 10.43.0.100 --port 5201 --endpoint 10.42.0.2
rate() {  # ADDRESS → Gbit/s
  ip netns exec $pod pkill iperf3 2>/dev/null || true
  ip netns exec $pod iperf3 -s -D >/dev/null; sleep 0.3
  ip netns exec $ns iperf3 -c "$1" -t "${SECONDS_:-5}" -J | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9, 2))'
}
direct1=$(rate 10.42.0.2); via1=$(rate 10.43.0.100); direct2=$(rate 10.42.0.2); via2=$(rate 10.43.0.100)
ip netns exec $pod pkill iperf3 2>/dev/null || true
echo "throughput, iperf3 TCP: pod IP $direct1, $direct2 Gbit/s; ClusterIP $via1, $via2 Gbit/s"
python3 -c "print(f'ClusterIP / pod IP: {($via1 + $via2) / ($direct1 + $direct2):.2f}x')"
