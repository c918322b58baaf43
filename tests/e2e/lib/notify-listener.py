#!/usr/bin/env python3
"""Stands in for systemd's notify socket: binds a datagram socket at PATH and appends each message to OUT, one line
each. On READY=1 it asks the cluster at once (kubectl with KUBECONFIG) for /readyz and NODE's Ready condition, and
writes `READY readyz=<answer> node=<status>`: what was true when skiff said it was ready.

usage: notify-listener.py PATH OUT NODE KUBECONFIG"""
import socket
import subprocess
import sys

path, out, node, kubeconfig = sys.argv[1:5]


def kubectl(*args):
    result = subprocess.run(
        ["kubectl", "--kubeconfig", kubeconfig, "--request-timeout=5s", *args], capture_output=True, text=True
    )
    return result.stdout.strip() or "-"


listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
listener.bind(path)
with open(out, "a") as log:
    while True:
        lines = listener.recv(65536).decode(errors="replace").split("\n")
        if "READY=1" in lines:
            readyz = kubectl("get", "--raw", "/readyz")
            ready = kubectl("get", "node", node, "-o", 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')
            log.write(f"READY readyz={readyz} node={ready}\n")
        log.write(" ".join(lines) + "\n")
        log.flush()
