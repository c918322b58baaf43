#!/usr/bin/env python3
"""The agent benchmark's measurements (stdlib only): talks to the API with the admin kubeconfig's client certificate,
times pods to Running through a watch, and the same image through `ctr run` on the agent's containerd."""
import argparse, base64, json, os, ssl, statistics, subprocess, tempfile, time, http.client

p = argparse.ArgumentParser()
for name in ("kubeconfig", "socket"):
    p.add_argument("--" + name, required=True)
p.add_argument("--server-pid", type=int, required=True)
p.add_argument("--start", type=float, required=True)
p.add_argument("--pods", type=int, default=50)
p.add_argument("--idle", type=int, default=60)
args = p.parse_args()


def load_kubeconfig(path):
    # The kubeconfig skiff writes is simple YAML; pick the three base64 fields and the server line.
    fields = {}
    for line in open(path):
        line = line.strip()
        for key in ("server:", "certificate-authority-data:", "client-certificate-data:", "client-key-data:"):
            if line.startswith(key):
                fields[key[:-1]] = line.split(":", 1)[1].strip()
    return fields


while not os.path.exists(args.kubeconfig):
    time.sleep(0.05)
time.sleep(0.1)
cfg = load_kubeconfig(args.kubeconfig)
tmp = tempfile.mkdtemp()
files = {}
for key in ("certificate-authority-data", "client-certificate-data", "client-key-data"):
    files[key] = os.path.join(tmp, key)
    open(files[key], "wb").write(base64.b64decode(cfg[key]))
context = ssl.create_default_context(cafile=files["certificate-authority-data"])
context.load_cert_chain(files["client-certificate-data"], files["client-key-data"])
host_port = cfg["server"].split("//", 1)[1]
host, port = host_port.rsplit(":", 1)


def request(method, path, body=None, timeout=30):
    conn = http.client.HTTPSConnection(host, int(port), context=context, timeout=timeout)
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, (json.loads(data) if data else None)


def node_ready():
    try:
        status, body = request("GET", "/api/v1/nodes/bench", timeout=2)
    except OSError:
        return False
    if status != 200:
        return False
    return any(c["type"] == "Ready" and c["status"] == "True" for c in body["status"].get("conditions", []))


while not node_ready():
    time.sleep(0.02)
ready = time.time() - args.start
print(f"server start → node Ready: {ready:.2f} s (target ≤ 3 s)")


def rss(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


time.sleep(5)
rss_idle = rss(args.server_pid)


def pod(name):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "main", "image": "docker.io/library/busybox:latest",
                                      "imagePullPolicy": "IfNotPresent", "command": ["sleep", "3600"]}],
                     "terminationGracePeriodSeconds": 0}}


def wait_running(name, deadline=60):
    end = time.time() + deadline
    while time.time() < end:
        status, body = request("GET", f"/api/v1/namespaces/default/pods/{name}")
        if status == 200 and body.get("status", {}).get("phase") == "Running":
            return True
        time.sleep(0.01)
    return False


skiff = []
for i in range(args.pods):
    t0 = time.time()
    status, _ = request("POST", "/api/v1/namespaces/default/pods", pod(f"bench-{i}"))
    assert status == 201, status
    assert wait_running(f"bench-{i}"), f"bench-{i} not Running"
    skiff.append(time.time() - t0)
rss_30 = rss(args.server_pid)
ctr = ["ctr", "-a", args.socket, "-n", "k8s.io"]
raw = []
for i in range(args.pods):
    t0 = time.time()
    subprocess.run(ctr + ["run", "-d", "docker.io/library/busybox:latest", f"raw-{i}", "sleep", "3600"],
                   check=True, stdout=subprocess.DEVNULL)
    raw.append(time.time() - t0)
for i in range(args.pods):
    subprocess.run(ctr + ["tasks", "kill", "-s", "KILL", f"raw-{i}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(1)
for i in range(args.pods):
    subprocess.run(ctr + ["tasks", "rm", f"raw-{i}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(ctr + ["containers", "rm", f"raw-{i}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def containerd_pod_times(log_path, count):
    """containerd's own time per pod, from its log: RunPodSandbox called → StartContainer returned (sandbox with its
    network, then the container). What skiff adds on top is the API, scheduling, the watch and the status write."""
    import re
    from datetime import datetime
    def stamp(line):
        text = re.search(r'time="([^"]+)"', line).group(1)
        head, frac = text.rstrip("Z").split(".")
        return datetime.fromisoformat(head).timestamp() + float("0." + frac)
    started, sandbox_of, container_of, done = {}, {}, {}, {}
    for line in open(log_path, errors="replace"):
        if "RunPodSandbox for" in line:
            name = re.search(r"Name:(bench-\d+),", line)
            if not name:
                continue
            sid = re.search(r'returns sandbox id \\"([0-9a-f]+)', line)
            if sid:
                sandbox_of[sid.group(1)] = name.group(1)
            else:
                started.setdefault(name.group(1), stamp(line))
        elif "returns container id" in line:
            m = re.search(r'within sandbox \\"([0-9a-f]+).*returns container id \\"([0-9a-f]+)', line)
            if m and m.group(1) in sandbox_of:
                container_of[m.group(2)] = sandbox_of[m.group(1)]
        elif "StartContainer for" in line and "returns successfully" in line:
            cid = re.search(r'StartContainer for \\"([0-9a-f]+)', line).group(1)
            if cid in container_of:
                done[container_of[cid]] = stamp(line)
    return [done[n] - started[n] for n in started if n in done][:count]


s50, s99, r50, r99 = pct(skiff, .5), pct(skiff, .99), pct(raw, .5), pct(raw, .99)
inner = containerd_pod_times(os.path.join(os.path.dirname(args.socket), "containerd.log"), args.pods)
print(f"pod create → Running ({args.pods} pods, image present): p50 {s50*1000:.0f} ms, p99 {s99*1000:.0f} ms")
print(f"raw ctr run -d ({args.pods} containers, same image):     p50 {r50*1000:.0f} ms, p99 {r99*1000:.0f} ms")
print(f"ratio skiff/raw: p50 {s50/r50:.2f}×, p99 {s99/r99:.2f}× (target p99 ≤ 1 s and ≤ 1.3×)")
if len(inner) == args.pods:
    c50, c99 = pct(inner, .5), pct(inner, .99)
    print(f"containerd's own time per pod (sandbox + network + container, from its log): p50 {c50*1000:.0f} ms, "
          f"p99 {c99*1000:.0f} ms; skiff end to end / containerd: p50 {s50/c50:.2f}×, p99 {s99/c99:.2f}×")
else:
    print(f"containerd's own time per pod: found {len(inner)} of {args.pods} pods in its log, not printed")
print(f"server RSS with embedded agent: idle {rss_idle:.1f} MB (target ≤ 60), with {args.pods} pods {rss_30:.1f} MB")


def write_bytes(pid):
    for line in open(f"/proc/{pid}/io"):
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


time.sleep(10)  # let the pods' last status writes settle
w0, t0 = write_bytes(args.server_pid), time.time()
time.sleep(args.idle)
w1, t1 = write_bytes(args.server_pid), time.time()
print(f"idle disk writes, server + embedded agent, {args.pods} pods steady, {args.idle} s: "
      f"{(w1 - w0) / (t1 - t0):.0f} B/s (target ≤ 1024; k3s users report 6–10 kB/s, not measured here)")
