#!/usr/bin/env bash
# Runs every test. Installs what the tests need first (apt packages: docker.io,
# docker-registry, skopeo, umoci, busybox-static) when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if cargo nextest --version >/dev/null 2>&1; then
    # nextest does not run doctests: run them first so nextest's summary closes the run.
    cargo test --workspace --doc -q
    cargo nextest run --workspace --no-fail-fast "$@"
else
    cargo test --workspace --no-fail-fast "$@"
fi
