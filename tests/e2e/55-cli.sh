#!/usr/bin/env bash
# The CLI around a server: config layering (flag > SKIFF_* environment > config file; `--config FILE` and the default
# /etc/skiff/config.yaml), then `skiff snapshot save` on a running server and `skiff snapshot restore` once stopped.
source "$(dirname "$0")/lib/common.sh"

# The names in the certificate the server serves, one a line (DNS:…, IP Address:…).
served_names() {
  { openssl s_client -connect "127.0.0.1:$port" </dev/null 2>/dev/null || true; } |
    openssl x509 -noout -ext subjectAltName | sed 1d | tr ',' '\n' | sed 's/^ *//'
}
# names_are WHAT WANTED UNWANTED…: the served certificate names WANTED and none of UNWANTED.
names_are() {
  local what=$1 wanted=$2 names; shift 2
  names=$(served_names)
  grep -qx "DNS:$wanted" <<<"$names" || fail "$what: no DNS:$wanted in the served certificate: $(xargs <<<"$names")"
  for name in "$@"; do
    ! grep -qx "DNS:$name" <<<"$names" || fail "$what: DNS:$name in the served certificate: $(xargs <<<"$names")"
  done
  pass "$what: the certificate names $wanted${*:+, not $*}"
}
fresh() { stop_server; rm -rf "$work/data" "$KUBECONFIG"; }  # the next start_server begins from nothing

# Each setting is given in some layers only; the one that must win names itself.
cat >"$work/config.yaml" <<YAML
https-listen-port: $(free_port)
write-kubeconfig-mode: "0640"
tls-san: [file.skiff.test]
service-cidr: 10.44.0.0/16
YAML
SKIFF_HTTPS_LISTEN_PORT=$(free_port) SKIFF_WRITE_KUBECONFIG_MODE=0604 SKIFF_TLS_SAN=env.skiff.test \
  start_server --config "$work/config.yaml"
expect_output "flag beats environment and file: https-listen-port" '^pong$' curl -sk "https://127.0.0.1:$port/ping"
expect_output "the kubeconfig names the flag's port" "^https://127\.0\.0\.1:$port$" \
  kubectl config view -o jsonpath='{.clusters[0].cluster.server}'
expect_output "environment beats file: write-kubeconfig-mode 0604" '^604$' stat -c %a "$KUBECONFIG"
names_are "environment beats file for a list (tls-san)" env.skiff.test file.skiff.test
expect_output "a setting in --config FILE alone applies: service-cidr" '^10\.44\.0\.1$' \
  kubectl get svc kubernetes -o jsonpath='{.spec.clusterIP}'
fresh
SKIFF_TLS_SAN=env.skiff.test start_server --config "$work/config.yaml" --tls-san flag.skiff.test
names_are "flag beats environment and file for a list (tls-san)" flag.skiff.test env.skiff.test file.skiff.test
expect_output "without the environment, the file's write-kubeconfig-mode 0640 applies" '^640$' stat -c %a "$KUBECONFIG"
fresh

# The default file, /etc/skiff/config.yaml: made here only if there is none (and then only for two starts, with a
# setting harmless to any other server on this machine), removed at once.
if [ -e /etc/skiff/config.yaml ]; then
  echo "SKIPPED: /etc/skiff/config.yaml exists on this machine; the default config file is not tested" >&2
else
  made_etc_skiff=""; [ -d /etc/skiff ] || made_etc_skiff=1
  # Removed on any exit; then common.sh's cleanup, which reads the script's exit status from $?.
  trap 'status=$?; set +e; rm -f /etc/skiff/config.yaml; [ -z "$made_etc_skiff" ] || rmdir /etc/skiff 2>/dev/null; (exit $status); cleanup' EXIT
  mkdir -p /etc/skiff
  printf 'tls-san: [default.skiff.test]\n' >/etc/skiff/config.yaml
  start_server --config "$work/config.yaml"
  names_are "--config FILE replaces the default file" file.skiff.test default.skiff.test
  fresh
  start_server
  rm -f /etc/skiff/config.yaml
  names_are "without --config, /etc/skiff/config.yaml applies" default.skiff.test
  fresh
fi

# Snapshots: save while the server runs and the data changes; restore once it stopped brings the saved state back.
start_server
kubectl create configmap kept --from-literal=v=saved >/dev/null
expect_output "snapshot save on a running server" "saved to $work/snapshot.db" \
  "$SKIFF_BIN" snapshot save --data-dir "$work/data" "$work/snapshot.db"
kubectl patch configmap kept -p '{"data":{"v":"changed"}}' >/dev/null
kubectl create configmap later --from-literal=v=later >/dev/null
expect_error "restore is refused while the server runs" 'database is in use by another process' "$SKIFF_BIN" snapshot restore --data-dir "$work/data" "$work/snapshot.db"
expect_output "the running server's data is untouched" '^changed$' kubectl get configmap kept -o jsonpath='{.data.v}'
stop_server
expect_output "snapshot restore with the server stopped" "previous database kept as $work/data/server/db/state\.db\.before-restore-[0-9]+$" \
  "$SKIFF_BIN" snapshot restore --data-dir "$work/data" "$work/snapshot.db"
start_server
expect_output "the saved value is back" '^saved$' kubectl get configmap kept -o jsonpath='{.data.v}'
expect_error "what was made after the snapshot is gone" 'configmaps "later" not found' kubectl get configmap later
kept=$(ls "$work"/data/server/db/state.db.before-restore-*)
expect_output "the replaced database, kept beside it, holds the changed state" '^changed later$' python3 - "$kept" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
def latest(name):  # the newest stored version of default/<name>, unless deleted
    row = db.execute("SELECT value, deleted FROM kv WHERE key LIKE ? ORDER BY id DESC LIMIT 1", (f"%/configmaps/default/{name}",)).fetchone()
    return json.loads(row[0])["data"]["v"] if row and not row[1] else None
print(latest("kept"), latest("later"))
PY

# Operator commands that need no server. Completion scripts the shells accept and that complete skiff's commands.
"$SKIFF_BIN" completion bash >"$work/skiff.bash"
expect_output "skiff completion bash: a script bash accepts" '^$' bash -n "$work/skiff.bash"
# complete_bash WORD…: what bash offers for the last word after `skiff WORD…` (as readline calls the function).
complete_bash() {
  bash -c 'source "$1"; shift; COMP_WORDS=(skiff "$@"); COMP_CWORD=$#; COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
    _skiff skiff "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"; echo "${COMPREPLY[@]}"' _ "$work/skiff.bash" "$@"
}
expect_output "skiff completion bash: skiff cri<TAB> completes to crictl" '^crictl$' complete_bash cri
expect_output "skiff completion bash: skiff crictl insp<TAB> offers the inspect commands" '^inspect inspectp inspecti$' \
  complete_bash crictl insp
if command -v zsh >/dev/null; then
  "$SKIFF_BIN" completion zsh >"$work/_skiff"
  expect_output "skiff completion zsh: a script zsh accepts" '^$' zsh -n "$work/_skiff"
else
  echo "SKIPPED: zsh is not installed; the zsh completion script is not checked" >&2
fi
expect_error "skiff completion of an unknown shell" "tcsh" "$SKIFF_BIN" completion tcsh

# check-config on a fake host (--root): a good one passes; each broken fact fails with its fix and exit status 1.
fake=$work/fake-host
mkdir -p "$fake/proc/sys/kernel" "$fake/proc/sys/net/bridge" "$fake/proc/sys/net/ipv4" "$fake/sys/fs/cgroup" \
  "$fake/usr/sbin" "$fake/usr/lib/cni"
echo 6.1.0-31-amd64 >"$fake/proc/sys/kernel/osrelease"
echo "cpuset cpu io memory pids" >"$fake/sys/fs/cgroup/cgroup.controllers"
printf 'nodev\tsysfs\n\text4\nnodev\toverlay\n' >"$fake/proc/filesystems"
echo "nf_tables 311296 1 - Live 0x0" >"$fake/proc/modules"
echo 1 >"$fake/proc/sys/net/bridge/bridge-nf-call-iptables"
echo 1 >"$fake/proc/sys/net/ipv4/ip_forward"
for tool in iptables nft containerd containerd-shim-runc-v2 runc; do install -m 755 /dev/null "$fake/usr/sbin/$tool"; done
for plugin in bridge host-local portmap loopback; do install -m 755 /dev/null "$fake/usr/lib/cni/$plugin"; done
expect_output "check-config on a good host: every check ok" '^all required checks passed$' "$SKIFF_BIN" check-config --root "$fake"
[ "$("$SKIFF_BIN" check-config --root "$fake" | grep -c '^ok  ')" = 9 ] || fail "check-config: nine ok lines on a good host"
rm "$fake/proc/sys/net/bridge/bridge-nf-call-iptables"
expect_error "check-config without br_netfilter fails and says to load it" 'FAIL  bridge netfilter.*' "$SKIFF_BIN" check-config --root "$fake"
expect_error "… with the fix" 'fix: modprobe br_netfilter' "$SKIFF_BIN" check-config --root "$fake"
echo 0 >"$fake/proc/sys/net/bridge/bridge-nf-call-iptables"
echo "cpuset cpu io pids" >"$fake/sys/fs/cgroup/cgroup.controllers"
echo 0 >"$fake/proc/sys/net/ipv4/ip_forward"
rm "$fake/usr/sbin/nft"
output=$("$SKIFF_BIN" check-config --root "$fake") && fail "check-config exits 1 when a check fails: $output"
for line in 'FAIL  cgroups: v2 without memory' 'fix: sysctl -w net.bridge.bridge-nf-call-iptables=1' \
  'FAIL  nftables: no nft command' 'fix: apt-get install nftables' 'warn  ip_forward' 'fix: sysctl -w net.ipv4.ip_forward=1' \
  '^3 required checks failed$'; do
  grep -qE -- "$line" <<<"$output" || fail "check-config on a broken host: no /$line/ in: $output"
done
pass "check-config on a broken host: a line and a fix for each problem, exit status 1"
expect_output "check-config on this machine: a line for each check" '^(ok  |warn|FAIL)  CNI plugins: ' sh -c "\"$SKIFF_BIN\" check-config || true"
echo "55-cli: all passed"
