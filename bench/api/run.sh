#!/usr/bin/env bash
# API benchmark: a release `skiff server --disable-agent` under load from skiff-bench (TLS, admin client certificate),
# etcd 3.4 (one member on loopback, HTTP/JSON gateway) in the same run with the same load generator.
# Usage: [SCRATCH=/path/to/scratch] bench/api/run.sh [skiff-bench api options]   (root; release build; < 5 min)
set -euo pipefail
cd "$(dirname "$0")/../.."
SCRATCH=${SCRATCH:-.build}
if ! command -v etcd >/dev/null; then DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null; fi
for product in skiff skiff-bench; do
  swift build -c release --scratch-path "$SCRATCH" --product $product >/tmp/skiff-bench-api-build.log 2>&1 ||
    { tail -30 /tmp/skiff-bench-api-build.log; exit 1; }
done
bin=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)
# 1 000 watchers: one TLS connection each, on both ends; raise the soft limit as far as the hard one allows.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d /var/tmp/skiff-bench-api.XXXXXX)   # /var/tmp: on disk, not tmpfs, so fsync is real
server_pid=""
etcd_pid=""
cleanup() {
  for pid in $server_pid $etcd_pid; do kill "$pid" 2>/dev/null || true; done
  for pid in $server_pid $etcd_pid; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
etcd --data-dir "$work/etcd" --listen-client-urls http://127.0.0.1:23790 --advertise-client-urls http://127.0.0.1:23790 \
  --listen-peer-urls http://127.0.0.1:23800 --initial-advertise-peer-urls http://127.0.0.1:23800 \
  --initial-cluster default=http://127.0.0.1:23800 >"$work/etcd.log" 2>&1 &
etcd_pid=$!
port=16443
tls="$work/skiff/server/tls"
ms() { echo "($2 - $1) * 1000 / 1" | bc; }
start_server() {
  "$bin/skiff" server --disable-agent --data-dir "$work/skiff" --https-listen-port $port --bind-address 127.0.0.1 \
    --write-kubeconfig "$work/kubeconfig" >>"$work/server.log" 2>&1 &
  server_pid=$!
  until [ -f "$tls/client-admin.key" ] && curl -sf --cacert "$tls/server-ca.crt" --cert "$tls/client-admin.crt" \
    --key "$tls/client-admin.key" "https://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
    kill -0 "$server_pid" 2>/dev/null || { echo "server exited:"; tail -20 "$work/server.log"; exit 1; }
    sleep 0.01
  done
}
start=$(date +%s.%N); start_server; ready=$(date +%s.%N)
first_ready=$(ms "$start" "$ready")
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
start=$(date +%s.%N); start_server; ready=$(date +%s.%N)
restart_ready=$(ms "$start" "$ready")
echo "start → /readyz: first start ${first_ready} ms (CA and certificates generated), restart ${restart_ready} ms (curl polling every 10 ms)"
for _ in $(seq 50); do curl -sf http://127.0.0.1:23790/health >/dev/null && break; sleep 0.2; done
sleep 2   # let the server settle before its idle RSS is read
echo "etcd $(etcd --version | head -1 | awk '{print $3}'), skiff $(git rev-parse --short HEAD 2>/dev/null), $(nproc) cores, $(date -u +%FT%TZ)"
"$bin/skiff-bench" api --server "https://127.0.0.1:$port" --tls "$tls" --etcd http://127.0.0.1:23790 \
  --server-pid "$server_pid" --etcd-pid "$etcd_pid" --ready-milliseconds "$first_ready" "$@"
if grep -qiE "error|warning" "$work/server.log"; then
  echo "server log (errors/warnings, first 10):"; grep -iE "error|warning" "$work/server.log" | head -10
fi
# A restart with the benchmark's objects in the database.
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
start=$(date +%s.%N); start_server; ready=$(date +%s.%N)
sleep 2
echo "restart with $(du -sh "$work/skiff" | cut -f1) of data → /readyz: $(ms "$start" "$ready") ms, RSS idle after it: $(awk '/VmRSS/{printf "%.1f MB", $2/1024}' /proc/$server_pid/status)"
# The same restart from a cold page cache (what a box that just booted sees), when the kernel lets us drop it.
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
if sync && echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then
  start=$(date +%s.%N); start_server; ready=$(date +%s.%N)
  echo "restart with $(du -sh "$work/skiff" | cut -f1) of data from a cold page cache (drop_caches) → /readyz: $(ms "$start" "$ready") ms"
else
  echo "restart from a cold page cache: not measured (writing /proc/sys/vm/drop_caches needs root)"
  start_server
fi
