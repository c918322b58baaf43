#!/usr/bin/env bash
# API benchmark: a release `skiff server --disable-agent` under load from skiff-bench, etcd 3.4 in the same run.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v etcd >/dev/null; then DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null; fi
swift build -c release --product skiff >/dev/null
swift build -c release --product skiff-bench >/dev/null
work=$(mktemp -d /var/tmp/skiff-bench-api.XXXXXX)
trap 'kill $server_pid $etcd_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
etcd --data-dir "$work/etcd" --listen-client-urls http://127.0.0.1:23790 --advertise-client-urls http://127.0.0.1:23790 \
  --listen-peer-urls http://127.0.0.1:23800 --initial-advertise-peer-urls http://127.0.0.1:23800 \
  --initial-cluster default=http://127.0.0.1:23800 >"$work/etcd.log" 2>&1 &
etcd_pid=$!
port=16443
start=$(date +%s.%N)
.build/release/skiff server --disable-agent --data-dir "$work/skiff" --https-listen-port $port --bind-address 127.0.0.1 \
  --write-kubeconfig "$work/kubeconfig" >"$work/server.log" 2>&1 &
server_pid=$!
tls="$work/skiff/server/tls"
until [ -f "$tls/client-admin.key" ] && curl -sf --cacert "$tls/server-ca.crt" --cert "$tls/client-admin.crt" --key "$tls/client-admin.key" \
  "https://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.01; done
ready=$(date +%s.%N)
echo "start → /readyz: $(echo "($ready - $start) * 1000" | bc | cut -d. -f1) ms (first start: PKI generated)"
for _ in $(seq 50); do curl -sf http://127.0.0.1:23790/health >/dev/null && break; sleep 0.2; done
sleep 2
echo "etcd $(etcd --version | head -1 | awk '{print $3}'), skiff $(git rev-parse --short HEAD 2>/dev/null), $(nproc) cores"
.build/release/skiff-bench api --server "https://127.0.0.1:$port" --tls "$tls" --etcd http://127.0.0.1:23790 --server-pid $server_pid "$@"
