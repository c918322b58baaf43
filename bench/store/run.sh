#!/usr/bin/env bash
# Store benchmark: SkiffStore vs etcd 3.4 (single member on loopback, default fsync), same run, same load.
# Usage: [SCRATCH=/path/to/scratch] bench/store/run.sh   (root; installs etcd-server if missing; release build)
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v etcd >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null
fi
SCRATCH=${SCRATCH:-.build}
swift build -c release --scratch-path "$SCRATCH" --product skiff-bench >/dev/null
bin=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)
work=$(mktemp -d /var/tmp/skiff-bench-store.XXXXXX)   # /var/tmp: on disk, not tmpfs, so fsync is real
trap 'kill $etcd_pid 2>/dev/null; wait $etcd_pid 2>/dev/null; rm -rf "$work"' EXIT
etcd --data-dir "$work/etcd" --listen-client-urls http://127.0.0.1:23790 --advertise-client-urls http://127.0.0.1:23790 \
  --listen-peer-urls http://127.0.0.1:23800 --initial-advertise-peer-urls http://127.0.0.1:23800 \
  --initial-cluster default=http://127.0.0.1:23800 >"$work/etcd.log" 2>&1 &
etcd_pid=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:23790/health >/dev/null && break; sleep 0.2; done
echo "etcd $(etcd --version | head -1 | awk '{print $3}'), skiff $(git rev-parse --short HEAD), $(nproc) cores, $(df -T /var/tmp | awk 'NR==2{print $2}') disk"
"$bin/skiff-bench" store --dir "$work" --etcd http://127.0.0.1:23790 "$@"
