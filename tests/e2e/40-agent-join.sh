#!/usr/bin/env bash
# `skiff agent` joins a server over HTTPS with the node token (CA pinned by its hash, fetched from /cacerts) and
# runs simulated nodes there through the HTTP ClusterAPI; wrong tokens fail clearly; SIGTERM stops it cleanly.
source "$(dirname "$0")/lib/common.sh"
start_server

agent_pids=()
stop_agents() {
  for pid in "${agent_pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
}
# Agents go first, then common.sh's cleanup, which reads the script's exit status from $?.
trap 'status=$?; set +e; stop_agents
  if [ $status -ne 0 ] && [ -f "$work/agent.log" ]; then echo "--- agent log (last 40 lines) ---"; tail -n 40 "$work/agent.log"; fi
  (exit $status); cleanup' EXIT

server="https://127.0.0.1:$port"
token=$(cat "$work/data/server/node-token")
hash=${token#K10}; hash=${hash%%::*}

expect_output "/cacerts serves the CA the token pins" "^$hash " bash -c "curl -sk $server/cacerts | sha256sum"
expect_output "/ping answers pong without credentials" '^pong$' curl -sk "$server/ping"
expect_output "other paths still need credentials" '^401$' curl -sk -o /dev/null -w '%{http_code}' "$server/api/v1/nodes"

# Wrong tokens: refused before anything is trusted, with a message about the CA hash, non-zero exit.
wrong="K10$(printf 'ab%.0s' $(seq 32))::server:${token##*:}"
expect_error "a token pinning another CA is refused" 'CA hash' timeout 20 "$SKIFF_BIN" agent --server "$server" --token "$wrong" --simulate 1 --data-dir "$work/agent-refused"
expect_error "a bare secret is refused (nothing to pin)" 'CA hash' timeout 20 "$SKIFF_BIN" agent --server "$server" --token "${token##*:}" --simulate 1 --data-dir "$work/agent-refused"
expect_error "a wrong secret is refused by the server" 'refused the token' timeout 20 "$SKIFF_BIN" agent --server "$server" --token "K10$hash::server:wrong" --simulate 1 --data-dir "$work/agent-refused"
# Without --simulate the agent runs the real kubelet: with no containerd on PATH it says which packages to install.
if [ "$(id -u)" = 0 ]; then
  expect_error "without containerd the agent names the package to install" 'containerd not found in PATH: install it with apt-get install containerd' \
    timeout 20 env PATH=/nonexistent "$SKIFF_BIN" agent --server "$server" --token "$token" --data-dir "$work/agent-data"
else
  expect_error "without root the real agent says it needs root" 'needs root' timeout 20 "$SKIFF_BIN" agent --server "$server" --token "$token"
fi

# A real join: 3 simulated nodes named after --node-name.
"$SKIFF_BIN" agent --server "$server" --token "$token" --simulate 3 --data-dir "$work/agent-edge-a" --node-name edge-a >"$work/agent.log" 2>&1 &
agent_pid=$!
agent_pids+=("$agent_pid")
ready=0
for _ in $(seq 150); do
  ready=$(kubectl get nodes --no-headers 2>/dev/null | grep -cE '^edge-a-[0-2] +Ready ' || true)
  [ "$ready" = 3 ] && break
  sleep 0.1
done
[ "$ready" = 3 ] || fail "3 agent nodes Ready within 15 s (got $ready): $(kubectl get nodes 2>&1)"
pass "3 agent nodes Ready within 15 s"
grep -q "server CA verified" "$work/agent.log" || fail "the agent logs the CA verification"
pass "the agent verified the CA against the token"

# The server's end of the agent's connections runs TCP keepalive (a cut link is found without waiting for a write):
# in /proc/net/tcp, established sockets on the server port whose timer field is 02 (keepalive). A socket with data
# in flight shows its retransmit timer (01) instead, so look a few times.
port_hex=$(printf '%04X' "$port")
for _ in $(seq 50); do
  keepalive=$(awk -v p=":$port_hex" '$2 ~ p"$" && $4 == "01" && $6 ~ /^02:/' /proc/net/tcp | wc -l)
  [ "$keepalive" -ge 1 ] && break
  sleep 0.1
done
[ "$keepalive" -ge 1 ] || fail "server sockets with TCP keepalive (got $keepalive): $(awk -v p=":$port_hex" '$2 ~ p"$"' /proc/net/tcp)"
pass "the server's connections to the agent run TCP keepalive ($keepalive sockets)"

expect_output "create deployment" 'deployment.apps/x created' kubectl create deployment x --image=busybox --replicas=3
expect_output "rollout completes" 'successfully rolled out' kubectl rollout status deployment/x --timeout=60s
expect_output "3 pods Running on the agent's nodes" '^edge-a-[0-2] Running edge-a-[0-2] Running edge-a-[0-2] Running $' \
  kubectl get pods -l app=x -o jsonpath='{range .items[*]}{.spec.nodeName} {.status.phase} {end}'

# SIGTERM: clean exit 0, promptly.
kill -TERM "$agent_pid"
for _ in $(seq 50); do kill -0 "$agent_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$agent_pid" 2>/dev/null && fail "agent still running 5 s after SIGTERM"
wait "$agent_pid" && code=0 || code=$?
[ "$code" = 0 ] || fail "agent exited $code after SIGTERM"
pass "SIGTERM stops the agent with exit 0 within 5 s"

# Unreachable server: the agent retries with backoff (logging each failure) and still stops cleanly.
dead="https://127.0.0.1:$(free_port)"
"$SKIFF_BIN" agent --server "$dead" --token "$token" --simulate 1 --data-dir "$work/agent-edge-b" --node-name edge-b >"$work/agent-down.log" 2>&1 &
down_pid=$!
agent_pids+=("$down_pid")
# Each attempt fails after the 3 s connect timeout (the HTTP pool re-dials until then), then waits 1 s, 2 s, …
retries=0
for _ in $(seq 150); do
  retries=$(grep -c 'cannot fetch the server CA, retrying' "$work/agent-down.log" || true)
  [ "$retries" -ge 2 ] && break
  sleep 0.1
done
kill -0 "$down_pid" 2>/dev/null || fail "agent gave up on an unreachable server: $(cat "$work/agent-down.log")"
[ "$retries" -ge 2 ] || fail "expected logged retries within 15 s, got: $(cat "$work/agent-down.log")"
pass "unreachable server: $retries logged retries, still running"
kill -TERM "$down_pid"
for _ in $(seq 50); do kill -0 "$down_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$down_pid" 2>/dev/null && fail "waiting agent still running 5 s after SIGTERM"
wait "$down_pid" && code=0 || code=$?
[ "$code" = 0 ] || fail "waiting agent exited $code after SIGTERM"
pass "SIGTERM while waiting for the server exits 0"

# A snapshot from before the next agent joins: restored later, the agent's nodes and password are not in it.
"$SKIFF_BIN" snapshot save --data-dir "$work/data" "$work/before-edge-c.db" >/dev/null
# The server stops promptly while an agent is connected: watches end, late requests on open keep-alive connections get
# 503 with Connection: close, and closing TLS connections does not wait for the agent's close_notify.
"$SKIFF_BIN" agent --server "$server" --token "$token" --simulate 3 --data-dir "$work/agent-edge-c" --node-name edge-c >"$work/agent-c.log" 2>&1 &
c_pid=$!
agent_pids+=("$c_pid")
ready=0
for _ in $(seq 150); do
  ready=$(kubectl get nodes --no-headers 2>/dev/null | grep -cE '^edge-c-[0-2] +Ready ' || true)
  [ "$ready" = 3 ] && break
  sleep 0.1
done
[ "$ready" = 3 ] || fail "3 more agent nodes Ready within 15 s (got $ready)"
sleep 1 # let the agent settle into its watches
# How fast it stops is a figure for a benchmark; here a hang (e.g. waiting out the agent's TLS close_notify) fails.
stop_server
pass "SIGTERM stops the server with an agent connected: exit 0"
# Restored to the snapshot, the server keeps the agent: it reconnects with its certificate and registers its nodes again.
expect_output "restore the snapshot from before the agent joined" "restored $work/before-edge-c.db" \
  "$SKIFF_BIN" snapshot restore --data-dir "$work/data" "$work/before-edge-c.db"
start_server
wait_for "the restored server's agent reconnects and its nodes are Ready again" 30 \
  bash -c "[ \$(kubectl --cache-dir '$work/kube-cache' get nodes --no-headers 2>/dev/null | grep -cE '^edge-c-[0-2] +Ready ') = 3 ]"
stop_server
kill -TERM "$c_pid"
for _ in $(seq 50); do kill -0 "$c_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$c_pid" 2>/dev/null && fail "agent still running 5 s after SIGTERM once its server is gone"
wait "$c_pid" && code=0 || code=$?
[ "$code" = 0 ] || fail "agent exited $code after SIGTERM once its server is gone"
pass "the agent of a stopped server still exits 0 on SIGTERM"
echo "40-agent-join: all passed"
