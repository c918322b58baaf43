#!/usr/bin/env python3
"""retag-image.py IN OUT OLD NEW: copies an image archive (OCI layout + docker-save manifest.json), renaming image
OLD to NEW in index.json and manifest.json, so a test can drop in an image containerd does not have yet."""
import io, json, sys, tarfile

src, dst, old, new = sys.argv[1:5]
with tarfile.open(src) as tin, tarfile.open(dst, "w", format=tarfile.USTAR_FORMAT) as tout:
    for member in tin.getmembers():
        data = tin.extractfile(member).read() if member.isfile() else None
        if member.name.lstrip("./") in ("index.json", "manifest.json"):
            text = data.decode()
            text = text.replace(old, new).replace('"latest"', '"' + new.rsplit(":", 1)[1] + '"')
            data = text.encode()
            member.size = len(data)
        tout.addfile(member, io.BytesIO(data) if data is not None else None)
