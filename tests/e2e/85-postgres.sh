#!/usr/bin/env bash
# A server on PostgreSQL (root only: Debian's PostgreSQL, started by this test in a temporary directory on a unix socket
# as the postgres user, with password authentication): bad endpoints and credentials are one-line errors and never fall
# back to SQLite; kubectl works on it, a watch sees writes in order, objects survive a server restart. A second server
# joins with the token (same CA, same objects, one watch order); restarting PostgreSQL under both fails requests with
# 503 (no crash) and both recover by themselves, with no acknowledged write lost. An agent joins the leader, learns the
# other server and tunnels to it; kill -9 of the leader: the survivor's controllers take over, the node stays Ready and
# `kubectl logs` works through the survivor. Then `skiff datastore migrate`, and a server's embedded agent reached
# through another server.
source "$(dirname "$0")/lib/common.sh"
if [ "$(id -u)" != 0 ]; then echo "SKIP 85-postgres: needs root (PostgreSQL runs as the postgres user)"; exit 0; fi
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/postgres" ] || fail "PostgreSQL is not installed (make deps installs it: apt-get install postgresql)"
id postgres >/dev/null 2>&1 || fail "no postgres user (the postgresql package creates it)"

pg="$work/pg"
mkdir -p "$pg/run"
chown -R postgres: "$pg"
chmod 755 "$work"
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
printf 'secret-pw\n' >"$pg/pwfile" && chown postgres: "$pg/pwfile"
as_postgres "$bin/initdb" -D "$pg/data" -U postgres -A scram-sha-256 --pwfile="$pg/pwfile" --no-sync -E UTF8 >/dev/null
# pg_ctl starts and stops it (waiting for either), as an operator's service manager would.
pg_ctl_() { as_postgres "$bin/pg_ctl" -D "$pg/data" -w -t 30 "$@" >>"$work/pg_ctl.out" 2>&1; }
start_pg() {
  pg_ctl_ -o "-k $pg/run -c listen_addresses= -c fsync=off" -l "$pg/log" start ||
    fail "PostgreSQL did not start: $(tail -3 "$work/pg_ctl.out")"
}
stop_pg() { pg_ctl_ -m fast stop || true; }
# The agents (later: one of its own, then a server's embedded one, data dirs $work/agent*) run containerd, pods and the
# node's network on this host: all of it goes when they stop.
agent_pid=""
sampler_pid=""
stuck=""
stop_agent() {
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null; sampler_pid=""
  if [ -n "$agent_pid" ]; then
    kill "$agent_pid" 2>/dev/null
    # Bounded: a process that does not stop is reported, never left to hang the test run.
    local code=0 i
    for i in $(seq 300); do kill -0 "$agent_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$agent_pid" 2>/dev/null; then
      kill -9 "$agent_pid" 2>/dev/null
      echo "   (pid $agent_pid did not stop within 30 s of SIGTERM: killed)"
      stuck=1
    fi
    wait "$agent_pid" 2>/dev/null || code=$?
    [ "$code" = 0 ] || echo "   (the agent exited with status $code after SIGTERM)"
  fi
  agent_pid=""
  local sock c shim pod_ns m
  for sock in "$work"/agent*/agent/containerd/containerd.sock; do
    [ -S "$sock" ] || continue
    for c in $(ctr -a "$sock" -n k8s.io tasks ls -q 2>/dev/null); do ctr -a "$sock" -n k8s.io tasks kill -s KILL "$c" >/dev/null 2>&1; done
  done
  pkill -f "containerd --config $work/agent" 2>/dev/null; sleep 0.5
  for shim in $(pgrep -f "containerd-shim-runc-v2 .*-address $work/"); do pkill -KILL -P "$shim"; kill -KILL "$shim"; done
  for pod_ns in $(ip netns list 2>/dev/null | awk '/^cni-/ {print $1}'); do
    [ -z "$(ip netns pids "$pod_ns" 2>/dev/null)" ] && ip netns delete "$pod_ns"
  done
  for m in $(awk -v w="$work" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$m" 2>/dev/null; done
  nft delete table ip skiff-proxy 2>/dev/null; ip addr del 10.43.0.53/32 dev lo 2>/dev/null; ip link del skiff0 2>/dev/null
  return 0
}
trap 'status=$?; set +e; [ $status -ne 0 ] && [ -f "$pg/log" ] && { echo "--- postgres log"; tail -n 15 "$pg/log"; }
  [ $status -ne 0 ] && [ -f "$work/agent.log" ] && { echo "--- agent log"; tail -n 25 "$work/agent.log"; }
  stop_agent
  if [ -n "$server_pid" ]; then kill "$server_pid"; wait "$server_pid"; server_pid=""; fi
  [ -n "${b_pid:-}" ] && kill "$b_pid" 2>/dev/null; stop_pg; (exit $status); cleanup' EXIT
start_pg
as_postgres env PGPASSWORD=secret-pw "$bin/createdb" -h "$pg/run" -U postgres skiff
endpoint="postgres://postgres:secret-pw@/skiff?host=$pg/run&sslmode=disable"

# --- Bad input: one line, exit 1, no SQLite file -----------------------------------------------------------------------
port=$(free_port)
run_server() { timeout 30 "$SKIFF_BIN" server --disable-agent --data-dir "$work/bad" --https-listen-port "$port" \
  --bind-address 127.0.0.1 --write-kubeconfig "$work/bad.kubeconfig" "$@"; }
expect_error "a wrong password is a clear error" "password authentication failed" \
  run_server --datastore-endpoint "postgres://postgres:wrong@/skiff?host=$pg/run&sslmode=disable"
expect_error "an unreachable database is a clear error" "cannot connect to PostgreSQL at postgres@$work/nowhere/.*No such file" \
  run_server --datastore-endpoint "postgres://postgres:secret-pw@/skiff?host=$work/nowhere&sslmode=disable"
expect_error "an unsupported endpoint names the flag" 'datastore-endpoint "mysql://root:x+@db/skiff" is not supported' \
  run_server --datastore-endpoint "mysql://root:pw@db/skiff"
expect_error "a bad sslmode is named" 'sslmode "sometimes" is not one of' \
  run_server --datastore-endpoint "postgres://postgres@/skiff?host=$pg/run&sslmode=sometimes"
[ ! -e "$work/bad/server/db/state.db" ] || fail "a failed PostgreSQL start created an SQLite datastore"
pass "no SQLite datastore was made as a fallback"
if run_server --datastore-endpoint "postgres://postgres:wrong@/skiff?host=$pg/run&sslmode=disable" 2>&1 | grep -q "secret-pw\|wrong@"; then
  fail "the password is echoed in the error"
fi
pass "errors do not echo the password"

# --- A server on PostgreSQL ---------------------------------------------------------------------------------------------
port=""
start_server --datastore-endpoint "$endpoint"
grep -q "datastore: PostgreSQL" "$work/server.log" || fail "the server does not say it runs on PostgreSQL"
pass "the server runs on PostgreSQL"
[ ! -e "$work/data/server/db/state.db" ] || fail "a server on PostgreSQL made an SQLite datastore too"
kubectl get configmaps -w --output-watch-events -o jsonpath='{.type} {.object.metadata.name} {.object.data.n}{"\n"}' >"$work/watch.log" 2>&1 &
watch_pid=$!
sleep 1
for i in 1 2 3 4 5; do kubectl create configmap "cm-$i" --from-literal=n=$i >/dev/null; done
kubectl patch configmap cm-3 -p '{"data":{"n":"33"}}' >/dev/null
kubectl delete configmap cm-5 >/dev/null
wait_for "a watch sees every write" 10 grep -q "DELETED cm-5" "$work/watch.log"
kill $watch_pid 2>/dev/null
expected=$'ADDED cm-1 1\nADDED cm-2 2\nADDED cm-3 3\nADDED cm-4 4\nADDED cm-5 5\nMODIFIED cm-3 33\nDELETED cm-5 5'
[ "$(grep -v kube-root-ca "$work/watch.log")" = "$expected" ] || fail "watch events out of order: $(cat "$work/watch.log")"
pass "the watch sees the writes in order"
rv=$(kubectl get configmap cm-3 -o jsonpath='{.metadata.resourceVersion}')
stop_server
start_server --datastore-endpoint "$endpoint"
is configmap/cm-3 '{.data.n}' 33 || fail "cm-3 lost across a server restart"
is configmap/cm-3 '{.metadata.resourceVersion}' "$rv" || fail "cm-3's resourceVersion changed across a restart"
pass "objects and resourceVersions survive a server restart"

# --- A second server on the same database: the same CA, the same objects, one watch order ---------------------------
b_port=$(free_port)
kb() { command kubectl --cache-dir "$work/kube-cache-b" --kubeconfig "$work/kubeconfig-b" "$@"; }
"$SKIFF_BIN" server --disable-agent --data-dir "$work/data-b" --https-listen-port "$b_port" --bind-address 127.0.0.1 \
  --write-kubeconfig "$work/kubeconfig-b" --datastore-endpoint "$endpoint" --token "$(cat "$work/data/server/node-token")" \
  >>"$work/server-b.log" 2>&1 &
b_pid=$!
for _ in $(seq 300); do
  if [ -f "$work/kubeconfig-b" ] && kb --request-timeout=2s get --raw /readyz >/dev/null 2>&1; then break; fi
  kill -0 "$b_pid" 2>/dev/null || fail "the second server exited: $(tail -5 "$work/server-b.log")"
  sleep 0.1
done
cmp -s "$work/data/server/tls/server-ca.crt" "$work/data-b/server/tls/server-ca.crt" ||
  fail "the second server made a CA of its own"
cmp -s "$work/data/server/tls/service.key" "$work/data-b/server/tls/service.key" ||
  fail "the second server has another service-account key"
pass "the second server took the cluster's CA and service-account key from the datastore"
cmp -s <(kubectl get configmaps -o name) <(kb get configmaps -o name) || fail "the servers list different configmaps"
pass "kubectl through either server sees the same objects"
command kubectl --cache-dir "$work/kube-cache-x" --kubeconfig "$work/kubeconfig-b" --server "https://127.0.0.1:$port" \
  get namespace default >/dev/null || fail "the second server's admin certificate is refused by the first"
pass "a client certificate from one server is accepted by the other (one client CA)"
kubectl get configmaps -w --output-watch-events -o jsonpath='{.type} {.object.metadata.name}{"\n"}' \
  >"$work/watch-a.log" 2>&1 &
watch_pid=$!
sleep 1
for i in 1 2 3 4 5 6; do kb create configmap "via-b-$i" >/dev/null; done
kb delete configmap via-b-2 >/dev/null
wait_for "a watch on the first server sees writes made through the second" 10 grep -q "DELETED via-b-2" "$work/watch-a.log"
kill $watch_pid 2>/dev/null || true
[ "$(grep via-b "$work/watch-a.log")" = "$(printf 'ADDED via-b-%s\n' 1 2 3 4 5 6; echo 'DELETED via-b-2')" ] ||
  fail "the first server's watch saw the second's writes out of order: $(cat "$work/watch-a.log")"
pass "in order"

# --- PostgreSQL restarts under both servers ---------------------------------------------------------------------------
stop_pg
# client-go retries a 503 with Retry-After until its timeout; -v=6 shows each answer.
expect_error "a write through the first server while PostgreSQL is down is answered 503 (retried by kubectl)" \
  "POST .*/configmaps.* 503 Service Unavailable" \
  kubectl -v=6 --request-timeout=12s create configmap during-outage --from-literal=n=1
expect_error "and through the second" "POST .*/configmaps.* 503 Service Unavailable" \
  kb -v=6 --request-timeout=12s create configmap during-outage-b --from-literal=n=1
expect_error "/readyz of the first server reports the datastore outage" '\[-\]datastore failed' \
  kubectl get --raw '/readyz?verbose'
expect_error "/readyz of the second too" '\[-\]datastore failed' kb get --raw '/readyz?verbose'
expect_output "/livez stays ok (nothing to restart)" '^ok$' kubectl get --raw /livez
kill -0 "$server_pid" 2>/dev/null || fail "the first server exited while PostgreSQL was down"
kill -0 "$b_pid" 2>/dev/null || fail "the second server exited while PostgreSQL was down"
pass "both servers keep running while PostgreSQL is down"
start_pg
wait_for "the first server recovers by itself once PostgreSQL is back" 30 \
  kubectl create configmap after-outage --from-literal=n=1
wait_for "the second too" 30 kb create configmap after-outage-b --from-literal=n=1
expect_output "/readyz of the first is ok again" '\[\+\]datastore ok' kubectl get --raw '/readyz?verbose'
expect_output "/readyz of the second is ok again" '\[\+\]datastore ok' kb get --raw '/readyz?verbose'
for cm in cm-1 cm-2 cm-3 cm-4 via-b-1 via-b-3 via-b-4 via-b-5 via-b-6; do
  is "configmap/$cm" '{.metadata.name}' "$cm" || fail "$cm lost across the outage"
done
pass "no acknowledged write is lost across the outage"

# --- Leader election: one server holds the Lease (which one depends on who renewed first after the outage). ------------
holder() { kb get lease -n kube-system skiff-controllers -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
# (Log lines carry their metadata before the message.)
logged() { grep "$2" "$1" | grep -q "$3"; }  # FILE MESSAGE METADATA
one_leads() {
  local h; h=$(holder); [ -n "$h" ] || return 1
  logged "$work/server.log" "became leader" "identity=$h" || logged "$work/server-b.log" "became leader" "identity=$h"
}
wait_for "one server leads the controllers" 30 one_leads
leader=$(holder)
ka() { kubectl "$@"; }
if logged "$work/server.log" "became leader" "identity=$leader"; then
  leader_pid=$server_pid leader_port=$port leader_log=server.log lk=ka
  survivor_pid=$b_pid survivor_port=$b_port survivor_log=server-b.log sk=kb
else
  leader_pid=$b_pid leader_port=$b_port leader_log=server-b.log lk=kb
  survivor_pid=$server_pid survivor_port=$port survivor_log=server.log sk=ka
fi
! logged "$work/$survivor_log" "became leader" "identity=$leader" || fail "both servers claim one identity"
echo "   the leader is the server on port $leader_port"

# --- Both servers in the kubernetes Endpoints; an agent that knows only the leader learns the other server there and
# keeps a tunnel to each (its containerd, pods and network on this host, as the embedded agent's in e2e 60).
endpoints_are() {
  [ "$($sk get endpoints kubernetes -o jsonpath='{range .subsets[*]}{.addresses[*].ip}:{.ports[0].port} {end}')" = "$1" ]
}
wait_for "the kubernetes Endpoints list both servers" 20 \
  endpoints_are "127.0.0.1:$(( port < b_port ? port : b_port )) 127.0.0.1:$(( port < b_port ? b_port : port )) "
bundle=$(realpath "$(dirname "$0")/../../airgap/dist/skiff-airgap-images-amd64.tar")
[ -f "$bundle" ] || fail "the airgap bundle is missing: make airgap builds $bundle"
mkdir -p "$work/agent/agent/images" && cp "$bundle" "$work/agent/agent/images/"
"$SKIFF_BIN" agent --server "https://127.0.0.1:$leader_port" --token "$(cat "$work/data/server/node-token")" \
  --node-name e2e-ha --data-dir "$work/agent" >>"$work/agent.log" 2>&1 &
agent_pid=$!
ready() { $sk get node e2e-ha -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null; }
node_ready() { [ "$(ready)" = True ]; }
wait_for "an agent joins the two-server cluster and its node is Ready" 90 node_ready
wait_for "the agent learns the other server from the kubernetes Endpoints" 30 \
  logged "$work/agent.log" "API servers" "https://127.0.0.1:$survivor_port"
wait_for "the agent keeps a tunnel to the other server too" 30 logged "$work/$survivor_log" "tunnel connected" node=e2e-ha
logged "$work/$leader_log" "tunnel connected" node=e2e-ha || fail "the agent has no tunnel to the server it joined"
$sk run ha-logger --image=busybox --image-pull-policy=IfNotPresent --restart=Never \
  -- sh -c 'i=0; while true; do echo line-$i; i=$((i+1)); sleep 1; done' >/dev/null
running() { [ "$($sk get pod ha-logger -o jsonpath='{.status.phase}')" = Running ]; }
wait_for "a pod runs on the agent" 60 running
logs_via() { "$@" logs ha-logger --tail=1 | grep -q "^line-"; }
wait_for "kubectl logs works through the other server (which the node never joined)" 20 logs_via $sk
wait_for "and through the one it joined" 20 logs_via $lk
# The node's Ready condition, sampled every second from here to the end of the leader's death.
(while true; do echo "$(date +%s) $(ready)"; sleep 1; done) >"$work/ready.log" 2>&1 &
sampler_pid=$!

# --- Kill -9 the leader: the other server takes over within the lease duration (15 s); a Deployment scaled then
# converges; the agent, which joined the dead server, carries on through the survivor.
# IfNotPresent: the pods land on the agent, which has busybox from the airgap bundle and must not try a registry.
$sk apply -f - >/dev/null <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: busybox, imagePullPolicy: IfNotPresent, command: [sleep, "3600"]}]
YAML
pods() { [ "$($sk get pods -l app=web --no-headers 2>/dev/null | wc -l)" = "$1" ]; }
wait_for "the leader's controllers create the Deployment's pods" 15 pods 2
kill -9 "$leader_pid"; wait "$leader_pid" 2>/dev/null || true
# The survivor is the server whose exit wait_for watches, and the one the cleanup stops.
server_pid=$survivor_pid
b_pid=""
killed=$(date +%s.%N)
$sk scale deployment web --replicas=4 >/dev/null
wait_for "after kill -9 of the leader, the Deployment scaled then converges within 15 s + 5 s" 20 pods 4
echo "   converged $(python3 -c "print(round($(date +%s.%N) - $killed, 1))") s after the kill -9"
new_holder=$(holder)
[ "$new_holder" != "$leader" ] || fail "the Lease still names the dead leader"
logged "$work/$survivor_log" "became leader" "identity=$new_holder" || fail "the Lease names $new_holder, not the survivor"
pass "the surviving server holds the Lease now"
renewed_after_kill() {
  python3 -c 'import sys, datetime
t = datetime.datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00")).timestamp()
sys.exit(0 if t > float(sys.argv[2]) else 1)' "$($sk get lease -n kube-node-lease e2e-ha -o jsonpath='{.spec.renewTime}')" "$killed"
}
wait_for "the node's heartbeats reach the surviving server" 25 renewed_after_kill
wait_for "the dead server leaves the kubernetes Endpoints when its lease runs out" 25 \
  endpoints_are "127.0.0.1:$survivor_port "
expect_output "kubectl logs works through the surviving server" '^line-[0-9]+$' $sk logs ha-logger --tail=1
kill "$sampler_pid" 2>/dev/null; wait "$sampler_pid" 2>/dev/null || true; sampler_pid=""
samples=$(awk -v k="$killed" '$1 >= k' "$work/ready.log" | wc -l)
[ "$samples" -ge 15 ] || fail "too few Ready samples after the kill ($samples): $(cat "$work/ready.log")"
! grep -v " True$" "$work/ready.log" | grep -q "False\|Unknown" ||
  fail "the node left Ready while the leader died: $(grep -v ' True$' "$work/ready.log")"
pass "the node stayed Ready throughout ($samples samples after the kill -9)"
stop_agent || true  # (|| keeps set -e out of the cleanup: a pkill that finds nothing is fine)
[ -z "$stuck" ] || fail "the agent did not stop within 30 s of SIGTERM"
kill "$server_pid" && wait "$server_pid" || true
server_pid=""
expect_error "a server with another cluster's token is refused" "holds another cluster" \
  timeout 30 "$SKIFF_BIN" server --disable-agent --data-dir "$work/data-c" --https-listen-port "$(free_port)" \
  --bind-address 127.0.0.1 --write-kubeconfig "$work/kubeconfig-c" --datastore-endpoint "$endpoint" --token other-secret

# --- skiff datastore migrate: a server's SQLite datastore moves to PostgreSQL, every resourceVersion intact ------------
# A fresh server on SQLite (the PostgreSQL one's data dir moves aside), a few writes, stopped, its log copied into a new
# database, then the same data dir (CA and certificates) started on that database.
mv "$work/data" "$work/data-postgres"
start_server
kubectl create namespace mig >/dev/null
for i in 1 2 3 4; do kubectl -n mig create configmap "m-$i" --from-literal=n=$i >/dev/null; done
kubectl -n mig patch configmap m-2 -p '{"data":{"n":"22"}}' >/dev/null
kubectl -n mig delete configmap m-4 >/dev/null
old_rv=$(kubectl -n mig get configmap m-1 -o jsonpath='{.metadata.resourceVersion}')
objects() {
  kubectl get namespaces,configmaps -A \
    -o jsonpath='{range .items[*]}{.kind} {.metadata.namespace}/{.metadata.name} {.metadata.resourceVersion} {.data.n}{"\n"}{end}'
}
# A watch from an old resourceVersion replays history: the creates after m-1, the update and the delete.
history() { kubectl get --raw "/api/v1/namespaces/mig/configmaps?watch=1&resourceVersion=$old_rv&timeoutSeconds=1" 2>&1; }
before=$(objects)
history_before=$(history)
events() {  # the watch's event types and names, in order
  python3 -c 'import json, sys
text, decoder, at = sys.stdin.read(), json.JSONDecoder(), 0
while text[at:].strip():
    event, end = decoder.raw_decode(text, at + len(text[at:]) - len(text[at:].lstrip()))
    at = end
    print(event["type"], event["object"]["metadata"]["name"])'
}
[ "$(events <<<"$history_before" | grep ' m-' | tr '\n' ' ')" = "ADDED m-2 ADDED m-3 ADDED m-4 MODIFIED m-2 DELETED m-4 " ] ||
  fail "the SQLite server's watch from $old_rv is not the history: $history_before"
as_postgres env PGPASSWORD=secret-pw "$bin/createdb" -h "$pg/run" -U postgres migrated
migrated="postgres://postgres:secret-pw@/migrated?host=$pg/run&sslmode=disable"
expect_error "migrating a running server's datastore is refused" "skiff datastore migrate: database is in use by another process" \
  "$SKIFF_BIN" datastore migrate --data-dir "$work/data" --to "$migrated"
stop_server
expect_error "migrating into a database that is not PostgreSQL is refused" "to must be a postgres:// endpoint" \
  "$SKIFF_BIN" datastore migrate --data-dir "$work/data" --to "sqlite:///tmp/x.db"
expect_error "migrating a file that is not a skiff database is refused" "is not an SQLite database" \
  "$SKIFF_BIN" datastore migrate --from "sqlite:$work/pg/pwfile" --to "$migrated"
expect_output "skiff datastore migrate copies the log" \
  "^migrated $work/data/server/db/state.db to postgres@.*: [0-9]+ log rows, [0-9]+ keys, revision [0-9]+$" \
  "$SKIFF_BIN" datastore migrate --from "sqlite:$work/data/server/db/state.db" --to "$migrated"
start_server --datastore-endpoint "$migrated"
grep -q "datastore: PostgreSQL" "$work/server.log" || fail "the migrated server does not run on PostgreSQL"
after=$(objects)
[ "$after" = "$before" ] || fail "objects or resourceVersions changed in the migration: $(diff <(echo "$before") <(echo "$after"))"
grep -q "ConfigMap mig/m-2 [0-9]* 22" <<<"$after" || fail "m-2's update is missing after the migration: $after"
! grep -q "mig/m-4" <<<"$after" || fail "m-4 came back from the dead"
pass "every object and its resourceVersion survive the migration ($(wc -l <<<"$after") objects)"
[ "$(history)" = "$history_before" ] || fail "a watch from $old_rv differs after the migration: $(history)"
pass "a watch from an old resourceVersion replays the same history on PostgreSQL"
newest_before=$(awk '{print $3}' <<<"$before" | sort -n | tail -1)
new_rv=$(kubectl -n mig patch configmap m-1 -p '{"data":{"n":"11"}}' -o jsonpath='{.metadata.resourceVersion}')
[ "$new_rv" -gt "$newest_before" ] || fail "a write after the migration got resourceVersion $new_rv (≤ $newest_before)"
pass "writes go on after the migration with newer resourceVersions"
stop_server
expect_error "a second migration into the now non-empty database is refused" \
  "skiff datastore migrate: PostgreSQL database .* already holds skiff data" \
  "$SKIFF_BIN" datastore migrate --data-dir "$work/data" --to "$migrated"

# --- A server's embedded agent tunnels to the other servers too: kubectl logs through a server without an agent shows
# a pod on the first server's own node.
as_postgres env PGPASSWORD=secret-pw "$bin/createdb" -h "$pg/run" -U postgres embedded
embedded="postgres://postgres:secret-pw@/embedded?host=$pg/run&sslmode=disable"
mkdir -p "$work/agent-emb/agent/images" && cp "$bundle" "$work/agent-emb/agent/images/"
port=$(free_port)
"$SKIFF_BIN" server --data-dir "$work/agent-emb" --https-listen-port "$port" --bind-address 127.0.0.1 --node-name emb \
  --write-kubeconfig "$KUBECONFIG" --datastore-endpoint "$embedded" >>"$work/server-emb.log" 2>&1 &
server_pid=$!
agent_pid=$server_pid  # stop_agent stops it and cleans its node up
wait_ready
b_port=$(free_port)
rm -rf "$work/kube-cache-b"
"$SKIFF_BIN" server --disable-agent --data-dir "$work/data-emb-b" --https-listen-port "$b_port" --bind-address 127.0.0.1 \
  --write-kubeconfig "$work/kubeconfig-b" --datastore-endpoint "$embedded" \
  --token "$(cat "$work/agent-emb/server/node-token")" >>"$work/server-emb-b.log" 2>&1 &
b_pid=$!
wait_for "the server's embedded node is Ready" 60 is node/emb '{.status.conditions[?(@.type=="Ready")].status}' True
kubectl run emb-logger --image=busybox --image-pull-policy=IfNotPresent --restart=Never \
  -- sh -c 'while true; do echo hello-from-emb; sleep 1; done' >/dev/null
wait_for "a pod runs on the server's own node" 60 is pod/emb-logger '{.status.phase}' Running
emb_logs_via_b() { kb logs emb-logger --tail=1 | grep -q "^hello-from-emb$"; }
wait_for "kubectl logs through the other server reaches the embedded node" 30 emb_logs_via_b
kill "$b_pid" && wait "$b_pid" || true
b_pid=""
stop_agent || true
server_pid=""
[ -z "$stuck" ] || fail "a server or agent did not stop within 30 s of SIGTERM"
