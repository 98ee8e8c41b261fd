#!/usr/bin/env python3
"""Builds the ~300 MB pull-benchmark image (legacy `docker save` layout, uncompressed
layers; skopeo gzips them on the way into the registry) from real Debian content on this
machine: layer 0 = /usr/lib/python3* and /usr/share/doc (the python3 base), layer 1 deletes
/usr/share/doc and the Python test suites, layer 2 adds many small files (/usr/share/man),
layer 3 adds one large file (60 MB of /usr/bin's programs, concatenated), layer 4 overwrites
it (the next 60 MB). Deterministic for the same host content.
Usage: make-pull-image.py OUT.tar"""
import glob
import hashlib
import io
import json
import os
import sys
import tarfile


def add_tree(t, paths):
    for p in paths:
        if os.path.exists(p):
            t.add(p, arcname=p.lstrip("/"), recursive=True)


def main():
    out = sys.argv[1]
    work = out + ".d"
    os.makedirs(work, exist_ok=True)
    layers = []

    def layer(i, fill):
        p = os.path.join(work, f"layer{i}.tar")
        with tarfile.open(p, "w", format=tarfile.PAX_FORMAT) as t:
            fill(t)
        layers.append(p)

    layer(0, lambda t: add_tree(t, sorted(glob.glob("/usr/lib/python3*")) + ["/usr/share/doc"]))

    def deletes(t):
        for d in ["/usr/share/doc"] + sorted(glob.glob("/usr/lib/python3*/test")) + sorted(glob.glob("/usr/lib/python3*/unittest")):
            parent, name = os.path.split(d.lstrip("/"))
            ti = tarfile.TarInfo(f"{parent}/.wh.{name}")
            t.addfile(ti, io.BytesIO(b""))
        if not t.getmembers():
            t.addfile(tarfile.TarInfo("usr/lib/.wh.nothing"), io.BytesIO(b""))

    layer(1, deletes)
    layer(2, lambda t: add_tree(t, ["/usr/share/man"]))

    programs = []
    for f in sorted(os.listdir("/usr/bin")):
        p = os.path.join("/usr/bin", f)
        if os.path.isfile(p) and not os.path.islink(p):
            programs.append(p)

    def chunk(skip, size):
        out = io.BytesIO()
        seen = 0
        for p in programs:
            with open(p, "rb") as fh:
                data = fh.read()
            if seen + len(data) <= skip:
                seen += len(data)
                continue
            out.write(data[max(0, skip - seen):])
            seen += len(data)
            if out.tell() >= size:
                break
        return out.getvalue()[:size]

    def big(data):
        def fill(t):
            ti = tarfile.TarInfo("opt/big.bin")
            ti.size = len(data)
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))
        return fill

    layer(3, big(chunk(0, 60_000_000)))
    layer(4, big(chunk(60_000_000, 60_000_000)))

    def sha_file(p):
        h = hashlib.sha256()
        with open(p, "rb") as f:
            for b in iter(lambda: f.read(1 << 20), b""):
                h.update(b)
        return h.hexdigest()

    diff_ids = ["sha256:" + sha_file(p) for p in layers]
    steps = ["ADD python3 base", "RUN rm -rf /usr/share/doc test unittest", "ADD man pages",
             "ADD big.bin", "RUN overwrite big.bin"]
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
        man = json.dumps([{"Config": f"{cid}.json", "RepoTags": ["bench/pull:1"], "Layers": names}]).encode()
        ti = tarfile.TarInfo("manifest.json"); ti.size = len(man); t.addfile(ti, io.BytesIO(man))
    for p in layers:
        os.remove(p)
    os.rmdir(work)
    print(f"{out}: {os.path.getsize(out)} bytes")


if __name__ == "__main__":
    main()
