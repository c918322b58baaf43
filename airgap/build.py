#!/usr/bin/env python3
"""Build skiff's offline image bundle, reproducibly, with the standard library only.

Output (default dir airgap/dist/):
  skiff-airgap-images-amd64.tar      one archive that is both an OCI image layout
                                      (oci-layout, index.json, blobs/sha256/...) and a
                                      `docker save` archive (manifest.json)
  skiff-airgap-images-amd64.tar.zst  the same, zstd -19

Images:
  docker.io/library/busybox:latest   /bin/busybox (host's busybox-static) + applet symlinks
  registry.k8s.io/pause:3.10         /pause built from airgap/pause/pause.c

Reproducible: every tar entry has a fixed mtime, uid/gid 0, no user/group names,
sorted order; layers are uncompressed; JSON is written with sorted keys. Same
inputs (busybox binary, gcc) -> same bytes.

Usage: airgap/build.py [--out DIR] [--busybox PATH]
"""
import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MTIME = 1704067200  # 2024-01-01T00:00:00Z, fixed for every file and the image configs
CREATED = "2024-01-01T00:00:00Z"
NAME = "skiff-airgap-images-amd64.tar"
BUSYBOX_REF, PAUSE_REF = "docker.io/library/busybox:latest", "registry.k8s.io/pause:3.10"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"

PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
GROUP = "root:x:0:\nnobody:x:65534:\n"


class Tar:
    """Deterministic in-memory ustar writer: entries are sorted by name on finish()."""

    def __init__(self):
        self.entries = {}  # name -> (TarInfo, bytes or None)

    def _info(self, name, kind, mode):
        ti = tarfile.TarInfo(name)
        ti.type, ti.mode, ti.mtime = kind, mode, MTIME
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = ""
        return ti

    def dir(self, name, mode=0o755):
        self.entries[name + "/"] = (self._info(name + "/", tarfile.DIRTYPE, mode), None)

    def file(self, name, data, mode=0o644):
        ti = self._info(name, tarfile.REGTYPE, mode)
        ti.size = len(data)
        self.entries[name] = (ti, data)

    def symlink(self, name, target):
        ti = self._info(name, tarfile.SYMTYPE, 0o777)
        ti.linkname = target
        self.entries[name] = (ti, None)

    def finish(self):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
            for name in sorted(self.entries):
                ti, data = self.entries[name]
                tf.addfile(ti, io.BytesIO(data) if data is not None else None)
        return buf.getvalue()


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def jbytes(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def busybox_layer(busybox):
    with open(busybox, "rb") as f:
        binary = f.read()
    applets = subprocess.run([busybox, "--list"], check=True, capture_output=True, text=True).stdout.split()
    t = Tar()
    for d in ("bin", "etc"):
        t.dir(d)
    t.dir("root", 0o700)
    t.dir("tmp", 0o1777)
    t.file("bin/busybox", binary, 0o755)
    for applet in applets:
        if applet != "busybox" and "/" not in applet:
            t.symlink("bin/" + applet, "busybox")
    t.file("etc/passwd", PASSWD.encode())
    t.file("etc/group", GROUP.encode())
    return t.finish(), len(applets)


def pause_layer(workdir):
    binary = os.path.join(workdir, "pause")
    src = os.path.join(HERE, "pause", "pause.c")
    subprocess.run(["gcc", "-static", "-Os", "-s", "-o", binary, src], check=True)
    t = Tar()
    with open(binary, "rb") as f:
        t.file("pause", f.read(), 0o755)
    return t.finish()


def image(blobs, ref, layer, config):
    """Adds config, layer and manifest blobs; returns (index entry, manifest.json entry)."""
    cfg = jbytes({
        "architecture": "amd64", "os": "linux", "created": CREATED, "config": config,
        "rootfs": {"type": "layers", "diff_ids": [sha256(layer)]},
        "history": [{"created": CREATED, "created_by": "skiff airgap/build.py"}],
    })
    manifest = jbytes({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": sha256(cfg), "size": len(cfg)},
        "layers": [{"mediaType": OCI_LAYER, "digest": sha256(layer), "size": len(layer)}],
    })
    for blob in (cfg, layer, manifest):
        blobs[sha256(blob)] = blob
    path = lambda b: "blobs/sha256/" + sha256(b)[len("sha256:"):]
    entry = {
        "mediaType": OCI_MANIFEST, "digest": sha256(manifest), "size": len(manifest),
        "platform": {"architecture": "amd64", "os": "linux"},
        "annotations": {"io.containerd.image.name": ref, "org.opencontainers.image.ref.name": ref.rsplit(":", 1)[1]},
    }
    return entry, {"Config": path(cfg), "RepoTags": [ref], "Layers": [path(layer)]}


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "dist"))
    ap.add_argument("--busybox", default="/bin/busybox")
    args = ap.parse_args()
    if not os.access(args.busybox, os.X_OK):
        sys.exit(f"airgap: {args.busybox} missing: install busybox-static (make deps)")
    os.makedirs(args.out, exist_ok=True)

    blobs = {}
    bb_layer, n_applets = busybox_layer(args.busybox)
    bb = image(blobs, BUSYBOX_REF, bb_layer, {"Cmd": ["sh"], "Env": ["PATH=/bin:/usr/bin:/sbin:/usr/sbin"]})
    with tempfile.TemporaryDirectory() as tmp:
        pause = image(blobs, PAUSE_REF, pause_layer(tmp), {"Entrypoint": ["/pause"], "User": "65535:65535"})
    images = sorted([bb, pause], key=lambda im: im[0]["annotations"]["io.containerd.image.name"])

    t = Tar()
    t.file("oci-layout", jbytes({"imageLayoutVersion": "1.0.0"}))
    t.file("index.json", jbytes({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                                 "manifests": [im[0] for im in images]}))
    t.file("manifest.json", jbytes([im[1] for im in images]))
    t.dir("blobs")
    t.dir("blobs/sha256")
    for digest, blob in blobs.items():
        t.file("blobs/sha256/" + digest[len("sha256:"):], blob)
    archive = t.finish()

    out = os.path.join(args.out, NAME)
    write_atomic(out + ".zst", subprocess.run(["zstd", "-19", "--single-thread", "-q", "-c"], input=archive, check=True,
                                              capture_output=True).stdout)
    write_atomic(out, archive)  # last: make's target is the .tar
    print(f"airgap: {out} ({len(archive)} bytes, {n_applets} busybox applets) {sha256(archive)}")


if __name__ == "__main__":
    main()
