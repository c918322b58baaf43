#!/usr/bin/env bash
# The reverse tunnel under load and under cuts (root): a release `skiff server` (with its own node) and one `skiff
# agent` in a network namespace behind "NAT" (iptables there drops every connection the host opens), a busybox pod on
# each node. Prints:
#   - `kubectl exec POD -- true` latency, p50/p99, through the agent's tunnel beside the same on the server's own node
#     (the in-process tunnel; both include kubectl's own start-up);
#   - `kubectl port-forward` throughput for 100 MB from a pod on the agent, beside a direct TCP connection to the same
#     pod over the same veth (the host routes to the agent's pod CIDR);
#   - the agent's RSS with the tunnel up, and with 10 exec sessions open at once;
#   - CUTS silent link cuts (the veth goes down: no FIN, no RST): for each, how long until the server gave the tunnel
#     up, how long after the link returned the agent was back, and that logs and exec work afterwards; the agent's
#     RSS before and after.
# Usage: [CUTS=20] [EXECS=40] bench/tunnel/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
CUTS=${CUTS:-20}
EXECS=${EXECS:-40}
[ "$(id -u)" = 0 ] || { echo "bench/tunnel/run.sh needs root (containerd, network namespaces)"; exit 1; }
make -s airgap >/dev/null
swift build -c release --product skiff >/dev/null
bin=$(swift build -c release --show-bin-path)/skiff
work=$(mktemp -d /var/tmp/skiff-bench-tunnel.XXXXXX)
ns=skiff-bench-tun
host_ip=198.18.81.1 agent_ip=198.18.81.2
server_pid="" agent_pid=""
cleanup() {
  set +e
  kubectl delete pods --all --grace-period=0 --force >/dev/null 2>&1
  sleep 2
  [ -n "$agent_pid" ] && { kill "$agent_pid"; wait "$agent_pid"; } 2>/dev/null
  [ -n "$server_pid" ] && { kill "$server_pid"; wait "$server_pid"; } 2>/dev/null
  for shim in $(pgrep -f "containerd-shim-runc-v2 .*-address $work/"); do pkill -KILL -P "$shim"; kill -KILL "$shim"; done
  pkill -f "containerd --config $work/" 2>/dev/null; sleep 1
  for pod_ns in $(ip netns list 2>/dev/null | awk '/^cni-/ {print $1}'); do
    [ -z "$(ip netns pids "$pod_ns" 2>/dev/null)" ] && ip netns delete "$pod_ns"
  done
  for m in $(awk -v w="$work" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$m"; done
  ip link del skiff0 2>/dev/null
  ip netns delete $ns 2>/dev/null; ip link del skiff-btun-h 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
ip netns delete $ns 2>/dev/null || true
ip link del skiff-btun-h 2>/dev/null || true
ip netns add $ns
ip link add skiff-btun-h type veth peer name skiff-btun-n
ip link set skiff-btun-n netns $ns
ip addr add $host_ip/24 dev skiff-btun-h && ip link set skiff-btun-h up
ip netns exec $ns ip addr add $agent_ip/24 dev skiff-btun-n
ip netns exec $ns ip link set skiff-btun-n up
ip netns exec $ns ip link set lo up
ip netns exec $ns ip route add default via $host_ip
ip netns exec $ns iptables -A INPUT -i skiff-btun-n -m conntrack --ctstate NEW -j DROP

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
export KUBECONFIG="$work/kubeconfig"
mkdir -p "$work/server/agent/images" "$work/agent/agent/images"
cp airgap/dist/skiff-airgap-images-amd64.tar "$work/server/agent/images/"
cp airgap/dist/skiff-airgap-images-amd64.tar "$work/agent/agent/images/"
"$bin" server --node-name bench-server --data-dir "$work/server" --https-listen-port "$port" --bind-address 0.0.0.0 \
  --tls-san $host_ip --node-ip $host_ip --write-kubeconfig "$KUBECONFIG" >"$work/server.log" 2>&1 &
server_pid=$!
until [ -f "$work/server/server/node-token" ] && kubectl get --raw /readyz >/dev/null 2>&1; do sleep 0.2; done
# nsenter keeps the host's mounts (ip netns exec remounts /sys and hides the cgroup mount from runc).
nsenter --net=/var/run/netns/$ns "$bin" agent --server "https://$host_ip:$port" \
  --token "$(cat "$work/server/server/node-token")" --node-name bench-edge --node-ip $agent_ip \
  --data-dir "$work/agent" >"$work/agent.log" 2>&1 &
agent_pid=$!
ready() { [ "$(kubectl get node "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]; }
until ready bench-edge && ready bench-server; do kill -0 "$agent_pid" || { tail -20 "$work/agent.log"; exit 1; }; sleep 0.2; done
for node in bench-server bench-edge; do
  kubectl run "sleeper-$node" --image=busybox --image-pull-policy=IfNotPresent \
    --overrides="{\"spec\":{\"nodeName\":\"$node\"}}" -- sh -c 'i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 1; done' >/dev/null
done
for node in bench-server bench-edge; do
  kubectl run "web-$node" --image=busybox --image-pull-policy=IfNotPresent --overrides="{\"spec\":{\"nodeName\":\"$node\"}}" \
    -- sh -c 'mkdir -p /www && head -c 100000000 /dev/zero >/www/big && exec httpd -f -p 8080 -h /www' >/dev/null
done
until [ "$(kubectl get pods -o jsonpath='{.items[*].status.phase}')" = "Running Running Running Running" ]; do sleep 0.2; done
sleep 3  # the 100 MB file is written before httpd starts
connected() { grep -c 'node=bench-edge.*tunnel connected' "$work/server.log" || true; }
lost() { grep -cE 'node=bench-edge.*tunnel (lost|closed)' "$work/server.log" || true; }
rss() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

echo "== kubectl exec POD -- true, $EXECS times per node (ms, kubectl start-up included)"
for node in bench-server bench-edge; do
  python3 - "sleeper-$node" "$EXECS" <<'PY'
import subprocess, sys, time
pod, n = sys.argv[1], int(sys.argv[2])
subprocess.run(["kubectl", "exec", pod, "--", "true"], check=True)  # warm-up
samples = []
for _ in range(n):
    start = time.perf_counter()
    subprocess.run(["kubectl", "exec", pod, "--", "true"], check=True)
    samples.append((time.perf_counter() - start) * 1000)
samples.sort()
p = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]
print(f"  {pod:22s} p50 {p(0.5):6.1f}  p99 {p(0.99):6.1f}  (n={n})")
PY
done

echo "== 100 MB from a pod on the agent (MB/s)"
pod_ip=$(kubectl get pod web-bench-edge -o jsonpath='{.status.podIP}')
mbps() { python3 -c "import sys; print(f'{100 / float(sys.argv[1]):.1f}')" "$1"; }
direct=$(curl -s --max-time 120 -o /dev/null -w '%{time_total}' "http://$pod_ip:8080/big")
forward() {  # seconds for 100 MB through `kubectl port-forward pod/$1`
  local port pid
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  kubectl port-forward "pod/$1" "$port:8080" >"$work/pf.log" 2>&1 &
  pid=$!
  until curl -s --max-time 2 -o /dev/null "http://127.0.0.1:$port/"; do sleep 0.2; done
  curl -s --max-time 300 -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port/big"
  kill $pid; wait $pid 2>/dev/null || true
}
forwarded=$(forward web-bench-edge)
local_forwarded=$(forward web-bench-server)
echo "  direct TCP to the pod over the veth:         $(mbps "$direct")"
echo "  kubectl port-forward, agent's tunnel:        $(mbps "$forwarded")  ($(python3 -c "print(f'{100 * $direct / $forwarded:.0f}')") % of direct)"
echo "  kubectl port-forward, server's own node:     $(mbps "$local_forwarded")  (in-process tunnel: kubectl, SPDY and containerd without the WebSocket hop)"

sleep 3
echo "== agent RSS (MiB; containerd and shims excluded)"
echo "  tunnel up, idle:            $(rss "$agent_pid")"
pids=()
for _ in $(seq 10); do kubectl exec sleeper-bench-edge -- sleep 6 >/dev/null 2>&1 & pids+=($!); done
sleep 3
echo "  10 exec sessions open:      $(rss "$agent_pid")"
wait "${pids[@]}"
sleep 2
before=$(rss "$agent_pid")
echo "  before the cuts:            $before"

echo "== $CUTS silent link cuts (veth down 12 s, then up)"
gave_up=() back=()
for cut in $(seq "$CUTS"); do
  l0=$(lost) c0=$(connected)
  ip link set skiff-btun-h down
  t0=$(date +%s.%N)
  until [ "$(lost)" -gt "$l0" ]; do sleep 0.1; done
  t1=$(date +%s.%N)
  sleep $(python3 -c "print(max(0, 12 - ($t1 - $t0)))")
  ip link set skiff-btun-h up
  t2=$(date +%s.%N)
  until [ "$(connected)" -gt "$c0" ]; do sleep 0.05; done
  t3=$(date +%s.%N)
  kubectl logs sleeper-bench-edge --tail=1 | grep -q '^tick ' || { echo "logs failed after cut $cut"; exit 1; }
  [ "$(kubectl exec sleeper-bench-edge -- echo ok)" = ok ] || { echo "exec failed after cut $cut"; exit 1; }
  gave_up+=("$(python3 -c "print(f'{$t1 - $t0:.1f}')")")
  back+=("$(python3 -c "print(f'{$t3 - $t2:.1f}')")")
done
echo "  server gave the tunnel up after (s): ${gave_up[*]}"
echo "  agent back after the link (s):       ${back[*]}"
python3 - "${back[*]}" "${gave_up[*]}" <<'PY'
import sys
back = [float(x) for x in sys.argv[1].split()]
gave = [float(x) for x in sys.argv[2].split()]
print(f"  reconnect: max {max(back):.1f} s, mean {sum(back)/len(back):.1f} s; dead link found: max {max(gave):.1f} s")
PY
echo "  logs and exec worked after every cut"
sleep 3
echo "  agent RSS after the cuts:   $(rss "$agent_pid") (before: $before)"
echo "  server RSS:                 $(rss "$server_pid")"
