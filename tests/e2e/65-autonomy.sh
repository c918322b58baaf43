#!/usr/bin/env bash
# Edge autonomy (root only): two `skiff agent`s on real containerd, each in a network namespace behind a veth; one
# registered with --autonomous. Their links are cut (iptables DROP of the server's address, a silent loss):
# the autonomous node goes NotReady but keeps its pod bound, running and serving, while the plain node's pod is
# evicted after its toleration (upstream behaviour). Restored: Ready, Running, 0 restarts, and the loss on record
# in the node's Events. Then a power cut while offline (agent and containers killed, agent started again with the
# link still cut: the pod serves again from the local cache, restart counted), a pod deleted on the server while
# the node is offline (stopped on reconnect), and bad caches (a corrupt file is set aside and rebuilt; one from
# another cluster is refused).
source "$(dirname "$0")/lib/common.sh"
if [ "$(id -u)" != 0 ]; then echo "SKIP 65-autonomy: needs root (containers run as root here)"; exit 0; fi
command -v containerd >/dev/null || fail "containerd is not installed (make deps installs it)"
bundle=$(realpath "$(dirname "$0")/../../airgap/dist/skiff-airgap-images-amd64.tar")
[ -f "$bundle" ] || fail "airgap bundle missing: run make airgap"

# Two namespaces: "auto" (host 198.18.81.1, agent .2) and "plain" (198.18.82.1, .2).
declare -A host_ip=([auto]=198.18.81.1 [plain]=198.18.82.1) node_ip=([auto]=198.18.81.2 [plain]=198.18.82.2)
declare -A agent_pid=([auto]="" [plain]="")
netns() { echo "skiff-e2e-$1"; }
hostif() { echo "sk65-$1"; }  # the host end of the veth (the namespace end is <name>-n)
for n in auto plain; do
  ip netns delete "$(netns $n)" 2>/dev/null || true; ip link del "$(hostif $n)" 2>/dev/null || true
  ip netns add "$(netns $n)"
  ip link add "$(hostif $n)" type veth peer name "$(hostif $n)-n"
  ip link set "$(hostif $n)-n" netns "$(netns $n)"
  ip addr add "${host_ip[$n]}/24" dev "$(hostif $n)" && ip link set "$(hostif $n)" up
  ip netns exec "$(netns $n)" ip addr add "${node_ip[$n]}/24" dev "$(hostif $n)-n"
  ip netns exec "$(netns $n)" ip link set "$(hostif $n)-n" up
  ip netns exec "$(netns $n)" ip link set lo up
  ip netns exec "$(netns $n)" ip route add default via "${host_ip[$n]}"
  mkdir -p "$work/$n/agent/images" && cp "$bundle" "$work/$n/agent/images/"
done
sock() { echo "$work/$1/agent/containerd/containerd.sock"; }
ctr_() { local n=$1; shift; ctr -a "$(sock "$n")" -n k8s.io "$@"; }

# kill_node NAME: SIGKILL the agent, its containerd and every container of it (a power cut).
kill_node() {
  local n=$1
  if [ -n "${agent_pid[$n]}" ]; then kill -KILL "${agent_pid[$n]}" 2>/dev/null; wait "${agent_pid[$n]}" 2>/dev/null || true; fi
  agent_pid[$n]=""
  pkill -KILL -f "containerd --config $work/$n/" 2>/dev/null || true
  for shim in $(pgrep -f "containerd-shim-runc-v2 .*-address $work/$n/"); do pkill -KILL -P "$shim"; kill -KILL "$shim"; done
  sleep 0.3; return 0
}
stop_all() {
  for n in auto plain; do
    [ -n "${agent_pid[$n]}" ] && { kill "${agent_pid[$n]}" 2>/dev/null; wait "${agent_pid[$n]}" 2>/dev/null; }
    agent_pid[$n]=""
  done
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; [ -n "$server_pid" ] && wait "$server_pid" 2>/dev/null; server_pid=""
  for n in auto plain; do kill_node $n; done
  local pod_ns
  for pod_ns in $(ip netns list 2>/dev/null | awk '/^cni-/ {print $1}'); do
    [ -z "$(ip netns pids "$pod_ns" 2>/dev/null)" ] && ip netns delete "$pod_ns"
  done
  for m in $(awk -v w="$work" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$m" 2>/dev/null; done
  for n in auto plain; do ip netns delete "$(netns $n)" 2>/dev/null; ip link del "$(hostif $n)" 2>/dev/null; done
}
trap 'status=$?; set +e
  if [ $status -ne 0 ]; then kubectl get nodes 2>&1; kubectl get pods -A -o wide 2>&1 | head -20
    for n in auto plain; do [ -f "$work/$n.log" ] && { echo "--- agent $n log (last 30 lines):"; tail -n 30 "$work/$n.log"; }; done; fi
  stop_all
  (exit $status); cleanup' EXIT

port=$(free_port)
export KUBECONFIG="$work/kubeconfig"
# 15 s without a heartbeat marks a node NotReady (agents renew their Lease every 10 s).
"$SKIFF_BIN" server --disable-agent --data-dir "$work/data" --https-listen-port "$port" --bind-address 0.0.0.0 \
  --tls-san "${host_ip[auto]}" --tls-san "${host_ip[plain]}" --node-monitor-grace-period 15s \
  --write-kubeconfig "$KUBECONFIG" >>"$work/server.log" 2>&1 &
server_pid=$!
wait_ready
token=$(cat "$work/data/server/node-token")

# start_agent NAME [flags…]: `skiff agent` in the node's namespace (nsenter, not `ip netns exec`, which hides the
# cgroup mount from runc).
start_agent() {
  local n=$1; shift
  nsenter --net="/var/run/netns/$(netns $n)" "$SKIFF_BIN" agent --server "https://${host_ip[$n]}:$port" --token "$token" \
    --node-name "$n" --node-ip "${node_ip[$n]}" --data-dir "$work/$n" "$@" >>"$work/$n.log" 2>&1 &
  agent_pid[$n]=$!
}
# cut NAME / restore NAME: the node loses (gets back) every packet to and from the server's address.
cut() { ip netns exec "$(netns $1)" iptables -I OUTPUT -d "${host_ip[$1]}" -j DROP; ip netns exec "$(netns $1)" iptables -I INPUT -s "${host_ip[$1]}" -j DROP; }
restore() { ip netns exec "$(netns $1)" iptables -D OUTPUT -d "${host_ip[$1]}" -j DROP; ip netns exec "$(netns $1)" iptables -D INPUT -s "${host_ip[$1]}" -j DROP; }

ready() { jp "node/$1" '{.status.conditions[?(@.type=="Ready")].status}'; }
# serves NAME POD: the pod's page answers inside the node's namespace (the host's own link is not needed).
serves() { ip netns exec "$(netns $1)" curl -s --max-time 2 "http://$(jp "pod/$2" '{.status.podIP}'):8080/" | grep -q "hello from $2"; }
logged() { grep -q "$2" "$work/$1.log"; }

start_agent auto --autonomous
start_agent plain
wait_for "the autonomous node joins and is Ready" 90 is node/auto '{.status.conditions[?(@.type=="Ready")].status}' True
wait_for "the plain node joins and is Ready" 90 is node/plain '{.status.conditions[?(@.type=="Ready")].status}' True
is node/auto '{.metadata.annotations.node\.skiff\.io/autonomy}' true || fail "--autonomous sets node.skiff.io/autonomy=true"
[ -z "$(jp node/plain '{.metadata.annotations.node\.skiff\.io/autonomy}')" ] || fail "a plain node has no autonomy annotation"
pass "--autonomous registers the node with node.skiff.io/autonomy=true; the plain node has none"
expect_output "kubectl get nodes shows which node is autonomous" "^auto +Ready .* true" kubectl get nodes

# A web pod on each node; its page comes from a ConfigMap (read from the cache when the node restarts offline); it
# tolerates the unreachable taint for 5 s only.
kubectl create configmap page --from-literal=greeting=hello >/dev/null
web() {
  kubectl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  nodeSelector: {kubernetes.io/hostname: $2}
  tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 5}]
  containers:
  - name: httpd
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'mkdir -p /www && echo "\$(cat /page/greeting) from $1" > /www/index.html && exec httpd -f -p 8080 -h /www']
    volumeMounts: [{name: page, mountPath: /page}]
  volumes: [{name: page, configMap: {name: page}}]
YAML
}
web web-auto auto
web web-plain plain
wait_for "the autonomous node's pod is Running" 60 is pod/web-auto '{.status.phase}' Running
wait_for "the plain node's pod is Running" 60 is pod/web-plain '{.status.phase}' Running
wait_for "the autonomous node's pod serves in its namespace" 20 serves auto web-auto
auto_uid=$(jp pod/web-auto '{.metadata.uid}')
[ "$(stat -c %a "$work/auto/agent/cache")" = 700 ] && [ "$(stat -c %a "$work/auto/agent/cache/cache.db")" = 600 ] \
  || fail "the cache (it holds Secrets) is root's alone: directory 0700, file 0600"
pass "the agent's cache is root's alone (0700 directory, 0600 file)"

# A container that keeps crashing, and one that fails its liveness probe: the node restarts them without the server.
kubectl apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: crasher}
spec:
  nodeSelector: {kubernetes.io/hostname: auto}
  containers: [{name: main, image: busybox, imagePullPolicy: IfNotPresent, command: [sh, -c, 'sleep 1; exit 1']}]
---
apiVersion: v1
kind: Pod
metadata: {name: unhealthy}
spec:
  nodeSelector: {kubernetes.io/hostname: auto}
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'touch /tmp/ok; sleep 2; rm /tmp/ok; sleep 600']
    livenessProbe: {exec: {command: [cat, /tmp/ok]}, periodSeconds: 1, failureThreshold: 1}
YAML
wait_for "a crashing pod and an unhealthy pod run on the autonomous node" 60 sh -c \
  "kubectl get pod crasher -o jsonpath='{.status.containerStatuses[0].containerID}' | grep -q . && kubectl get pod unhealthy -o jsonpath='{.status.containerStatuses[0].containerID}' | grep -q ."
# Container runs of a pod, from the node's log files (one per run: 0.log, 1.log…; old ones may be collected).
# The directory is named by the pod's uid: pods of the same name from earlier runs have theirs.
runs() { ls "/var/log/pods/default_$1_$(kubectl get pod "$1" -o jsonpath='{.metadata.uid}')/main/" 2>/dev/null | sed -n 's/^\([0-9]*\)\.log$/\1/p' | sort -n | tail -1 | awk '{print $1 + 1}'; }

# --- The link is cut on both nodes, past the grace period and the pods' toleration.
cut auto; cut plain
crasher_runs=$(runs crasher) unhealthy_runs=$(runs unhealthy)
wait_for "the plain node goes NotReady" 60 sh -c "[ \"\$(kubectl get node plain -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = Unknown ]"
wait_for "the plain node's pod is evicted after its 5 s toleration" 60 sh -c "[ -n \"\$(kubectl get pod web-plain -o jsonpath='{.metadata.deletionTimestamp}' 2>/dev/null)\" ] || ! kubectl get pod web-plain >/dev/null 2>&1"
[ "$(ready auto)" = Unknown ] || fail "the autonomous node is NotReady too (Ready=$(ready auto))"
[ -z "$(jp pod/web-auto '{.metadata.deletionTimestamp}')" ] || fail "the autonomous node's pod is not evicted"
is pod/web-auto '{.spec.nodeName}' auto || fail "the autonomous node's pod stays bound to it"
pass "past the toleration, the autonomous node is NotReady but its pod stays bound, not evicted"
is node/auto '{.spec.taints[*].effect}' NoSchedule || fail "the autonomous node takes no new pods (NoSchedule), and no NoExecute: $(jp node/auto '{.spec.taints}')"
is node/plain '{.spec.taints[*].effect}' "NoSchedule NoExecute" || fail "the plain node has both unreachable taints: $(jp node/plain '{.spec.taints}')"
pass "unreachable: the autonomous node is tainted NoSchedule only, the plain node NoSchedule and NoExecute"
expect_output "kubectl get pods still shows it on its node" "^web-auto +1/1 +Running +0 .* auto " kubectl get pods -o wide
serves auto web-auto || fail "the pod still answers inside the cut-off namespace"
pass "the pod still answers inside the cut-off namespace"
wait_for "the agent logs that it runs from its local cache, and since when" 20 logged auto "running from the local cache since 20"
expect_output "kubectl describe node shows the node's last heartbeat" "RenewTime: " kubectl describe node auto

export -f runs
wait_for "offline, the node restarts a crashing container by its restart policy" 60 bash -c "[ \$(runs crasher) -gt $crasher_runs ]"
wait_for "and a container that fails its liveness probe" 60 bash -c "[ \$(runs unhealthy) -gt $unhealthy_runs ]"
offline_crasher_runs=$(runs crasher)

restore auto; restore plain
wait_for "link back: the autonomous node is Ready" 60 is node/auto '{.status.conditions[?(@.type=="Ready")].status}' True
wait_for "and its pod Running" 30 is pod/web-auto '{.status.phase}' Running
is pod/web-auto '{.status.containerStatuses[0].restartCount}' 0 || fail "with 0 restarts"
is pod/web-auto '{.metadata.uid}' "$auto_uid" || fail "the same pod (uid)"
pass "the pod kept running through the cut: same uid, 0 restarts"
wait_for "the node's Events record the link going down and coming back" 30 sh -c \
  "kubectl describe node auto | grep -q 'ServerUnreachable' && kubectl describe node auto | grep -q 'ServerReachable'"
wait_for "the evicted pod of the plain node is gone once its node is back" 60 sh -c "! kubectl get pod web-plain"
wait_for "the restarts made offline are reported" 30 ge pod/crasher '{.status.containerStatuses[0].restartCount}' "$((offline_crasher_runs - 1))"
kubectl delete pod crasher unhealthy --wait=false >/dev/null

# --- Power cut while offline: the agent and its containers die; it starts again with the link still cut.
cut auto
wait_for "offline again" 20 sh -c "[ \$(grep -c 'running from the local cache since' '$work/auto.log') -ge 2 ]"
kill_node auto
started=$(date +%s.%N)
start_agent auto --autonomous
# The pod's new address: host-local's newest allocation on the node.
new_ip() { ls -t "$work/auto/agent/cni/ipam/skiff/" 2>/dev/null | grep -E '^[0-9.]+$' | head -1; }
offline_serves() { local ip; ip=$(new_ip); [ -n "$ip" ] && ip netns exec "$(netns auto)" curl -s --max-time 1 "http://$ip:8080/" | grep -q "hello from web-auto"; }
for _ in $(seq 300); do offline_serves && break; sleep 0.1; done
offline_serves || fail "after a power cut, the agent started offline brings the pod back from its cache"
echo "   cached pod serving $(python3 -c "print(round($(date +%s.%N) - $started, 2))") s after the agent started offline"
pass "after a power cut, the agent started offline brings the pod back from its cache (its ConfigMap included)"
restore auto
wait_for "link back: the server shows the pod Running with the restart counted" 60 \
  is pod/web-auto '{.status.phase}/{.status.containerStatuses[0].restartCount}/{.metadata.uid}' "Running/1/$auto_uid"
wait_for "and the node Ready" 60 is node/auto '{.status.conditions[?(@.type=="Ready")].status}' True

# --- A pod deleted on the server while its node is offline is stopped on reconnect.
RESTART=Always
kubectl run doomed --image=busybox --image-pull-policy=IfNotPresent \
  --overrides='{"spec":{"nodeSelector":{"kubernetes.io/hostname":"auto"}}}' --command -- sleep 3600 >/dev/null
wait_for "a second pod runs on the autonomous node" 60 is pod/doomed '{.status.phase}' Running
running_doomed() {
  local ids; ids=$(ctr_ auto containers ls -q 'labels."io.kubernetes.pod.name"==doomed' 2>/dev/null)
  for id in $ids; do ctr_ auto tasks ls 2>/dev/null | grep -q "^$id .*RUNNING" && return 0; done
  return 1
}
running_doomed || fail "its container runs in the node's containerd"
cut auto
wait_for "offline again" 20 sh -c "[ \$(grep -c 'running from the local cache since' '$work/auto.log') -ge 3 ]"
kubectl delete pod doomed --wait=false >/dev/null
running_doomed || fail "the node cannot know yet: the container still runs"
restore auto
wait_for "on reconnect the pod deleted meanwhile is stopped and gone from the server" 60 sh -c "! kubectl get pod doomed"
wait_for "its container no longer runs on the node" 30 sh -c "! $(declare -f ctr_ sock running_doomed); work=$work; ! running_doomed"

# --- Bad caches. A corrupt file: reported, set aside, rebuilt from the server; the agent does not crash.
kill -TERM "${agent_pid[auto]}"; wait "${agent_pid[auto]}" || fail "the agent exits cleanly on SIGTERM"; agent_pid[auto]=""
head -c 8192 /dev/urandom >"$work/auto/agent/cache/cache.db"
rm -f "$work/auto/agent/cache/cache.db-wal" "$work/auto/agent/cache/cache.db-shm"
start_agent auto --autonomous
wait_for "a corrupt cache is reported" 30 logged auto "agent cache unreadable: kept aside and started afresh"
ls "$work/auto/agent/cache/" | grep -q '^cache.db.corrupt-' || fail "the corrupt file is kept aside"
cached_pods() { python3 -c "import sqlite3,sys; c=sqlite3.connect('file:$work/auto/agent/cache/cache.db?mode=ro', uri=True); print(c.execute(\"select count(*) from objects where kind='pods' and name='web-auto'\").fetchone()[0])"; }
wait_for "and rebuilt from the server" 30 sh -c "[ \"\$($(declare -f cached_pods); work=$work; cached_pods)\" = 1 ]"
kill -0 "${agent_pid[auto]}" || fail "the agent keeps running"
is pod/web-auto '{.status.phase}/{.status.containerStatuses[0].restartCount}' "Running/1" || fail "its pod untouched"
pass "the agent kept running with its pod untouched"

# A cache written for another cluster's CA is refused (set aside), never used.
kill -TERM "${agent_pid[auto]}"; wait "${agent_pid[auto]}" || fail "the agent exits cleanly on SIGTERM"; agent_pid[auto]=""
python3 -c "import sqlite3; c=sqlite3.connect('$work/auto/agent/cache/cache.db'); c.execute(\"update meta set value='0000' where key='cluster-ca'\"); c.commit()"
start_agent auto --autonomous
wait_for "a cache from another cluster is refused" 30 logged auto "agent cache refused: it belongs to another cluster"
ls "$work/auto/agent/cache/" | grep -q '^cache.db.other-cluster-' || fail "and set aside"
wait_for "the node is Ready on a fresh cache" 60 is node/auto '{.status.conditions[?(@.type=="Ready")].status}' True

# An agent whose server is unreachable still stops cleanly on SIGTERM: one that ran online, and one started offline
# that never reached the server.
stop_within() {  # NAME SECONDS
  local n=$1 pid=${agent_pid[$1]}
  kill -TERM "$pid"
  for _ in $(seq $(($2 * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "agent $n still running $2 s after SIGTERM while offline"
  wait "$pid" || fail "agent $n exits with status 0 after SIGTERM while offline"
  agent_pid[$n]=""
}
cut auto
wait_for "offline once more" 20 sh -c "[ \$(grep -c 'running from the local cache since' '$work/auto.log') -ge 4 ]"
stop_within auto 15
start_agent auto --autonomous
wait_for "started offline again" 20 sh -c "[ \$(grep -c 'running from the local cache since' '$work/auto.log') -ge 5 ]"
stop_within auto 15
pass "an offline agent stops cleanly on SIGTERM, whether it ran online before or started offline"
echo "65-autonomy: all passed"
