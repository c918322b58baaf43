#!/usr/bin/env bash
# Registries (root only): pods pull through CRI from local registries on loopback, configured by registries.yaml
# (--private-registry). Two Debian docker-registry processes (plain HTTP on 127.0.0.1, one with htpasswd auth) get
# images pushed by tests/e2e/lib/push-image.py (the airgap busybox under names outside the airgap set). Checked: a pod
# pulls from a registry named in its image; a docker.io mirror entry sends docker.io/e2e/mirrored:1 to the local
# registry; on the auth registry a pod without a pull secret fails with the registry's 401 (ErrImagePull, then
# ImagePullBackOff) and one with `kubectl create secret docker-registry` + imagePullSecrets runs; after a restart with
# credentials in registries.yaml (configs.auth) a pod runs without a secret, and the hosts file of the mirror that
# is no longer configured is gone. A broken registries.yaml stops the server before it starts, naming the field.
# Nothing leaves the machine: every registry and endpoint is on 127.0.0.1.
source "$(dirname "$0")/lib/common.sh"
if [ "$(id -u)" != 0 ]; then echo "SKIP 80-registry: needs root (containers run as root here)"; exit 0; fi
command -v containerd >/dev/null || fail "containerd is not installed (make deps installs it)"
command -v docker-registry >/dev/null || fail "docker-registry is not installed (make deps installs it)"
command -v htpasswd >/dev/null || fail "htpasswd is not installed (apache2-utils; make deps installs it)"
bundle=$(realpath "$(dirname "$0")/../../airgap/dist/skiff-airgap-images-amd64.tar")
[ -f "$bundle" ] || fail "airgap bundle missing: run make airgap"
push="$(dirname "$0")/lib/push-image.py"

mkdir -p "$work/data/agent/images"
cp "$bundle" "$work/data/agent/images/"
sock="$work/data/agent/containerd/containerd.sock"
certs="$work/data/agent/etc/containerd/certs.d"
node=e2e-registry
dns=10.43.0.80
ctr_() { ctr -a "$sock" -n k8s.io "$@"; }

open_port=$(free_port)
auth_port=$(free_port)
open_reg=127.0.0.1:$open_port
auth_reg=127.0.0.1:$auth_port
user=edge
password=e2e-$RANDOM-secret
registry_pids=()

# start_registry NAME PORT [HTPASSWD]: Debian's distribution registry as a plain process on loopback.
start_registry() {
  local name=$1 registry_port=$2 htpasswd=${3:-}
  mkdir -p "$work/$name"
  {
    echo "version: 0.1"
    echo "log: {level: info}"
    echo "storage: {filesystem: {rootdirectory: $work/$name/storage}}"
    echo "http: {addr: 127.0.0.1:$registry_port}"
    [ -z "$htpasswd" ] || echo "auth: {htpasswd: {realm: skiff-e2e, path: $htpasswd}}"
  } >"$work/$name/config.yml"
  docker-registry serve "$work/$name/config.yml" >"$work/$name/log" 2>&1 &
  registry_pids+=($!)
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$registry_port/v2/" && return 0
    sleep 0.1
  done
  fail "registry $name did not answer on 127.0.0.1:$registry_port (log: $(tail -n 3 "$work/$name/log"))"
}

# skiff first (it restarts containerd), then containerd and the pods' shims, the node's network leftovers, the
# registries.
stop_all() {
  kubectl delete pods --all --grace-period=0 --force >/dev/null 2>&1
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; [ -n "$server_pid" ] && wait "$server_pid" 2>/dev/null; server_pid=""
  if [ -S "$sock" ]; then
    for c in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s KILL "$c" >/dev/null 2>&1; done
  fi
  pkill -f "containerd --config $work/data" 2>/dev/null; sleep 0.5
  for shim in $(pgrep -f "containerd-shim-runc-v2 .*-address $work/"); do pkill -KILL -P "$shim"; kill -KILL "$shim"; done
  local pod_ns
  for pod_ns in $(ip netns list 2>/dev/null | awk '/^cni-/ {print $1}'); do
    [ -z "$(ip netns pids "$pod_ns" 2>/dev/null)" ] && ip netns delete "$pod_ns"
  done
  for m in $(awk -v w="$work" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$m" 2>/dev/null; done
  nft delete table ip skiff-proxy 2>/dev/null; ip addr del $dns/32 dev lo 2>/dev/null
  ip link del skiff0 2>/dev/null
  local pid
  for pid in "${registry_pids[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  registry_pids=()
}
trap 'status=$?; set +e
  if [ $status -ne 0 ]; then kubectl get pods -A -o wide 2>&1 | head -20; kubectl get events 2>&1 | tail -20
    for d in "$certs"/*/; do [ -f "$d/hosts.toml" ] && { echo "--- $d/hosts.toml"; cat "$d/hosts.toml"; }; done
    echo "--- containerd log (last 20 lines)"; tail -n 20 "$work/data/agent/containerd/containerd.log" 2>/dev/null
    for r in open auth; do echo "--- registry $r (last 5 lines)"; tail -n 5 "$work/$r/log" 2>/dev/null; done; fi
  stop_all
  (exit $status); cleanup' EXIT

# containerd (skiff's child) gets a proxy that refuses: a pull that would leave the machine (say, a mirror that failed
# and its fallback to registry-1.docker.io) fails at once on loopback instead of resolving a name outside. Go never
# proxies loopback addresses, so the local registries are reached directly.
start_node_server() {
  [ -n "${port:-}" ] || port=$(free_port)
  export KUBECONFIG="$work/kubeconfig"
  HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost "$SKIFF_BIN" server --node-name $node --data-dir "$work/data" --https-listen-port "$port" --bind-address 127.0.0.1 \
    --cluster-dns $dns --write-kubeconfig "$KUBECONFIG" --private-registry "$1" >>"$work/server.log" 2>&1 &
  server_pid=$!
  wait_ready
}

# run_pod NAME IMAGE [SECRET]: a pod that says where its image came from and stays up.
run_pod() {
  local overrides='{}'
  [ -z "${3:-}" ] || overrides="{\"spec\":{\"imagePullSecrets\":[{\"name\":\"$3\"}]}}"
  kubectl run "$1" --image="$2" --image-pull-policy="${POLICY:-IfNotPresent}" --restart=Never --overrides="$overrides" \
    --command -- sh -c "echo running $2; sleep 3600" >/dev/null
}

# expect_pulled POD IMAGE REGISTRY_LOG PATH: the pod runs the image, containerd holds it under its name, and the
# registry served its manifest.
expect_pulled() {
  local pod=$1 image=$2 log=$3 path=$4
  wait_for "pod $pod Running on $image" 60 is pod/$pod '{.status.phase}' Running
  is pod/$pod '{.status.containerStatuses[0].ready}' true || fail "$pod: container not ready"
  expect_output "$pod logs: its command ran in the pulled image" "^running $image\$" kubectl logs $pod
  expect_output "$pod: containerd holds $image" "^$image\$" ctr_ images ls -q
  grep -qE "\"(HEAD|GET) /v2/$path/manifests/" "$log" || fail "$pod: the registry never served /v2/$path/manifests (log $log)"
  pass "$pod: the local registry served $path"
}

start_registry open "$open_port"
htpasswd -Bbc "$work/htpasswd" "$user" "$password" >/dev/null 2>&1
start_registry auth "$auth_port" "$work/htpasswd"
python3 "$push" "$bundle" docker.io/library/busybox:latest $open_reg e2e/box 1 >/dev/null
python3 "$push" "$bundle" docker.io/library/busybox:latest $open_reg e2e/mirrored 1 >/dev/null
expect_error "the auth registry refuses an anonymous push" "401" \
  python3 "$push" "$bundle" docker.io/library/busybox:latest $auth_reg e2e/private 1
python3 "$push" "$bundle" docker.io/library/busybox:latest $auth_reg e2e/private 1 $user "$password" >/dev/null
python3 "$push" "$bundle" docker.io/library/busybox:latest $auth_reg e2e/configured 1 $user "$password" >/dev/null
pass "images pushed to $open_reg and (with basic auth) $auth_reg"

# A broken file: the server does not start, and says which file and which field.
cat >"$work/bad.yaml" <<YAML
mirrors:
  docker.io:
    endpoints: ["http://$open_reg"]
YAML
expect_error "a broken registries.yaml stops the server, naming the file and the field" \
  "registries file $work/bad.yaml: mirrors\.docker\.io\.endpoints: unknown field" \
  "$SKIFF_BIN" server --data-dir "$work/bad-data" --https-listen-port "$(free_port)" --private-registry "$work/bad.yaml"
[ ! -e "$work/bad-data/agent" ] || fail "the server with a broken registries.yaml set up its agent anyway"

cat >"$work/registries.yaml" <<YAML
mirrors:
  docker.io:
    endpoint:
      - "http://$open_reg"
  "$open_reg":
    endpoint: ["http://$open_reg"]
  "$auth_reg":
    endpoint: ["http://$auth_reg"]
YAML
start_node_server "$work/registries.yaml"
wait_for "node $node Ready" 60 is node/$node '{.status.conditions[?(@.type=="Ready")].status}' True
grep -q "server = \"https://registry-1.docker.io/v2\"" "$certs/docker.io/hosts.toml" \
  && grep -q "\[host.\"http://$open_reg/v2\"\]" "$certs/docker.io/hosts.toml" \
  || fail "certs.d/docker.io/hosts.toml: $(cat "$certs/docker.io/hosts.toml" 2>&1)"
grep -q "config_path = \"$certs\"" "$work/data/agent/etc/containerd/config.toml" || fail "config.toml has no config_path"
pass "registries.yaml rendered: config_path in config.toml, one hosts.toml per registry"

# (a) an image named by the local registry; (b) a docker.io image through the mirror. Neither is in the airgap set.
ctr_ images ls -q | grep -q "e2e/" && fail "an e2e image is present before any pull"
run_pod direct $open_reg/e2e/box:1
run_pod mirrored docker.io/e2e/mirrored:1
expect_pulled direct $open_reg/e2e/box:1 "$work/open/log" e2e/box
expect_pulled mirrored docker.io/e2e/mirrored:1 "$work/open/log" e2e/mirrored

# (c) the auth registry: no secret, the registry's 401 in the pod's status; with a docker-registry secret, it runs.
# The pod without a secret pulls Always: once the other pod brought the image, IfNotPresent would start it (as
# kubelet does), and every pull of its own must keep failing.
POLICY=Always run_pod nosecret $auth_reg/e2e/private:1
wait_for "without a pull secret: ImagePullBackOff" 60 \
  is pod/nosecret '{.status.containerStatuses[0].state.waiting.reason}' ImagePullBackOff
expect_output "the registry's refusal is in the pod's events" "Failed to pull image .*$auth_reg/e2e/private:1.*(401 Unauthorized|unauthorized)" \
  kubectl get events --field-selector involvedObject.name=nosecret -o jsonpath='{range .items[*]}{.message}{"\n"}{end}'
expect_output "ErrImagePull was recorded" "Error: ErrImagePull" \
  kubectl get events --field-selector involvedObject.name=nosecret -o jsonpath='{range .items[*]}{.message}{"\n"}{end}'
kubectl create secret docker-registry regcred --docker-server="$auth_reg" --docker-username=$user \
  --docker-password="$password" >/dev/null
run_pod withsecret $auth_reg/e2e/private:1 regcred
expect_pulled withsecret $auth_reg/e2e/private:1 "$work/auth/log" e2e/private
sleep 3  # the secret-less pod's next pull (its back-off is 10 s at most by now) fails again
is pod/nosecret '{.status.phase}' Pending || fail "the pod without a secret must stay Pending"
is pod/nosecret '{.status.containerStatuses[0].state.waiting.reason}' ImagePullBackOff \
  || is pod/nosecret '{.status.containerStatuses[0].state.waiting.reason}' ErrImagePull \
  || fail "the pod without a secret: $(jp pod/nosecret '{.status.containerStatuses[0].state}')"
pass "the pod without a secret still does not run: its own pulls keep failing"

# (d) credentials in registries.yaml (configs.auth): after a restart a pod pulls without a secret. The docker.io
# mirror is gone from this file, and so is its hosts directory.
cat >"$work/registries.yaml" <<YAML
mirrors:
  "$auth_reg":
    endpoint: ["http://$auth_reg"]
configs:
  "$auth_reg":
    auth:
      username: $user
      password: "$password"
YAML
stop_server
start_node_server "$work/registries.yaml"
wait_for "node $node Ready after the restart" 60 is node/$node '{.status.conditions[?(@.type=="Ready")].status}' True
[ ! -e "$certs/docker.io" ] || fail "certs.d/docker.io is still there after its mirror was removed"
[ -f "$certs/$auth_reg/hosts.toml" ] || fail "certs.d/$auth_reg/hosts.toml is missing"
pass "hosts directories follow registries.yaml (docker.io removed)"
[ "$(stat -c %a "$work/data/agent/etc/containerd/config.toml")" = 600 ] || fail "config.toml holds credentials: must be 0600"
run_pod configured $auth_reg/e2e/configured:1
expect_pulled configured $auth_reg/e2e/configured:1 "$work/auth/log" e2e/configured
expect_output "the pods started before the restart still run" "^Running Running Running\$" \
  kubectl get pods direct mirrored withsecret -o jsonpath='{.items[*].status.phase}'
