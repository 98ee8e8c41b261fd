#!/usr/bin/env python3
"""Builds a large docker-archive (legacy `docker save` layout) from real Debian content on this
machine, for scripts/bench.sh: layer 1 = /usr/lib/python3*, layer 2 = /usr/share (doc, man,
locale...), layer 3 = /usr/bin, layer 4 deletes /usr/share/doc. Deterministic for the same
host content. Usage: make-bench-image.py OUT.tar"""
import glob
import hashlib
import io
import json
import os
import sys
import tarfile


def layer_from(paths, out):
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        for p in paths:
            if os.path.exists(p):
                t.add(p, arcname=p.lstrip("/"), recursive=True)


def whiteout_layer(out):
    with tarfile.open(out, "w") as t:
        ti = tarfile.TarInfo("usr/share/.wh.doc")
        t.addfile(ti, io.BytesIO(b""))


def sha_file(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def main():
    out = sys.argv[1]
    work = out + ".d"
    os.makedirs(work, exist_ok=True)
    specs = [
        glob.glob("/usr/lib/python3*"),
        ["/usr/share/doc", "/usr/share/man", "/usr/share/locale", "/usr/share/perl5"],
        ["/usr/bin"],
        None,
    ]
    layers = []
    for i, spec in enumerate(specs):
        p = os.path.join(work, f"layer{i}.tar")
        if spec is None:
            whiteout_layer(p)
        else:
            layer_from(spec, p)
        layers.append(p)
    diff_ids = ["sha256:" + sha_file(p) for p in layers]
    cfg = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
        "config": {"Env": ["PATH=/usr/bin"], "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2026-01-01T00:00:00Z", "created_by": f"step {i}"} for i in range(len(layers))],
    }, separators=(",", ":")).encode()
    cid = hashlib.sha256(cfg).hexdigest()
    with tarfile.open(out, "w") as t:
        names = []
        for i, p in enumerate(layers):
            n = f"{diff_ids[i][7:]}/layer.tar"
            t.add(p, arcname=n)
            names.append(n)
        ti = tarfile.TarInfo(f"{cid}.json"); ti.size = len(cfg); t.addfile(ti, io.BytesIO(cfg))
        man = json.dumps([{"Config": f"{cid}.json", "RepoTags": ["bench/big:1"], "Layers": names}]).encode()
        ti = tarfile.TarInfo("manifest.json"); ti.size = len(man); t.addfile(ti, io.BytesIO(man))
    for p in layers:
        os.remove(p)
    os.rmdir(work)
    print(f"{out}: {os.path.getsize(out)} bytes")


if __name__ == "__main__":
    main()
