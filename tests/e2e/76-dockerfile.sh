#!/usr/bin/env bash
# The Dockerfile's runtime image, built and run with podman (root only; SKIPPED when podman is not installed). There is
# no registry here, so the Debian base image is made locally once (debootstrap from the machine's own apt source,
# imported as localhost/skiff-e2e-debian:bookworm and kept as a cache, like the Python venv of e2e 20) and passed as
# RUNTIME_IMAGE; the `runtime-prebuilt` target then takes $SKIFF_BIN with the Swift runtime libraries it links (the
# `builder` stage needs the Swift packages from the network and is not built here). Checks: the image's entrypoint,
# command, volume and port; containerd, runc, ctr, the CNI plugins, iptables, nft, ip and modprobe are in it; run as
# k3s' image is (--privileged, a volume for /var/lib/skiff, `server` by default) in a private network namespace (so
# the agent's bridge, rules and cluster DNS address never touch the host; -p is not tested for the same reason), the
# node becomes Ready and a busybox pod from the airgap archive runs and logs; `podman stop` ends it.
source "$(dirname "$0")/lib/common.sh"
if [ "$(id -u)" != 0 ]; then echo "SKIP 76-dockerfile: needs root"; exit 0; fi
if ! command -v podman >/dev/null; then
  echo "SKIP 76-dockerfile: podman is not installed (apt-get install podman debootstrap) — the Dockerfile was NOT tested"
  exit 0
fi
repo=$(realpath "$(dirname "$0")/../..")
bundle="$repo/airgap/dist/skiff-airgap-images-amd64.tar"
[ -f "$bundle" ] || fail "airgap bundle missing: run make airgap"
base=localhost/skiff-e2e-debian:bookworm
image="localhost/skiff-e2e76:$$"
name="skiff-e2e76-$$"
ns="skiff-e2e76-$$"
volume="skiff-e2e76-$$"
cleanup_76() {
  local status=$?
  set +e
  podman rm -f -t 0 "$name" >/dev/null 2>&1
  podman volume rm -f "$volume" >/dev/null 2>&1
  podman rmi -f "$image" >/dev/null 2>&1
  ip netns delete "$ns" 2>/dev/null
  (exit $status)
  cleanup
}
trap cleanup_76 EXIT
# podman's default RLIMIT_NOFILE/NPROC can be above what this machine lets runc set ("error setting rlimit type 7");
# the host's own hard limits (nproc at most 32768) always work.
nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] && nofile=1048576
nproc=$(ulimit -Hu)
{ [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; } && nproc=32768
limits=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")

# --- the base image, made once --------------------------------------------------------------------------------------
if ! podman image exists "$base"; then
  command -v debootstrap >/dev/null || fail "debootstrap is not installed (apt-get install debootstrap)"
  mirror=$(sed -n -E 's/^URIs:[[:space:]]*([^[:space:]]+).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null |
    head -n 1)
  echo "making $base with debootstrap (once; about a minute)"
  debootstrap --variant=minbase bookworm "$work/rootfs" ${mirror:+"$mirror"} >"$work/debootstrap.log" 2>&1 ||
    fail "debootstrap failed: $(tail -5 "$work/debootstrap.log")"
  tar -C "$work/rootfs" -c . | podman import -q - "$base" >/dev/null || fail "podman import failed"
  rm -rf "$work/rootfs"
fi

# --- build the runtime-prebuilt target -----------------------------------------------------------------------------
context="$work/context"
mkdir -p "$context/swift-libs"
cp "$SKIFF_BIN" "$context/skiff"
# The libraries skiff links that Debian does not ship: the Swift runtime's (none for a --static-swift-stdlib build).
while read -r lib; do cp "$lib" "$context/swift-libs/"; done < <(ldd "$SKIFF_BIN" |
  awk '$3 ~ /^\// && $3 !~ /^\/(usr\/)?lib(64)?\// {print $3}')
start=$(date +%s)
podman build --network host --build-arg RUNTIME_IMAGE="$base" --target runtime-prebuilt -f "$repo/Dockerfile" \
  -t "$image" "$context" >"$work/build.log" 2>&1 || fail "podman build failed: $(tail -20 "$work/build.log")"
grep -q 'skiff version' "$work/build.log" || fail "the image's skiff --version did not run"
pass "podman build --target runtime-prebuilt on $base ($(($(date +%s) - start)) s)"
config=$(podman image inspect "$image" --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}} {{json .Config.Volumes}} {{json .Config.ExposedPorts}}')
[ "$config" = '["/usr/local/bin/skiff"] ["server"] {"/var/lib/skiff":{}} {"6443/tcp":{}}' ] ||
  fail "image config: $config"
pass "image: ENTRYPOINT skiff, CMD server, VOLUME /var/lib/skiff, EXPOSE 6443"
tools=$(podman run --rm --network none "${limits[@]}" --entrypoint /bin/sh "$image" -c \
  'for t in containerd runc ctr iptables nft ip modprobe mount; do command -v $t || echo "missing $t"; done
   for p in bridge host-local portmap loopback; do test -x /usr/lib/cni/$p || echo "missing cni $p"; done' 2>&1) ||
  fail "cannot run the image: $tools"
if grep -q missing <<<"$tools"; then fail "the image lacks tools: $tools"; fi
pass "image: containerd, runc, ctr, iptables, nft, ip, modprobe and the CNI plugins are there"

# --- run it as k3s' image is run -----------------------------------------------------------------------------------
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" ip link add e76a type veth peer name e76b
ip netns exec "$ns" ip address add 192.0.2.76/24 dev e76a
ip netns exec "$ns" ip link set e76a up
ip netns exec "$ns" ip link set e76b up
ip netns exec "$ns" ip route add default via 192.0.2.1
podman volume create "$volume" >/dev/null
podman run -d --name "$name" --privileged "${limits[@]}" --network "ns:/run/netns/$ns" -v "$volume:/var/lib/skiff" \
  -v "$bundle:/var/lib/skiff/agent/images/$(basename "$bundle"):ro" "$image" >/dev/null ||
  fail "podman run failed"
for _ in $(seq 300); do
  podman exec "$name" test -f /etc/skiff/skiff.yaml 2>/dev/null && break
  [ "$(podman inspect "$name" --format '{{.State.Running}}')" = true ] ||
    fail "the container stopped: $(podman logs "$name" 2>&1 | tail -20)"
  sleep 0.2
done
podman cp "$name:/etc/skiff/skiff.yaml" "$work/kubeconfig"
k() { nsenter --net="/run/netns/$ns" kubectl --kubeconfig "$work/kubeconfig" --cache-dir "$work/kube-cache" "$@"; }
for _ in $(seq 300); do
  [ "$(k get nodes -o jsonpath='{.items[0].status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ] &&
    break
  sleep 0.2
done
[ "$(k get nodes -o jsonpath='{.items[0].status.conditions[?(@.type=="Ready")].status}')" = True ] ||
  fail "the node in the container is not Ready: $(k get nodes 2>&1) $(podman logs "$name" 2>&1 | tail -20)"
pass "podman run --privileged -v …:/var/lib/skiff IMAGE: skiff server is up and its node Ready"
k run e2e76 --image=busybox --image-pull-policy=IfNotPresent --restart=Never -- \
  sh -c 'echo hello from the skiff image; sleep 3600' >/dev/null
for _ in $(seq 300); do
  [ "$(k get pod e2e76 -o jsonpath='{.status.phase}' 2>/dev/null)" = Running ] && break
  sleep 0.2
done
for _ in $(seq 50); do k logs e2e76 2>/dev/null | grep -q 'hello from the skiff image' && break; sleep 0.2; done
k logs e2e76 | grep -q 'hello from the skiff image' ||
  fail "the pod did not run: $(k get pod e2e76 -o wide 2>&1) $(podman logs "$name" 2>&1 | tail -20)"
pass "a busybox pod from the airgap archive runs in the container (containerd, runc, CNI) and logs"
podman stop -t 20 "$name" >/dev/null || fail "podman stop failed"
[ "$(podman inspect "$name" --format '{{.State.Running}}')" = false ] || fail "the container still runs"
pass "podman stop ends it"
