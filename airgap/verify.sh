#!/usr/bin/env bash
# airgap/verify.sh [TAR]: checks the airgap bundle against a real containerd, offline.
# Starts a throwaway containerd (own config, root, state, socket and runc root under a temp dir, CRI plugin
# configured as the agent does), imports the bundle with `ctr images import`, checks both image names, runs
# busybox (prints hi, id, /etc) and pause (runs as 65535, exits 0 on SIGTERM), then kills containerd and
# removes the temp dir and its mounts. Also reports whether ctr imports the .tar.zst directly (informational).
# Needs root; skips (exit 0) with a message otherwise. Exit 1 on any failed check.
set -euo pipefail
tar=$(realpath "${1:-$(dirname "$0")/dist/skiff-airgap-images-amd64.tar}")
if [ "$(id -u)" != 0 ]; then echo "SKIP airgap/verify.sh: needs root to run containerd"; exit 0; fi
for cmd in containerd ctr runc; do command -v $cmd >/dev/null || { echo "FAIL: $cmd not installed (make deps)"; exit 1; }; done
[ -f "$tar" ] || { echo "FAIL: $tar missing (make airgap)"; exit 1; }

tmp=$(mktemp -d /tmp/skiff-airgap-verify.XXXXXX)
sock=$tmp/containerd.sock
ctrd_pid=""
ctr() { command ctr -a "$sock" -n k8s.io "$@"; }
fail() { echo "FAIL: $*"; exit 1; }
cleanup() {
  set +e
  if [ -n "$ctrd_pid" ]; then
    for id in $(ctr tasks ls -q 2>/dev/null); do ctr tasks kill -s SIGKILL "$id"; done
    sleep 0.5
    for id in $(ctr containers ls -q 2>/dev/null); do ctr tasks delete -f "$id"; ctr containers delete "$id"; done >/dev/null 2>&1
    kill "$ctrd_pid"; wait "$ctrd_pid"
  fi
  # Mounts left under the temp dir (snapshots of a killed container), deepest first.
  awk -v d="$tmp" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l
  rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/config.toml" <<EOF
version = 2
root = "$tmp/root"
state = "$tmp/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$sock"
[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$tmp/opt"
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "registry.k8s.io/pause:3.10"
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    disable_tcp_service = true
    disable_apparmor = true
    restrict_oom_score_adj = true
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          Root = "$tmp/runc"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "$tmp/net.d"
EOF
containerd --config "$tmp/config.toml" >"$tmp/containerd.log" 2>&1 &
ctrd_pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && ctr version >/dev/null 2>&1 && break; sleep 0.1; done
ctr version >/dev/null 2>&1 || { tail -20 "$tmp/containerd.log"; fail "containerd did not start"; }
ctr plugins ls | grep -Eq '^io.containerd.grpc.v1 +cri .* ok' || fail "CRI plugin not loaded: $(ctr plugins ls | grep cri)"
echo "ok: throwaway containerd $(containerd --version | awk '{print $3}') up, CRI plugin loaded"

# The .tar.zst must hold the same bytes; ctr is tried on it in a scratch namespace (the agent must
# decompress it itself if ctr refuses it).
if [ -f "$tar.zst" ]; then
  zstd -dc "$tar.zst" | cmp -s - "$tar" || fail "$tar.zst does not decompress to $tar"
  echo "ok: $(basename "$tar").zst decompresses to the same bytes"
  if command ctr -a "$sock" -n zst-probe images import --all-platforms "$tar.zst" >"$tmp/zst.log" 2>&1; then
    echo "info: ctr imports the .tar.zst directly: yes"
  else
    echo "info: ctr imports the .tar.zst directly: no ($(tail -1 "$tmp/zst.log")); decompress it first"
  fi
fi

ctr images import --all-platforms "$tar"
names=$(ctr images ls -q)
for ref in docker.io/library/busybox:latest registry.k8s.io/pause:3.10; do
  grep -qx "$ref" <<<"$names" || fail "$ref not imported: $names"
done
ctr images ls
echo "ok: both images imported under their full names"

out=$(ctr run --rm docker.io/library/busybox:latest airgap-t1 sh -c 'echo hi; id; ls /etc')
echo "$out"
grep -qx hi <<<"$out" && grep -q 'uid=0(root) gid=0(root)' <<<"$out" && grep -qx passwd <<<"$out" \
  || fail "busybox output"
echo "ok: busybox runs"

ctr run --rm registry.k8s.io/pause:3.10 airgap-p1 &
run_pid=$!
pid=""
for _ in $(seq 100); do
  pid=$(ctr tasks ls 2>/dev/null | awk '$1 == "airgap-p1" && $3 == "RUNNING" { print $2 }')
  [ -n "$pid" ] && break; sleep 0.1
done
[ -n "$pid" ] || fail "pause task not running"
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
[ "$uid" = 65535 ] || fail "pause runs as uid $uid, want 65535"
ctr tasks kill -s SIGTERM airgap-p1
rc=0; wait "$run_pid" || rc=$?
[ "$rc" = 0 ] || fail "pause exited $rc on SIGTERM, want 0"
echo "ok: pause runs as 65535 and exits 0 on SIGTERM"
echo "PASS airgap/verify.sh"
