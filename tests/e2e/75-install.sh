#!/usr/bin/env bash
# contrib/install.sh into temporary roots (INSTALL_SKIFF_ROOT; no systemd needed): a server and an agent install lay
# down the binary, the kubectl/crictl/ctr links (never over a real tool), the unit with its 0600 environment file,
# the killall and uninstall scripts and the airgap archive; the units pass `systemd-analyze verify` (and a broken copy
# does not); a second run changes no byte, mode or mtime; systemctl is never called. Then, as root, the generated
# skiff-killall.sh runs for real inside a private network namespace (nsenter --net: the host's network is never
# touched) against what a node leaves behind — a pod network made by the real CNI bridge and portmap plugins, the
# agent's iptables chains, the nftables table ip skiff-proxy, the cluster DNS address on lo, a host-gw route, mounts
# under the data dir, fake shims with pod processes, a fake containerd and a running skiff — and removes all of it and
# nothing else (decoys of each kind survive); a second run succeeds. Last, the uninstall scripts remove the installs.
source "$(dirname "$0")/lib/common.sh"
repo=$(realpath "$(dirname "$0")/../..")
installer="$repo/contrib/install.sh"
bundle="$repo/airgap/dist/skiff-airgap-images-amd64.tar"
[ -x "$SKIFF_BIN" ] || fail "no skiff binary at $SKIFF_BIN"
[ -f "$bundle" ] || fail "airgap bundle missing: run make airgap"
command -v systemd-analyze >/dev/null || fail "systemd-analyze is not installed (apt-get install systemd)"

ns="skiff-e2e75-$$"
pod_ns="cni-e2e75-$$"
decoy_ns="cni-e2e75d-$$"
helper_pids=()
descendants() { local c; for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do echo "$c"; descendants "$c"; done; }
cleanup_75() {
  local status=$?
  set +e
  local pid path doomed=()
  for pid in "${helper_pids[@]+"${helper_pids[@]}"}"; do
    mapfile -t -O "${#doomed[@]}" doomed < <(echo "$pid"; descendants "$pid")
  done
  # and whatever runs from $work/fakebin (pod processes a broken killall left behind, re-parented out of reach)
  for path in /proc/[0-9]*; do
    case "$(tr '\0' ' ' 2>/dev/null <"$path/cmdline")" in *"$work/fakebin/"*) doomed+=("${path#/proc/}") ;; esac
  done
  for pid in "${doomed[@]+"${doomed[@]}"}"; do kill -KILL "$pid" 2>/dev/null; done
  for pid in "${helper_pids[@]+"${helper_pids[@]}"}"; do wait "$pid" 2>/dev/null; done
  # Everything mounted under $work, deepest first (killall may have left some if it failed).
  for _ in 1 2 3; do
    while read -r path; do umount -l "$(printf '%b' "$path")" 2>/dev/null; done < <(awk -v w="$work/" \
      'index($2, w) == 1 {print $2}' /proc/self/mounts | sort -r)
  done
  for path in "$ns" "$pod_ns" "$decoy_ns"; do ip netns delete "$path" 2>/dev/null; done
  (exit $status)
  cleanup
}
trap cleanup_75 EXIT

# A systemctl that records its calls: with INSTALL_SKIFF_ROOT set, install.sh must never call it.
mkdir -p "$work/fakebin"
printf '#!/bin/sh\necho "$@" >>%q\n' "$work/systemctl-calls" >"$work/fakebin/systemctl"
chmod +x "$work/fakebin/systemctl"
export PATH="$work/fakebin:$PATH"

# snapshot ROOT: every path under ROOT with its type, mode, size, mtime (ns), link target and content hash.
snapshot() {
  find "$1" -printf '%y %m %s %T@ %p -> %l\n' | LC_ALL=C sort
  find "$1" -type f -print0 | xargs -0 -r sha256sum | LC_ALL=C sort -k 2
}

# verify_unit ROOT UNIT: systemd-analyze verify of the unit inside ROOT (with the host's own units copied in, so
# that targets resolve and ExecStart= is checked inside ROOT); any complaint fails.
verify_unit() {
  local root=$1 unit=$2 output
  if [ ! -d "$root/usr/lib/systemd/system" ]; then
    mkdir -p "$root/usr/lib/systemd" && cp -a /lib/systemd/system "$root/usr/lib/systemd/"
  fi
  output=$(systemd-analyze verify --man=no --root="$root" "$root$unit" 2>&1) || {
    echo "$output"
    return 1
  }
  [ -z "$output" ] || {
    echo "$output"
    return 1
  }
}

run_install() { "$installer" "$@" 2>&1; }

# --- a server install ----------------------------------------------------------------------------------------------
server_root="$work/server-root"
server_env=(INSTALL_SKIFF_ROOT="$server_root" INSTALL_SKIFF_BIN_PATH="$SKIFF_BIN"
  INSTALL_SKIFF_AIRGAP_TARBALL="$bundle" SKIFF_TOKEN="server-secret-75")
out=$(env "${server_env[@]}" INSTALL_SKIFF_EXEC="server --disable-agent" "$installer" --tls-san "edge 75.example" 2>&1) ||
  fail "server install failed: $out"
bin="$server_root/usr/local/bin"
cmp -s "$SKIFF_BIN" "$bin/skiff" || fail "the installed binary differs from $SKIFF_BIN"
[ "$(stat -c %a "$bin/skiff")" = 755 ] || fail "the binary is not mode 0755"
for tool in kubectl crictl ctr; do
  [ -L "$bin/$tool" ] && [ "$(readlink "$bin/$tool")" = skiff ] || fail "$bin/$tool is not a link to skiff"
done
pass "server install: binary (0755) and the kubectl, crictl and ctr links"
unit="$server_root/etc/systemd/system/skiff.service"
[ -f "$unit" ] || fail "no skiff.service: $out"
[ ! -e "$server_root/etc/systemd/system/skiff-agent.service" ] || fail "a server install wrote skiff-agent.service"
for line in Type=notify KillMode=process Delegate=yes LimitNOFILE=1048576 LimitNPROC=infinity LimitCORE=infinity \
  TasksMax=infinity TimeoutStartSec=0 Restart=always RestartSec=5s EnvironmentFile=-/etc/default/%N \
  EnvironmentFile=-/etc/systemd/system/skiff.service.env "ExecStartPre=-/sbin/modprobe br_netfilter" \
  "ExecStartPre=-/sbin/modprobe overlay" 'ExecStart=/usr/local/bin/skiff \' "    server \\" \
  "        '--disable-agent' \\" "        '--tls-san' \\" "        'edge 75.example'" WantedBy=multi-user.target; do
  grep -q -x -F -- "$line" "$unit" || fail "skiff.service lacks the line \"$line\": $(cat "$unit")"
done
pass "skiff.service: Type=notify, KillMode=process, Delegate, limits, restart, env files, modprobe, ExecStart"
env_file="$server_root/etc/systemd/system/skiff.service.env"
[ "$(stat -c %a "$env_file")" = 600 ] || fail "the environment file is not mode 0600"
grep -q -x -F 'SKIFF_TOKEN="server-secret-75"' "$env_file" || fail "the environment file lacks the token: $(cat "$env_file")"
if grep -q server-secret-75 "$unit"; then fail "the token is in the world-readable unit"; fi
if grep -q SKIFF_BIN "$env_file"; then fail "a variable skiff does not read (SKIFF_BIN) went to the environment file"; fi
pass "skiff.service.env: mode 0600, holds SKIFF_TOKEN (not in the unit), nothing skiff does not read"
for script in skiff-killall.sh skiff-uninstall.sh; do
  [ -x "$bin/$script" ] || fail "$script is not installed"
  bash -n "$bin/$script" || fail "$script does not parse"
done
[ ! -e "$bin/skiff-agent-uninstall.sh" ] || fail "a server install wrote skiff-agent-uninstall.sh"
grep -q -x -F "DATA_DIR='/var/lib/skiff'" "$bin/skiff-killall.sh" || fail "killall does not name the default data dir"
cmp -s "$bundle" "$server_root/var/lib/skiff/agent/images/$(basename "$bundle")" ||
  fail "the airgap archive is not in <data-dir>/agent/images/"
pass "server install: skiff-killall.sh, skiff-uninstall.sh and the airgap archive in /var/lib/skiff/agent/images/"
if command -v shellcheck >/dev/null; then
  shellcheck "$installer" "$bin/skiff-killall.sh" "$bin/skiff-uninstall.sh" || fail "shellcheck complains"
  pass "shellcheck: install.sh and the generated scripts are clean"
else
  echo "SKIP shellcheck: not installed (apt-get install shellcheck) — the scripts were NOT linted" >&2
fi

before=$(snapshot "$server_root")
out=$(env "${server_env[@]}" INSTALL_SKIFF_EXEC="server --disable-agent" "$installer" --tls-san "edge 75.example" 2>&1) ||
  fail "second server install failed: $out"
after=$(snapshot "$server_root")
[ "$before" = "$after" ] || fail "the second install changed files: $(diff <(echo "$before") <(echo "$after"))"
grep -q "nothing changed" <<<"$out" || fail "the second install did not say that nothing changed: $out"
pass "a second server install changes nothing (bytes, modes, mtimes, links) and says so"
out=$(env "${server_env[@]}" SKIFF_TOKEN=other-secret INSTALL_SKIFF_EXEC="server --disable-agent" "$installer" \
  --tls-san "edge 75.example" 2>&1) || fail "third server install failed: $out"
changed=$(diff <(echo "$after") <(snapshot "$server_root") | grep -c '^>' || true)
grep -q -x -F 'SKIFF_TOKEN="other-secret"' "$env_file" && [ "$changed" -gt 0 ] ||
  fail "a new token did not reach the environment file, or the snapshot missed it"
pass "a new SKIFF_TOKEN rewrites the environment file (and the snapshot sees it)"

# --- an agent install (SKIFF_URL makes agent the default) next to a real kubectl and ctr ---------------------------
agent_root="$work/agent-root"
mkdir -p "$agent_root/usr/local/bin" "$agent_root/usr/local/lib" "$agent_root/usr/bin" "$agent_root/etc/skiff"
printf '#!/bin/sh\necho real kubectl\n' >"$agent_root/usr/local/lib/kubectl-real"
ln -s ../lib/kubectl-real "$agent_root/usr/local/bin/kubectl" # a link, but not to skiff
printf '#!/bin/sh\necho real ctr\n' >"$agent_root/usr/bin/ctr"
chmod +x "$agent_root/usr/local/lib/kubectl-real" "$agent_root/usr/bin/ctr"
printf 'service-cidr: "10.96.0.0/12"\nnode-label:\n  - site=75\n' >"$agent_root/etc/skiff/config.yaml"
agent_env=(INSTALL_SKIFF_ROOT="$agent_root" INSTALL_SKIFF_BIN_PATH="$SKIFF_BIN" INSTALL_SKIFF_AIRGAP_TARBALL="$bundle"
  SKIFF_URL="https://192.0.2.10:6443" SKIFF_TOKEN="K10abc::node:agent-secret-75"
  INSTALL_SKIFF_EXEC="--data-dir /srv/skiff-agent --node-label zone=a")
expect_error "an agent install without a token is refused" "join token" \
  env INSTALL_SKIFF_ROOT="$agent_root" INSTALL_SKIFF_BIN_PATH="$SKIFF_BIN" SKIFF_URL="https://192.0.2.10:6443" \
  SKIFF_TOKEN= "$installer"
out=$(env "${agent_env[@]}" "$installer" 2>&1) || fail "agent install failed: $out"
abin="$agent_root/usr/local/bin"
unit="$agent_root/etc/systemd/system/skiff-agent.service"
[ -f "$unit" ] && [ ! -e "$agent_root/etc/systemd/system/skiff.service" ] || fail "no skiff-agent.service alone: $out"
for line in Type=notify KillMode=process Delegate=yes EnvironmentFile=-/etc/systemd/system/skiff-agent.service.env \
  "    agent \\" "        '--data-dir' \\" "        '/srv/skiff-agent' \\" "        'zone=a'"; do
  grep -q -x -F -- "$line" "$unit" || fail "skiff-agent.service lacks the line \"$line\": $(cat "$unit")"
done
env_file="$agent_root/etc/systemd/system/skiff-agent.service.env"
[ "$(stat -c %a "$env_file")" = 600 ] || fail "the agent's environment file is not mode 0600"
grep -q -x -F 'SKIFF_URL="https://192.0.2.10:6443"' "$env_file" &&
  grep -q -x -F 'SKIFF_TOKEN="K10abc::node:agent-secret-75"' "$env_file" ||
  fail "the agent's environment file lacks SKIFF_URL or SKIFF_TOKEN: $(cat "$env_file")"
pass "agent install: skiff-agent.service (agent and its flags), environment file 0600 with SKIFF_URL and SKIFF_TOKEN"
[ "$(readlink "$abin/kubectl")" = ../lib/kubectl-real ] || fail "the real kubectl (a link) was replaced"
[ ! -e "$abin/ctr" ] || fail "a ctr link was made although ctr is in PATH (/usr/bin/ctr)"
[ "$(readlink "$abin/crictl")" = skiff ] || fail "no crictl link"
grep -q "skipping .*kubectl.*already exists" <<<"$out" && grep -q "skipping .*ctr.*in PATH" <<<"$out" ||
  fail "the skipped links were not reported: $out"
pass "agent install: a real kubectl in the bin dir and a ctr in PATH are kept (reported), crictl is linked"
[ -x "$abin/skiff-agent-uninstall.sh" ] && [ -x "$abin/skiff-killall.sh" ] || fail "agent scripts missing"
[ ! -e "$abin/skiff-uninstall.sh" ] || fail "an agent install wrote skiff-uninstall.sh"
cmp -s "$bundle" "$agent_root/srv/skiff-agent/agent/images/$(basename "$bundle")" ||
  fail "the airgap archive is not in --data-dir's agent/images/"
grep -q -x -F "SERVICE_CIDR='10.96.0.0/12'" "$abin/skiff-killall.sh" &&
  grep -q -x -F "DATA_DIR='/srv/skiff-agent'" "$abin/skiff-killall.sh" ||
  fail "killall does not carry the data dir (flag) and service CIDR (config file)"
pass "agent install: skiff-agent-uninstall.sh, airgap archive under --data-dir, killall knows the config file's CIDR"
before=$(snapshot "$agent_root")
out=$(env "${agent_env[@]}" "$installer" 2>&1) || fail "second agent install failed: $out"
[ "$before" = "$(snapshot "$agent_root")" ] || fail "the second agent install changed files"
pass "a second agent install changes nothing"
[ ! -e "$work/systemctl-calls" ] || fail "systemctl was called under INSTALL_SKIFF_ROOT: $(cat "$work/systemctl-calls")"
pass "systemctl was never called under INSTALL_SKIFF_ROOT"

# --- systemd-analyze verify ----------------------------------------------------------------------------------------
verify_unit "$server_root" /etc/systemd/system/skiff.service || fail "skiff.service does not verify"
verify_unit "$agent_root" /etc/systemd/system/skiff-agent.service || fail "skiff-agent.service does not verify"
# The check must be able to fail: a misspelt key and an ExecStart that is not there are caught.
sed 's/^KillMode=/KilMode=/' "$server_root/etc/systemd/system/skiff.service" \
  >"$server_root/etc/systemd/system/broken-75.service"
if verify_unit "$server_root" /etc/systemd/system/broken-75.service >/dev/null; then
  fail "systemd-analyze verify passed a unit with a misspelt key"
fi
sed 's#^ExecStart=/usr/local/bin/skiff#ExecStart=/usr/local/bin/skiff-none#' \
  "$server_root/etc/systemd/system/skiff.service" >"$server_root/etc/systemd/system/broken-75.service"
if verify_unit "$server_root" /etc/systemd/system/broken-75.service >/dev/null; then
  fail "systemd-analyze verify passed a unit whose ExecStart is missing"
fi
rm -f "$server_root/etc/systemd/system/broken-75.service"
pass "systemd-analyze verify: both units are clean (a misspelt key or a missing ExecStart would not be)"

if [ "$(id -u)" != 0 ]; then
  echo "SKIP 75-install: killall and uninstall need root (namespaces, mounts); the install checks above passed"
  exit 0
fi
for tool in nsenter nft iptables iptables-save python3; do
  command -v $tool >/dev/null || fail "$tool is not installed (make deps)"
done
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/portmap ] || fail "CNI plugins missing (containernetworking-plugins)"

# --- what a node leaves behind, in a private network namespace --------------------------------------------------------
data="$server_root/var/lib/skiff"
in_ns() { nsenter --net="/run/netns/$ns" "$@"; }
ip netns add "$ns"
ip netns add "$pod_ns"
ip netns add "$decoy_ns"
in_ns ip link set lo up
# The pod network as the agent's CNI config makes it: bridge skiff0 + host-local, then portmap with a host port.
mkdir -p "$data/agent/cni/ipam"
in_ns python3 - "/run/netns/$pod_ns" "$data/agent/cni/ipam" <<'EOF' || fail "the CNI plugins failed"
import json, os, subprocess, sys
netns, ipam = sys.argv[1:3]
env = dict(os.environ, CNI_COMMAND="ADD", CNI_CONTAINERID="e2e75pod", CNI_NETNS=netns, CNI_IFNAME="eth0",
           CNI_PATH="/usr/lib/cni")
bridge = {"cniVersion": "1.0.0", "name": "skiff", "type": "bridge", "bridge": "skiff0", "isGateway": True,
          "isDefaultGateway": True, "ipMasq": False, "hairpinMode": True, "forceAddress": True,
          "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.42.0.0/24"}]], "dataDir": ipam}}
out = subprocess.run(["/usr/lib/cni/bridge"], input=json.dumps(bridge).encode(), env=env, capture_output=True)
if out.returncode: sys.exit("bridge: " + out.stdout.decode() + out.stderr.decode())
portmap = {"cniVersion": "1.0.0", "name": "skiff", "type": "portmap", "snat": True,
           "capabilities": {"portMappings": True}, "prevResult": json.loads(out.stdout),
           "runtimeConfig": {"portMappings": [{"hostPort": 30075, "containerPort": 80, "protocol": "tcp"}]}}
out = subprocess.run(["/usr/lib/cni/portmap"], input=json.dumps(portmap).encode(), env=env, capture_output=True)
if out.returncode: sys.exit("portmap: " + out.stdout.decode() + out.stderr.decode())
EOF
# The agent's masquerade chains (HostNetwork.ensureMasquerade's commands) and a chain of someone else's.
for spec in "nat SKIFF-POSTROUTING POSTROUTING" "filter SKIFF-FORWARD FORWARD"; do
  read -r table chain hook <<<"$spec"
  in_ns iptables -w -t "$table" -N "$chain"
  in_ns iptables -w -t "$table" -I "$hook" -j "$chain"
done
in_ns iptables -w -t nat -A SKIFF-POSTROUTING -s 10.42.0.0/16 -d 10.42.0.0/16 -j RETURN
in_ns iptables -w -t nat -A SKIFF-POSTROUTING -s 10.42.0.0/16 ! -d 224.0.0.0/4 -j MASQUERADE
in_ns iptables -w -t filter -A SKIFF-FORWARD -s 10.42.0.0/16 -j ACCEPT
in_ns iptables -w -t filter -N E2E75-KEEP
in_ns iptables -w -t filter -I FORWARD -j E2E75-KEEP
# The service proxy's table, and someone else's.
in_ns nft -f - <<'EOF'
table ip skiff-proxy {
  map service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }
  chain services { ip daddr . meta l4proto . th dport vmap @service-ips; }
  chain nat-prerouting { type nat hook prerouting priority dstnat; policy accept; jump services; }
}
table ip e2e75-other {
  chain c { type filter hook input priority 0; policy accept; }
}
EOF
# The cluster DNS address and another /32 of the service CIDR on lo; a /32 outside it stays.
in_ns ip address add 10.43.0.10/32 dev lo
in_ns ip address add 10.43.7.7/32 dev lo
in_ns ip address add 10.99.0.1/32 dev lo
# A host-gw route to a peer's pod CIDR; a route outside the cluster CIDR stays.
in_ns ip link add e2e75a type veth peer name e2e75b
in_ns ip address add 192.0.2.1/24 dev e2e75a
in_ns ip link set e2e75a up
in_ns ip link set e2e75b up
in_ns ip route add 10.42.5.0/24 via 192.0.2.2
in_ns ip route add 10.99.5.0/24 via 192.0.2.2
before_routes=$(in_ns ip -4 route show)
# Mounts under the data dir (stacked, and a path with a space) and /run/skiff; one outside the root stays.
for dir in "$data/agent/pods/uid75/volumes/kubernetes.io~empty-dir/cache" \
  "$data/agent/run/containerd/io.containerd.grpc.v1.cri/sandboxes/e2e75pod/shm" \
  "$data/agent/containerd/io.containerd.runtime.v2.task/k8s.io/e2e75 ctr/rootfs" "$server_root/run/skiff/x" \
  "$work/decoy-mount"; do
  mkdir -p "$dir"
  mount -t tmpfs e2e75 "$dir"
done
mount -t tmpfs e2e75 "$data/agent/run/containerd/io.containerd.grpc.v1.cri/sandboxes/e2e75pod/shm"
[ "$(awk -v r="$server_root/" 'index($2, r) == 1' /proc/self/mounts | wc -l)" = 5 ] || fail "test mounts not in place"
# The sandbox's bundle names its network namespace (containerd writes /var/run/netns/…).
bundle_dir="$data/agent/run/containerd/io.containerd.runtime.v2.task/k8s.io/e2e75pod"
mkdir -p "$bundle_dir"
printf '{"linux": {"namespaces": [{"type": "pid"}, {"type": "network", "path": "/var/run/netns/%s"}]}}\n' "$pod_ns" \
  >"$bundle_dir/config.json"
# libcni's result cache for the pod, and another network's.
mkdir -p "$server_root/var/lib/cni/results"
touch "$server_root/var/lib/cni/results/skiff-e2e75pod-eth0" "$server_root/var/lib/cni/results/cni-loopback-e2e75pod-lo" \
  "$server_root/var/lib/cni/results/other-e2e75pod-eth0"
# Processes: a shim of this data dir's containerd with pod processes two levels down, the containerd, and the same
# for another data dir (decoys); and the installed skiff itself, running.
sock="$data/agent/containerd/containerd.sock"
cp "$(command -v sleep)" "$work/fakebin/pod-process"
printf '#!/bin/bash\n%q 600 & bash -c "%q 600 & wait" & wait\n' "$work/fakebin/pod-process" \
  "$work/fakebin/pod-process" >"$work/fakebin/containerd-shim-runc-v2"
printf '#!/bin/bash\n%q 600 & trap "kill $!; exit 0" TERM; wait\n' "$work/fakebin/pod-process" >"$work/fakebin/containerd"
chmod +x "$work/fakebin/containerd-shim-runc-v2" "$work/fakebin/containerd"
# (started from a subshell that reaps it quietly: bash would report the SIGKILL of its own job)
("$work/fakebin/containerd-shim-runc-v2" -namespace k8s.io -id e2e75pod -address "$sock" >/dev/null 2>&1 &
  echo $! >"$work/shim.pid"
  wait) 2>/dev/null &
helper_pids+=($!)
for _ in $(seq 50); do [ -s "$work/shim.pid" ] && break; sleep 0.1; done
shim_pid=$(cat "$work/shim.pid")
"$work/fakebin/containerd-shim-runc-v2" -namespace k8s.io -id e2e75pod -address "$work/other/containerd.sock" \
  >/dev/null 2>&1 &
decoy_shim_pid=$!
"$work/fakebin/containerd" --config "$data/agent/etc/containerd/config.toml" >/dev/null 2>&1 &
containerd_pid=$!
"$work/fakebin/containerd" --config "$work/other/config.toml" >/dev/null 2>&1 &
decoy_containerd_pid=$!
port=$(free_port)
nsenter --net="/run/netns/$ns" "$bin/skiff" server --disable-agent --data-dir "$work/skiff-data" --https-listen-port "$port" \
  --bind-address 127.0.0.1 --write-kubeconfig "$work/kubeconfig" >>"$work/server.log" 2>&1 &
skiff_pid=$!
helper_pids+=("$shim_pid" "$decoy_shim_pid" "$containerd_pid" "$decoy_containerd_pid" "$skiff_pid")
for _ in $(seq 300); do
  [ -f "$work/kubeconfig" ] && in_ns kubectl --kubeconfig "$work/kubeconfig" --cache-dir "$work/kube-cache" \
    --request-timeout=2s get --raw /readyz >/dev/null 2>&1 && break
  kill -0 "$skiff_pid" 2>/dev/null || fail "the installed skiff exited: $(tail -5 "$work/server.log")"
  sleep 0.1
done
mapfile -t pod_pids < <(descendants "$shim_pid")
[ ${#pod_pids[@]} -ge 3 ] || fail "the fake shim's pod processes did not start (${pod_pids[*]})"
mapfile -t decoy_pod_pids < <(descendants "$decoy_shim_pid")
in_ns kubectl --kubeconfig "$work/kubeconfig" --cache-dir "$work/kube-cache" get --raw /readyz >/dev/null 2>&1 ||
  fail "the installed skiff did not become ready within 30 s: $(tail -5 "$work/server.log")"
in_ns ip link show skiff0 >/dev/null && in_ns iptables-save -t nat | grep -q 'CNI-DN-' || fail "pod network not set up"
pass "a node's leftovers are in place in namespace $ns (bridge, veth, portmap, chains, table, lo addresses, route, mounts, processes)"

# --- skiff-killall.sh ------------------------------------------------------------------------------------------------
out=$(in_ns "$bin/skiff-killall.sh" 2>&1) || fail "skiff-killall.sh failed: $out"
alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
for pid in "$shim_pid" "${pod_pids[@]}" "$containerd_pid" "$skiff_pid"; do
  ! alive "$pid" || fail "process $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline")) survived killall"
done
for pid in "$decoy_shim_pid" "${decoy_pod_pids[@]}" "$decoy_containerd_pid"; do
  alive "$pid" || fail "killall killed process $pid of another containerd"
done
wait "$skiff_pid" && grep -q . "$work/server.log" || fail "skiff did not exit cleanly on killall's SIGTERM"
pass "killall: the running skiff (SIGTERM, clean exit), the shim with its pod processes and the containerd are gone; another data dir's are not"
links=$(in_ns ip -o link show)
if grep -q -E 'skiff0|veth' <<<"$links"; then fail "bridge or veth left: $links"; fi
grep -q e2e75a <<<"$links" || fail "killall removed an interface that was not skiff's: $links"
[ ! -e "/run/netns/$pod_ns" ] || fail "the pod's network namespace is still there"
[ -e "/run/netns/$decoy_ns" ] || fail "killall removed a network namespace that was not skiff's"
pass "killall: bridge skiff0 and the pod's veth are gone, the pod's netns is deleted, another cni- netns is not"
rules=$(in_ns iptables-save)
if grep -q -E 'SKIFF-|CNI-DN-|name: \\"skiff\\"' <<<"$rules"; then fail "iptables rules left: $rules"; fi
grep -q -- '-A FORWARD -j E2E75-KEEP' <<<"$rules" || fail "killall removed a rule that was not skiff's"
tables=$(in_ns nft list tables)
if grep -q skiff-proxy <<<"$tables"; then fail "table ip skiff-proxy is still there"; fi
grep -q e2e75-other <<<"$tables" || fail "killall removed an nftables table that was not skiff's"
pass "killall: SKIFF- chains and their jumps, portmap's skiff rules and table ip skiff-proxy are gone; others stay"
lo=$(in_ns ip -4 -o address show dev lo)
if grep -q -E '10\.43\.0\.10/32|10\.43\.7\.7/32' <<<"$lo"; then fail "service CIDR addresses left on lo: $lo"; fi
grep -q 10.99.0.1/32 <<<"$lo" && grep -q 127.0.0.1/8 <<<"$lo" || fail "killall removed other lo addresses: $lo"
routes=$(in_ns ip -4 route show)
if grep -q '^10.42.5.0/24' <<<"$routes"; then fail "the peer pod route is still there: $routes"; fi
grep -q '^10.99.5.0/24' <<<"$routes" || fail "killall removed a route outside the cluster CIDR: $routes"
pass "killall: the cluster DNS /32 and other service /32s on lo and the peer pod route are gone; others stay"
left=$(awk -v r="$server_root/" 'index($2, r) == 1 {print $2}' /proc/self/mounts)
[ -z "$left" ] || fail "mounts left under the root: $left"
mountpoint -q "$work/decoy-mount" || fail "killall unmounted something outside the data dir"
[ ! -e "$data/agent/run" ] && [ ! -e "$server_root/run/skiff" ] && [ ! -e "$data/agent/cni" ] ||
  fail "containerd's state, /run/skiff or the CNI state is still there"
[ ! -e "$server_root/var/lib/cni/results/skiff-e2e75pod-eth0" ] &&
  [ ! -e "$server_root/var/lib/cni/results/cni-loopback-e2e75pod-lo" ] || fail "skiff's CNI result cache is still there"
[ -e "$server_root/var/lib/cni/results/other-e2e75pod-eth0" ] || fail "killall removed another network's CNI cache"
[ -f "$data/agent/images/$(basename "$bundle")" ] || fail "killall removed the data dir's images"
pass "killall: every mount under the data dir and /run/skiff (stacked, with a space) is gone, CNI state removed, data kept"
out=$(in_ns "$bin/skiff-killall.sh" 2>&1) || fail "a second skiff-killall.sh failed: $out"
[ "$before_routes" != "$(in_ns ip -4 route show)" ] || fail "route check compared nothing"
pass "a second killall succeeds with everything already gone"

# --- uninstall -----------------------------------------------------------------------------------------------------
# An agent installed beside the server keeps the binary when the server is uninstalled.
out=$(env INSTALL_SKIFF_ROOT="$server_root" INSTALL_SKIFF_BIN_PATH="$SKIFF_BIN" SKIFF_URL="https://192.0.2.10:6443" \
  SKIFF_TOKEN=t "$installer" 2>&1) || fail "agent install beside the server failed: $out"
mkdir -p "$server_root/etc/skiff" && echo 'debug: true' >"$server_root/etc/skiff/config.yaml"
out=$(in_ns "$bin/skiff-uninstall.sh" 2>&1) || fail "skiff-uninstall.sh failed: $out"
[ ! -e "$server_root/etc/systemd/system/skiff.service" ] && [ ! -e "$server_root/etc/systemd/system/skiff.service.env" ] ||
  fail "the server unit is still there"
[ -x "$bin/skiff" ] && [ -L "$bin/kubectl" ] && [ -d "$data" ] && [ ! -e "$bin/skiff-uninstall.sh" ] ||
  fail "uninstalling the server with an agent still installed removed too much or too little: $out"
out=$(in_ns "$bin/skiff-agent-uninstall.sh" 2>&1) || fail "skiff-agent-uninstall.sh failed: $out"
left=$(cd "$server_root" && find . \( -type f -o -type l \) -not -path './usr/lib/systemd/*' -not -path './var/lib/cni/*')
[ -z "$left" ] || fail "the uninstall left files behind: $left"
[ ! -e "$data" ] && [ ! -e "$server_root/etc/skiff" ] || fail "the data dir or /etc/skiff is still there"
pass "uninstall: the server's script keeps what the agent needs; the agent's removes the rest (binary, links, units, scripts, /etc/skiff, data)"
out=$(in_ns "$abin/skiff-agent-uninstall.sh" 2>&1) || fail "skiff-agent-uninstall.sh failed: $out"
left=$(cd "$agent_root" && find . \( -type f -o -type l \) -not -path './usr/lib/systemd/*' | LC_ALL=C sort | tr '\n' ' ')
[ "$left" = "./usr/bin/ctr ./usr/local/bin/kubectl ./usr/local/lib/kubectl-real " ] &&
  [ ! -e "$agent_root/srv/skiff-agent" ] || fail "the agent uninstall left or removed the wrong files: $left"
[ "$(readlink "$abin/kubectl")" = ../lib/kubectl-real ] || fail "the uninstall removed the kubectl link that is not skiff's"
pass "agent uninstall: the real kubectl and ctr stay, skiff's files and the data dir go"
