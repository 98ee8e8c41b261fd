#!/usr/bin/env python3
"""Builds the ~300 MB pull-benchmark image (legacy `docker save` layout, uncompressed
layers; skopeo gzips them on the way into the registry) from real Debian content on this
machine: layer 0 = /usr/lib/python3* and /usr/share/doc (the python3 base), layer 1 deletes
/usr/share/doc and the Python test suites, layer 2 adds many small files (/usr/share/man),
layer 3 adds one large file (60 MB of /usr/bin's programs, concatenated), layer 4 overwrites
it (the next 60 MB). Deterministic for the same host content.
Usage: make-pull-image.py OUT.tar"""
import glob
import io
import os
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docker_archive  # noqa: E402


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

    steps = ["ADD python3 base", "RUN rm -rf /usr/share/doc test unittest", "ADD man pages",
             "ADD big.bin", "RUN overwrite big.bin"]
    docker_archive.write(out, layers, steps, "bench/pull:1")
    os.rmdir(work)


if __name__ == "__main__":
    main()
