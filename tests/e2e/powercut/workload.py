#!/usr/bin/env python3
"""The writer and the checker of tests/e2e/50-power-cut.sh (standard library only).

    workload.py write  SERVER CREDS NAMESPACE LOG [--threads N] [--keys K] [--value-bytes B] [--max-writes M]
    workload.py verify SERVER CREDS NAMESPACE LOG [--summary FILE]

CREDS is a directory holding ca.crt, client.crt and client.key. `write` runs N threads; each owns K ConfigMaps
(pc-T-J) and drives them, one request at a time, through create (POST), update (PUT with the resourceVersion it
holds) and delete (DELETE), each carrying a unique token and B bytes derived from it. Every answer is logged to LOG
(one JSON line, flushed) before the thread's next request: {"ack": true, ...} for a 2xx, the write's revision
included. A thread stops at its first failure (the server died under it) and logs that write as {"ack": false}: it
may or may not have been committed. Any non-2xx answer is a failure of the test (exit 1). It stops after M writes
in all (then exits 2: the power cut never came).

The log's first line records the namespace's revision before the first request and B.

`verify` checks, after the restart, that nothing acknowledged was lost and nothing else appeared (among the pc-…
names; the server keeps ConfigMaps of its own):
- a watch from that first revision up to a sentinel ConfigMap written now replays, per key, exactly the acknowledged
  writes in order (same operation and token, same revision where the answer carried one), optionally followed by
  the write in flight at the cut, and nothing else; every value is checked byte for byte;
- a list shows, per key, the last acknowledged state (with its revision) or the write in flight;
- the server's current revision is not behind the newest acknowledged one (revisions were not reissued).
"""
import argparse
import hashlib
import http.client
import json
import os
import random
import ssl
import sys
import threading
import time
from urllib.parse import urlparse


def blob(token, size):
    """size characters derived from token (a sha256 chain), so a value can be checked without storing it."""
    out, block, length = [], hashlib.sha256(token.encode()).hexdigest(), 0
    while length < size:
        out.append(block)
        length += len(block)
        block = hashlib.sha256(block.encode()).hexdigest()
    return "".join(out)[:size]


def connect(server, creds, timeout=60):
    url = urlparse(server)
    context = ssl.create_default_context(cafile=os.path.join(creds, "ca.crt"))
    context.check_hostname = False  # the CA is pinned; the certificate names the host, not necessarily 127.0.0.1
    context.load_cert_chain(os.path.join(creds, "client.crt"), os.path.join(creds, "client.key"))
    return http.client.HTTPSConnection(url.hostname, url.port, context=context, timeout=timeout)


def request(conn, method, path, body=None):
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def write(args):
    base = f"/api/v1/namespaces/{args.namespace}/configmaps"
    status, payload = request(connect(args.server, args.creds), "GET", base)
    if status != 200:
        sys.exit(f"workload: list: {status} {payload[:300]!r}")
    log = open(args.log, "w", buffering=1)
    since = int(json.loads(payload)["metadata"]["resourceVersion"])
    log.write(json.dumps({"header": True, "since": since, "value_bytes": args.value_bytes}) + "\n")
    lock = threading.Lock()
    budget = [args.max_writes]
    failures = []

    def record(entry):
        with lock:
            log.write(json.dumps(entry) + "\n")

    def run(thread):
        rng = random.Random(f"{args.seed}-{thread}")
        conn = connect(args.server, args.creds)
        state = {}  # name -> resourceVersion of the live object
        seq = 0
        while True:
            with lock:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
            name = f"pc-{thread}-{rng.randrange(args.keys)}"
            seq += 1
            token = f"{name}.{seq}.{rng.getrandbits(64):016x}"
            body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
                    "data": {"token": token, "blob": blob(token, args.value_bytes)}}
            if name not in state:
                op, method, path = "create", "POST", base
            elif rng.random() < 0.85:
                op, method, path = "update", "PUT", f"{base}/{name}"
                body["metadata"]["resourceVersion"] = state[name]
            else:
                op, method, path, body, token = "delete", "DELETE", f"{base}/{name}", None, None
            entry = {"key": name, "thread": thread, "seq": seq, "op": op, "token": token}
            try:
                status, payload = request(conn, method, path, body)
            except (OSError, http.client.HTTPException) as error:
                record({**entry, "ack": False, "error": repr(error)})
                return
            if not 200 <= status < 300:
                record({**entry, "ack": False, "status": status, "error": payload[:300].decode(errors="replace")})
                failures.append(f"{method} {path}: {status} {payload[:300]!r}")
                return
            answer = json.loads(payload)
            rv = answer.get("metadata", {}).get("resourceVersion")
            if op == "delete":
                state.pop(name)
            else:
                if answer.get("data", {}).get("token") != token:
                    failures.append(f"{method} {path}: answer carries another token: {payload[:300]!r}")
                    return
                state[name] = rv
            # A delete's revision is not compared: a Status carries none, and an object may carry its last one.
            record({**entry, "ack": True, "rv": int(rv) if rv and op != "delete" else None})

    threads = [threading.Thread(target=run, args=(t,)) for t in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    for f in failures:
        print(f"workload: unexpected answer: {f}", file=sys.stderr)
    if failures:
        sys.exit(1)
    if budget[0] <= 0:
        print(f"workload: {args.max_writes} writes done and the server still answers", file=sys.stderr)
        sys.exit(2)


def verify(args):
    lines = [json.loads(line) for line in open(args.log)]
    header, entries = lines[0], lines[1:]
    size = header["value_bytes"]
    per_key = {}
    for e in sorted(entries, key=lambda e: (e["key"], e["seq"])):
        per_key.setdefault(e["key"], []).append(e)
    acked = [e for e in entries if e["ack"]]
    inflight = {e["key"]: e for e in entries if not e["ack"]}
    for key, writes in per_key.items():  # one thread per key, one request at a time: acks, then at most one more
        if any(not w["ack"] for w in writes[:-1]):
            sys.exit(f"verify: {key}: the log has a write after an unacknowledged one")
    if not acked:
        sys.exit("verify: no acknowledged write in the log")
    first = min(e["rv"] for e in acked if e["rv"] is not None)
    since = header["since"]
    newest = max(e["rv"] for e in acked if e["rv"] is not None)
    base = f"/api/v1/namespaces/{args.namespace}/configmaps"
    conn = connect(args.server, args.creds)
    problems = []

    def token_of(obj, where):
        data = obj.get("data") or {}
        token = data.get("token")
        if token is None or data.get("blob") != blob(token, size) or set(data) != {"token", "blob"}:
            problems.append(f"{where}: damaged content: {json.dumps(obj)[:200]}")
        return token

    # A write after everything else: the watch below ends when it sees it.
    sentinel_name = f"sentinel-{random.getrandbits(32):08x}"
    status, payload = request(conn, "POST", base, {"apiVersion": "v1", "kind": "ConfigMap",
                                                   "metadata": {"name": sentinel_name}, "data": {}})
    if status != 201:
        sys.exit(f"verify: create the sentinel: {status} {payload[:300]!r}")
    sentinel = int(json.loads(payload)["metadata"]["resourceVersion"])

    # The current state.
    status, payload = request(conn, "GET", base)
    if status != 200:
        sys.exit(f"verify: list: {status} {payload[:300]!r}")
    listing = json.loads(payload)
    current = int(listing["metadata"]["resourceVersion"])
    if current < newest:
        problems.append(f"the server's revision is {current}, older than the newest acknowledged write ({newest})")
    # Only the writer's names (pc-…): the server keeps ConfigMaps of its own (kube-root-ca.crt) in every namespace.
    live = {item["metadata"]["name"]: item for item in listing["items"] if item["metadata"]["name"].startswith("pc-")}
    outcome = {"last acknowledged": 0, "in-flight write": 0}
    for key in sorted(set(per_key) | set(live)):
        writes = per_key.get(key)
        if writes is None:
            problems.append(f"{key}: exists, but was never written")
            continue
        acks = [w for w in writes if w["ack"]]
        last = acks[-1] if acks else None
        obj = live.get(key)
        state = (token_of(obj, key), int(obj["metadata"]["resourceVersion"])) if obj else None
        want = None if last is None or last["op"] == "delete" else (last["token"], last["rv"])
        if state == want:
            outcome["last acknowledged"] += 1
        elif key in inflight and (
                (state is None and inflight[key]["op"] == "delete")
                or (state is not None and inflight[key]["op"] != "delete" and state[0] == inflight[key]["token"])):
            outcome["in-flight write"] += 1
        else:
            problems.append(f"{key}: is {state}, its last acknowledged write left {want} ({last})")

    # The history: a watch from before the writer's first request replays every write, in order, up to the sentinel.
    events = {}
    conn = connect(args.server, args.creds, timeout=120)
    conn.request("GET", f"{base}?watch=1&resourceVersion={since}&allowWatchBookmarks=false",
                 headers={"Accept": "application/json"})
    response = conn.getresponse()
    if response.status != 200:
        sys.exit(f"verify: watch: {response.status} {response.read()[:300]!r}")
    seen = 0
    while seen < sentinel:
        line = response.readline()
        if not line:
            break
        event = json.loads(line)
        obj = event["object"]
        if event["type"] == "ERROR":
            sys.exit(f"verify: watch error: {obj}")
        rv = int(obj["metadata"]["resourceVersion"])
        seen = max(seen, rv)
        if not obj["metadata"]["name"].startswith("pc-"):
            continue
        token = None if event["type"] == "DELETED" else token_of(obj, f"event {rv}")
        events.setdefault(obj["metadata"]["name"], []).append((event["type"], token, rv))
    conn.close()
    if seen < sentinel:
        problems.append(f"the watch ended at revision {seen}, before the sentinel written after the restart "
                        f"({sentinel})")
    replayed, lost, damaged_keys = 0, 0, set()
    for key in sorted(set(per_key) | set(events)):
        writes = per_key.get(key, [])
        want = [(w["op"], w["token"], w["rv"]) for w in writes if w["ack"]]
        history = [({"ADDED": "create", "MODIFIED": "update", "DELETED": "delete"}[t], token, rv)
                   for t, token, rv in events.get(key, [])]
        same = 0  # acknowledged writes replayed as written (operation, token, and revision when the answer had one)
        while same < min(len(want), len(history)) and want[same][:2] == history[same][:2] and (
                want[same][2] is None or want[same][2] == history[same][2]):
            same += 1
        replayed += same
        if same < len(want):
            lost += len(want) - same
            damaged_keys.add(key)
            problems.append(f"{key}: acknowledged write #{same + 1} of {len(want)} {want[same]} is not in the history; "
                            f"the history has {history[same] if same < len(history) else 'nothing'} there")
            continue
        extra = history[len(want):]
        if extra and not (len(extra) == 1 and key in inflight and extra[0][0] == inflight[key]["op"]
                          and extra[0][1] == inflight[key]["token"]):
            damaged_keys.add(key)
            problems.append(f"{key}: writes nobody saw acknowledged: {extra}")

    summary = {"acknowledged": len(acked), "in_flight": len(inflight), "keys": len(per_key),
               "replayed": replayed, "lost": lost, "revision": current, "newest_acknowledged": newest,
               "outcome": outcome,
               "problems": problems}
    if args.summary:
        with open(args.summary, "w") as f:
            json.dump(summary, f, indent=1)
    print(f"verify: {len(acked)} acknowledged writes on {len(per_key)} ConfigMaps (revisions {first}–{newest}), "
          f"{len(inflight)} in flight at the cut; after the restart the watch replays {replayed} of them as written; "
          f"final state: {outcome['last acknowledged']} keys as last acknowledged, "
          f"{outcome['in-flight write']} with the in-flight write; revision {current}")
    for p in problems[:30]:
        print(f"LOST/WRONG: {p}", file=sys.stderr)
    if problems:
        print(f"verify: FAILED: {lost} of {len(acked)} acknowledged writes are not in the history after the restart; "
              f"{len(damaged_keys)} of {len(per_key)} ConfigMaps lost or changed writes", file=sys.stderr)
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["write", "verify"])
    parser.add_argument("server")
    parser.add_argument("creds")
    parser.add_argument("namespace")
    parser.add_argument("log")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--keys", type=int, default=16)
    parser.add_argument("--value-bytes", type=int, default=12000)
    parser.add_argument("--max-writes", type=int, default=200000)
    parser.add_argument("--seed", default=str(time.time_ns()))
    parser.add_argument("--summary")
    args = parser.parse_args()
    (write if args.mode == "write" else verify)(args)


if __name__ == "__main__":
    main()
