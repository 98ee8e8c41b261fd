#!/usr/bin/env python3
"""Builds a large docker-archive (legacy `docker save` layout) from real Debian content on this
machine, for scripts/bench.sh: layer 1 = /usr/lib/python3*, layer 2 = /usr/share (doc, man,
locale...), layer 3 = /usr/bin, layer 4 deletes /usr/share/doc. Deterministic for the same
host content. Usage: make-bench-image.py OUT.tar"""
import glob
import io
import os
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docker_archive  # noqa: E402


def layer_from(paths, out):
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        for p in paths:
            if os.path.exists(p):
                t.add(p, arcname=p.lstrip("/"), recursive=True)


def whiteout_layer(out):
    with tarfile.open(out, "w") as t:
        ti = tarfile.TarInfo("usr/share/.wh.doc")
        t.addfile(ti, io.BytesIO(b""))




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
    docker_archive.write(out, layers, [f"step {i}" for i in range(len(layers))], "bench/big:1")
    os.rmdir(work)


if __name__ == "__main__":
    main()
