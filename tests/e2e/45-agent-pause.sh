#!/usr/bin/env bash
# An edge link that blips: an agent stopped (SIGSTOP) past --node-monitor-grace-period has its nodes marked NotReady;
# once it runs again (SIGCONT) its nodes report Ready again at their next heartbeat, as a kubelet's status sync does.
source "$(dirname "$0")/lib/common.sh"
# 15 s grace against the agent's 10 s heartbeat: nodes go NotReady only when the agent really stops.
start_server --node-monitor-grace-period 15s

agent_pid=""
trap 'status=$?; set +e; [ -n "$agent_pid" ] && { kill -CONT "$agent_pid"; kill -9 "$agent_pid"; } 2>/dev/null
  if [ $status -ne 0 ] && [ -f "$work/agent.log" ]; then echo "--- agent log (last 40 lines) ---"; tail -n 40 "$work/agent.log"; fi
  (exit $status); cleanup' EXIT

token=$(cat "$work/data/server/node-token")
"$SKIFF_BIN" agent --server "https://127.0.0.1:$port" --token "$token" --simulate 3 --data-dir "$work/agent-blip" --node-name blip >"$work/agent.log" 2>&1 &
agent_pid=$!

# count_nodes STATUS: how many of the agent's nodes show STATUS in `kubectl get nodes`.
count_nodes() { kubectl get nodes --no-headers 2>/dev/null | grep -cE "^blip-[0-2] +$1 " || true; }
# wait_nodes STATUS SECONDS: waits until all three show STATUS (the limit only stops a hang).
wait_nodes() {
  for _ in $(seq $(($2 * 10))); do [ "$(count_nodes "$1")" = 3 ] && return 0; sleep 0.1; done
  return 1
}

wait_nodes Ready 30 || fail "3 agent nodes Ready (got $(count_nodes Ready)): $(kubectl get nodes 2>&1)"
pass "3 agent nodes Ready"
kill -STOP "$agent_pid"
wait_nodes NotReady 60 || fail "nodes of a stopped agent marked NotReady (got $(count_nodes NotReady)): $(kubectl get nodes 2>&1)"
pass "a stopped agent's nodes go NotReady after the grace period"
kill -CONT "$agent_pid"
wait_nodes Ready 15 || fail "nodes Ready again within 15 s of SIGCONT (got $(count_nodes Ready)): $(kubectl get nodes 2>&1)"
pass "the agent runs again: its nodes are Ready within 15 s"
ready=$(kubectl get node blip-0 -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason}')
[ "$ready" = KubeletReady ] || fail "Ready condition reported by the node (reason $ready)"
taints() { kubectl get node blip-0 -o jsonpath='{.spec.taints[*].key}'; }
for _ in $(seq 100); do [ -z "$(taints)" ] && break; sleep 0.1; done
[ -z "$(taints)" ] || fail "unreachable taints removed once the node is back: $(taints)"
pass "the node reports Ready itself and the unreachable taints are gone"
kill -TERM "$agent_pid"; wait "$agent_pid" || fail "agent exit status after SIGTERM"; agent_pid=""
echo "45-agent-pause: all passed"
