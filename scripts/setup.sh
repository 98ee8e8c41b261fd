#!/usr/bin/env bash
# Install what the Docker comparison tests need (Debian/Ubuntu, apt-get).
# Idempotent: does nothing (and runs no `apt-get update`) when all is present.
set -euo pipefail

PKGS=(docker.io docker-registry skopeo umoci busybox-static openssl curl)

missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

echo "setup.sh: installing: ${missing[*]}" >&2
if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup.sh: apt-get not found; install these packages by hand: ${missing[*]}" >&2
    exit 1
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
        echo "setup.sh: not root and no sudo; cannot install: ${missing[*]}" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! "${SUDO[@]}" apt-get update -q >&2; then
    echo "setup.sh: apt-get update failed" >&2
    exit 1
fi
if ! "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; then
    echo "setup.sh: apt-get install failed for: ${missing[*]}" >&2
    exit 1
fi
for p in "${missing[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        echo "setup.sh: package $p still not installed" >&2
        exit 1
    fi
done
echo "setup.sh: done" >&2
