"""Writes a legacy `docker save` archive from layer tar files (shared by the bench image
scripts)."""
import hashlib
import io
import json
import os
import tarfile


def sha_file(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def write(out, layers, steps, tag):
    """out: archive path; layers: layer tar paths, base first (removed afterwards);
    steps: history created_by per layer; tag: RepoTag."""
    diff_ids = ["sha256:" + sha_file(p) for p in layers]
    cfg = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
        "config": {"Env": ["PATH=/usr/bin"], "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2026-01-01T00:00:00Z", "created_by": s} for s in steps],
    }, separators=(",", ":")).encode()
    cid = hashlib.sha256(cfg).hexdigest()
    with tarfile.open(out, "w") as t:
        names = []
        for i, p in enumerate(layers):
            n = f"{diff_ids[i][7:]}/layer.tar"
            t.add(p, arcname=n)
            names.append(n)
        ti = tarfile.TarInfo(f"{cid}.json"); ti.size = len(cfg); t.addfile(ti, io.BytesIO(cfg))
        man = json.dumps([{"Config": f"{cid}.json", "RepoTags": [tag], "Layers": names}]).encode()
        ti = tarfile.TarInfo("manifest.json"); ti.size = len(man); t.addfile(ti, io.BytesIO(man))
    for p in layers:
        os.remove(p)
    print(f"{out}: {os.path.getsize(out)} bytes")
