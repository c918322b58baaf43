#!/usr/bin/env python3
"""Turns the files of a process killed under powercut.c into what a disk that honours fsync, and nothing more,
would hold after a power cut at the moment of the kill.

    recover.py JOURNAL DIR [--summary FILE] [--baseline SHA256SUMS] [--keep-prefix SEED] [--dry-run]

Replays the journal (format: powercut.c) in order. An undo record ('W') is pending until an fsync/fdatasync of the
same file begins after it and ends with success; sync()/syncfs() settle every file. A created name ('C') is lost
unless an fsync of its directory begins after the creation and succeeds. Then, newest first, every pending record
is undone (old bytes written back, file truncated to its old size) and every lost name removed; SQLite's -shm files
are deleted (powercut.c explains why they are not tracked). With --keep-prefix, the disk is one that wrote each
file's unsynced changes in order and stopped at a random point: per file, a random number (chosen from SEED) of the
oldest unsynced changes survive, never all of them.

Refuses (non-zero exit, nothing changed) when the journal shows a change it cannot undo ('X' records), when a file's
size is not the one its last record predicts (a write went around the shim), or when a file the journal never
mentions differs from --baseline (likewise). Prints one summary line; --summary writes the details as JSON, with
rolled_back_bytes: the bytes (content changed, or cut off the end) by which the recovered files differ from what the
killed process left, plus the sizes of the files removed.
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import struct
import sys
from collections import Counter, defaultdict

HEADER = struct.Struct("<IcIQQQQ")
MAGIC = 0x54554350


def parse(journal):
    with open(journal, "rb") as f:
        data = memoryview(f.read())
    records, pos = [], 0
    while pos < len(data):
        if len(data) - pos < HEADER.size:
            break  # torn last record: its change never started
        magic, kind, plen, a, b, c, d = HEADER.unpack_from(data, pos)
        if magic != MAGIC:
            sys.exit(f"recover: journal {journal} corrupt at byte {pos}")
        end = pos + HEADER.size + plen + d
        if end > len(data):
            break
        path = bytes(data[pos + HEADER.size : pos + HEADER.size + plen]).decode()
        records.append((kind.decode(), path, a, b, c, data[pos + HEADER.size + plen : end]))
        pos = end
    return records, len(data) - pos


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def differing_bytes(x, y):
    """Bytes that differ in the common prefix of x and y."""
    count, block = 0, 4096
    for start in range(0, min(len(x), len(y)), block):
        a, b = x[start : start + block], y[start : start + block]
        if a != b:
            count += sum(1 for i, j in zip(a, b) if i != j)
    return count


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("journal")
    parser.add_argument("dir")
    parser.add_argument("--summary")
    parser.add_argument("--baseline", help="sha256sum output for the files of DIR before the run")
    parser.add_argument("--keep-prefix", metavar="SEED")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    root = os.path.realpath(args.dir)

    records, torn = parse(args.journal)
    kinds = Counter(r[0] for r in records)
    pending = defaultdict(list)  # path -> [(index, offset, old size, new size, old bytes)]
    last_write = {}  # path -> (index, old size, new size): what the file's size must be now
    sync_begins, all_begins = {}, {}
    created = {}  # path -> (index, id, is directory), while the name is not durable
    unmodelled, notes = [], Counter()
    per_file = defaultdict(Counter)
    honoured_syncs = 0
    for index, (kind, path, a, b, c, payload) in enumerate(records):
        if kind == "W":
            pending[path].append((index, a, b, c, payload))
            last_write[path] = (index, b, c)
            per_file[path]["changes"] += 1
        elif kind == "S":
            sync_begins[a] = (path, index, b)
        elif kind == "E":
            begin = sync_begins.pop(a, None)
            if begin is None or b != 0:
                continue
            honoured_syncs += 1
            path, began, is_dir = begin
            per_file[path]["dir syncs" if is_dir else "syncs"] += 1
            if is_dir:
                for name, (at, _, _) in list(created.items()):
                    if os.path.dirname(name) == path and at < began:
                        del created[name]
            else:
                pending[path] = [e for e in pending[path] if e[0] > began]
        elif kind == "A":
            all_begins[a] = index
        elif kind == "B":
            began = all_begins.pop(a, None)
            if began is None or b != 0:
                continue
            honoured_syncs += 1
            for path in pending:
                pending[path] = [e for e in pending[path] if e[0] > began]
            created = {p: v for p, v in created.items() if v[0] > began}
        elif kind == "C":
            created[path] = (index, a, b)
            per_file[path]["created"] += 1
        elif kind == "c":
            if created.get(path, (None, None))[1] == a:
                del created[path]
        elif kind == "X":
            unmodelled.append(f"{path}: {bytes(payload).decode()}")
        elif kind == "N":
            notes[bytes(payload).decode()] += 1

    def lost_name(path):
        return any(path == name or path.startswith(name + "/") for name in created)

    # Sanity: every file the journal changed must have the size its last record predicts (else something wrote it
    # around the shim). A change is journalled before it is made, under the shim's lock, so only the journal's last
    # 'W' can describe a change the kill interrupted; when the shim cut the power itself ('K'), that one was complete.
    last_w = max((v[0] for v in last_write.values()), default=-1)
    mismatches = []
    for path, (index, old, new) in last_write.items():
        if lost_name(path):
            continue
        size = os.stat(path).st_size if os.path.exists(path) else None
        interrupted = index == last_w and not kinds.get("K")
        if size is None or not (min(old, new) <= size <= max(old, new) if interrupted else size == new):
            mismatches.append(f"{path}: size {size}, the journal says {new}")
    if args.baseline:
        with open(args.baseline) as f:
            for line in f:
                digest, name = line.rstrip("\n").split(None, 1)
                name = os.path.realpath(name.lstrip("*"))
                if name in last_write or name in created or name.endswith("-shm"):
                    continue
                if not os.path.exists(name):
                    mismatches.append(f"{name}: gone, and the journal does not say how")
                elif sha256(name) != digest:
                    mismatches.append(f"{name}: changed, and the journal has no record of it")
    problems = [f"not modelled: {u}" for u in unmodelled] + [f"bypassed the shim: {m}" for m in mismatches]
    if problems:
        for p in problems:
            print(f"recover: {p}", file=sys.stderr)
        sys.exit(3)

    summary = {
        "records": len(records),
        "torn_tail_bytes": torn,
        "kinds": dict(kinds),
        "honoured_syncs": honoured_syncs,
        "cut_by_shim": kinds.get("K", 0) > 0,
        "notes": dict(notes),
        "files": {},
        "removed": [],
        "rolled_back_bytes": 0,
    }
    for path in sorted(set(pending) | set(per_file)):
        entries = pending.get(path, [])
        info = dict(per_file[path])
        info["unsynced_changes"] = len(entries)
        if args.keep_prefix is not None and entries:
            kept = random.Random(f"{args.keep_prefix}:{os.path.relpath(path, root)}").randrange(len(entries))
            entries = entries[kept:]
            info["unsynced_kept"] = kept
        summary["files"][os.path.relpath(path, root)] = info
        if lost_name(path) or not entries or not os.path.exists(path):
            continue
        with open(path, "rb") as f:
            before = f.read()
        if not args.dry_run:
            fd = os.open(path, os.O_RDWR)
            try:
                for _, offset, old_size, _, old in reversed(entries):
                    if len(old):
                        os.pwrite(fd, old, offset)
                    os.ftruncate(fd, old_size)
                os.fsync(fd)
            finally:
                os.close(fd)
            with open(path, "rb") as f:
                after = f.read()
        else:
            after = before
        changed = differing_bytes(before, after)
        info.update(size_before=len(before), size_after=len(after), bytes_changed=changed,
                    bytes_cut=max(0, len(before) - len(after)))
        summary["rolled_back_bytes"] += changed + abs(len(before) - len(after))

    for name in sorted(created, key=len, reverse=True):  # names whose creation never became durable
        if not os.path.lexists(name):
            continue
        size = 0
        if os.path.isdir(name) and not os.path.islink(name):
            for base, _, files in os.walk(name):
                size += sum(os.path.getsize(os.path.join(base, f)) for f in files)
            if not args.dry_run:
                shutil.rmtree(name)
        else:
            size = os.path.getsize(name)
            if not args.dry_run:
                os.unlink(name)
        summary["removed"].append(os.path.relpath(name, root))
        summary["rolled_back_bytes"] += size
    for base, _, files in os.walk(root):
        for f in files:
            if f.endswith("-shm") and not args.dry_run:
                os.unlink(os.path.join(base, f))
                summary.setdefault("shm_removed", []).append(os.path.relpath(os.path.join(base, f), root))

    if args.summary:
        with open(args.summary, "w") as f:
            json.dump(summary, f, indent=1, sort_keys=True)
    def describe(name, info):
        text = (f"{name}: {'created, ' if info.get('created') else ''}{info.get('changes', 0)} changes, "
                f"{info.get('syncs', 0)} fsyncs, {info['unsynced_changes']} unsynced"
                f"{', the oldest %d of them kept' % info['unsynced_kept'] if 'unsynced_kept' in info else ''}")
        if "size_before" in info:
            text += (f" ({info['bytes_changed']} bytes given back their old content, {info['bytes_cut']} cut off, "
                     f"{info['size_before']} -> {info['size_after']} bytes)")
        return text

    files = "; ".join(describe(name, info) for name, info in summary["files"].items() if info.get("changes"))
    dirs = sum(info.get("dir syncs", 0) for info in summary["files"].values())
    print(
        f"powercut: {len(records)} journal records, {honoured_syncs} completed syncs ({dirs} of directories); "
        f"{files}; {'would roll' if args.dry_run else 'rolled'} back {summary['rolled_back_bytes']} bytes"
        f"{', removed ' + ', '.join(summary['removed']) if summary['removed'] else ''}"
        f"{'; power cut by the shim' if summary['cut_by_shim'] else ''}")


if __name__ == "__main__":
    main()
