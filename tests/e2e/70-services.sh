#!/usr/bin/env bash
# Services and cluster DNS on real containerd (root only), with no extra image: the server's embedded agent (host
# namespace) and a second agent in a network namespace each run the service proxy (nftables) and answer DNS on the
# cluster DNS address. ClusterIP by name, FQDN and address, load-balanced over both replicas; NodePort from the host
# and from outside (externalTrafficPolicy Cluster masquerades, Local keeps the client's address); LoadBalancer on the
# node addresses; ClientIP affinity; headless Services; NXDOMAIN; other names forwarded to an upstream resolver the
# test runs on loopback (dnsmasq); scale to 0 refuses at once, scale back answers within 1 s of the endpoint; a pod
# on one node reaches a Service whose only endpoint is on the other; 10 000 bad DNS packets; a Service with 1 000
# ports and one with 5 000 endpoints; an established connection through a ClusterIP across the agent's restart; a
# node restarted without its server keeps resolving and routing from its cache.
source "$(dirname "$0")/lib/common.sh"
if [ "$(id -u)" != 0 ]; then echo "SKIP 70-services: needs root (containers run as root here)"; exit 0; fi
command -v containerd >/dev/null || fail "containerd is not installed (make deps installs it)"
command -v nft >/dev/null || fail "nft is not installed (make deps installs nftables)"
command -v dnsmasq >/dev/null || fail "dnsmasq is not installed (make deps installs dnsmasq-base)"
bundle=$(realpath "$(dirname "$0")/../../airgap/dist/skiff-airgap-images-amd64.tar")
[ -f "$bundle" ] || fail "airgap bundle missing: run make airgap"

node=e2e-svc
far=e2e-svc-far
ns=skiff-e2e-svc
host_ip=198.18.83.1
far_ip=198.18.83.2
dns_ip=10.43.0.10
upstream_ip=127.0.0.77
agent_pid=""
dnsmasq_pid=""
sock="$work/data/agent/containerd/containerd.sock"
ctr_() { ctr -a "$sock" -n k8s.io "$@"; }

ip netns delete $ns 2>/dev/null || true; ip link del sk70-h 2>/dev/null || true
ip netns add $ns
ip link add sk70-h type veth peer name sk70-n
ip link set sk70-n netns $ns
ip addr add $host_ip/24 dev sk70-h && ip link set sk70-h up
ip netns exec $ns ip addr add $far_ip/24 dev sk70-n
ip netns exec $ns ip link set sk70-n up
ip netns exec $ns ip link set lo up
ip netns exec $ns ip route add default via $host_ip
mkdir -p "$work/data/agent/images" "$work/far/agent/images"
cp "$bundle" "$work/data/agent/images/"; cp "$bundle" "$work/far/agent/images/"

# The upstream resolver: dnsmasq on loopback (and on the veth, for the far node), answering outside.test itself and
# forwarding nothing (no resolv.conf, no hosts file): no query leaves the machine.
dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
  --listen-address=$upstream_ip --listen-address=$host_ip --port=53 --address=/outside.test/203.0.113.77 \
  --log-queries --log-facility="$work/dnsmasq.log" --pid-file= >>"$work/dnsmasq.out" 2>&1 &
dnsmasq_pid=$!
echo "nameserver $upstream_ip" >"$work/resolv.conf"
echo "nameserver $host_ip" >"$work/far-resolv.conf"

stop_all() {
  [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null; [ -n "$agent_pid" ] && wait "$agent_pid" 2>/dev/null; agent_pid=""
  kubectl delete pods --all --grace-period=0 --force >/dev/null 2>&1
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; [ -n "$server_pid" ] && wait "$server_pid" 2>/dev/null; server_pid=""
  [ -n "$dnsmasq_pid" ] && kill "$dnsmasq_pid" 2>/dev/null; dnsmasq_pid=""
  pkill -KILL -f "containerd --config $work/" 2>/dev/null; sleep 0.3
  for shim in $(pgrep -f "containerd-shim-runc-v2 .*-address $work/"); do pkill -KILL -P "$shim"; kill -KILL "$shim"; done
  local pod_ns
  for pod_ns in $(ip netns list 2>/dev/null | awk '/^cni-/ {print $1}'); do
    [ -z "$(ip netns pids "$pod_ns" 2>/dev/null)" ] && ip netns delete "$pod_ns"
  done
  for m in $(awk -v w="$work" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$m" 2>/dev/null; done
  # The agent keeps its rules and DNS address when it stops (traffic keeps flowing); the test removes them.
  nft delete table ip skiff-proxy 2>/dev/null; ip addr del $dns_ip/32 dev lo 2>/dev/null
  ip link del skiff0 2>/dev/null
  ip netns delete $ns 2>/dev/null; ip link del sk70-h 2>/dev/null
}
trap 'status=$?; set +e
  if [ $status -ne 0 ]; then kubectl get pods -A -o wide 2>&1 | head -30; kubectl get svc -A 2>&1 | head -20
    echo "--- server log (service lines):"; grep -iE "service|dns|nft" "$work/server.log" | tail -20
    [ -f "$work/far.log" ] && { echo "--- far agent log (last 20 lines):"; tail -n 20 "$work/far.log"; }; fi
  stop_all
  (exit $status); cleanup' EXIT

port=$(free_port)
export KUBECONFIG="$work/kubeconfig"
"$SKIFF_BIN" server --node-name $node --data-dir "$work/data" --https-listen-port "$port" --bind-address 0.0.0.0 \
  --tls-san $host_ip --node-ip $host_ip --resolv-conf "$work/resolv.conf" --write-kubeconfig "$KUBECONFIG" \
  >>"$work/server.log" 2>&1 &
server_pid=$!
wait_ready
token=$(cat "$work/data/server/node-token")
nsenter --net=/var/run/netns/$ns "$SKIFF_BIN" agent --server "https://$host_ip:$port" --token "$token" --node-name $far \
  --node-ip $far_ip --data-dir "$work/far" --resolv-conf "$work/far-resolv.conf" >>"$work/far.log" 2>&1 &
agent_pid=$!
wait_for "node $node Ready" 90 is node/$node '{.status.conditions[?(@.type=="Ready")].status}' True
wait_for "node $far Ready" 90 is node/$far '{.status.conditions[?(@.type=="Ready")].status}' True

expect_output "kube-dns is a Service in kube-system on the cluster DNS address" "^kube-dns +ClusterIP +$dns_ip " \
  kubectl -n kube-system get svc kube-dns

# Two httpd replicas on the server's node; a CGI script tells the address a connection came from.
on() { echo "{\"kubernetes.io/hostname\": \"$1\"}"; }
kubectl apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: $(on $node)
      containers:
      - name: httpd
        image: busybox
        imagePullPolicy: IfNotPresent
        command: [sh, -c, 'mkdir -p /www/cgi-bin && echo "hello from \$(hostname)" > /www/index.html && printf "#!/bin/sh\necho Content-Type: text/plain\necho\necho \\\$REMOTE_ADDR\n" > /www/cgi-bin/ip && chmod +x /www/cgi-bin/ip && exec httpd -f -p 8080 -h /www']
        readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: far}
spec:
  replicas: 1
  selector: {matchLabels: {app: far}}
  template:
    metadata: {labels: {app: far}}
    spec:
      nodeSelector: $(on $far)
      containers:
      - name: httpd
        image: busybox
        imagePullPolicy: IfNotPresent
        command: [sh, -c, 'mkdir -p /www && echo "hello from far \$(hostname)" > /www/index.html && exec httpd -f -p 8080 -h /www']
        readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 8080, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-np}
spec: {type: NodePort, selector: {app: web}, ports: [{name: http, port: 8080, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-local}
spec: {type: NodePort, externalTrafficPolicy: Local, selector: {app: web}, ports: [{name: http, port: 8080, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-lb}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{name: http, port: 8089, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-headless}
spec: {clusterIP: None, selector: {app: web}, ports: [{name: http, port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-sticky}
spec: {sessionAffinity: ClientIP, selector: {app: web}, ports: [{name: http, port: 8080, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: far}
spec: {selector: {app: far}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeSelector: $(on $node)
  containers: [{name: main, image: busybox, imagePullPolicy: IfNotPresent, command: [sleep, '3600']}]
---
apiVersion: v1
kind: Pod
metadata: {name: client-far}
spec:
  nodeSelector: $(on $far)
  containers: [{name: main, image: busybox, imagePullPolicy: IfNotPresent, command: [sleep, '3600']}]
YAML
wait_for "both web replicas ready" 90 is deployment/web '{.status.readyReplicas}' 2
wait_for "the far replica ready" 90 is deployment/far '{.status.readyReplicas}' 1
wait_for "client pods running" 60 is pod/client-far '{.status.phase}' Running
wait_for "client pod running" 60 is pod/client '{.status.phase}' Running

# get_in POD HOST PORT [PATH]: one HTTP GET with busybox nc inside POD.
get_in() { kubectl exec "$1" -- sh -c "printf 'GET ${4:-/} HTTP/1.0\r\n\r\n' | nc -w 3 $2 $3" 2>&1; }
cluster_ip=$(jp svc/web '{.spec.clusterIP}')
expect_output "a pod reaches the Service by its short name" "hello from web-" get_in client web 8080
expect_output "a pod reaches the Service by its FQDN" "hello from web-" get_in client web.default.svc.cluster.local 8080
expect_output "a pod reaches the Service by its ClusterIP" "hello from web-" get_in client "$cluster_ip" 8080
replicas=$(kubectl exec client -- sh -c "for i in \$(seq 30); do printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 $cluster_ip 8080 | grep hello; done" | sort -u | wc -l)
[ "$replicas" = 2 ] || fail "30 requests to the ClusterIP reach both replicas (saw $replicas)"
pass "30 requests to the ClusterIP are spread over both replicas"
expect_output "the node itself reaches the ClusterIP" "hello from web-" curl -s --max-time 3 "http://$cluster_ip:8080/"
sticky=$(jp svc/web-sticky '{.spec.clusterIP}')
backends=$(kubectl exec client -- sh -c "for i in \$(seq 10); do printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 $sticky 8080 | grep hello; done" | sort -u | wc -l)
[ "$backends" = 1 ] || fail "sessionAffinity ClientIP sends one client to one replica (saw $backends)"
pass "sessionAffinity: ClientIP keeps a client on one replica over 10 connections"

# Across nodes: a pod on the server's node reaches a Service whose only endpoint is on the far node, and a pod on
# the far node resolves and reaches a Service whose endpoints are on the server's node (its own agent's DNS).
expect_output "a pod on one node reaches a Service whose only endpoint is on the other" "hello from far" get_in client far 80
expect_output "a pod on the far node resolves and reaches a Service on the other node" "hello from web-" \
  get_in client-far web.default.svc.cluster.local 8080

# DNS: headless, unknown names, other names forwarded, reverse lookups, kube-dns by name.
pod_ips=$(kubectl get pods -l app=web -o jsonpath='{.items[*].status.podIP}')
headless=$(kubectl exec client -- nslookup web-headless.default.svc.cluster.local 2>&1)
for pod_ip in $pod_ips; do grep -q "Address: *$pod_ip" <<<"$headless" || fail "headless Service resolves to $pod_ip: $headless"; done
pass "a headless Service resolves to both pod IPs"
expect_error "an unknown cluster name is NXDOMAIN" "NXDOMAIN" kubectl exec client -- nslookup nope.default.svc.cluster.local
expect_output "a name outside the cluster is forwarded to the node's resolver" "203\.0\.113\.77" \
  kubectl exec client -- nslookup -type=a outside.test
grep -q "query\[A\] outside.test from 127.0.0.1" "$work/dnsmasq.log" || fail "the upstream resolver saw the agent's query"
pass "the query reached the test's upstream resolver (dnsmasq on loopback), from the agent"
expect_output "the far node's DNS forwards to its own resolver" "203\.0\.113\.77" kubectl exec client-far -- nslookup -type=a outside.test
expect_output "kube-dns resolves by name" "Address: *$dns_ip" kubectl exec client -- nslookup kube-dns.kube-system.svc.cluster.local
expect_output "a ClusterIP has a PTR record" "web\.default\.svc\.cluster\.local" kubectl exec client -- nslookup "$cluster_ip"

# NodePort and LoadBalancer.
node_port=$(jp svc/web-np '{.spec.ports[0].nodePort}')
local_port=$(jp svc/web-local '{.spec.ports[0].nodePort}')
expect_output "the NodePort answers from the host on the node IP" "hello from web-" curl -s --max-time 3 "http://$host_ip:$node_port/"
expect_output "the NodePort answers on the far node's IP too" "hello from web-" \
  ip netns exec $ns curl -s --max-time 3 "http://$far_ip:$node_port/"
seen=$(ip netns exec $ns curl -s --max-time 3 "http://$host_ip:$node_port/cgi-bin/ip")
# (busybox httpd prints IPv4 clients as IPv6-mapped: [::ffff:a.b.c.d].)
[ -n "$seen" ] && ! grep -q "$far_ip" <<<"$seen" || fail "externalTrafficPolicy Cluster masquerades the client ($seen)"
pass "externalTrafficPolicy: Cluster masquerades an outside client (the pod saw $seen)"
expect_output "externalTrafficPolicy: Local keeps the outside client's address" "^\[?(::ffff:)?${far_ip//./\\.}\]?\$" \
  ip netns exec $ns curl -s --max-time 3 "http://$host_ip:$local_port/cgi-bin/ip"
wait_for "the LoadBalancer gets both node addresses as its ingress" 30 \
  is svc/web-lb '{.status.loadBalancer.ingress[*].ip}' "$host_ip $far_ip"
expect_output "kubectl shows the LoadBalancer's external IPs" "^web-lb +LoadBalancer .*$host_ip,$far_ip +8089:" kubectl get svc web-lb
expect_output "the LoadBalancer's port answers on a node address" "hello from web-" curl -s --max-time 3 "http://$host_ip:8089/"

# Scale to 0: the ClusterIP refuses at once (no hang); scale back: it answers within 1 s of the endpoint.
kubectl scale deployment web --replicas=0 >/dev/null
# slice_ready: the ready flags of web's EndpointSlice endpoints.
slice_ready() { kubectl get endpointslices -l kubernetes.io/service-name=web -o jsonpath='{.items[*].endpoints[*].conditions.ready}'; }
no_endpoints() { [ -z "$(slice_ready)" ]; }
ready_endpoint() { slice_ready | grep -q true; }
wait_for "web has no endpoints left" 60 no_endpoints
sleep 0.3
started=$(date +%s.%N)
code=0; curl -s --max-time 5 "http://$cluster_ip:8080/" >/dev/null || code=$?
took=$(python3 -c "print(round($(date +%s.%N) - $started, 3))")
[ "$code" = 7 ] || fail "a ClusterIP without endpoints refuses the connection (curl exit $code, expected 7)"
python3 -c "import sys; sys.exit(0 if $took < 1 else 1)" || fail "the refusal is immediate (took $took s)"
pass "a ClusterIP without endpoints refuses at once (connection refused in $took s)"
expect_error "a pod's connection to it is refused too" "refused" get_in client "$cluster_ip" 8080
kubectl scale deployment web --replicas=1 >/dev/null
wait_for "web has a ready endpoint again" 90 ready_endpoint
started=$(date +%s.%N)
for _ in $(seq 40); do curl -s --max-time 1 "http://$cluster_ip:8080/" | grep -q hello && break; sleep 0.025; done
took=$(python3 -c "print(round($(date +%s.%N) - $started, 3))")
python3 -c "import sys; sys.exit(0 if $took < 1 else 1)" || fail "the ClusterIP answers within 1 s of the endpoint (took $took s)"
pass "scaled back, the ClusterIP answers $took s after the endpoint is ready"

# Bad input: 10 000 random and truncated packets, then the DNS server still answers a valid query.
python3 - "$dns_ip" <<'PY' || fail "the DNS server answers after 10 000 bad packets"
import random, socket, struct, sys
server = (sys.argv[1], 53)
def query(name, qid):
    body = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + body + struct.pack(">HH", 1, 1)
valid = query("web.default.svc.cluster.local", 4242)
rng = random.Random(70)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(10000):
    if i % 2:
        packet = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 300)))
    else:
        packet = bytearray(valid[: rng.randrange(0, len(valid))])
        if packet and rng.random() < 0.5:
            packet[rng.randrange(len(packet))] ^= 1 << rng.randrange(8)
        packet = bytes(packet)
    s.sendto(packet, server)
s.settimeout(1)
for attempt in range(5):
    s.sendto(query("kube-dns.kube-system.svc.cluster.local", 777), server)
    try:
        while True:
            data, _ = s.recvfrom(4096)
            if data[:2] == struct.pack(">H", 777):
                assert data[3] & 0x0F == 0 and struct.unpack(">H", data[6:8])[0] == 1, data
                print("answered after 10 000 bad packets")
                sys.exit(0)
    except socket.timeout:
        continue
sys.exit(1)
PY
pass "10 000 random and truncated DNS packets, then a valid query is answered"

# Big Services: 1 000 ports (one Service), 5 000 endpoints (selectorless, five EndpointSlices of 1 000).
python3 - <<'PY' | kubectl apply -f - >/dev/null
import json
items = [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "wide"},
          "spec": {"selector": {"app": "nothing"}, "ports": [{"name": f"p{i}", "port": 10000 + i, "targetPort": 10000 + i} for i in range(1000)]}},
         {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "many"},
          "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}]
for s in range(5):
    items.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                  "metadata": {"name": f"many-{s}", "labels": {"kubernetes.io/service-name": "many"}},
                  "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
                  "endpoints": [{"addresses": [f"10.42.{100 + s * 4 + i // 250}.{i % 250 + 1}"],
                                 "conditions": {"ready": True}} for i in range(1000)]})
print("---\n" + "\n---\n".join(json.dumps(item) for item in items))
PY
wide_ip=$(jp svc/wide '{.spec.clusterIP}')
# wide has no endpoints: its 1 000 ports are all refused, each through the no-endpoint map.
programmed() { [ "$(nft list map ip skiff-proxy no-endpoint-services 2>/dev/null | grep -o "$wide_ip . tcp . 1[0-9]*" | wc -l)" = 1000 ]; }
wait_for "the 1 000 ports of one Service are programmed" 30 programmed
code=0; curl -s --max-time 3 "http://$wide_ip:10999/" >/dev/null || code=$?
[ "$code" = 7 ] || fail "the last of the 1 000 ports refuses at once (curl exit $code)"
# (Addresses no node routes: nothing is sent to them, the rules are only listed.)
many_rules() { [ "$(nft list ruleset 2>/dev/null | grep -c "dnat to 10\.42\.1[01][0-9]\.[0-9]*:8080")" -ge 5000 ]; }
wait_for "the 5 000 endpoints of one Service are programmed" 30 many_rules
grep -q "cannot program the service rules" "$work/server.log" && fail "no transaction failed: $(grep "cannot program" "$work/server.log" | tail -1)"
pass "no service-rule transaction failed"

# The agent's own shutdown keeps its rules (traffic keeps flowing while it restarts), and its restart replaces the
# table without breaking established connections: a connection from the far node through a ClusterIP to a pod that
# sends a tick every 0.2 s lives through the far agent's stop and start.
kubectl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: ticker, labels: {app: ticker}}
spec:
  nodeSelector: $(on $node)
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'while true; do (while true; do echo tick; sleep 0.2; done) | nc -l -p 9000; done']
---
apiVersion: v1
kind: Service
metadata: {name: ticker}
spec: {selector: {app: ticker}, ports: [{port: 9000}]}
YAML
wait_for "the ticker pod runs" 60 is pod/ticker '{.status.phase}' Running
ticker_ip=$(jp svc/ticker '{.spec.clusterIP}')
ticker_ready() { kubectl get endpointslices -l kubernetes.io/service-name=ticker -o jsonpath='{.items[*].endpoints[*].addresses[*]}' | grep -q .; }
wait_for "the ticker Service has its endpoint" 30 ticker_ready
sleep 1   # the far node's proxy follows the slice (a rule-less ClusterIP would refuse the connection below)
ip netns exec $ns python3 -u - "$ticker_ip" >"$work/ticks" 2>&1 <<'PY' &
import socket, sys
s = socket.create_connection((sys.argv[1], 9000), timeout=5)
s.settimeout(30)
count = 0
while True:
    data = s.recv(4096)
    if not data:
        print("closed", flush=True)
        break
    count += data.count(b"tick")
    print(count, flush=True)
PY
ticks_pid=$!
ticks() { tail -n 1 "$work/ticks"; }
grows() { local before; before=$(ticks); sleep 1; [ "$(ticks)" != closed ] && [ "$(ticks)" -gt "${before:-0}" ]; }
wait_for "a connection from the far node through a ClusterIP receives ticks" 10 grows
kill -TERM "$agent_pid"
for _ in $(seq 100); do kill -0 "$agent_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$agent_pid" 2>/dev/null && fail "the agent still runs 10 s after SIGTERM"
wait "$agent_pid" || fail "the agent exits cleanly on SIGTERM"
agent_pid=""
pass "the agent stops within 10 s of SIGTERM"
expect_output "its node still reaches a ClusterIP through the rules it kept" "hello from web-" \
  ip netns exec $ns curl -s --max-time 3 "http://$cluster_ip:8080/"
grows || fail "the established connection keeps flowing while the agent is down ($(ticks))"
pass "the established connection keeps flowing while the agent is down"
# It starts again with the server unreachable (the link cut): proxy and DNS come from the agent's cache.
programmed=$(grep -c "service rules programmed" "$work/far.log")
ip netns exec $ns iptables -I OUTPUT -d $host_ip -j DROP
ip netns exec $ns iptables -I INPUT -s $host_ip -j DROP
nsenter --net=/var/run/netns/$ns "$SKIFF_BIN" agent --server "https://$host_ip:$port" --token "$token" --node-name $far \
  --node-ip $far_ip --data-dir "$work/far" --resolv-conf "$work/far-resolv.conf" >>"$work/far.log" 2>&1 &
agent_pid=$!
reprogrammed() { [ "$(grep -c "service rules programmed" "$work/far.log")" -gt "$programmed" ]; }
wait_for "the agent, restarted without its server, replaces its table from its cache" 60 reprogrammed
grep -q "running from the local cache" "$work/far.log" || fail "the far agent says it runs from its cache"
grows || fail "the established connection survives the table's replacement ($(ticks))"
pass "the established connection survives the agent's restart and the table's replacement"
resolves_offline() {
  ip netns exec $ns python3 - "$dns_ip" <<'PY' | grep -qx "$cluster_ip"
import socket, struct, sys
name = "web.default.svc.cluster.local"
query = struct.pack(">HHHHHH", 99, 0x0100, 1, 0, 0, 0) + b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(query, (sys.argv[1], 53))
data = s.recv(4096)
print(".".join(str(b) for b in data[-4:]))
PY
}
wait_for "offline, the far node's DNS still answers cluster names from its cache" 20 resolves_offline
expect_output "offline, the far node still reaches a ClusterIP" "hello from web-" \
  ip netns exec $ns curl -s --max-time 3 "http://$cluster_ip:8080/"
ip netns exec $ns iptables -D OUTPUT -d $host_ip -j DROP
ip netns exec $ns iptables -D INPUT -s $host_ip -j DROP
kill "$ticks_pid" 2>/dev/null; wait "$ticks_pid" 2>/dev/null || true
