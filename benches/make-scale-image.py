#!/usr/bin/env python3
"""Builds the scale benchmark image: about 1 M paths and 2 GB uncompressed, as an OCI layout
with gzip layers (what a registry serves), plus the same image as a docker-archive (what dive
reads). Layers:
  0  a deep tree of small files (700 k files, 7 k directories)
  1  200 k new files; 50 k whiteouts of layer-0 files; 100 opaque directories re-filled
  2  100 k overwrites of layer-0 files; a 1 GB file
  3  the 1 GB file overwritten (the waste dive and strata must report); 50 k new files
Deterministic. Usage: make-scale-image.py OUT_DIR  (writes OUT_DIR/oci and OUT_DIR/image.tar)
"""
import gzip
import hashlib
import json
import os
import random
import sys
import zlib

BLOCK = 512


def header(name, size=0, kind=b"0", mode=0o644, mtime=1700000000):
    n = name.encode()
    assert len(n) <= 100, name
    h = bytearray(BLOCK)
    h[0:len(n)] = n
    h[100:108] = b"%07o\0" % mode
    h[108:116] = b"%07o\0" % 0
    h[116:124] = b"%07o\0" % 0
    h[124:136] = b"%011o\0" % size
    h[136:148] = b"%011o\0" % mtime
    h[148:156] = b"        "
    h[156:157] = kind
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


class Layer:
    def __init__(self, path):
        self.raw = open(path + ".tar", "wb")
        self.path = path
        self.sha = hashlib.sha256()

    def w(self, b):
        self.raw.write(b)
        self.sha.update(b)

    def dir(self, name):
        self.w(header(name + "/", 0, b"5", 0o755))

    def file(self, name, data):
        self.w(header(name, len(data)))
        self.w(data)
        pad = (-len(data)) % BLOCK
        if pad:
            self.w(b"\0" * pad)

    def big(self, name, size, block):
        self.w(header(name, size))
        left = size
        while left:
            k = min(left, len(block))
            self.w(block[:k])
            left -= k
        pad = (-size) % BLOCK
        if pad:
            self.w(b"\0" * pad)

    def close(self):
        self.w(b"\0" * (2 * BLOCK))
        self.raw.close()
        return "sha256:" + self.sha.hexdigest()


def body(i, salt):
    return (b"line %d of file %d, %s\n" % (i % 7, i, salt)) * (1 + i % 9)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(42)
    block = bytes(rng.randrange(32, 127) for _ in range(4096)) * 256  # 1 MiB, compressible
    layers, diff_ids = [], []

    def layer(i, fill):
        p = os.path.join(out, f"layer{i}")
        l = Layer(p)
        fill(l)
        diff_ids.append(l.close())
        layers.append(p + ".tar")

    def l0(l):
        for d in range(700):
            l.dir(f"d{d:04d}")
            for s in range(10):
                l.dir(f"d{d:04d}/s{s}")
                for f in range(100):
                    l.file(f"d{d:04d}/s{s}/f{f:03d}.txt", body(d * 1000 + s * 100 + f, b"base"))

    def l1(l):
        for d in range(200):
            l.dir(f"n{d:04d}")
            for s in range(10):
                l.dir(f"n{d:04d}/s{s}")
                for f in range(100):
                    l.file(f"n{d:04d}/s{s}/f{f:03d}.txt", body(d * 1000 + s * 100 + f, b"new"))
        for d in range(100, 150):
            for s in range(10):
                for f in range(0, 100):
                    l.file(f"d{d:04d}/s{s}/.wh.f{f:03d}.txt", b"")
        for d in range(600, 700):
            l.dir(f"d{d:04d}")
            l.file(f"d{d:04d}/.wh..wh..opq", b"")
            l.file(f"d{d:04d}/refilled.txt", body(d, b"opaque"))

    def l2(l):
        for d in range(0, 100):
            for s in range(10):
                for f in range(100):
                    l.file(f"d{d:04d}/s{s}/f{f:03d}.txt", body(d * 1000 + s * 100 + f, b"overwritten"))
        l.dir("big")
        l.big("big/blob.bin", 1 << 30, block)

    def l3(l):
        l.big("big/blob.bin", 1 << 30, block[::-1])
        for d in range(50):
            l.dir(f"m{d:04d}")
            for f in range(1000):
                l.file(f"m{d:04d}/f{f:04d}.txt", body(d * 1000 + f, b"late"))

    for i, f in enumerate([l0, l1, l2, l3]):
        layer(i, f)
        print(f"layer {i} written", file=sys.stderr)

    steps = ["base tree", "new files, whiteouts, opaque dirs", "overwrites and a 1 GB file", "the 1 GB file again"]
    cfg = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2026-01-01T00:00:00Z", "created_by": s} for s in steps],
    }, separators=(",", ":")).encode()
    cid = hashlib.sha256(cfg).hexdigest()

    # OCI layout with gzip layers (level 1, as fast registries' pushers use).
    oci = os.path.join(out, "oci")
    blobs = os.path.join(oci, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)
    descs = []
    for p in layers:
        tmp = p + ".gz"
        with open(p, "rb") as src, open(tmp, "wb") as dst:
            c = zlib.compressobj(1, zlib.DEFLATED, 31)
            for chunk in iter(lambda: src.read(1 << 20), b""):
                dst.write(c.compress(chunk))
            dst.write(c.flush())
        h = hashlib.sha256()
        with open(tmp, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        os.replace(tmp, os.path.join(blobs, h.hexdigest()))
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                      "digest": "sha256:" + h.hexdigest(), "size": os.path.getsize(os.path.join(blobs, h.hexdigest()))})
    with open(os.path.join(blobs, cid), "wb") as f:
        f.write(cfg)
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + cid, "size": len(cfg)},
                      "layers": descs}).encode()
    mid = hashlib.sha256(man).hexdigest()
    with open(os.path.join(blobs, mid), "wb") as f:
        f.write(man)
    with open(os.path.join(oci, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                   "digest": "sha256:" + mid, "size": len(man), "annotations": {"org.opencontainers.image.ref.name": "1"}}]}, f)
    with open(os.path.join(oci, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')

    # The docker-archive dive reads (plain layers).
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import docker_archive
    docker_archive.write(os.path.join(out, "image.tar"), layers, steps, "bench/scale:1")


if __name__ == "__main__":
    main()
