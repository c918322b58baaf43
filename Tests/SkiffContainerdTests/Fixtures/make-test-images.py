#!/usr/bin/env python3
"""Writes a tiny `docker save`-style image archive for the SkiffContainerd integration tests.

Usage: make-test-images.py OUT.tar [BUSYBOX]

One layer holds a static busybox (Debian's busybox-static, /bin/busybox) and the applets the tests use; two images
share it: docker.io/library/skiff-test:1 (cmd `sh`) and docker.io/library/skiff-pause:1 (the sandbox image, it just
sleeps). Deterministic: the same busybox gives the same archive.
"""
import hashlib
import io
import json
import sys
import tarfile

out = sys.argv[1]
busybox = sys.argv[2] if len(sys.argv) > 2 else "/bin/busybox"
APPLETS = ["sh", "echo", "sleep", "cat", "ls", "true", "false"]


def add(tar, info, data=None):
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    tar.addfile(info, io.BytesIO(data) if data is not None else None)


layer = io.BytesIO()
with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as tar:
    for d in ["bin", "etc", "tmp"]:
        info = tarfile.TarInfo(d)
        info.type = tarfile.DIRTYPE
        info.mode = 0o1777 if d == "tmp" else 0o755
        add(tar, info)
    with open(busybox, "rb") as f:
        data = f.read()
    info = tarfile.TarInfo("bin/busybox")
    info.size = len(data)
    info.mode = 0o755
    add(tar, info, data)
    for applet in APPLETS:
        info = tarfile.TarInfo("bin/" + applet)
        info.type = tarfile.SYMTYPE
        info.linkname = "busybox"
        info.mode = 0o777
        add(tar, info)
    passwd = b"root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
    info = tarfile.TarInfo("etc/passwd")
    info.size = len(passwd)
    info.mode = 0o644
    add(tar, info, passwd)
layer_bytes = layer.getvalue()
diff_id = "sha256:" + hashlib.sha256(layer_bytes).hexdigest()
layer_name = hashlib.sha256(layer_bytes).hexdigest() + "/layer.tar"


def config(cmd, entrypoint=None):
    c = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/bin"], "Cmd": cmd, "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created_by": "make-test-images.py"}],
    }
    if entrypoint:
        c["config"]["Entrypoint"] = entrypoint
    data = json.dumps(c, sort_keys=True).encode()
    return hashlib.sha256(data).hexdigest() + ".json", data


images = [
    ("docker.io/library/skiff-test:1", config(["sh"])),
    ("docker.io/library/skiff-pause:1", config(None, ["/bin/sleep", "2147483647"])),
]
manifest = [{"Config": name, "RepoTags": [tag], "Layers": [layer_name]} for tag, (name, _) in images]

with tarfile.open(out, mode="w", format=tarfile.PAX_FORMAT) as tar:
    info = tarfile.TarInfo(layer_name.split("/")[0])
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    add(tar, info)
    info = tarfile.TarInfo(layer_name)
    info.size = len(layer_bytes)
    info.mode = 0o644
    add(tar, info, layer_bytes)
    for _, (name, data) in images:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o644
        add(tar, info, data)
    data = json.dumps(manifest).encode()
    info = tarfile.TarInfo("manifest.json")
    info.size = len(data)
    info.mode = 0o644
    add(tar, info, data)
