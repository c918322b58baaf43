#!/usr/bin/env bash
# Power cut: every write the server acknowledged survives losing everything that was not fsynced.
#
# The server runs under an LD_PRELOAD shim (powercut/powercut.c) that journals, before each change to the files of
# server/db, how to undo it, and journals every fsync. Parallel clients create, update and delete ConfigMaps
# (powercut/workload.py), and the shim kills the server (SIGKILL) right after one of its writes, with data on the way
# to the disk that no fsync covered yet. powercut/recover.py then undoes every change no completed fsync covered (and
# removes names whose directory was never fsynced): the files hold what a disk that honours fsync, and nothing more,
# would hold after the power went out. A server without the shim starts on them, and workload.py checks that every
# acknowledged write is there, in order, with its content and revision.
#
# Two cuts: the first lands in the middle of the first WAL checkpoint (the shim counts writes to state.db), on a WAL
# this server created, and the disk keeps a random part of the checkpoint's unsynced writes (in order); the second
# lands among commits (any write) 100 writes after a checkpoint, on a WAL that existed before (SQLite restarts it
# from its beginning once no reader needs the old frames, so the undo then restores overwritten frames), and every
# unsynced write is lost. Reproduce a run with POWERCUT_SEED, POWERCUT_KILL_AFTER_1 and _2 (printed).
source "$(dirname "$0")/lib/common.sh"
here=$(cd "$(dirname "$0")" && pwd)
pc="$work/powercut"
mkdir -p "$pc"
seed=${POWERCUT_SEED:-$RANDOM$RANDOM}
kill_after_1=${POWERCUT_KILL_AFTER_1:-$((RANDOM % 300))}
kill_after_2=${POWERCUT_KILL_AFTER_2:-$((RANDOM % 25))}
echo "# POWERCUT_SEED=$seed POWERCUT_KILL_AFTER_1=$kill_after_1 POWERCUT_KILL_AFTER_2=$kill_after_2"

gcc -O2 -Wall -Wextra -Werror -shared -fPIC -o "$pc/powercut.so" "$here/powercut/powercut.c" -ldl -lpthread \
  || fail "build the shim"
libraries=$(ldd "$SKIFF_BIN") || fail "ldd $SKIFF_BIN"
grep -q 'libsqlite3\.so' <<<"$libraries" \
  || fail "skiff links libsqlite3 dynamically (else LD_PRELOAD cannot interpose SQLite's file I/O)"
pass "shim built; skiff reaches SQLite's file I/O through libsqlite3.so, which the shim interposes"

declare -F stop_server >/dev/null || stop_server() {  # SIGTERM, and a clean exit (common.sh may have one)
  kill -TERM "$server_pid"
  local code=0
  wait "$server_pid" || code=$?
  server_pid=""
  [ "$code" = 0 ] || fail "server exited $code after SIGTERM"
}

credentials() {  # the admin's client certificate and the CA, from the kubeconfig
  mkdir -p "$pc/creds"
  local field file
  for pair in certificate-authority-data:ca.crt client-certificate-data:client.crt client-key-data:client.key; do
    field=${pair%%:*} file=${pair#*:}
    kubectl config view --raw -o jsonpath="{..$field}" | base64 -d >"$pc/creds/$file"
    [ -s "$pc/creds/$file" ] || fail "no $field in the kubeconfig"
  done
  server="https://127.0.0.1:$port"
}

acked() { grep -c '"ack": true' "$1" 2>/dev/null || true; }

# power_cut ROUND NAMESPACE KILL_AFTER CUT_FILE [RECOVER_FLAGS…]: runs the server under the shim with writers on
# NAMESPACE until the shim cuts the power, KILL_AFTER changes after the trigger (changes to files ending in CUT_FILE,
# if not empty).
# Round 1 arms the trigger at once (the cut comes with the first checkpoint); round 2 once a checkpoint grew
# state.db and 100 more writes (200 in all, at least) were acknowledged. Then recovers the files as a power cut
# would leave them.
power_cut() {
  local round=$1 namespace=$2 kill_after=$3 cut_file=$4
  shift 4
  local journal="$pc/journal-$round" trigger="$pc/cut-$round" log="$pc/acks-$round.log"
  (cd / && find "$db" -type f ! -name '*-shm' -exec sha256sum {} +) >"$pc/baseline-$round"
  cat >"$pc/skiff" <<EOF
#!/bin/sh
export LD_PRELOAD="$pc/powercut.so" POWERCUT_DIR="$db" POWERCUT_JOURNAL="$journal"
export POWERCUT_TRIGGER="$trigger" POWERCUT_KILL_AFTER="$kill_after" POWERCUT_CUT_FILE="$cut_file"
exec "$SKIFF_BIN" "\$@"
EOF
  chmod +x "$pc/skiff"
  if [ "$round" = 1 ]; then touch "$trigger"; fi
  SKIFF_BIN="$pc/skiff" start_server
  credentials
  [ -s "$journal" ] || fail "the shim wrote no journal: it is not loaded"
  local db_size checkpointed="" code
  db_size=$(stat -c %s "$db/state.db")
  python3 "$here/powercut/workload.py" write "$server" "$pc/creds" "$namespace" "$log" --seed "$seed-$round" \
    --threads 8 --keys 16 --value-bytes 12000 >"$pc/writer-$round.log" 2>&1 &
  local writer_pid=$!
  if [ "$round" != 1 ]; then
    for _ in $(seq 3000); do  # 300 s, only to stop a hang
      kill -0 "$writer_pid" 2>/dev/null || break
      if [ -z "$checkpointed" ] && [ "$(stat -c %s "$db/state.db")" -gt "$db_size" ]; then
        checkpointed=$(acked "$log")
      fi
      if [ -n "$checkpointed" ] && [ "$(acked "$log")" -ge $((checkpointed < 100 ? 200 : checkpointed + 100)) ]; then
        touch "$trigger"
        break
      fi
      sleep 0.1
    done
    [ -e "$trigger" ] || { kill "$writer_pid" 2>/dev/null
      fail "round $round: no checkpoint ($(acked "$log") writes acknowledged): $(cat "$pc/writer-$round.log")"; }
  fi
  for _ in $(seq 3000); do  # 300 s, only to stop a hang
    kill -0 "$server_pid" 2>/dev/null || break
    kill -0 "$writer_pid" 2>/dev/null \
      || fail "round $round: the writer stopped before the power cut: $(cat "$pc/writer-$round.log")"
    sleep 0.1
  done
  code=0
  wait "$server_pid" 2>/dev/null || code=$?
  server_pid=""
  [ "$code" = 137 ] || fail "round $round: the shim cuts the power (SIGKILL, exit 137); the server exited $code"
  code=0
  wait "$writer_pid" || code=$?
  [ "$code" = 0 ] || fail "round $round: the writer exited $code: $(cat "$pc/writer-$round.log")"
  acks=$(acked "$log")
  [ "$acks" -ge 200 ] || fail "round $round: at least 200 acknowledged writes before the cut (got $acks)"
  pass "round $round: power cut after $acks acknowledged writes${checkpointed:+ (state.db grew after $checkpointed)}"

  python3 "$here/powercut/recover.py" "$journal" "$db" --baseline "$pc/baseline-$round" "$@" \
    --summary "$pc/recovery-$round.json" >"$pc/recover-$round.log" 2>&1 \
    || fail "recovery: $(cat "$pc/recover-$round.log")"
  cat "$pc/recover-$round.log"
  read -r rolled_back wal_created dir_syncs wal_changes wal_syncs db_unsynced cut < <(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
wal, d, db = (s["files"].get(name, {}) for name in ("state.db-wal", ".", "state.db"))
print(s["rolled_back_bytes"], wal.get("created", 0), d.get("dir syncs", 0), wal.get("changes", 0), wal.get("syncs", 0),
      db.get("unsynced_changes", 0), s["cut_by_shim"])' "$pc/recovery-$round.json")
  [ "$cut" = True ] || fail "round $round: the journal ends with the shim's power cut"
  [ "$wal_changes" -gt 0 ] && [ "$wal_syncs" -gt 0 ] \
    || fail "round $round: the journal shows the WAL's writes ($wal_changes) and fsyncs ($wal_syncs)"
  if [ "$round" = 1 ]; then
    [ "$wal_created" = 1 ] && [ "$dir_syncs" -gt 0 ] \
      || fail "round 1: the journal shows the WAL's creation ($wal_created) and its directory's fsync ($dir_syncs)"
    [ "$db_unsynced" -gt 0 ] || fail "round 1: the cut lands in a checkpoint: unsynced writes to state.db"
  fi
  [ "$rolled_back" -gt 0 ] || fail "round $round: the power cut lost unsynced bytes (else it proves nothing)"
  pass "round $round: the power cut threw away $rolled_back bytes that no fsync covered"
  if command -v sqlite3 >/dev/null; then
    rm -rf "$pc/copy" && mkdir "$pc/copy" && cp "$db"/state.db* "$pc/copy/"
    expect_output "round $round: the database left by the power cut passes SQLite's integrity check" '^ok$' \
      sqlite3 "$pc/copy/state.db" 'PRAGMA integrity_check'
  fi
}

# verify ROUND…: a server without the shim on what the cuts left; every acknowledged write of each ROUND is there.
verify() {
  start_server
  credentials
  for round in "$@"; do
    python3 "$here/powercut/workload.py" verify "$server" "$pc/creds" "powercut-$round" "$pc/acks-$round.log" \
      || fail "acknowledged writes of round $round lost in the power cut"
    pass "every acknowledged write of round $round is there"
  done
  stop_server
}

# A first server lays out the data dir and stops cleanly. Its WAL is checkpointed and removed (as SQLite does when
# the last connection closes), so the next server creates a new one, whose name must become durable too. sync: the
# power-cut window starts after this.
start_server
expect_output "namespace powercut-1 created" 'created' kubectl create namespace powercut-1
expect_output "namespace powercut-2 created" 'created' kubectl create namespace powercut-2
stop_server
db="$work/data/server/db"
[ -f "$db/state.db" ] || fail "no database at $db/state.db: $(ls -la "$db")"
python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.execute("PRAGMA wal_checkpoint(TRUNCATE)"); c.close()' "$db/state.db"
[ ! -e "$db/state.db-wal" ] || fail "the WAL is still there after SQLite's last connection closed"
sync
pass "data dir laid out and synced, no WAL ($(ls "$db" | tr '\n' ' '))"

power_cut 1 powercut-1 "$kill_after_1" /state.db --keep-prefix "$seed"
verify 1
power_cut 2 powercut-2 "$kill_after_2" ""
verify 1 2
echo "50-power-cut: all passed"
