#!/usr/bin/env bash
# Remote agent memory (root): a release `skiff server --disable-agent` and one `skiff agent` in its own network
# namespace (veth 198.18.79.1 ↔ .2), as an edge node runs it. Prints the agent's RSS (containerd and shims excluded)
# idle with 0 pods and with PODS pods running on it, and the server's RSS beside it.
# Usage: [PODS=30] bench/agent/remote-agent.sh      (bench/agent/run.sh calls it after its own phases)
set -euo pipefail
cd "$(dirname "$0")/../.."
PODS=${PODS:-30}
[ "$(id -u)" = 0 ] || { echo "bench/agent/remote-agent.sh needs root (containerd)"; exit 1; }
bin=$(swift build -c release --show-bin-path)/skiff
[ -x "$bin" ] || swift build -c release --product skiff >/dev/null
work=$(mktemp -d /var/tmp/skiff-bench-remote.XXXXXX)
ns=skiff-bench-agent
server_pid="" agent_pid=""
cleanup() {
  set +e
  kubectl --kubeconfig "$work/kubeconfig" delete pods --all --grace-period=0 --force >/dev/null 2>&1
  sleep 2
  [ -n "$agent_pid" ] && { kill "$agent_pid"; wait "$agent_pid"; } 2>/dev/null
  [ -n "$server_pid" ] && { kill "$server_pid"; wait "$server_pid"; } 2>/dev/null
  for shim in $(pgrep -f "containerd-shim-runc-v2 .*-address $work/"); do pkill -KILL -P "$shim"; kill -KILL "$shim"; done
  pkill -f "containerd --config $work/" 2>/dev/null; sleep 1
  for pod_ns in $(ip netns list 2>/dev/null | awk '/^cni-/ {print $1}'); do
    [ -z "$(ip netns pids "$pod_ns" 2>/dev/null)" ] && ip netns delete "$pod_ns"
  done
  for m in $(awk -v w="$work" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$m"; done
  ip netns delete $ns 2>/dev/null; ip link del skiff-bench-h 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
ip netns delete $ns 2>/dev/null || true
ip link del skiff-bench-h 2>/dev/null || true
ip netns add $ns
ip link add skiff-bench-h type veth peer name skiff-bench-n
ip link set skiff-bench-n netns $ns
ip addr add 198.18.79.1/24 dev skiff-bench-h && ip link set skiff-bench-h up
ip netns exec $ns ip addr add 198.18.79.2/24 dev skiff-bench-n
ip netns exec $ns ip link set skiff-bench-n up
ip netns exec $ns ip link set lo up
ip netns exec $ns ip route add default via 198.18.79.1

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
export KUBECONFIG="$work/kubeconfig"
"$bin" server --disable-agent --data-dir "$work/server" --https-listen-port "$port" --tls-san 198.18.79.1 \
  --write-kubeconfig "$KUBECONFIG" >"$work/server.log" 2>&1 &
server_pid=$!
until [ -f "$work/server/server/node-token" ] && kubectl get --raw /readyz >/dev/null 2>&1; do sleep 0.2; done
mkdir -p "$work/agent/agent/images"
cp airgap/dist/skiff-airgap-images-amd64.tar "$work/agent/agent/images/"
# nsenter keeps the host's mounts (ip netns exec remounts /sys and hides the cgroup mount from runc).
nsenter --net=/var/run/netns/$ns "$bin" agent --server "https://198.18.79.1:$port" \
  --token "$(cat "$work/server/server/node-token")" --node-name bench-edge --node-ip 198.18.79.2 \
  --data-dir "$work/agent" >"$work/agent.log" 2>&1 &
agent_pid=$!
until [ "$(kubectl get node bench-edge -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]; do
  kill -0 "$agent_pid" || { tail -20 "$work/agent.log"; exit 1; }
  sleep 0.2
done
rss() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
sleep 10
idle=$(rss "$agent_pid")
for i in $(seq "$PODS"); do
  cat <<YAML
---
apiVersion: v1
kind: Pod
metadata: {name: edge-$i}
spec:
  nodeSelector: {kubernetes.io/hostname: bench-edge}
  terminationGracePeriodSeconds: 0
  containers: [{name: main, image: busybox, imagePullPolicy: IfNotPresent, command: [sleep, '3600']}]
YAML
done | kubectl apply -f - >/dev/null
until [ "$(kubectl get pods --field-selector status.phase=Running -o name | wc -l)" -ge "$PODS" ]; do sleep 0.5; done
sleep 20  # a few relists, probes-free steady state
echo "remote agent RSS (containerd excluded): idle $idle MB, with $PODS pods $(rss "$agent_pid") MB (target ≤ 25); server --disable-agent beside it: $(rss "$server_pid") MB"
