#!/usr/bin/env bash
# A server on PostgreSQL (root only: Debian's PostgreSQL, started by this test in a temporary directory on a unix socket
# as the postgres user, with password authentication): bad endpoints and credentials are one-line errors and never fall
# back to SQLite; kubectl works on it, a watch sees writes in order, objects survive a server restart; restarting
# PostgreSQL under the running server fails requests with 503 (no crash) and the server recovers by itself, with no
# acknowledged write lost.
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
trap 'status=$?; set +e; [ $status -ne 0 ] && [ -f "$pg/log" ] && { echo "--- postgres log"; tail -n 15 "$pg/log"; }
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

# --- PostgreSQL restarts under the running server ------------------------------------------------------------------------
stop_pg
# client-go retries a 503 with Retry-After until its timeout; -v=6 shows each answer.
expect_error "a write while PostgreSQL is down is answered 503 (retried by kubectl)" "POST .*/configmaps.* 503 Service Unavailable" \
  kubectl -v=6 --request-timeout=12s create configmap during-outage --from-literal=n=1
expect_error "/readyz reports the datastore outage" '\[-\]datastore failed' kubectl get --raw '/readyz?verbose'
expect_output "/livez stays ok (nothing to restart)" '^ok$' kubectl get --raw /livez
kill -0 "$server_pid" 2>/dev/null || fail "the server exited while PostgreSQL was down"
pass "the server keeps running while PostgreSQL is down"
start_pg
wait_for "the server recovers by itself once PostgreSQL is back" 30 kubectl create configmap after-outage --from-literal=n=1
expect_output "/readyz is ok again" '\[\+\]datastore ok' kubectl get --raw '/readyz?verbose'
for i in 1 2 3 4; do is "configmap/cm-$i" '{.metadata.name}' "cm-$i" || fail "cm-$i lost across the outage"; done
pass "no acknowledged write is lost across the outage"

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

# --- Leader election: the controllers run on the first server (it held the Lease when the second came); kill -9 it and
# the second takes over within the lease duration (15 s); a Deployment scaled then converges.
wait_for "the first server leads the controllers" 20 grep -q "became leader" "$work/server.log"
grep -q "became leader" "$work/server-b.log" && fail "both servers lead"
wait_for "the second server follows" 20 grep -q "leader is " "$work/server-b.log"
leader=$(kb get lease -n kube-system skiff-controllers -o jsonpath='{.spec.holderIdentity}')
kb create deployment web --image=busybox --replicas=2 -- sleep 3600 >/dev/null
pods() { [ "$(kb get pods -l app=web --no-headers 2>/dev/null | wc -l)" = "$1" ]; }
wait_for "the leader's controllers create the Deployment's pods" 15 pods 2
kill -9 "$server_pid"; wait "$server_pid" 2>/dev/null || true
server_pid=$b_pid  # the survivor is the server whose exit wait_for watches
killed=$(date +%s.%N)
kb scale deployment web --replicas=4 >/dev/null
wait_for "after kill -9 of the leader, the Deployment scaled then converges within 15 s + 5 s" 20 pods 4
echo "   converged $(python3 -c "print(round($(date +%s.%N) - $killed, 1))") s after the kill -9"
grep -q "became leader" "$work/server-b.log" || fail "the second server does not say it leads"
[ "$(kb get lease -n kube-system skiff-controllers -o jsonpath='{.spec.holderIdentity}')" != "$leader" ] ||
  fail "the Lease still names the dead leader"
pass "the second server holds the Lease now"
kill "$b_pid" && wait "$b_pid" || true
b_pid=""
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
