#!/usr/bin/env bash
# The embedded agent on real containerd (root only): node Ready, a Deployment served from pod IPs, pod-to-pod
# traffic on one node and across two (a second `skiff agent` in a network namespace), logs, CrashLoopBackOff with
# growing back-off, probes, OOMKilled, configMap/secret files and env, emptyDir, init containers, bad input (missing
# image, missing configMap, a truncated archive, an archive dropped in while running), cleanup in containerd, pods
# that survive a restart of the server or of the agent without a restart counted, and the second node behind "NAT"
# (the host cannot open a connection to it) serving `kubectl logs` through its reverse tunnel, also after the link
# died silently and came back. The operator commands run on the node too: `skiff crictl` (ps, pods, images, logs,
# exec, inspect), `skiff ctr`, and the kubectl/crictl/ctr links to skiff (multicall).
source "$(dirname "$0")/lib/common.sh"
if [ "$(id -u)" != 0 ]; then echo "SKIP 60-containerd-agent: needs root (containers run as root here)"; exit 0; fi
command -v containerd >/dev/null || fail "containerd is not installed (make deps installs it)"
bundle=$(realpath "$(dirname "$0")/../../airgap/dist/skiff-airgap-images-amd64.tar")
[ -f "$bundle" ] || fail "airgap bundle missing: run make airgap"

mkdir -p "$work/data/agent/images"
cp "$bundle" "$work/data/agent/images/"
sock="$work/data/agent/containerd/containerd.sock"
node=e2e-node
ctr_() { ctr -a "$sock" -n k8s.io "$@"; }

# A second node lives in its own network namespace behind a veth (host 198.18.77.1, agent 198.18.77.2): the server
# node routes the agent's pod CIDR via the veth and the other way round (host-gw).
ns=skiff-e2e-agent
host_ip=198.18.77.1
agent_ip=198.18.77.2
agent_pid=""
# A third node, later, in a namespace of its own (host 198.18.78.1, agent 198.18.78.2).
ns2=skiff-e2e-agent2
agent2_ip=198.18.78.2
agent2_pid=""
ip netns delete $ns 2>/dev/null || true; ip link del skiff-e2e-h 2>/dev/null || true
ip netns delete $ns2 2>/dev/null || true; ip link del skiff-e2e-h2 2>/dev/null || true
ip netns add $ns
ip link add skiff-e2e-h type veth peer name skiff-e2e-n
ip link set skiff-e2e-n netns $ns
ip addr add $host_ip/24 dev skiff-e2e-h && ip link set skiff-e2e-h up
ip netns exec $ns ip addr add $agent_ip/24 dev skiff-e2e-n
ip netns exec $ns ip link set skiff-e2e-n up
ip netns exec $ns ip link set lo up
ip netns exec $ns ip route add default via $host_ip
# Behind NAT: nothing the host opens reaches the agent's own sockets (forwarded pod traffic is not affected).
ip netns exec $ns iptables -A INPUT -i skiff-e2e-n -m conntrack --ctstate NEW -j DROP

# The agent's containerd and its shims outlive the server by design: stop them and the pods when the test ends.
stop_node() {
  [ -n "${notify_pid:-}" ] && kill $notify_pid 2>/dev/null
  [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null; [ -n "$agent_pid" ] && wait "$agent_pid" 2>/dev/null; agent_pid=""
  [ -n "$agent2_pid" ] && kill "$agent2_pid" 2>/dev/null; [ -n "$agent2_pid" ] && wait "$agent2_pid" 2>/dev/null; agent2_pid=""
  kubectl delete pods --all --grace-period=0 --force >/dev/null 2>&1
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; [ -n "$server_pid" ] && wait "$server_pid" 2>/dev/null; server_pid=""
  if [ -S "$sock" ]; then
    for c in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s KILL "$c" >/dev/null 2>&1; done
  fi
  pkill -f "containerd --config $work/data" 2>/dev/null; sleep 0.5
  # Shims left by a failed restart: kill each container init (its pid namespace goes with it), then the shim.
  for shim in $(pgrep -f "containerd-shim-runc-v2 .*-address $work/"); do pkill -KILL -P "$shim"; kill -KILL "$shim"; done
  # Pod network namespaces whose pause process is gone (CNI DEL never ran): their veths go with them.
  local pod_ns
  for pod_ns in $(ip netns list 2>/dev/null | awk '/^cni-/ {print $1}'); do
    [ -z "$(ip netns pids "$pod_ns" 2>/dev/null)" ] && ip netns delete "$pod_ns"
  done
  for m in $(awk -v w="$work" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$m" 2>/dev/null; done
  # The embedded agent keeps its service rules and DNS address when it stops (traffic keeps flowing).
  nft delete table ip skiff-proxy 2>/dev/null; ip addr del 10.43.0.53/32 dev lo 2>/dev/null
  ip link del skiff0 2>/dev/null
  ip netns delete $ns 2>/dev/null; ip link del skiff-e2e-h 2>/dev/null
  ip netns delete $ns2 2>/dev/null; ip link del skiff-e2e-h2 2>/dev/null
}
trap 'status=$?; set +e
  cp "$work/data/agent/containerd/containerd.log" "$work/server.log" /tmp/ 2>/dev/null
  if [ $status -ne 0 ]; then kubectl get pods -A -o wide 2>&1 | head -40; kubectl get events -A 2>&1 | tail -30
    echo "--- last lines of volumes/reader:"; kubectl logs volumes -c reader --tail=3 2>&1
    [ -f "$work/agent.log" ] && { echo "--- agent log (last 30 lines):"; tail -n 30 "$work/agent.log"; }
    [ -f "$work/agent2.log" ] && { echo "--- agent2 log (last 20 lines):"; tail -n 20 "$work/agent2.log"; }; fi
  stop_node
  (exit $status); cleanup' EXIT

start_agent_server() {
  [ -n "${port:-}" ] || port=$(free_port)
  export KUBECONFIG="$work/kubeconfig"
  NOTIFY_SOCKET="$work/notify.sock" \
  "$SKIFF_BIN" server --node-name $node --data-dir "$work/data" --https-listen-port "$port" --bind-address 0.0.0.0 \
    --tls-san $host_ip --node-ip $host_ip --cluster-dns 10.43.0.53 --write-kubeconfig "$KUBECONFIG" \
    --node-certificate-lifetime 30s --server-certificate-lifetime 60s >>"$work/server.log" 2>&1 &
  server_pid=$!
  wait_ready
}

# run_on NODE NAME COMMAND…: a one-shot busybox pod pinned to NODE; its phase (Succeeded/Failed) is the verdict.
# RESTART=Always keeps it running instead (a server, a talker).
run_on() {
  local on=$1 name=$2; shift 2
  kubectl run "$name" --image=busybox --image-pull-policy=IfNotPresent --restart="${RESTART:-Never}" \
    --overrides="{\"spec\":{\"nodeSelector\":{\"kubernetes.io/hostname\":\"$on\"}}}" --command -- "$@" >/dev/null
}

# systemd's notify socket, as a Type=notify unit has it: what was true when skiff said READY=1 is written down.
python3 "$(dirname "$0")/lib/notify-listener.py" "$work/notify.sock" "$work/notify.log" $node "$work/kubeconfig" &
notify_pid=$!
for _ in $(seq 50); do [ -S "$work/notify.sock" ] && break; sleep 0.1; done
started=$(date +%s.%N)
start_agent_server
wait_for "node $node Ready" 60 is node/$node '{.status.conditions[?(@.type=="Ready")].status}' True
wait_for "the server sends READY=1 through NOTIFY_SOCKET" 10 grep -q "^READY " "$work/notify.log"
grep -qx "READY readyz=ok node=True" <(grep -m1 "^READY " "$work/notify.log") ||
  fail "READY=1 came before /readyz answered and the node was Ready: $(grep -m1 "^READY " "$work/notify.log")"
pass "READY=1 only once /readyz answers and the node is Ready"
grep -q "^READY=1 STATUS=node $node is Ready$" "$work/notify.log" || fail "no STATUS with READY=1: $(cat "$work/notify.log")"
containerd_pid=$(pgrep -f "containerd --config $work/data" | head -1)
if tr '\0' '\n' <"/proc/$containerd_pid/environ" | grep -q '^NOTIFY_SOCKET='; then
  fail "containerd inherited NOTIFY_SOCKET (it would answer systemd for skiff)"
fi
pass "containerd does not inherit NOTIFY_SOCKET"
echo "   node Ready $(python3 -c "print(round($(date +%s.%N) - $started, 2))") s after start (airgap import included)"
grep -q "skiff-airgap-images-amd64.tar" "$work/server.log" || fail "the airgap import is logged with the file's name"
expect_output "kubectl get nodes -o wide shows the kernel and runtime" "$(uname -r) +containerd://1\.6" kubectl get nodes -o wide
expect_output "the server node has the control-plane role" "control-plane" kubectl get node $node
cidr=$(jp node/$node '{.spec.podCIDR}')
[ -n "$cidr" ] || fail "node has a podCIDR"

# Everything that takes a while starts now and is checked afterwards. Every pod says IfNotPresent: busybox means
# :latest, whose default policy (Always) would ask a registry, and nothing here may leave the machine.
kubectl apply -f - >/dev/null <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: httpd
        image: docker.io/library/busybox:latest
        imagePullPolicy: IfNotPresent
        command: [sh, -c, 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && echo serving on 8080 && exec httpd -f -p 8080 -h /www']
        readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: crash}
spec:
  containers:
  - {name: main, image: busybox, imagePullPolicy: IfNotPresent, command: [sh, -c, 'echo crashing; exit 1']}
---
apiVersion: v1
kind: Pod
metadata: {name: liveness}
spec:
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'touch /tmp/healthy; sleep 4; rm /tmp/healthy; sleep 600']
    livenessProbe: {exec: {command: [test, -f, /tmp/healthy]}, periodSeconds: 1, failureThreshold: 2}
---
apiVersion: v1
kind: Pod
metadata: {name: oom}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    # The second's pause lets the shim arm its OOM watch first: an OOM within milliseconds of the start can beat it,
    # and containerd then reports a plain exit 137 (reason Error), as it would to any kubelet (containerd#8180).
    command: [sh, -c, 'sleep 1; dd if=/dev/zero of=/dev/null bs=64M count=4']
    resources: {limits: {memory: 16Mi}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {color: blue}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: s3cret}
---
apiVersion: v1
kind: Pod
metadata: {name: volumes}
spec:
  initContainers:
  - {name: init, image: busybox, imagePullPolicy: IfNotPresent, command: [sh, -c, 'echo init-ran > /shared/init'], volumeMounts: [{name: shared, mountPath: /shared}]}
  containers:
  - name: writer
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'echo from-writer > /shared/note; sleep 600']
    volumeMounts: [{name: shared, mountPath: /shared}]
  - name: reader
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'echo "env color=$COLOR password=$PASSWORD"; echo "init: $(cat /shared/init)"; while true; do echo "file color=$(cat /etc/settings/color) password=$(cat /etc/creds/password) note=$(cat /shared/note 2>/dev/null)"; sleep 1; done']
    env:
    - {name: COLOR, valueFrom: {configMapKeyRef: {name: settings, key: color}}}
    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
    volumeMounts:
    - {name: settings, mountPath: /etc/settings}
    - {name: creds, mountPath: /etc/creds}
    - {name: shared, mountPath: /shared}
  volumes:
  - {name: shared, emptyDir: {}}
  - {name: settings, configMap: {name: settings}}
  - {name: creds, secret: {secretName: creds}}
---
apiVersion: v1
kind: Pod
metadata: {name: noimage}
spec:
  containers:
  - {name: main, image: '127.0.0.1:1/skiff/does-not-exist:1', imagePullPolicy: IfNotPresent}
---
apiVersion: v1
kind: Pod
metadata: {name: nocm}
spec:
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sleep, '600']
    env: [{name: X, valueFrom: {configMapKeyRef: {name: missing, key: x}}}]
YAML
# The gated pod turns ready when the test says so: its probe looks for a file in a hostPath directory of the host.
mkdir -p "$work/gate"
kubectl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata: {name: gated}
spec:
  selector: {app: gated}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: gated, labels: {app: gated}}
spec:
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sleep, '600']
    readinessProbe: {exec: {command: [test, -f, /gate/ready]}, periodSeconds: 1}
    volumeMounts: [{name: gate, mountPath: /gate}]
  volumes: [{name: gate, hostPath: {path: $work/gate, type: Directory}}]
YAML

# For `skiff crictl logs` later: a container that writes to both streams.
kubectl run streams --image=busybox --image-pull-policy=IfNotPresent --command -- sh -c 'echo to-out; echo to-err >&2; sleep 600' >/dev/null
wait_for "deployment web 2/2 available" 90 is deploy/web '{.status.availableReplicas}' 2
for pod in $(kubectl get pods -l app=web -o name); do
  ip=$(jp "$pod" '{.status.podIP}')
  python3 -c "import ipaddress,sys; sys.exit(0 if ipaddress.ip_address('$ip') in ipaddress.ip_network('$cidr') else 1)" \
    || fail "$pod IP $ip in the node's podCIDR $cidr"
  expect_output "$pod answers on its IP $ip from the host" "hello from" curl -s --max-time 5 "http://$ip:8080/"
  expect_output "kubectl logs $pod shows the container's output" "serving on 8080" kubectl logs "$pod"
done
ips=($(kubectl get pods -l app=web -o jsonpath='{.items[*].status.podIP}'))
kubectl run probe --image=busybox --image-pull-policy=IfNotPresent --restart=Never --command -- sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc ${ips[1]} 8080" >/dev/null
wait_for "a pod runs to completion" 60 is pod/probe '{.status.phase}' Succeeded
expect_output "a pod reaches another pod by its IP" "hello from" kubectl logs probe
expect_output "kubectl logs --tail and --timestamps" "^[0-9T:.-]+Z serving on 8080$" kubectl logs deploy/web --tail=1 --timestamps

# Operator commands on the node: `skiff crictl` and `skiff ctr` on the embedded agent's containerd (found under
# --data-dir: no crictl binary, no crictl.yaml), then the links an install script makes (multicall).
crictl_() { "$SKIFF_BIN" crictl --data-dir "$work/data" "$@"; }
web_pod=$(kubectl get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
web_cid=$(jp "pod/$web_pod" '{.status.containerStatuses[0].containerID}'); web_cid=${web_cid#containerd://}
[[ "$web_cid" =~ ^[0-9a-f]{64}$ ]] || fail "the web pod's container ID, not [$web_cid]"
expect_output "skiff crictl ps: crictl's columns" '^CONTAINER +IMAGE +CREATED +STATE +NAME +ATTEMPT +POD ID +POD$' crictl_ ps
expect_output "skiff crictl ps: the web container is listed Running, with its pod" \
  "^${web_cid:0:13} +docker\.io/library/busybox:latest +[0-9A-Za-z ]+ ago +Running +httpd +0 +[0-9a-f]{13} +$web_pod$" crictl_ ps
expect_output "skiff crictl ps -q --name: full IDs" "^$web_cid$" crictl_ ps -q --name '^httpd$'
expect_output "skiff crictl pods: the web pod, Ready, in default" \
  "^[0-9a-f]{13} +[0-9A-Za-z ]+ ago +Ready +$web_pod +default +0 +\(default\)$" crictl_ pods
web_sandbox=$(crictl_ pods -q --name "^$web_pod\$" --namespace '^default$')
[[ "$web_sandbox" =~ ^[0-9a-f]{64}$ ]] || fail "skiff crictl pods -q --name --namespace: one sandbox ID, not [$web_sandbox]"
expect_output "skiff crictl ps --pod (an ID prefix): that pod's container" "^$web_cid$" crictl_ ps -q --pod "${web_sandbox:0:10}"
expect_output "skiff crictl images: busybox, its tag, ID and size" '^docker\.io/library/busybox +latest +[0-9a-f]{13} +[0-9.]+(kB|MB)$' crictl_ images
expect_output "skiff crictl version: the runtime's name and CRI version" '^RuntimeName:  containerd$' crictl_ version
expect_output "skiff crictl info: the runtime's conditions" '"type": "NetworkReady"' crictl_ info
expect_output "skiff crictl logs (by an ID prefix): the container's output" '^serving on 8080$' crictl_ logs "${web_cid:0:10}"
streams_split() {
  local id; id=$(crictl_ ps -q --name '^streams$') && [ -n "$id" ] || return 1
  [ "$(crictl_ logs "$id" 2>/dev/null)" = to-out ] && [ "$(crictl_ logs "$id" 2>&1 >/dev/null)" = to-err ]
}
wait_for "skiff crictl logs: standard output to stdout, standard error to stderr" 60 streams_split
code=0; out=$(crictl_ exec "${web_cid:0:12}" sh -c 'echo out-$((6*7)); echo err >&2; exit 7' 2>"$work/exec.err") || code=$?
[ "$out" = out-42 ] && [ "$(cat "$work/exec.err")" = err ] && [ $code = 7 ] \
  || fail "skiff crictl exec: stdout [$out] stderr [$(cat "$work/exec.err")] status $code (want out-42, err, 7)"
pass "skiff crictl exec: output, standard error and the exit status (7) come back"
expect_output "skiff crictl exec -- CMD: the separator is not the command" '^/www$' crictl_ exec "$web_cid" -- ls -d /www
expect_error "skiff crictl exec -it points to kubectl exec -it" 'kubectl exec -it' crictl_ exec -it "$web_cid" sh
expect_error "skiff crictl logs of an unknown ID" 'no container with ID fffff' crictl_ logs fffff
web_ip=$(jp "pod/$web_pod" '{.status.podIP}')
json_fields() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(*[eval(e, {"d": d}) for e in sys.argv[1:]])' "$@"; }
inspect_web() { crictl_ inspect "${web_cid:0:12}" | json_fields 'd["status"]["state"]' 'd["info"]["pid"]' 'd["status"]["metadata"]["name"]'; }
expect_output "skiff crictl inspect: the container's state, pid and name as JSON" '^CONTAINER_RUNNING [1-9][0-9]* httpd$' inspect_web
inspect_pod() { crictl_ inspectp "${web_sandbox:0:12}" | json_fields 'd["status"]["state"]' 'd["status"]["network"]["ip"]' 'd["status"]["metadata"]["name"]'; }
expect_output "skiff crictl inspectp: the sandbox's state, IP and name as JSON" "^SANDBOX_READY $web_ip $web_pod$" inspect_pod
inspect_image() { crictl_ inspecti busybox | json_fields '" ".join(d["status"]["repoTags"])'; }
expect_output "skiff crictl inspecti busybox: the image as JSON" 'docker\.io/library/busybox:latest' inspect_image
expect_output "skiff ctr images ls: containerd's view, namespace k8s.io" '^docker\.io/library/busybox:latest$' \
  "$SKIFF_BIN" ctr --data-dir "$work/data" images ls -q
expect_output "skiff ctr with SKIFF_DATA_DIR: the web container" "^$web_cid$" env SKIFF_DATA_DIR="$work/data" "$SKIFF_BIN" ctr containers ls -q
mkdir -p "$work/links"
for tool in kubectl crictl ctr; do ln -s "$SKIFF_BIN" "$work/links/$tool"; done
expect_output "a link named crictl runs skiff crictl" "^${web_cid:0:13} " "$work/links/crictl" --data-dir "$work/data" ps
expect_output "a link named ctr runs skiff ctr" "^$web_cid$" env SKIFF_DATA_DIR="$work/data" "$work/links/ctr" containers ls -q
# First in PATH, the kubectl link must still find the real kubectl (not itself, forever).
expect_output "a link named kubectl, first in PATH, runs the real kubectl" "^$web_pod " \
  timeout 20 env PATH="$work/links:$PATH" "$work/links/kubectl" --cache-dir "$work/kube-cache" get pods -l app=web --no-headers
expect_output "kubectl version --client through the link" '^Client Version: v1\.' timeout 20 env PATH="$work/links:$PATH" kubectl version --client

wait_for "volumes pod Running" 60 is pod/volumes '{.status.phase}' Running
wait_for "init container ran first, emptyDir shared" 20 sh -c "kubectl --cache-dir $work/kube-cache logs volumes -c reader | grep -q 'init: init-ran'"
expect_output "configMap and secret as env vars" "env color=blue password=s3cret" kubectl logs volumes -c reader
wait_for "configMap and secret as files, emptyDir shared by two containers" 20 sh -c \
  "kubectl --cache-dir $work/kube-cache logs volumes -c reader --tail=1 | grep -q 'file color=blue password=s3cret note=from-writer'"
kubectl patch configmap settings -p '{"data":{"color":"green"}}' >/dev/null
wait_for "an updated configMap updates the mounted file" 90 sh -c \
  "kubectl --cache-dir $work/kube-cache logs volumes -c reader --tail=1 | grep -q 'file color=green'"

wait_for "a pod of a missing image reports ErrImagePull or ImagePullBackOff" 60 sh -c \
  "kubectl --cache-dir $work/kube-cache get pod noimage -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}' | grep -qE 'ErrImagePull|ImagePullBackOff'"
expect_output "the pull error names the image" "does-not-exist" kubectl get pod noimage -o jsonpath='{.status.containerStatuses[0].state.waiting.message}'
wait_for "a missing configMap gives CreateContainerConfigError" 60 is pod/nocm '{.status.containerStatuses[0].state.waiting.reason}' CreateContainerConfigError
expect_output "and an Event says which configMap" 'configmap "missing" not found' kubectl get events --field-selector involvedObject.name=nocm

wait_for "OOM: a 16Mi pod that allocates past it ends OOMKilled" 60 is pod/oom '{.status.containerStatuses[0].state.terminated.reason}' OOMKilled

wait_for "readiness gates Ready: gated pod not ready at first" 30 is pod/gated '{.status.phase}' Running
wait_for "its readiness probe ran and failed (an Unhealthy event)" 30 sh -c "kubectl --cache-dir $work/kube-cache get events --field-selector involvedObject.name=gated | grep -q 'Readiness probe failed'"
is pod/gated '{.status.conditions[?(@.type=="Ready")].status}' False || fail "gated pod Ready before its readiness probe passed"
expect_output "an unready pod is a notReadyAddress of its Service" "notReadyAddresses" kubectl get endpoints gated -o json
touch "$work/gate/ready"
wait_for "readiness probe passes: pod Ready" 30 is pod/gated '{.status.conditions[?(@.type=="Ready")].status}' True
wait_for "and its address is ready in the endpoints" 15 sh -c "kubectl --cache-dir $work/kube-cache get endpoints gated -o jsonpath='{.subsets[0].addresses[0].ip}' | grep -q ."

wait_for "a failing liveness probe restarts its container" 60 ge pod/liveness '{.status.containerStatuses[0].restartCount}' 1
expect_output "with an Unhealthy event" "Liveness probe failed" kubectl get events --field-selector involvedObject.name=liveness

wait_for "a crashing pod goes to CrashLoopBackOff" 60 is pod/crash '{.status.containerStatuses[0].state.waiting.reason}' CrashLoopBackOff
restart_times=()
last=$(jp pod/crash '{.status.containerStatuses[0].restartCount}')
while [ ${#restart_times[@]} -lt 2 ]; do
  now=$(jp pod/crash '{.status.containerStatuses[0].restartCount}')
  if [ -n "$now" ] && [ "$now" -gt "$last" ]; then restart_times+=("$(date +%s)"); last=$now; fi
  [ "$(date +%s)" -lt "$(python3 -c "print(int($started) + 300)")" ] || fail "restart counts grow (stuck at $last)"
  sleep 0.5
done
first_gap=$((restart_times[1] - restart_times[0]))
expect_output "restart counts grow" "^[3-9]|^[1-9][0-9]" jp pod/crash '{.status.containerStatuses[0].restartCount}'
[ "$first_gap" -ge 15 ] || fail "back-off grows: second gap ${first_gap}s, expected >= 15 s (kubelet's 10 s doubling)"
pass "back-off grows (gap between restarts ${first_gap}s)"
expect_output "CrashLoopBackOff is explained by a BackOff event" "Back-off restarting failed container" kubectl get events --field-selector involvedObject.name=crash

# Bad archives: a truncated one is an error naming the file, the agent keeps going; one dropped in later is used.
head -c 100000 "$bundle" >"$work/data/agent/images/broken.tar"
python3 "$(dirname "$0")/lib/retag-image.py" "$bundle" "$work/images-dropped.tar" docker.io/library/busybox:latest docker.io/skiff/dropped:1
mv "$work/images-dropped.tar" "$work/data/agent/images/dropped.tar"
wait_for "a truncated archive is logged as an error naming the file" 30 grep -q "broken.tar" "$work/server.log"
grep "broken.tar" "$work/server.log" | grep -qi "error" || fail "the truncated archive's log line is an error"
kubectl run dropped --image=docker.io/skiff/dropped:1 --image-pull-policy=Never --restart=Never --command -- echo dropped-image-runs >/dev/null
wait_for "an archive dropped in while running is usable without a restart" 60 is pod/dropped '{.status.phase}' Succeeded
is node/$node '{.status.conditions[?(@.type=="Ready")].status}' True || fail "the node stays Ready after a bad archive"

# Restart of the agent (here: the server process with its embedded agent): pods keep running, nothing restarts.
before=$(kubectl get pods -l app=web -o jsonpath='{range .items[*]}{.metadata.name}={.status.containerStatuses[0].containerID},{.status.containerStatuses[0].restartCount} {end}')
stop_server
# The server has exited (stop_server waited for it): the pod workers stopped before the CRI client and containerd.
if grep -E "clientIsStopped|Stream unexpectedly closed" "$work/server.log" | tail -3 | grep .; then
  fail "a graceful stop fails no CRI call in flight"
fi
pass "a graceful stop fails no CRI call in flight"
# containerd stops with the agent; the containers' shims do not, so the pods keep serving.
expect_output "pods keep serving while the agent is down" "hello from" curl -s --max-time 5 "http://${ips[0]}:8080/"
start_agent_server
wait_for "node Ready again after the restart" 60 is node/$node '{.status.conditions[?(@.type=="Ready")].status}' True
# A pod created after the restart runs: the pod workers are past their first sync of the pods they found.
kubectl run after-restart --image=busybox --image-pull-policy=IfNotPresent --restart=Never --command -- true >/dev/null
wait_for "a pod created after the restart runs" 60 is pod/after-restart '{.status.phase}' Succeeded
after=$(kubectl get pods -l app=web -o jsonpath='{range .items[*]}{.metadata.name}={.status.containerStatuses[0].containerID},{.status.containerStatuses[0].restartCount} {end}')
[ "$before" = "$after" ] || fail "containers re-adopted untouched: before [$before] after [$after]"
pass "running containers re-adopted with the same IDs and no restart counted"

# A second node: `skiff agent` in its network namespace joins over the veth with a bootstrap token made by
# `skiff token create` (it may only join: the node then speaks with its own certificate).
mkdir -p "$work/agent1/agent/images"
cp "$bundle" "$work/agent1/agent/images/"
skiff_token() { "$SKIFF_BIN" token "$@" --data-dir "$work/data" --server "https://127.0.0.1:$port"; }
token=$(skiff_token create --ttl 1h --description "e2e second node") || fail "skiff token create: $token"
[[ "$token" =~ ^K10[0-9a-f]{64}::[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || fail "skiff token create prints a join token, not [$token]"
token_id=${token#*::}; token_id=${token_id%%.*}
expect_output "skiff token list shows the token without its secret" "^$token_id\.<redacted> +(59m|1h) .*e2e second node" skiff_token list
expect_error "skiff token create names a bad --ttl" "--ttl must be a duration" skiff_token create --ttl soon
start_agent() {
  # nsenter, not `ip netns exec`: that one remounts /sys in a mount namespace of its own, which hides the cgroup
  # mount from runc ("no cgroup mount found in mountinfo").
  NOTIFY_SOCKET="$work/agent-notify.sock" \
  nsenter --net=/var/run/netns/$ns "$SKIFF_BIN" agent --server "https://$host_ip:$port" --token "$token" --node-name e2e-agent \
    --node-ip $agent_ip --data-dir "$work/agent1" >>"$work/agent.log" 2>&1 &
  agent_pid=$!
}
python3 "$(dirname "$0")/lib/notify-listener.py" "$work/agent-notify.sock" "$work/agent-notify.log" e2e-agent "$work/kubeconfig" &
notify_pid="$notify_pid $!"
for _ in $(seq 50); do [ -S "$work/agent-notify.sock" ] && break; sleep 0.1; done
start_agent
wait_for "a second node joins from its network namespace and is Ready" 90 is node/e2e-agent '{.status.conditions[?(@.type=="Ready")].status}' True
wait_for "the agent sends READY=1 through NOTIFY_SOCKET" 10 grep -q "^READY " "$work/agent-notify.log"
grep -qx "READY readyz=ok node=True" <(grep -m1 "^READY " "$work/agent-notify.log") ||
  fail "the agent's READY=1 came before its node was Ready: $(grep -m1 "^READY " "$work/agent-notify.log")"
pass "the agent's READY=1 only once its node is Ready"
# Node identity: the agent speaks with its own certificate (system:node:e2e-agent); its password and key are 0600;
# the server keeps the password's salted hash; another machine with the token but not the password is refused.
[ "$(stat -c %a "$work/agent1/agent/node-password")" = 600 ] || fail "the node password file is 0600"
[ "$(stat -c %a "$work/agent1/agent/client-node.key")" = 600 ] || fail "the node key is 0600"
openssl x509 -in "$work/agent1/agent/client-node.crt" -noout -subject | grep -q "CN *= *system:node:e2e-agent" \
  || fail "the agent's certificate names system:node:e2e-agent"
pass "the agent holds its own certificate for system:node:e2e-agent; its key and password are 0600"
expect_output "the server keeps the node password's salted hash" "^skiff.io/node-password$" \
  kubectl -n kube-system get secret e2e-agent.node-password.skiff -o jsonpath='{.type}'
mkdir -p "$work/impostor"
expect_error "a second machine cannot take the node name without its password, and is told why" \
  "joined before with another node password" timeout 60 "$SKIFF_BIN" agent --server "https://$host_ip:$port" \
  --token "$token" --node-name e2e-agent --data-dir "$work/impostor" --container-runtime-endpoint /nonexistent.sock
ca_flags=(--cacert "$work/data/server/tls/server-ca.crt")
expect_output "the bootstrap token alone reaches no API object (403)" \
  'a join token can only request a node certificate.*"code":403' \
  curl -s "${ca_flags[@]}" -H "Authorization: Bearer ${token#*::}" "https://127.0.0.1:$port/api/v1/nodes"
# Node authorization: a node's certificate reads a secret only when a pod bound to that node names it.
kubectl create secret generic far-secret --from-literal=k=far >/dev/null
kubectl create secret generic near-secret --from-literal=k=near >/dev/null
secret_pod() {  # NODE POD SECRET VALUE: a pod that succeeds when it sees the secret's value in its environment
  kubectl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $2}
spec:
  nodeSelector: {kubernetes.io/hostname: $1}
  restartPolicy: Never
  containers:
  - name: c
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'test "\$K" = $4']
    env: [{name: K, valueFrom: {secretKeyRef: {name: $3, key: k}}}]
YAML
}
secret_pod e2e-agent far-reader far-secret far
secret_pod $node near-reader near-secret near
wait_for "a pod on the second node gets its secret (the node's certificate may read it)" 60 is pod/far-reader '{.status.phase}' Succeeded
wait_for "a pod on the server's node gets its own secret" 60 is pod/near-reader '{.status.phase}' Succeeded
as_node() {
  curl -s "${ca_flags[@]}" --cert "$work/agent1/agent/client-node.crt" --key "$work/agent1/agent/client-node.key" \
    "https://127.0.0.1:$port$1"
}
expect_output "the second node's certificate reads the secret of its own pod" '"name":"far-secret"' \
  as_node /api/v1/namespaces/default/secrets/far-secret
expect_output "but not the secret of a pod on another node (403, upstream's message)" \
  "User .+system:node:e2e-agent.+ cannot get resource .+secrets.+no relationship found between node 'e2e-agent' and this object.*\"code\":403" \
  as_node /api/v1/namespaces/default/secrets/near-secret
expect_output "nor list secrets" '"code":403' as_node /api/v1/secrets
RESTART=Always run_on e2e-agent far \
  sh -c 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 8080 -h /www'
wait_for "a pod runs on the second node" 60 is pod/far '{.status.phase}' Running
# The server runs with --cluster-dns 10.43.0.53: the agent took it from kube-system/skiff-config, not its defaults.
expect_output "the server publishes its cluster settings" "10.43.0.53" kubectl -n kube-system get configmap skiff-config -o jsonpath='{.data.cluster-dns}'
run_on e2e-agent dns-far grep -q 'nameserver 10.43.0.53' /etc/resolv.conf
wait_for "a pod on the second node resolves through the server's cluster DNS address" 60 is pod/dns-far '{.status.phase}' Succeeded
far_ip=$(jp pod/far '{.status.podIP}')
agent_cidr=$(jp node/e2e-agent '{.spec.podCIDR}')
python3 -c "import ipaddress,sys; sys.exit(ipaddress.ip_address('$far_ip') not in ipaddress.ip_network('$agent_cidr'))" \
  || fail "the second node's pod IP $far_ip is in its podCIDR $agent_cidr"
wait_for "the second node's pod answers from the host (route via the veth)" 30 sh -c "curl -s --max-time 3 http://$far_ip:8080/ | grep -q 'hello from far'"
run_on $node near sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc $far_ip 8080"
wait_for "a pod on the server node reaches the second node's pod by its IP" 60 is pod/near '{.status.phase}' Succeeded
expect_output "and reads its page" "hello from far" kubectl logs near
run_on e2e-agent back sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc ${ips[0]} 8080 | grep -q 'hello from web'"
wait_for "and the other way round: the second node's pod reaches a server node pod" 60 is pod/back '{.status.phase}' Succeeded

# The host cannot reach the agent (a listener in its namespace is dropped from the host, answers inside), yet the
# server reads its pods' logs: through the tunnel the agent opened.
ip netns exec $ns python3 -m http.server 18080 --bind $agent_ip >/dev/null 2>&1 &
listener_pid=$!
wait_for "a listener in the agent's namespace answers there" 10 ip netns exec $ns curl -s --max-time 1 http://$agent_ip:18080/
curl -s --max-time 2 http://$agent_ip:18080/ >/dev/null && fail "the host cannot open a connection to the agent (NAT)"
pass "the host cannot open a connection to the agent (NAT)"
kill $listener_pid
RESTART=Always run_on e2e-agent talker sh -c 'i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 1; done'
wait_for "a talking pod runs on the agent behind NAT" 60 is pod/talker '{.status.phase}' Running
grep -q 'node=e2e-agent.*tunnel connected' "$work/server.log" || fail "the agent's tunnel is registered on the server"
pass "the agent's tunnel is registered on the server"
wait_for "kubectl logs reads a pod on the agent behind NAT" 10 sh -c "kubectl logs talker | grep -q '^tick 1$'"
followed=$(timeout 4 kubectl logs -f talker --tail=1 2>&1 || true)
[ "$(grep -c '^tick ' <<<"$followed")" -ge 3 ] || fail "kubectl logs -f follows through the tunnel: [$followed]"
pass "kubectl logs -f follows through the tunnel ($(grep -c '^tick ' <<<"$followed") lines in 4 s)"

# kubectl exec through the tunnel: a command's output, its exit code, stdin to its end, stderr apart, a terminal,
# kubectl cp both ways, kubectl port-forward; and on the server's own node through the in-process tunnel.
expect_output "kubectl exec runs a command in a pod behind NAT" "^hello-exec$" kubectl exec talker -- echo hello-exec
code=0; kubectl exec talker -- sh -c 'exit 3' >/dev/null 2>&1 || code=$?
[ "$code" = 3 ] || fail "kubectl exec exits with the command's exit code (3, got $code)"
pass "kubectl exec exits with the command's exit code (3)"
code=0; kubectl exec talker -- false >/dev/null 2>&1 || code=$?
[ "$code" = 1 ] || fail "kubectl exec -- false exits 1 (got $code)"
pass "kubectl exec -- false exits 1"
expect_output "stdin reaches the process, and its end ends it (cat exits)" "^piped$" \
  timeout 20 sh -c "echo piped | kubectl exec -i talker -- cat"
echo "copied in $(date +%s%N)" >"$work/cp-in.txt"
kubectl cp "$work/cp-in.txt" talker:/tmp/cp-in.txt >/dev/null || fail "kubectl cp into a pod behind NAT"
expect_output "kubectl cp into a pod behind NAT" "^$(cat "$work/cp-in.txt")$" kubectl exec talker -- cat /tmp/cp-in.txt
kubectl cp talker:/tmp/cp-in.txt "$work/cp-out.txt" >/dev/null 2>&1 || fail "kubectl cp out of a pod behind NAT"
cmp -s "$work/cp-in.txt" "$work/cp-out.txt" || fail "kubectl cp out of a pod brings the same bytes back"
pass "kubectl cp out of a pod behind NAT brings the same bytes back"
pf_port=$(free_port)
kubectl port-forward pod/far "$pf_port:8080" >"$work/port-forward.log" 2>&1 &
pf_pid=$!
wait_for "kubectl port-forward reaches a pod behind NAT" 15 sh -c "curl -s --max-time 3 http://127.0.0.1:$pf_port/ | grep -q 'hello from far'"
expect_output "and again on a second connection" "hello from far" curl -s --max-time 3 "http://127.0.0.1:$pf_port/"
kill $pf_pid; wait $pf_pid 2>/dev/null || true
expect_output "stderr comes back on its own stream" "^to-stderr$" \
  sh -c "kubectl exec talker -- sh -c 'echo to-stdout; echo to-stderr >&2' 2>&1 >/dev/null"
expect_output "kubectl exec -it gets a terminal" "/dev/pts/[0-9]" script -qec "kubectl exec -it talker -- tty" /dev/null
expect_output "kubectl exec works on the server's own node" "^on-server$" kubectl exec deploy/web -- echo on-server
expect_error "exec into a completed pod is refused before the upgrade, as upstream words it" \
  "cannot exec into a container in a completed pod; current phase is Succeeded" kubectl exec dns-far -- true
python_client
expect_output "the Python client's exec (v4.channel.k8s.io) through the tunnel, with its exit code" \
  "^py-out exit 5$" sh -c "'$python' '$(dirname "$0")/python_exec.py' talker | xargs"
expect_output "the Python client's port-forward (v4.channel.k8s.io) to the pod behind NAT" "hello from far" \
  timeout 30 "$python" "$(dirname "$0")/python_portforward.py" far 8080

# The link dies silently (the veth goes down: no FIN, no RST): both ends give the tunnel up within 10 s, logs of a
# pod there answer 503 naming the node instead of hanging, and once the link is back the agent reconnects.
ip link set skiff-e2e-h down
cut_at=$(date +%s)
wait_for "the server gives up the silent tunnel within 15 s" 15 sh -c "grep -q 'node=e2e-agent.*tunnel lost' $work/server.log"
expect_error "logs of a pod on the unreachable node answer 503 naming the node" 'ServiceUnavailable.*node "e2e-agent"' \
  kubectl logs talker
ip link set skiff-e2e-h up
back_at=$(date +%s)
wait_for "the agent reconnects within 10 s of the link returning" 10 sh -c "[ \$(grep -c 'node=e2e-agent.*tunnel connected' $work/server.log) -ge 2 ]"
echo "    (link down $((back_at - cut_at)) s; reconnected $(( $(date +%s) - back_at )) s after it returned)"
wait_for "logs work again through the new tunnel" 10 sh -c "kubectl logs talker --tail=1 | grep -q '^tick '"
# Taking the veth down dropped the host's route to the agent's pods; the server's node puts it back.
wait_for "the route to the agent's pods is back after the link flap" 20 sh -c "ip route show $agent_cidr | grep -q skiff-e2e-h"

# A third node: another `skiff agent` behind NAT, in a network namespace of its own, joined with the same bootstrap
# token. A Deployment kept off the server's node spreads over the two edge nodes, and each of its pods answers logs,
# exec, cp and port-forward through the tunnel of its own node.
ip netns add $ns2
ip link add skiff-e2e-h2 type veth peer name skiff-e2e-n2
ip link set skiff-e2e-n2 netns $ns2
ip addr add 198.18.78.1/24 dev skiff-e2e-h2 && ip link set skiff-e2e-h2 up
ip netns exec $ns2 ip addr add $agent2_ip/24 dev skiff-e2e-n2
ip netns exec $ns2 ip link set skiff-e2e-n2 up
ip netns exec $ns2 ip link set lo up
ip netns exec $ns2 ip route add default via 198.18.78.1
ip netns exec $ns2 iptables -A INPUT -i skiff-e2e-n2 -m conntrack --ctstate NEW -j DROP
mkdir -p "$work/agent2/agent/images"
cp "$bundle" "$work/agent2/agent/images/"
# The server's certificate names $host_ip; the host answers for it on every link.
nsenter --net=/var/run/netns/$ns2 "$SKIFF_BIN" agent --server "https://$host_ip:$port" --token "$token" \
  --node-name e2e-agent2 --node-ip $agent2_ip --data-dir "$work/agent2" >>"$work/agent2.log" 2>&1 &
agent2_pid=$!
wait_for "a third node joins from a namespace of its own and is Ready" 90 is node/e2e-agent2 '{.status.conditions[?(@.type=="Ready")].status}' True
kubectl apply -f - >/dev/null <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: edge}
spec:
  replicas: 4
  selector: {matchLabels: {app: edge}}
  template:
    metadata: {labels: {app: edge}}
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [e2e-agent, e2e-agent2]}]
      containers:
      - name: web
        image: busybox
        imagePullPolicy: IfNotPresent
        command: [sh, -c, 'mkdir -p /www && echo "edge $(hostname)" >/www/index.html && echo "serving $(hostname)" && exec httpd -f -p 8080 -h /www']
YAML
wait_for "a Deployment of 4 replicas on the edge nodes is available" 90 is deploy/edge '{.status.availableReplicas}' 4
spread=$(kubectl get pods -l app=edge -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | sort | uniq -c | xargs)
[ "$(kubectl get pods -l app=edge -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | sort -u | xargs)" = "e2e-agent e2e-agent2" ] \
  || fail "the replicas spread over both edge nodes: $spread"
pass "the replicas spread over both edge nodes ($spread)"
for edge_pod in $(kubectl get pods -l app=edge -o jsonpath='{.items[*].metadata.name}'); do
  wait_for "logs of $edge_pod" 10 sh -c "kubectl logs $edge_pod | grep -q 'serving $edge_pod'"
  [ "$(kubectl exec "$edge_pod" -- hostname)" = "$edge_pod" ] || fail "kubectl exec in $edge_pod"
  echo "to $edge_pod" >"$work/cp-$edge_pod.txt"
  kubectl cp "$work/cp-$edge_pod.txt" "$edge_pod:/tmp/in.txt" >/dev/null || fail "kubectl cp into $edge_pod"
  [ "$(kubectl exec "$edge_pod" -- cat /tmp/in.txt)" = "to $edge_pod" ] || fail "kubectl cp into $edge_pod brings its bytes"
  pf_port=$(free_port)
  kubectl port-forward "pod/$edge_pod" "$pf_port:8080" >/dev/null 2>&1 &
  pf_pid=$!
  wait_for "port-forward to $edge_pod" 15 sh -c "curl -s --max-time 3 http://127.0.0.1:$pf_port/ | grep -q 'edge $edge_pod'"
  kill $pf_pid; wait $pf_pid 2>/dev/null || true
done
pass "logs, exec, cp and port-forward reach every replica on both edge nodes"
# And the rest of the set on a pod of the third node: logs -f, a terminal, exit codes, stdin to its end, cp out.
third=$(kubectl get pods -l app=edge --field-selector spec.nodeName=e2e-agent2 -o jsonpath='{.items[0].metadata.name}')
[ -n "$third" ] || fail "a replica runs on the third node"
kubectl exec "$third" -- sh -c 'for i in 1 2 3 4 5 6 7 8; do echo "line $i"; sleep 0.3; done >>/proc/1/fd/1' &
writer_pid=$!
followed=$(timeout 4 kubectl logs -f "$third" --tail=1 2>&1 || true)
wait $writer_pid || fail "writing to the log of a pod on the third node"
[ "$(grep -c '^line ' <<<"$followed")" -ge 3 ] || fail "kubectl logs -f follows a pod on the third node: [$followed]"
pass "kubectl logs -f follows a pod on the third node"
expect_output "kubectl exec -it gets a terminal on the third node" "/dev/pts/[0-9]" script -qec "kubectl exec -it $third -- tty" /dev/null
code=0; kubectl exec "$third" -- false >/dev/null 2>&1 || code=$?
[ "$code" = 1 ] || fail "kubectl exec -- false exits 1 on the third node (got $code)"
pass "kubectl exec -- false exits 1 on the third node"
expect_output "stdin reaches a process on the third node, and its end ends it" "^piped$" \
  timeout 20 sh -c "echo piped | kubectl exec -i $third -- cat"
kubectl cp "$third:/tmp/in.txt" "$work/cp-out-third.txt" >/dev/null 2>&1 || fail "kubectl cp out of a pod on the third node"
cmp -s "$work/cp-$third.txt" "$work/cp-out-third.txt" || fail "kubectl cp out of the third node brings the same bytes back"
pass "kubectl cp out of a pod on the third node brings the same bytes back"
grep -q 'node=e2e-agent2.*tunnel connected' "$work/server.log" || fail "the third node reaches the server through its own tunnel"

# The server signs node certificates for 30 s here: the agent renewed its own while running (the tunnel came back
# after the link cut with a certificate younger than the first), and holds a valid one.
[ "$(grep -c 'node certificate renewed' "$work/agent.log")" -ge 1 ] || fail "the agent renews its 30 s certificate while running"
openssl x509 -in "$work/agent1/agent/client-node.crt" -noout -checkend 1 >/dev/null \
  || fail "the agent's certificate on disk is valid"
pass "the agent renewed its short-lived certificate $(grep -c 'node certificate renewed' "$work/agent.log") times while running"
# The bootstrap token is deleted: it joins no new node, but the joined node restarts on its own certificate.
expect_output "skiff token delete removes the token" "bootstrap token \"$token_id\" deleted" skiff_token delete "$token_id"
[ -z "$(skiff_token list | grep "^$token_id")" ] || fail "a deleted token is not listed"
mkdir -p "$work/late"
expect_error "a deleted bootstrap token joins nothing" "the server refused the token" \
  timeout 60 "$SKIFF_BIN" agent --server "https://$host_ip:$port" --token "$token" --node-name e2e-late \
  --data-dir "$work/late" --container-runtime-endpoint /nonexistent.sock
# Restart of that agent while the server stays up: its pod keeps serving, and comes back with the same container.
far_before=$(jp pod/far '{.status.containerStatuses[0].containerID},{.status.containerStatuses[0].restartCount}')
kill -TERM "$agent_pid"; wait "$agent_pid" || fail "the agent exits 0 on SIGTERM"; agent_pid=""
pass "the agent stops cleanly on SIGTERM"
expect_output "its pod keeps serving while the agent is down" "hello from far" curl -s --max-time 5 "http://$far_ip:8080/"
certs_before=$(grep -c 'node certificate issued\|node certificate renewed' "$work/agent.log")
start_agent
wait_for "the restarted agent registers again" 60 sh -c "[ \$(grep -c 'node registered' $work/agent.log) -ge 2 ]"
# It starts on the certificate it kept (no wait for the server) and renews it with itself when due, which with 30 s
# certificates is at once; or, if the kept one had expired, gets one issued. Never with the deleted token.
wait_for "the restarted agent renews the certificate it kept, or gets one issued" 30 sh -c \
  "[ \$(grep -c 'node certificate issued\|node certificate renewed' '$work/agent.log') -gt $certs_before ]"
! grep -q 'asking with the token' "$work/agent.log" \
  || fail "the restarted agent renewed its certificate with its own (the bootstrap token is gone)"
pass "the restarted agent renewed its certificate on its own authority (its bootstrap token is deleted)"
run_on e2e-agent after-agent-restart true
wait_for "a pod created after the agent's restart runs there" 60 is pod/after-agent-restart '{.status.phase}' Succeeded
wait_for "the restarted agent's tunnel serves logs" 20 sh -c "kubectl logs talker --tail=1 | grep -q '^tick '"
far_after=$(jp pod/far '{.status.containerStatuses[0].containerID},{.status.containerStatuses[0].restartCount}')
[ "$far_before" = "$far_after" ] || fail "agent restart re-adopts the pod untouched: before [$far_before] after [$far_after]"
pass "the restarted agent re-adopted its running container with the same ID and no restart counted"

# The server's own serving and admin certificates last 60 s here: it renewed them while running (kubectl reads the
# rewritten kubeconfig, every client verifies the served certificate), so everything above ran past their first end.
renewed=$(grep -c 'serving certificate renewed' "$work/server.log")
[ "$renewed" -ge 2 ] && [ "$(grep -c 'admin certificate renewed' "$work/server.log")" -ge 2 ] \
  || fail "the server renews its 60 s serving and admin certificates while running (serving: $renewed)"
openssl x509 -in "$work/data/server/tls/serving-kube-apiserver.crt" -noout -checkend 1 >/dev/null \
  || fail "the serving certificate on disk is valid"
expect_output "kubectl still works on the renewed certificates" "e2e-node" kubectl get node e2e-node -o name
pass "the server renewed its serving certificate $renewed times while running, without a restart"
kubectl delete deployment web --wait=false >/dev/null
wait_for "deleting the Deployment removes its pods" 60 sh -c "[ -z \"\$(kubectl --cache-dir $work/kube-cache get pods -l app=web -o name)\" ]"
ids=$(sed 's/[^=]*=containerd:\/\/\([0-9a-f]*\),[0-9]* */\1 /g' <<<"$after" | xargs | tr ' ' '|')
wait_for "their containers are gone from containerd" 30 sh -c "! ctr -a $sock -n k8s.io containers ls -q | grep -qE '$ids'"
wait_for "and their sandboxes too" 30 sh -c "! ctr -a $sock -n k8s.io containers ls 'labels.\"io.kubernetes.pod.name\"~=^web-' -q | grep -q ."
echo "60-containerd-agent: all passed"
