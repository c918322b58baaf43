#!/usr/bin/env bash
# Cluster DNS benchmark (root: port 53): the agent's DNS server (`skiff-bench dns-server`, release build, 1 000
# synthetic Services) against dnsmasq (Debian) serving the same 1 000 names from a hosts file, on two loopback
# addresses, with the same load tool (dnsperf, Debian) and the same query file: queries/s, and latency percentiles
# from dnsperf's per-query report.
# Usage: [SECONDS=10] [CLIENTS=8] bench/dns/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_=${SECONDS:-10}
CLIENTS=${CLIENTS:-8}
[ "$(id -u)" = 0 ] || { echo "bench/dns needs root (port 53)"; exit 1; }
for tool in dnsperf dnsmasq; do command -v $tool >/dev/null || apt-get install -y -qq dnsperf dnsmasq-base >/dev/null; done
swift build -c release --product skiff-bench >/dev/null
bin=$(swift build -c release --show-bin-path)/skiff-bench
work=$(mktemp -d /tmp/skiff-bench-dns.XXXXXX)
skiff_pid="" dnsmasq_pid=""
trap '[ -n "$skiff_pid" ] && kill $skiff_pid; [ -n "$dnsmasq_pid" ] && kill $dnsmasq_pid; rm -rf "$work"' EXIT

"$bin" dns-server --address 127.0.0.81 --port 53 --services 1000 --hosts "$work/hosts" >"$work/skiff.log" 2>&1 &
skiff_pid=$!
for _ in $(seq 100); do grep -q listening "$work/skiff.log" && break; sleep 0.1; done
dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --addn-hosts="$work/hosts" \
  --bind-interfaces --listen-address=127.0.0.82 --port=53 --cache-size=10000 --pid-file= >"$work/dnsmasq.log" 2>&1 &
dnsmasq_pid=$!
sleep 1
# Queries for the Services' names, in random order (names both servers know, so both do the same work).
python3 - >"$work/queries" <<'PY'
import random
rng = random.Random(53)
for _ in range(20000):
    print(f"svc-{rng.randrange(1000)}.default.svc.cluster.local A")
PY
run() {  # NAME ADDRESS
  dnsperf -s "$2" -d "$work/queries" -l "$SECONDS_" -c "$CLIENTS" -T 2 -q 200 -v >"$work/$1.out" 2>&1 || true
  local qps p50 p99
  qps=$(awk '/Queries per second:/ {print $4}' "$work/$1.out")
  # Every answered query's latency (dnsperf -v: "> NOERROR name type seconds"), whatever its response code.
  read -r p50 p99 < <(awk '$1 == ">" {print $NF}' "$work/$1.out" | sort -n | awk '{v[NR]=$1} END {printf "%.3f %.3f\n", v[int(NR*0.5)]*1000, v[int(NR*0.99)]*1000}')
  local lost; lost=$(awk '/Queries lost:/ {print $3}' "$work/$1.out")
  echo "$1 $qps $p50 $p99 $lost"
}
skiff=$(run skiff 127.0.0.81)
dnsmasq_=$(run dnsmasq 127.0.0.82)
read -r _ sq sp50 sp99 slost <<<"$skiff"
read -r _ dq dp50 dp99 dlost <<<"$dnsmasq_"
printf "%-8s %12s %10s %10s %8s\n" server "queries/s" "p50 ms" "p99 ms" lost
printf "%-8s %12s %10s %10s %8s\n" skiff "$sq" "$sp50" "$sp99" "$slost"
printf "%-8s %12s %10s %10s %8s\n" dnsmasq "$dq" "$dp50" "$dp99" "$dlost"
python3 -c "print(f'skiff / dnsmasq queries/s: {float(\"$sq\") / float(\"$dq\"):.2f}x; p99 {float(\"$sp99\"):.3f} vs {float(\"$dp99\"):.3f} ms')"
echo "skiff-bench dns-server RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$skiff_pid/status); dnsmasq RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$dnsmasq_pid/status)"
