# Shared helpers for end-to-end scripts: start a server on a free port with its own data dir, assertions.
set -euo pipefail

SKIFF_BIN=${SKIFF_BIN:-$(pwd)/.build/debug/skiff}
work=$(mktemp -d /tmp/skiff-e2e.XXXXXX)
server_pid=""

cleanup() {
  local status=$?
  set +e  # a failing step here must not skip the rest (errexit would end the trap at once)
  # Background helpers of the script (e.g. kubectl get -w) go first, then the server; never wait forever.
  pkill -P $$ -f "kube-cache" 2>/dev/null || true
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$server_pid" 2>/dev/null; then
      echo "server did not stop within 5 s of SIGTERM" >&2
      kill -9 "$server_pid" 2>/dev/null || true
      [ $status -ne 0 ] || status=1
    fi
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ $status -ne 0 ] && [ -f "$work/server.log" ]; then
    echo "--- server log (last 40 lines) ---"; tail -n 40 "$work/server.log"
  fi
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# start_server [extra flags…]: runs `skiff server --disable-agent` and waits for /readyz through kubectl. Called again
# after stop_server, it restarts the server on the same port, data dir and kubeconfig.
start_server() {
  [ -n "${port:-}" ] || port=$(free_port)
  export KUBECONFIG="$work/kubeconfig"
  "$SKIFF_BIN" server --disable-agent --data-dir "$work/data" --https-listen-port "$port" --bind-address 127.0.0.1 \
    --write-kubeconfig "$KUBECONFIG" "$@" >>"$work/server.log" 2>&1 &
  server_pid=$!
  wait_ready
}

# wait_ready: waits (up to 30 s, only to stop a hang) until the server at $KUBECONFIG answers /readyz; fails loudly
# if the server exits or never becomes ready.
wait_ready() {
  for _ in $(seq 300); do
    if [ -f "$KUBECONFIG" ] && kubectl --request-timeout=2s get --raw /readyz >/dev/null 2>&1; then return 0; fi
    kill -0 "$server_pid" 2>/dev/null || fail "server exited before it was ready (its log follows)"
    sleep 0.1
  done
  fail "server did not become ready within 30 s"
}

# stop_server: SIGTERM, then requires a clean exit (status 0, as ServiceLifecycle's graceful shutdown ends
# `skiff server`) within 10 s.
stop_server() {
  kill -TERM "$server_pid"
  for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$server_pid" 2>/dev/null && fail "server still running 10 s after SIGTERM"
  local code=0
  wait "$server_pid" || code=$?
  server_pid=""
  [ "$code" = 0 ] || fail "server exited with status $code after SIGTERM"
}

kubectl() { command kubectl --cache-dir "$work/kube-cache" "$@"; }

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

# wait_for DESCRIPTION SECONDS COMMAND…: polls COMMAND until it succeeds (the limit only stops a hang); fails if the
# server exits meanwhile.
wait_for() {
  local description=$1 seconds=$2; shift 2
  for _ in $(seq $((seconds * 5))); do
    if "$@" >/dev/null 2>&1; then pass "$description"; return 0; fi
    kill -0 "$server_pid" 2>/dev/null || fail "$description: the server exited"
    sleep 0.2
  done
  fail "$description (not within ${seconds}s)"
}
# jp OBJECT JSONPATH: the field, or nothing; is OBJECT JSONPATH VALUE / ge OBJECT JSONPATH N: its comparisons.
jp() { kubectl get "$1" -o jsonpath="$2" 2>/dev/null; }
is() { [ "$(jp "$1" "$2")" = "$3" ]; }
ge() { local v; v=$(jp "$1" "$2"); [ -n "$v" ] && [ "$v" -ge "$3" ]; }

# expect_output DESCRIPTION PATTERN COMMAND…: runs COMMAND, requires success and PATTERN (grep -E) in its output.
expect_output() {
  local description=$1 pattern=$2; shift 2
  local output
  output=$("$@" 2>&1) || fail "$description: command failed: $* → $output"
  grep -qE -- "$pattern" <<<"$output" || fail "$description: expected /$pattern/ in: $output"
  pass "$description"
}

# expect_error DESCRIPTION PATTERN COMMAND…: requires failure and PATTERN in the output.
expect_error() {
  local description=$1 pattern=$2; shift 2
  local output
  if output=$("$@" 2>&1); then fail "$description: expected failure, got: $output"; fi
  grep -qE -- "$pattern" <<<"$output" || fail "$description: expected /$pattern/ in: $output"
  pass "$description"
}

# python_client: makes (once; later runs reuse it) a venv with the official Python `kubernetes` client and sets
# $python to its interpreter. Call it as a statement, not in $(…): any failure ends the script.
python_client() {
  local venv=/var/tmp/skiff-e2e-venv
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import kubernetes' 2>/dev/null; then
    python3 -m venv "$venv" || fail "python3 -m venv $venv failed"
    "$venv/bin/pip" install -q 'kubernetes>=32,<33' || fail "pip install of the Python kubernetes client failed"
  fi
  "$venv/bin/python" -c 'import kubernetes' || fail "the Python kubernetes client does not import"
  python="$venv/bin/python"
}
