#!/usr/bin/env bash
# Installs a built skiff binary as a systemd service, as k3s' install.sh does, but from a local file: edge sites are
# offline, nothing is downloaded. Run as root:
#
#   INSTALL_SKIFF_BIN_PATH=./skiff contrib/install.sh                      # a server (the default)
#   SKIFF_URL=https://HOST:6443 SKIFF_TOKEN=K10… contrib/install.sh        # an agent (SKIFF_URL makes agent the default)
#   contrib/install.sh server --disable-agent --tls-san skiff.example      # flags after the command, as in k3s
#
# Environment (k3s' names with SKIFF for K3S):
#   INSTALL_SKIFF_BIN_PATH       the skiff binary to install (default ./skiff, else .build/release/skiff beside this
#                                script's checkout)
#   INSTALL_SKIFF_EXEC           command and flags for the service: "server …", "agent …" or only flags; without a
#                                command it is agent when SKIFF_URL is set, else server. Split on white space; put
#                                values holding spaces in the positional arguments instead.
#   SKIFF_URL, SKIFF_TOKEN, SKIFF_TOKEN_FILE, any SKIFF_<FLAG> the binary honours: written to the service's
#                                environment file (mode 0600), never to the unit
#   INSTALL_SKIFF_SKIP_ENABLE    true: do not enable the service
#   INSTALL_SKIFF_SKIP_START     true: do not start (or restart) the service
#   INSTALL_SKIFF_SYMLINK        skip: no kubectl/crictl/ctr links; force: replace what is there; default: link only
#                                where no such command is in PATH
#   INSTALL_SKIFF_AIRGAP_TARBALL an airgap image archive (.tar, .tar.gz, .tar.zst) copied into <data-dir>/agent/images/
#   INSTALL_SKIFF_BIN_DIR        where skiff, the links and the scripts go (default /usr/local/bin)
#   INSTALL_SKIFF_SYSTEMD_DIR    where the unit and its environment file go (default /etc/systemd/system)
#   INSTALL_SKIFF_ROOT           a root prefix (tests): every path written is under it, and systemctl is not called
#
# It writes <bin>/skiff, the links, skiff.service (or skiff-agent.service) with <unit>.env, <bin>/skiff-killall.sh and
# <bin>/skiff-uninstall.sh (skiff-agent-uninstall.sh). A second run with the same inputs changes nothing.
set -euo pipefail

info() { echo "[INFO]  $*"; }
warn() { echo "[WARN]  $*" >&2; }
fatal() {
  echo "[ERROR] $*" >&2
  exit 1
}

is_true() { case "${1:-}" in 1 | true | yes | on | TRUE | True | YES) return 0 ;; *) return 1 ;; esac }

ROOT=${INSTALL_SKIFF_ROOT:-}
ROOT=${ROOT%/}
[ -z "$ROOT" ] || [ "${ROOT:0:1}" = / ] || fatal "INSTALL_SKIFF_ROOT must be an absolute path, not $ROOT"
BIN_DIR=${INSTALL_SKIFF_BIN_DIR:-/usr/local/bin}
SYSTEMD_DIR=${INSTALL_SKIFF_SYSTEMD_DIR:-/etc/systemd/system}
for dir in "$BIN_DIR" "$SYSTEMD_DIR"; do
  [ "${dir:0:1}" = / ] || fatal "install directories must be absolute paths, not $dir"
done

if [ -z "$ROOT" ] && [ "$(id -u)" != 0 ]; then
  fatal "run as root (or set INSTALL_SKIFF_ROOT to install under a prefix)"
fi

# --- the binary --------------------------------------------------------------------------------------------------
source_bin=${INSTALL_SKIFF_BIN_PATH:-}
if [ -z "$source_bin" ]; then
  checkout_bin="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.build/release/skiff"
  for candidate in ./skiff "$checkout_bin"; do
    if [ -f "$candidate" ]; then
      source_bin=$candidate
      break
    fi
  done
  [ -n "$source_bin" ] || fatal "no skiff binary: set INSTALL_SKIFF_BIN_PATH (tried ./skiff and $checkout_bin)"
fi
{ [ -f "$source_bin" ] && [ -x "$source_bin" ]; } || fatal "INSTALL_SKIFF_BIN_PATH $source_bin is not an executable file"
version=$("$source_bin" --version 2>/dev/null) || fatal "$source_bin does not run here (skiff --version failed)"

# --- the command: server or agent, and its flags -----------------------------------------------------------------
exec_words=()
if [ -n "${INSTALL_SKIFF_EXEC:-}" ]; then
  read -r -a exec_words <<<"$INSTALL_SKIFF_EXEC"
fi
args=("${exec_words[@]}" "$@")
case "${args[0]:-}" in
  server | agent)
    command=${args[0]}
    args=("${args[@]:1}")
    ;;
  "" | -*)
    if [ -n "${SKIFF_URL:-}" ]; then command=agent; else command=server; fi
    ;;
  *) fatal "the command must be server or agent, not ${args[0]} (INSTALL_SKIFF_EXEC=\"${INSTALL_SKIFF_EXEC:-}\")" ;;
esac

# flag_value LONG [SHORT]: the last value given to --LONG (or -SHORT) in the service's flags.
flag_value() {
  local long=$1 short=${2:-} value="" i
  for ((i = 0; i < ${#args[@]}; i++)); do
    case "${args[i]}" in
      "--$long="*) value=${args[i]#--"$long"=} ;;
      "--$long") if ((i + 1 < ${#args[@]})); then value=${args[i + 1]}; fi ;;
      -?) if [ -n "$short" ] && [ "${args[i]}" = "-$short" ] && ((i + 1 < ${#args[@]})); then value=${args[i + 1]}; fi ;;
    esac
  done
  printf '%s' "$value"
}

config_file=$(flag_value config c)
config_file=${config_file:-${SKIFF_CONFIG_FILE:-/etc/skiff/config.yaml}}

# setting KEY [SHORT]: a setting as the binary resolves it (flag, then SKIFF_<KEY>, then a plain `key: value` line of
# the config file), or empty.
setting() {
  local key=$1 value env_name
  value=$(flag_value "$key" "${2:-}")
  if [ -z "$value" ]; then
    env_name="SKIFF_$(printf '%s' "$key" | tr 'a-z-' 'A-Z_')"
    value=${!env_name:-}
  fi
  if [ -z "$value" ] && [ -f "$ROOT$config_file" ]; then
    value=$(sed -n -E "s/^$key:[[:space:]]*[\"']?([^\"'#[:space:]]*)[\"']?[[:space:]]*(#.*)?\$/\\1/p" \
      "$ROOT$config_file" | tail -n 1)
  fi
  printf '%s' "$value"
}

if [ "$command" = agent ]; then
  [ -n "${SKIFF_URL:-}" ] || [ -n "$(setting server s)" ] ||
    fatal "an agent needs the server's URL: set SKIFF_URL (or --server in INSTALL_SKIFF_EXEC)"
  [ -n "$(setting token t)" ] || [ -n "$(setting token-file)" ] ||
    fatal "an agent needs a join token: set SKIFF_TOKEN or SKIFF_TOKEN_FILE (or --token in INSTALL_SKIFF_EXEC)"
  service=skiff-agent
else
  service=skiff
fi
data_dir=$(setting data-dir d)
data_dir=${data_dir:-/var/lib/skiff}
cluster_cidr=$(setting cluster-cidr)
service_cidr=$(setting service-cidr)
cluster_dns=$(setting cluster-dns)
cluster_cidr=${cluster_cidr:-10.42.0.0/16}
service_cidr=${service_cidr:-10.43.0.0/16}
cluster_dns=${cluster_dns:-10.43.0.10}
{ [ "${data_dir:0:1}" = / ] && [ "$data_dir" != / ]; } || fatal "the data dir must be an absolute path other than /"

systemctl_ok=false
if [ -z "$ROOT" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then systemctl_ok=true; fi

# --- writing files: only when their bytes (or mode) differ, so a second run changes nothing -------------------------
changed=()
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# put SOURCE DEST MODE: copies SOURCE over DEST unless identical; a new file is renamed into place (never half-written,
# and a running binary is replaced, not overwritten).
put() {
  local source=$1 dest=$2 mode=$3 dir name
  dir=$(dirname "$dest")
  name=$(basename "$dest")
  if [ -f "$dest" ] && [ ! -L "$dest" ] && cmp -s "$source" "$dest"; then
    if [ "$(stat -c %a "$dest")" != "${mode#0}" ]; then
      chmod "$mode" "$dest"
      changed+=("$dest (mode)")
      info "mode of $dest set to $mode"
    fi
    return 0
  fi
  mkdir -p "$dir"
  cp "$source" "$dir/.$name.installing"
  chmod "$mode" "$dir/.$name.installing"
  mv -f "$dir/.$name.installing" "$dest"
  changed+=("$dest")
  info "installed $dest"
}

# put_text DEST MODE: put with standard input as the content (never at the end of a pipeline: put's record of changes
# would be lost in the subshell).
put_text() {
  local file
  file=$(mktemp "$scratch/text.XXXXXX")
  cat >"$file"
  put "$file" "$1" "$2"
}

# sq WORD: WORD single-quoted for bash.
sq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# --- binary and links ----------------------------------------------------------------------------------------------
put "$source_bin" "$ROOT$BIN_DIR/skiff" 0755
info "skiff: $version"

# A link would shadow the real tool that `skiff kubectl` (and the other passthroughs) run from PATH, so as k3s does,
# link only where no such command exists, unless INSTALL_SKIFF_SYMLINK=force.
symlink_mode=${INSTALL_SKIFF_SYMLINK:-}
for tool in kubectl crictl ctr; do
  link="$ROOT$BIN_DIR/$tool"
  if [ "$symlink_mode" = skip ]; then
    info "not linking $link (INSTALL_SKIFF_SYMLINK=skip)"
    continue
  fi
  if [ -L "$link" ]; then
    case "$(readlink "$link")" in skiff | "$BIN_DIR/skiff") continue ;; esac
  fi
  if [ "$symlink_mode" != force ]; then
    if [ -e "$link" ] || [ -L "$link" ]; then
      info "skipping the $link link to skiff: it already exists"
      continue
    fi
    found=""
    IFS=: read -r -a path_dirs <<<"${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}"
    for dir in "${path_dirs[@]}"; do
      if [ -n "$dir" ] && [ "$dir" != "$BIN_DIR" ] && [ -x "$ROOT$dir/$tool" ] && [ ! -d "$ROOT$dir/$tool" ]; then
        found="$dir/$tool"
        break
      fi
    done
    if [ -n "$found" ]; then
      info "skipping the $link link to skiff: $tool is in PATH at $ROOT$found"
      continue
    fi
  fi
  mkdir -p "$ROOT$BIN_DIR"
  ln -sfn skiff "$link"
  changed+=("$link")
  info "linked $link -> skiff"
done

# --- airgap images -------------------------------------------------------------------------------------------------
if [ -n "${INSTALL_SKIFF_AIRGAP_TARBALL:-}" ]; then
  tarball=$INSTALL_SKIFF_AIRGAP_TARBALL
  [ -f "$tarball" ] || fatal "INSTALL_SKIFF_AIRGAP_TARBALL $tarball is not a file"
  case "$tarball" in
    *.tar | *.tar.gz | *.tgz | *.tar.zst) ;;
    *) fatal "INSTALL_SKIFF_AIRGAP_TARBALL must be a .tar, .tar.gz, .tgz or .tar.zst archive, not $tarball" ;;
  esac
  put "$tarball" "$ROOT$data_dir/agent/images/$(basename "$tarball")" 0644
fi

# --- environment file ----------------------------------------------------------------------------------------------
# Only the SKIFF_* variables the binary reads (one per flag of `skiff server|agent --help`, and SKIFF_URL,
# SKIFF_CONFIG_FILE, SKIFF_KUBECONFIG) go in; the file is root's alone since it holds the token.
mapfile -t known < <(
  {
    "$source_bin" "$command" --help 2>/dev/null | grep -o -E -- '--[a-z][a-z0-9-]*' |
      grep -v -x -E -- '--(help|version|config)' | sed 's/^--//' | tr 'a-z-' 'A-Z_' | sed 's/^/SKIFF_/'
    printf '%s\n' SKIFF_URL SKIFF_CONFIG_FILE SKIFF_KUBECONFIG
  } | sort -u
)
env_lines=()
while IFS= read -r name; do
  value=${!name}
  if ! printf '%s\n' "${known[@]}" | grep -q -x -F -- "$name"; then
    warn "not writing $name to the environment file: skiff $command does not read it"
    continue
  fi
  case "$value" in *$'\n'*) fatal "$name holds a newline" ;; esac
  value=${value//\\/\\\\}
  value=${value//\"/\\\"}
  env_lines+=("$name=\"$value\"")
done < <(compgen -e | grep -E '^SKIFF_' | LC_ALL=C sort)
env_file="$SYSTEMD_DIR/$service.service.env"
put_text "$ROOT$env_file" 0600 < <(printf '%s\n' "${env_lines[@]+"${env_lines[@]}"}" | sed '/^$/d')

# --- systemd unit --------------------------------------------------------------------------------------------------
# systemd_word WORD: WORD single-quoted for a unit's command line (% and $ would be specifiers and variables).
systemd_word() {
  local word=$1
  case "$word" in *"'"* | *\\* | *$'\n'*) fatal "a service flag must not hold a quote, backslash or newline: $word" ;; esac
  word=${word//%/%%}
  word=${word//\$/\$\$}
  printf "'%s'" "$word"
}
exec_start="ExecStart=$BIN_DIR/skiff \\"$'\n'"    $command"
for arg in "${args[@]+"${args[@]}"}"; do
  exec_start+=" \\"$'\n'"        $(systemd_word "$arg")"
done
if [ "$command" = server ]; then
  description="skiff: lightweight Kubernetes for the edge (server)"
else
  description="skiff: lightweight Kubernetes for the edge (agent)"
fi
put_text "$ROOT$SYSTEMD_DIR/$service.service" 0644 <<EOF
[Unit]
Description=$description
Wants=network-online.target
After=network-online.target

[Install]
WantedBy=multi-user.target

[Service]
# The $command sends READY=1 through \$NOTIFY_SOCKET once it is ready.
Type=notify
EnvironmentFile=-/etc/default/%N
EnvironmentFile=-/etc/sysconfig/%N
EnvironmentFile=-$env_file
# Stopping skiff leaves the pods running (skiff-killall.sh stops them); skiff manages its own cgroups.
KillMode=process
Delegate=yes
User=root
# Non-zero Limit*s cost accounting overhead in the kernel; containers are limited by their cgroups.
LimitNOFILE=1048576
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
TimeoutStartSec=0
Restart=always
RestartSec=5s
ExecStartPre=-/sbin/modprobe br_netfilter
ExecStartPre=-/sbin/modprobe overlay
$exec_start
EOF

# --- killall and uninstall scripts ---------------------------------------------------------------------------------
# Both carry the install's paths (under INSTALL_SKIFF_ROOT when set: then they act on that root only and never call
# systemctl) in a header, then a fixed body.
# header [network]: the first lines, with the network settings too for killall.
header() {
  cat <<EOF
#!/usr/bin/env bash
# Written by skiff's contrib/install.sh ($version).
set -euo pipefail
ROOT=$(sq "$ROOT")
BIN_DIR=$(sq "$BIN_DIR")
SYSTEMD_DIR=$(sq "$SYSTEMD_DIR")
DATA_DIR=$(sq "$data_dir")
EOF
  if [ "${1:-}" = network ]; then
    cat <<EOF
CLUSTER_CIDR=$(sq "$cluster_cidr")
SERVICE_CIDR=$(sq "$service_cidr")
CLUSTER_DNS=$(sq "$cluster_dns")
EOF
  fi
}

killall_text=$scratch/killall.sh
{
  header network
  cat <<'EOF'
# Stops skiff and everything it started on this node: the skiff services (or skiff processes run by hand), the pods
# (containerd's shims and their processes), skiff's containerd; unmounts what is mounted under the data dir and
# /run/skiff and the pods' network namespaces; removes the pod bridge, the CNI state, the agent's iptables rules and
# portmap's rules for skiff's pods, the service proxy's nftables table and the cluster DNS address on lo. Every step
# tolerates what is already gone, so it can run any number of times. The node starts again with `systemctl start`.
BRIDGE=skiff0
NFT_TABLE=skiff-proxy
SOCKET="$ROOT$DATA_DIR/agent/containerd/containerd.sock"
CONTAINERD_CONFIG="$ROOT$DATA_DIR/agent/etc/containerd/config.toml"
CONTAINERD_STATE="$ROOT$DATA_DIR/agent/run"
status=0

[ "$(id -u)" = 0 ] || { echo "skiff-killall.sh: run as root" >&2; exit 1; }

# --- processes -----------------------------------------------------------------------------------------------------
# pids_with TEXT: processes whose command line (arguments joined by spaces) contains " TEXT ".
pids_with() {
  local dir args
  for dir in /proc/[0-9]*; do
    [ "${dir#/proc/}" != $$ ] || continue
    args=$(tr '\0' ' ' 2>/dev/null <"$dir/cmdline") || continue
    case " $args" in *" $1 "*) echo "${dir#/proc/}" ;; esac
  done
}

# tree PID…: the PIDs and all their descendants, read before anything is killed (a killed shim's children would
# be re-parented out of reach).
tree() {
  local -A children=()
  local stat line ppid pid
  for stat in /proc/[0-9]*/stat; do
    line=$(cat "$stat" 2>/dev/null) || continue
    read -r _ ppid _ <<<"${line##*) }"
    pid=${stat#/proc/}
    children[$ppid]+=" ${pid%/stat}"
  done
  local queue=("$@") next=()
  while [ ${#queue[@]} -gt 0 ]; do
    next=()
    for pid in "${queue[@]}"; do
      echo "$pid"
      # shellcheck disable=SC2206 # the PIDs are numbers
      next+=(${children[$pid]:-})
    done
    queue=("${next[@]+"${next[@]}"}")
  done
}

# stop PID…: SIGTERM, up to 15 s to exit, then SIGKILL.
stop() {
  [ $# -gt 0 ] || return 0
  kill -TERM "$@" 2>/dev/null || true
  local pid alive
  for _ in $(seq 150); do
    alive=0
    for pid in "$@"; do if kill -0 "$pid" 2>/dev/null; then alive=1; fi; done
    [ $alive = 1 ] || return 0
    sleep 0.1
  done
  kill -KILL "$@" 2>/dev/null || true
}

if [ -z "$ROOT" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  for unit in "$SYSTEMD_DIR"/skiff*.service; do
    [ -s "$unit" ] || continue
    systemctl stop "$(basename "$unit")" || true
  done
fi

# skiff processes of this binary not run by systemd (a graceful stop also stops their containerd).
skiff_pids=()
for exe in /proc/[0-9]*/exe; do
  case "$(readlink "$exe" 2>/dev/null)" in
    "$ROOT$BIN_DIR/skiff" | "$ROOT$BIN_DIR/skiff (deleted)")
      pid=${exe#/proc/}
      skiff_pids+=("${pid%/exe}")
      ;;
  esac
done
stop "${skiff_pids[@]+"${skiff_pids[@]}"}"

# The pods' network namespaces, named by the sandboxes' bundles in containerd's state (read before it is removed).
pod_netns=()
for config in "$CONTAINERD_STATE"/containerd/io.containerd.runtime.v2.task/*/*/config.json; do
  [ -f "$config" ] || continue
  while read -r path; do
    case "$path" in */netns/cni-*) pod_netns+=("$path") ;; esac
  done < <(grep -o -E '"path": *"[^"]*/netns/cni-[^"]*"' "$config" | sed -E 's/.*"([^"]*)"$/\1/')
done

# The pods: every shim of skiff's containerd with all its processes, killed at once; then skiff's containerd.
for _ in 1 2 3; do
  shims=()
  for pid in $(pids_with "-address $SOCKET"); do
    case "$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" in *containerd-shim*) shims+=("$pid") ;; esac
  done
  [ ${#shims[@]} -gt 0 ] || break
  mapfile -t doomed < <(tree "${shims[@]}")
  kill -KILL "${doomed[@]}" 2>/dev/null || true
  sleep 0.2
done
mapfile -t containerd_pids < <(pids_with "--config $CONTAINERD_CONFIG")
stop "${containerd_pids[@]+"${containerd_pids[@]}"}"

# --- mounts --------------------------------------------------------------------------------------------------------
# unmount_under DIR: every mount point at or under DIR, deepest first, until none is left (mounts can be stacked).
unmount_under() {
  local prefix path round
  prefix=$(readlink -f "$1" 2>/dev/null) || prefix=$1 # /proc/self/mounts names real paths (/var/run is /run)
  for round in 1 2 3 4 5 6; do
    local mounts=()
    while read -r _ path _; do
      path=$(printf '%b' "$path")
      case "$path" in "$prefix" | "$prefix"/*) mounts+=("$path") ;; esac
    done </proc/self/mounts
    [ ${#mounts[@]} -gt 0 ] || return 0
    if [ $round = 6 ]; then
      echo "skiff-killall.sh: still mounted: ${mounts[*]}" >&2
      status=1
      return 0
    fi
    while read -r path; do
      umount "$path" 2>/dev/null || umount -l "$path" 2>/dev/null || true
    done < <(printf '%s\n' "${mounts[@]}" | sort -r -u)
  done
}
unmount_under "$ROOT/run/skiff"
unmount_under "$ROOT$DATA_DIR"
for path in "${pod_netns[@]+"${pod_netns[@]}"}"; do
  path=$(readlink -f "$path" 2>/dev/null) || continue
  unmount_under "$path"
  rm -f "$path"
done
rm -rf "$ROOT/run/skiff" "$CONTAINERD_STATE"

# --- network (of the namespace this runs in) -----------------------------------------------------------------------
if ip link show "$BRIDGE" >/dev/null 2>&1; then
  while read -r iface; do
    ip link delete "$iface" 2>/dev/null || true
  done < <(ip -o link show master "$BRIDGE" | awk -F': ' '{print $2}' | cut -d@ -f1)
  ip link delete "$BRIDGE"
fi

# in_cidr ADDRESS CIDR: whether the IPv4 ADDRESS is inside CIDR.
ip4() {
  local IFS=. a b c d
  read -r a b c d <<<"$1"
  echo $(((a << 24) + (b << 16) + (c << 8) + d))
}
in_cidr() {
  local bits=${2#*/}
  local mask=$(((0xffffffff << (32 - bits)) & 0xffffffff))
  [ $(($(ip4 "$1") & mask)) = $(($(ip4 "${2%/*}") & mask)) ]
}

# The cluster DNS address (and any other /32 of the service CIDR) the agent put on lo.
while read -r address; do
  case "$address" in */32) ;; *) continue ;; esac
  if [ "${address%/32}" = "$CLUSTER_DNS" ] || in_cidr "${address%/32}" "$SERVICE_CIDR"; then
    ip address del "$address" dev lo 2>/dev/null || true
  fi
done < <(ip -4 -o address show dev lo | awk '{print $4}')

# Routes to other nodes' pod CIDRs (host-gw).
while read -r destination rest; do
  case "$destination" in */*) ;; *) continue ;; esac
  case " $rest " in *" via "*) ;; *) continue ;; esac
  if in_cidr "${destination%/*}" "$CLUSTER_CIDR"; then ip route del "$destination" 2>/dev/null || true; fi
done < <(ip -4 route show)

if command -v iptables >/dev/null; then
  for rule in "nat POSTROUTING SKIFF-POSTROUTING" "filter FORWARD SKIFF-FORWARD"; do
    read -r table hook chain <<<"$rule"
    while iptables -w -t "$table" -D "$hook" -j "$chain" 2>/dev/null; do :; done
    if iptables -w -t "$table" -n -L "$chain" >/dev/null 2>&1; then
      iptables -w -t "$table" -F "$chain"
      iptables -w -t "$table" -X "$chain"
    fi
  done
  # portmap's rules for the pods of skiff's CNI network ("skiff"): the jumps that name it and the chains they jump to.
  if command -v iptables-save >/dev/null; then
    mapfile -t jumps < <(iptables-save -t nat 2>/dev/null | grep -F -e '--comment "dnat name: \"skiff\" id: ' |
      grep -E -e '^-A CNI-HOSTPORT-DNAT .* -j CNI-DN-[0-9a-f]+$' || true)
    if [ ${#jumps[@]} -gt 0 ]; then
      {
        echo '*nat'
        for jump in "${jumps[@]}"; do echo "-D ${jump#-A }"; done
        for jump in "${jumps[@]}"; do echo "${jump##* -j }"; done | sort -u | sed -e 's/^/-F /p; s/^-F /-X /'
        echo COMMIT
      } | iptables-restore -w --noflush
    fi
  fi
fi

if command -v nft >/dev/null && nft list table ip "$NFT_TABLE" >/dev/null 2>&1; then
  nft delete table ip "$NFT_TABLE"
fi

# --- CNI state -----------------------------------------------------------------------------------------------------
rm -rf "$ROOT$DATA_DIR/agent/cni" "$ROOT/var/lib/cni/networks/skiff"
for result in "$ROOT"/var/lib/cni/results/skiff-*; do
  [ -e "$result" ] || continue
  id=${result##*/skiff-}
  rm -f "$result" "$ROOT/var/lib/cni/results/cni-loopback-${id%-*}-lo"
done
if [ $status = 0 ]; then echo "skiff-killall.sh: done"; else echo "skiff-killall.sh: done, with errors" >&2; fi
exit $status
EOF
} >"$killall_text"
put "$killall_text" "$ROOT$BIN_DIR/skiff-killall.sh" 0755

uninstall_name=$service-uninstall.sh
uninstall_text=$scratch/uninstall.sh
{
  header
  cat <<EOF
SERVICE=$service
UNINSTALL=$uninstall_name
EOF
  cat <<'EOF'
# Removes skiff from this node: runs skiff-killall.sh, removes the service, and, when no other skiff service is
# left, the kubectl/crictl/ctr links that point to skiff, the binary, /etc/skiff, the data dir, /run/skiff and these
# scripts.
[ "$(id -u)" = 0 ] || { echo "$UNINSTALL: run as root" >&2; exit 1; }
{ [ "${DATA_DIR:0:1}" = / ] && [ "$DATA_DIR" != / ]; } || { echo "refusing to remove data dir '$DATA_DIR'" >&2; exit 1; }
trap 'rm -f "$ROOT$BIN_DIR/$UNINSTALL"' EXIT

if [ -x "$ROOT$BIN_DIR/skiff-killall.sh" ]; then "$ROOT$BIN_DIR/skiff-killall.sh"; fi

systemd=false
if [ -z "$ROOT" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then systemd=true; fi
if $systemd; then
  systemctl disable "$SERVICE" 2>/dev/null || true
  systemctl reset-failed "$SERVICE" 2>/dev/null || true
fi
rm -f "$ROOT$SYSTEMD_DIR/$SERVICE.service" "$ROOT$SYSTEMD_DIR/$SERVICE.service.env" \
  "$ROOT$SYSTEMD_DIR/multi-user.target.wants/$SERVICE.service"
if $systemd; then systemctl daemon-reload; fi

for unit in "$ROOT$SYSTEMD_DIR"/skiff*.service; do
  if [ -e "$unit" ]; then
    echo "$UNINSTALL: $unit is still installed: keeping the binary, the data and the configuration"
    exit 0
  fi
done

for tool in kubectl crictl ctr; do
  link="$ROOT$BIN_DIR/$tool"
  if [ -L "$link" ]; then
    case "$(readlink "$link")" in skiff | "$BIN_DIR/skiff") rm -f "$link" ;; esac
  fi
done
rm -f "$ROOT$BIN_DIR/skiff"
rm -rf "$ROOT/etc/skiff" "$ROOT$DATA_DIR" "$ROOT/run/skiff"
rm -f "$ROOT$BIN_DIR/skiff-killall.sh"
echo "$UNINSTALL: done"
EOF
} >"$uninstall_text"
put "$uninstall_text" "$ROOT$BIN_DIR/$uninstall_name" 0755

# --- systemd -------------------------------------------------------------------------------------------------------
if ! $systemctl_ok; then
  if [ -n "$ROOT" ]; then
    info "INSTALL_SKIFF_ROOT is set: not calling systemctl"
  else
    info "systemd is not running: not enabling or starting $service (run $BIN_DIR/skiff $command yourself)"
  fi
else
  if [ ${#changed[@]} -gt 0 ]; then systemctl daemon-reload; fi
  if ! is_true "${INSTALL_SKIFF_SKIP_ENABLE:-}"; then
    systemctl enable "$service.service"
  fi
  if ! is_true "${INSTALL_SKIFF_SKIP_START:-}"; then
    if [ ${#changed[@]} -gt 0 ] && systemctl is-active --quiet "$service.service"; then
      info "restarting $service"
      systemctl restart "$service.service"
    else
      info "starting $service"
      systemctl start "$service.service"
    fi
  fi
fi

if [ ${#changed[@]} -eq 0 ]; then
  info "nothing changed: skiff ($service) is up to date"
else
  info "done: ${#changed[@]} change(s); uninstall with $BIN_DIR/$uninstall_name"
fi
