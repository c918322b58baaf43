#!/usr/bin/env bash
# Edge autonomy benchmark (root): a release `skiff server --disable-agent` and one `skiff agent --autonomous` in its
# own network namespace (veth 198.18.83.1 ↔ .2), on real containerd.
#   - restart → every cached pod serving again, for 1 and for 20 pods, after a power cut (agent, containerd and
#     containers SIGKILLed): started offline (link cut, pods from the local cache), against the same restart with the
#     server reachable, measured in the same run (the anchor)
#   - the agent's cache writes (flushes, object bytes) and the agent process's disk writes (/proc/PID/io
#     write_bytes; its log on tmpfs), idle and under a churn of one pod created and one deleted per second, against
#     the server's own disk writes over the same minute
# Usage: [IDLE=60] [CHURN=60] bench/autonomy/run.sh      (release build; a few minutes)
set -euo pipefail
cd "$(dirname "$0")/../.."
IDLE=${IDLE:-60}
CHURN=${CHURN:-60}
[ "$(id -u)" = 0 ] || { echo "bench/autonomy needs root (containerd)"; exit 1; }
make -s airgap deps >/dev/null
swift build -c release --product skiff >/dev/null
bin=$(swift build -c release --show-bin-path)/skiff
work=$(mktemp -d /var/tmp/skiff-bench-autonomy.XXXXXX)   # on disk, so write_bytes is real
logs=$(mktemp -d /dev/shm/skiff-bench-autonomy.XXXXXX)    # logs on tmpfs: not in write_bytes
ns=skiff-bench-auto
host=198.18.83.1 node=198.18.83.2
server_pid="" agent_pid=""
sock="$work/agent/agent/containerd/containerd.sock"
kill_node() {
  if [ -n "$agent_pid" ]; then kill -KILL "$agent_pid" 2>/dev/null; wait "$agent_pid" 2>/dev/null || true; fi
  agent_pid=""
  pkill -KILL -f "containerd --config $work/agent/" 2>/dev/null || true
  for shim in $(pgrep -f "containerd-shim-runc-v2 .*-address $work/agent/"); do pkill -KILL -P "$shim"; kill -KILL "$shim"; done
  sleep 0.5
}
cleanup() {
  set +e
  kill_node
  [ -n "$server_pid" ] && { kill "$server_pid"; wait "$server_pid"; } 2>/dev/null
  for pod_ns in $(ip netns list 2>/dev/null | awk '/^cni-/ {print $1}'); do
    [ -z "$(ip netns pids "$pod_ns" 2>/dev/null)" ] && ip netns delete "$pod_ns"
  done
  for m in $(awk -v w="$work" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$m"; done
  ip netns delete $ns 2>/dev/null; ip link del skb-auto-h 2>/dev/null
  rm -rf "$work" "$logs"
}
trap cleanup EXIT
ip netns delete $ns 2>/dev/null || true
ip link del skb-auto-h 2>/dev/null || true
ip netns add $ns
ip link add skb-auto-h type veth peer name skb-auto-n
ip link set skb-auto-n netns $ns
ip addr add $host/24 dev skb-auto-h && ip link set skb-auto-h up
ip netns exec $ns ip addr add $node/24 dev skb-auto-n
ip netns exec $ns ip link set skb-auto-n up
ip netns exec $ns ip link set lo up
ip netns exec $ns ip route add default via $host

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
export KUBECONFIG="$work/kubeconfig"
"$bin" server --disable-agent --data-dir "$work/server" --https-listen-port "$port" --tls-san $host \
  --write-kubeconfig "$KUBECONFIG" >"$logs/server.log" 2>&1 &
server_pid=$!
until [ -f "$work/server/server/node-token" ] && kubectl get --raw /readyz >/dev/null 2>&1; do sleep 0.2; done
mkdir -p "$work/agent/agent/images"
cp airgap/dist/skiff-airgap-images-amd64.tar "$work/agent/agent/images/"
start_agent() {
  nsenter --net=/var/run/netns/$ns "$bin" agent --server "https://$host:$port" --autonomous --debug \
    --token "$(cat "$work/server/server/node-token")" --node-name bench-edge --node-ip $node \
    --data-dir "$work/agent" >>"$logs/agent.log" 2>&1 &
  agent_pid=$!
}
cut() { ip netns exec $ns iptables -I OUTPUT -d $host -j DROP; ip netns exec $ns iptables -I INPUT -s $host -j DROP; }
restore() { ip netns exec $ns iptables -D OUTPUT -d $host -j DROP; ip netns exec $ns iptables -D INPUT -s $host -j DROP; }
ready() { [ "$(kubectl get node bench-edge -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]; }
running() { [ "$(kubectl get pods --field-selector status.phase=Running -o name 2>/dev/null | wc -l)" -ge "$1" ]; }
pods() {  # FROM TO: httpd pods web-FROM … web-TO on the node
  for i in $(seq "$1" "$2"); do
    cat <<YAML
---
apiVersion: v1
kind: Pod
metadata: {name: web-$i}
spec:
  nodeSelector: {kubernetes.io/hostname: bench-edge}
  terminationGracePeriodSeconds: 0
  containers:
  - name: httpd
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www']
YAML
  done | kubectl apply -f - >/dev/null
}
# restart_serving COUNT: power cut, agent started again; seconds until COUNT pods serve in the namespace.
restart_serving() {
  kill_node
  # Only the new sandboxes' addresses are probed: the killed ones keep theirs until the agent cleans them up.
  local before; before=$(ls "$work/agent/agent/cni/ipam/skiff" | grep -E '^[0-9.]+$' | paste -sd, -)
  local start; start=$(date +%s.%N)
  start_agent
  ip netns exec $ns python3 bench/autonomy/serving.py --ipam-dir "$work/agent/agent/cni/ipam/skiff" --count "$1" \
    --start "$start" --exclude "$before"
}
written() { awk '/^write_bytes:/ {print $2}' "/proc/$1/io"; }
flushed() { grep -c "agent cache flushed" "$logs/agent.log" || true; }
cache_bytes() { grep "agent cache flushed" "$logs/agent.log" | tail -1 | sed -n 's/.*bytes.total=\([0-9]*\).*/\1/p'; }

echo "skiff $(git rev-parse --short HEAD), $(nproc) cores, containerd $(containerd --version | awk '{print $3}'), idle=${IDLE}s churn=${CHURN}s"
start_agent
until ready; do sleep 0.2; done
for count in 1 20; do
  pods 1 "$count"
  until running "$count"; do sleep 0.5; done
  sleep 3   # the cache's flush
  restart_serving "$count" >"$logs/took"   # not $(…): the agent it starts must stay this shell's child
  online=$(cat "$logs/took")
  until ready && running "$count"; do sleep 0.5; done
  sleep 3
  cut
  restart_serving "$count" >"$logs/took"
  offline=$(cat "$logs/took")
  restore
  until ready && running "$count"; do sleep 0.5; done
  echo "power cut → $count pod(s) serving again: offline start (from the cache) $offline s, online start $online s" \
    "(anchor), ratio $(python3 -c "print(round($offline / $online, 2))" 2>/dev/null || echo n/a) (target ≤ 5 s)"
done

# Writes: idle, then one pod created and one deleted per second (about 10 pods at a time).
sleep 10
f0=$(flushed); b0=$(cache_bytes); a0=$(written "$agent_pid"); s0=$(written "$server_pid")
sleep "$IDLE"
f1=$(flushed); b1=$(cache_bytes); a1=$(written "$agent_pid"); s1=$(written "$server_pid")
per_min() { python3 -c "print(round(($2 - $1) * 60 / $3, 1))"; }
echo "idle, 20 pods, ${IDLE} s: cache $(per_min "$f0" "$f1" "$IDLE") flushes/min, $(per_min "${b0:-0}" "${b1:-0}" "$IDLE") object bytes/min;" \
  "agent process $(per_min "$a0" "$a1" "$IDLE") B/min written; server $(per_min "$s0" "$s1" "$IDLE") B/min (anchor)"
kubectl delete pods --all --grace-period=0 --force >/dev/null 2>&1
until [ "$(kubectl get pods -o name 2>/dev/null | wc -l)" = 0 ]; do sleep 0.5; done
sleep 5
f0=$(flushed); b0=$(cache_bytes); a0=$(written "$agent_pid"); s0=$(written "$server_pid"); t0=$(date +%s.%N)
for i in $(seq "$CHURN"); do
  pods "$((100 + i))" "$((100 + i))"
  [ "$i" -gt 10 ] && kubectl delete pod "web-$((100 + i - 10))" --wait=false >/dev/null
  sleep 1
done
f1=$(flushed); b1=$(cache_bytes); a1=$(written "$agent_pid"); s1=$(written "$server_pid")
took=$(python3 -c "print(round($(date +%s.%N) - $t0, 1))")   # the kubectl calls make the loop longer than CHURN s
echo "churn: $CHURN pods created and deleted over $took s: cache $(per_min "$f0" "$f1" "$took") flushes/min," \
  "$(per_min "${b0:-0}" "${b1:-0}" "$took") object bytes/min; agent process $(per_min "$a0" "$a1" "$took") B/min written" \
  "(the cache, the pods' volume files and directories); server $(per_min "$s0" "$s1" "$took") B/min (anchor)"
