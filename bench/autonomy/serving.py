"""Run inside the agent's network namespace: waits until COUNT distinct pod IPs (host-local's allocations in
IPAM_DIR, except the EXCLUDE ones: the sandboxes killed before the restart) answer HTTP on :8080, probing them
concurrently; prints the seconds since START (epoch seconds)."""
import argparse
import concurrent.futures
import os
import re
import time
import urllib.request


def answers(ip):
    try:
        with urllib.request.urlopen(f"http://{ip}:8080/", timeout=0.5) as response:
            return b"hello" in response.read()
    except Exception:
        return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ipam-dir", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--start", type=float, required=True)
    parser.add_argument("--limit", type=float, default=120)
    parser.add_argument("--exclude", default="")
    args = parser.parse_args()
    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
        while time.time() - args.start < args.limit:
            try:
                excluded = set(args.exclude.split(","))
                ips = [
                    name
                    for name in os.listdir(args.ipam_dir)
                    if re.fullmatch(r"[0-9.]+", name) and name not in excluded
                ]
            except FileNotFoundError:
                ips = []
            serving = sum(pool.map(answers, ips))
            if serving >= args.count:
                print(f"{time.time() - args.start:.2f}")
                return
            time.sleep(0.05)
    print("timeout")


main()
