#!/usr/bin/env python3
"""Writes an OCI layout holding N small distinct images (one tiny layer each), named
bench/many:0 … bench/many:N-1, for timing `strata images` over a store of N images.
Usage: make-many-images.py DIR [N]"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    blobs = os.path.join(out, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)

    def put(b):
        d = hashlib.sha256(b).hexdigest()
        with open(os.path.join(blobs, d), "wb") as f:
            f.write(b)
        return "sha256:" + d, len(b)

    manifests = []
    for i in range(n):
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as t:
            data = f"image {i}\n".encode()
            ti = tarfile.TarInfo(f"etc/image-{i}"); ti.size = len(data); ti.mtime = 1700000000
            t.addfile(ti, io.BytesIO(data))
        tar_bytes = raw.getvalue()
        diff = "sha256:" + hashlib.sha256(tar_bytes).hexdigest()
        ld, ls = put(gzip.compress(tar_bytes, mtime=0))
        cfg = json.dumps({"architecture": "amd64", "os": "linux",
                          "created": f"2026-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z",
                          "config": {"Labels": {"n": str(i)}},
                          "rootfs": {"type": "layers", "diff_ids": [diff]},
                          "history": [{"created_by": f"image {i}"}]}).encode()
        cd, cs = put(cfg)
        man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                          "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
                          "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ld, "size": ls}]}).encode()
        md, ms = put(man)
        manifests.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
                          "annotations": {"org.opencontainers.image.ref.name": f"bench/many:{i}"}})
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": manifests}, f)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')


if __name__ == "__main__":
    main()
