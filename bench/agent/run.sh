#!/usr/bin/env bash
# Agent benchmark (root): skiff server with its embedded agent on real containerd, against raw `ctr run` of the same
# image on the same containerd in the same run.
#   - server start → node Ready (airgap bundle imported on the way)
#   - pod create → Running, p50/p99 over N pods (image present), vs `ctr run -d` → task running
#   - server RSS (embedded agent, containerd excluded) idle with 0 pods and with 30 pods
#   - idle disk writes of the server process over IDLE seconds (/proc/PID/io write_bytes)
#   - then remote-agent.sh: a `skiff agent` in a network namespace, its RSS idle and with 30 pods
# Usage: [PODS=50] [IDLE=600] bench/agent/run.sh      (release build; IDLE defaults to 60 s for a quick look)
set -euo pipefail
cd "$(dirname "$0")/../.."
PODS=${PODS:-50}
IDLE=${IDLE:-60}
[ "$(id -u)" = 0 ] || { echo "bench/agent needs root (containerd)"; exit 1; }
make -s airgap deps >/dev/null
swift build -c release --product skiff >/dev/null
bin=$(swift build -c release --show-bin-path)/skiff
work=$(mktemp -d /var/tmp/skiff-bench-agent.XXXXXX)   # on disk, so write_bytes is real
sock="$work/data/agent/containerd/containerd.sock"
server_pid=""
cleanup() {
  set +e
  kubectl --kubeconfig "$work/kubeconfig" delete pods --all --grace-period=0 --force >/dev/null 2>&1
  [ -n "$server_pid" ] && { kill "$server_pid"; wait "$server_pid"; } 2>/dev/null
  for c in $(ctr -a "$sock" -n k8s.io tasks ls -q 2>/dev/null); do ctr -a "$sock" -n k8s.io tasks kill -s KILL "$c"; done >/dev/null 2>&1
  pkill -f "containerd --config $work/data" 2>/dev/null; sleep 1
  # The shims outlive containerd by design: kill each container init, then the shim; drop orphaned pod netns.
  for shim in $(pgrep -f "containerd-shim-runc-v2 .*-address $work/"); do pkill -KILL -P "$shim"; kill -KILL "$shim"; done
  for pod_ns in $(ip netns list 2>/dev/null | awk '/^cni-/ {print $1}'); do
    [ -z "$(ip netns pids "$pod_ns" 2>/dev/null)" ] && ip netns delete "$pod_ns"
  done
  for m in $(awk -v w="$work" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$m" 2>/dev/null; done
  ip link del skiff0 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/data/agent/images"
cp airgap/dist/skiff-airgap-images-amd64.tar "$work/data/agent/images/"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
echo "skiff $(git rev-parse --short HEAD), $(nproc) cores, containerd $(containerd --version | awk '{print $3}'), pods=$PODS idle=${IDLE}s"
start=$(date +%s.%N)
"$bin" server --node-name bench --data-dir "$work/data" --https-listen-port "$port" --bind-address 127.0.0.1 \
  --write-kubeconfig "$work/kubeconfig" >"$work/server.log" 2>&1 &
server_pid=$!
python3 bench/agent/measure.py --kubeconfig "$work/kubeconfig" --server-pid "$server_pid" --start "$start" \
  --socket "$sock" --pods "$PODS" --idle "$IDLE"
PODS=30 bash bench/agent/remote-agent.sh
