#!/usr/bin/env python3
"""Checks the generated OpenAPI v3 documents against the real kubectl 1.32. Run by hand, never in CI.

    SKIFF_OPENAPI_DUMP=/tmp/openapi swift test --scratch-path .build-schema --filter dumpForKubectlWhenAsked
    tools/kubectl-openapi-check.py /tmp/openapi

Serves, on 127.0.0.1 over plain HTTP, /version (minor "32"), legacy discovery for a few kinds, /openapi/v3 (the
dumped index.json) and /openapi/v3/<gv> (the dumped documents); /openapi/v2 answers 404 as skiff's server does.
Then runs `kubectl explain`, `kubectl apply --dry-run=server` and a client-side apply followed by a changed apply,
and reports what kubectl printed, which query string the POSTs carried (`fieldValidation=Strict` means kubectl found
the parameter in the PATCH operation) and the strategic merge patch kubectl computed from the documents' merge keys.
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RESOURCES = {
    "v1": [("pods", "Pod", True), ("services", "Service", True), ("configmaps", "ConfigMap", True),
           ("namespaces", "Namespace", False)],
    "apps/v1": [("deployments", "Deployment", True)],
    "batch/v1": [("jobs", "Job", True)],
}
VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: busybox
        ports:
        - containerPort: 80
"""

requests = []
stored = {}
patches = []


class Handler(BaseHTTPRequestHandler):
    dump = None

    def log_message(self, *args):
        pass

    def reply(self, code, body, raw=False):
        data = body if raw else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def not_found(self):
        self.reply(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                         "code": 404, "message": "not found"})

    def do_GET(self):
        requests.append(("GET", self.path))
        path = self.path.split("?")[0]
        if path == "/version":
            return self.reply(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.4"})
        if path == "/api":
            return self.reply(200, {"kind": "APIVersions", "versions": ["v1"]})
        if path == "/apis":
            groups = []
            for group_version in RESOURCES:
                if "/" in group_version:
                    group, version = group_version.split("/")
                    entry = {"groupVersion": group_version, "version": version}
                    groups.append({"name": group, "versions": [entry], "preferredVersion": entry})
            return self.reply(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
        if path == "/openapi/v3":
            with open(os.path.join(self.dump, "index.json"), "rb") as handle:
                return self.reply(200, handle.read(), raw=True)
        if path.startswith("/openapi/v3/"):
            file = os.path.join(self.dump, path[len("/openapi/v3/"):].replace("/", "_") + ".json")
            if os.path.exists(file):
                with open(file, "rb") as handle:
                    return self.reply(200, handle.read(), raw=True)
            return self.not_found()
        if path in stored:
            return self.reply(200, stored[path])
        group_version = "v1" if path == "/api/v1" else path[len("/apis/"):]
        if group_version in RESOURCES:
            resources = [{"name": name, "singularName": kind.lower(), "namespaced": namespaced, "kind": kind,
                          "verbs": VERBS} for name, kind, namespaced in RESOURCES[group_version]]
            return self.reply(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
                                    "resources": resources})
        return self.not_found()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        requests.append(("POST", self.path))
        if "dryRun" not in self.path:
            stored[self.path.split("?")[0] + "/" + body.get("metadata", {}).get("name", "")] = body
        return self.reply(201, body)

    def do_PATCH(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        requests.append(("PATCH", self.path))
        patches.append((self.headers.get("Content-Type"), body.decode()))
        path = self.path.split("?")[0]
        if path not in stored:
            return self.reply(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404})
        return self.reply(200, stored[path])


def main():
    Handler.dump = sys.argv[1]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    home = tempfile.mkdtemp()
    kubeconfig = os.path.join(home, "config")
    with open(kubeconfig, "w") as handle:
        handle.write(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:%d\n"
            "users:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: c\n  context:\n    cluster: c\n"
            "    user: u\n    namespace: default\ncurrent-context: c\n" % server.server_address[1])
    manifest = os.path.join(home, "deployment.yaml")
    with open(manifest, "w") as handle:
        handle.write(DEPLOYMENT)
    changed = os.path.join(home, "deployment-v2.yaml")
    with open(changed, "w") as handle:
        handle.write(DEPLOYMENT.replace("replicas: 2", "replicas: 3").replace(
            "      - name: web\n", "      - name: sidecar\n        image: busybox:1.36\n      - name: web\n"))
    env = dict(os.environ, KUBECONFIG=kubeconfig, HOME=home)
    failures = 0
    for arguments in (["explain", "deployment.spec.replicas"], ["explain", "pods.spec.containers.ports"],
                      ["explain", "service.spec.ports.targetPort"], ["explain", "deployment", "--recursive"],
                      ["apply", "--dry-run=server", "-f", manifest], ["create", "--dry-run=server", "-f", manifest],
                      ["apply", "-f", manifest], ["apply", "-f", changed]):
        before = len(requests)
        result = subprocess.run(["kubectl"] + arguments, env=env, capture_output=True, text=True, timeout=120)
        output = (result.stdout + result.stderr).strip()
        print("$ kubectl %s  (rc=%d)" % (" ".join(arguments), result.returncode))
        print("\n".join(output.splitlines()[:25]))
        for method, path in requests[before:]:
            if method in ("POST", "PATCH") or path.startswith("/openapi"):
                print("   %s %s" % (method, path))
        print()
        failures += result.returncode != 0
    for content_type, body in patches:
        print("PATCH body (%s): %s" % (content_type, body))
    server.shutdown()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
