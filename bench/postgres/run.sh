#!/usr/bin/env bash
# Datastore benchmark: the API of release `skiff server --disable-agent`s on SQLite (one server), on PostgreSQL (one
# server) and on PostgreSQL shared by two servers (the load split over both), with etcd 3.4 as the anchor — all in one
# run, taking turns round by round (skiff-bench datastores). Creates/s with p50/p99, and watch delivery: with two
# servers the watches are on one and the updates go through the other, so every delivery crosses the database.
# PostgreSQL is Debian's, started here in a temporary directory on disk (/var/tmp) as the postgres user, on loopback
# TCP, with its durable defaults (fsync=on, synchronous_commit=on, full_page_writes=on); the script prints them.
# Usage: [SCRATCH=/path/to/scratch] bench/postgres/run.sh [skiff-bench datastores options]   (root; release build)
# To measure a commit while the checkout has other work in it, run the script from an export of the commit
# (git archive) and name it with BENCH_COMMIT=<hash>, which the first line of the output then shows.
set -euo pipefail
cd "$(dirname "$0")/../.."
SCRATCH=${SCRATCH:-.build}
if [ "$(id -u)" != 0 ]; then echo "bench/postgres/run.sh: needs root (PostgreSQL runs as the postgres user)"; exit 1; fi
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ ! -x "$pgbin/postgres" ] || ! command -v etcd >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql etcd-server >/dev/null
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
for product in skiff skiff-bench; do
  swift build -c release --scratch-path "$SCRATCH" --product $product >/tmp/skiff-bench-postgres-build.log 2>&1 ||
    { tail -30 /tmp/skiff-bench-postgres-build.log; exit 1; }
done
bin=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d /var/tmp/skiff-bench-postgres.XXXXXX)   # on disk, not tmpfs, so fsync is real
chmod 755 "$work"
pids=()
cleanup() {
  # Servers first (newest first), then etcd and PostgreSQL (SIGINT: fast shutdown).
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    if [ "${pids[i]}" = "${pg_pid:-}" ]; then kill -INT "${pids[i]}" 2>/dev/null || true; else kill "${pids[i]}" 2>/dev/null || true; fi
    wait "${pids[i]}" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# --- PostgreSQL ------------------------------------------------------------------------------------------------------
pg="$work/pg"
mkdir -p "$pg/run" && chown -R postgres: "$pg"
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
# A port nobody listens on (a PostgreSQL left over elsewhere would answer for ours).
pgport=25432
while ss -Hltn | awk '{print $4}' | grep -q ":$pgport\$"; do pgport=$((pgport + 1)); done
as_postgres "$pgbin/initdb" -D "$pg/data" -U postgres -A trust -E UTF8 >"$work/initdb.log" 2>&1 ||
  { cat "$work/initdb.log"; exit 1; }
# setpriv itself, not the as_postgres function: a function in the background is a subshell, whose pid is not the
# server's (killing it would leave PostgreSQL running).
setpriv --reuid=postgres --regid=postgres --init-groups -- "$pgbin/postgres" -D "$pg/data" -k "$pg/run" \
  -c listen_addresses=127.0.0.1 -c port=$pgport -c max_connections=100 >"$pg/log" 2>&1 &
pg_pid=$!
pids+=($pg_pid)
for _ in $(seq 300); do
  [ "$(tail -n 1 "$pg/data/postmaster.pid" 2>/dev/null | tr -d ' ')" = ready ] && break
  kill -0 "$pg_pid" 2>/dev/null || { echo "PostgreSQL exited:"; tail -5 "$pg/log"; exit 1; }
  sleep 0.05
done
psql_() { as_postgres psql -h 127.0.0.1 -p $pgport -U postgres -X -q -At "$@"; }
psql_ -c "CREATE DATABASE skiff_one" -c "CREATE DATABASE skiff_two"
settings=$(psql_ -F= -c "SELECT name, current_setting(name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit',
  'full_page_writes', 'wal_sync_method', 'shared_buffers', 'wal_level', 'max_connections') ORDER BY name" | paste -sd' ')
pgversion=$(psql_ -c "SHOW server_version")

# --- etcd, the anchor ------------------------------------------------------------------------------------------------
etcd --data-dir "$work/etcd" --listen-client-urls http://127.0.0.1:23790 --advertise-client-urls http://127.0.0.1:23790 \
  --listen-peer-urls http://127.0.0.1:23800 --initial-advertise-peer-urls http://127.0.0.1:23800 \
  --initial-cluster default=http://127.0.0.1:23800 >"$work/etcd.log" 2>&1 &
etcd_pid=$!
pids+=($etcd_pid)

# --- skiff servers ---------------------------------------------------------------------------------------------------
# start_server NAME PORT [server flags…]: starts and waits for /readyz; sets server_pid.
start_server() {
  local name=$1 port=$2
  shift 2
  "$bin/skiff" server --disable-agent --data-dir "$work/$name" --https-listen-port "$port" --bind-address 127.0.0.1 \
    --write-kubeconfig "$work/$name.kubeconfig" "$@" >>"$work/$name.log" 2>&1 &
  server_pid=$!
  pids+=($server_pid)
  local tls="$work/$name/server/tls"
  for _ in $(seq 3000); do
    if [ -f "$tls/client-admin.key" ] && curl -sf --cacert "$tls/server-ca.crt" --cert "$tls/client-admin.crt" \
      --key "$tls/client-admin.key" "https://127.0.0.1:$port/readyz" >/dev/null 2>&1; then return; fi
    kill -0 "$server_pid" 2>/dev/null || { echo "server $name exited:"; tail -20 "$work/$name.log"; exit 1; }
    sleep 0.02
  done
  echo "server $name not ready in 60 s:"; tail -20 "$work/$name.log"; exit 1
}
pgurl() { echo "postgres://postgres@127.0.0.1:$pgport/$1?sslmode=disable"; }
start_server sqlite 16443
sqlite_pid=$server_pid
start_server pg1 16444 --datastore-endpoint "$(pgurl skiff_one)"
pg1_pid=$server_pid
start_server pg2a 16445 --datastore-endpoint "$(pgurl skiff_two)"
pg2a_pid=$server_pid
# The second server of the pair joins with the first's token: it adopts the CAs the first sealed into the database.
start_server pg2b 16446 --datastore-endpoint "$(pgurl skiff_two)" --token "$(cat "$work/pg2a/server/node-token")"
pg2b_pid=$server_pid
cmp -s "$work/pg2a/server/tls/server-ca.crt" "$work/pg2b/server/tls/server-ca.crt" ||
  { echo "the second PostgreSQL server has a CA of its own"; exit 1; }
for _ in $(seq 50); do curl -sf http://127.0.0.1:23790/health >/dev/null && break; sleep 0.2; done
sleep 2
# Idle servers should hardly write (leases every few seconds); two servers fighting over an object would load the
# database before the benchmark does.
revision() { psql_ -d "$1" -c "SELECT value FROM skiff_revision"; }
one=$(revision skiff_one) two=$(revision skiff_two)
sleep 5
echo "idle writes over 5 s: one server $(($(revision skiff_one) - one)), two servers $(($(revision skiff_two) - two))"

echo "skiff ${BENCH_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null)}, PostgreSQL $pgversion ($settings; loopback TCP, no TLS;" \
  "data on $(df --output=fstype "$work" | tail -1) under /var/tmp), etcd $(etcd --version | head -1 | awk '{print $3}')" \
  "(one member, default fsync), $(nproc) cores, $(date -u +%FT%TZ)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
stdbuf -oL "$bin/skiff-bench" datastores \
  --target "sqlite,$work/sqlite/server/tls,https://127.0.0.1:16443,$sqlite_pid" \
  --target "postgres-1,$work/pg1/server/tls,https://127.0.0.1:16444,$pg1_pid" \
  --target "postgres-2,$work/pg2a/server/tls,https://127.0.0.1:16445+https://127.0.0.1:16446,$pg2a_pid+$pg2b_pid" \
  --etcd http://127.0.0.1:23790 --etcd-pid "$etcd_pid" "$@"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
for name in sqlite pg1 pg2a pg2b; do
  if grep -qiE "error|warning" "$work/$name.log"; then
    echo "server $name log (errors/warnings, first 5):"; grep -iE "error|warning" "$work/$name.log" | head -5
  fi
done
if grep -qE "ERROR|FATAL|PANIC" "$pg/log"; then
  echo "PostgreSQL log (errors, first 5):"; grep -E "ERROR|FATAL|PANIC" "$pg/log" | head -5
fi
