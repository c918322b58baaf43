#!/usr/bin/env python3
"""push-image.py ARCHIVE IMAGE REGISTRY REPOSITORY TAG [USER PASSWORD]: pushes IMAGE (a name in the OCI archive's
index.json, e.g. docker.io/library/busybox:latest) to REGISTRY (host:port, plain HTTP) as REPOSITORY:TAG through the
registry HTTP API v2 (blob uploads, then the manifest), with basic auth when given. Stdlib only, no Docker."""
import base64, hashlib, json, sys, tarfile, urllib.error, urllib.request

archive, image, registry, repository, tag = sys.argv[1:6]
user, password = (sys.argv[6], sys.argv[7]) if len(sys.argv) > 7 else (None, None)
base = f"http://{registry}/v2/{repository}"
headers = {}
if user is not None:
    headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def request(method, url, data=None, content_type=None):
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers))
    if content_type:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        if method == "HEAD" and error.code == 404:
            return 404, error.headers, b""
        sys.exit(f"{method} {url}: {error.code} {error.read()[:300]!r}")


with tarfile.open(archive) as tar:
    def blob(digest):
        return tar.extractfile("blobs/sha256/" + digest.split(":", 1)[1]).read()

    index = json.load(tar.extractfile("index.json"))
    entry = next((m for m in index["manifests"] if m.get("annotations", {}).get("io.containerd.image.name") == image), None)
    if entry is None:
        sys.exit(f"{image} is not in {archive}")
    manifest = blob(entry["digest"])
    parsed = json.loads(manifest)
    for descriptor in [parsed["config"]] + parsed["layers"]:
        digest = descriptor["digest"]
        data = blob(digest)
        assert "sha256:" + hashlib.sha256(data).hexdigest() == digest, f"{digest} does not match its content"
        if request("HEAD", f"{base}/blobs/{digest}")[0] == 200:
            continue
        _, response_headers, _ = request("POST", f"{base}/blobs/uploads/", data=b"")
        location = response_headers["Location"]
        if location.startswith("/"):
            location = f"http://{registry}{location}"
        separator = "&" if "?" in location else "?"
        request("PUT", f"{location}{separator}digest={digest}", data=data, content_type="application/octet-stream")
    request("PUT", f"{base}/manifests/{tag}", data=manifest, content_type=entry["mediaType"])
print(f"pushed {image} as {registry}/{repository}:{tag}")
