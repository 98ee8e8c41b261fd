#!/usr/bin/env bash
# Times strata against skopeo on the same docker-archive files, in one run, and prints the
# ratios. Needs hyperfine and skopeo (scripts/setup.sh installs skopeo; hyperfine via apt).
#   scripts/bench.sh            # sample image + a ~large archive built from this host's /usr
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || apt-get install -y -q hyperfine >/dev/null
command -v skopeo >/dev/null || scripts/setup.sh
cargo build --release -q
S=target/release/strata
mkdir -p target/bench
BIG=target/bench/big.tar
[ -f "$BIG" ] || python3 benches/make-bench-image.py "$BIG"
APP=target/bench/app.tar
[ -f "$APP" ] || cp examples/sample.tar "$APP"

ratio() { python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results']; print(' '.join(f\"{x['command']}={x['mean']*1000:.1f}ms\" for x in r)); print(f'ratio skopeo/strata = {r[1][\"mean\"]/r[0][\"mean\"]:.1f}x')" "$1"; }

for img in "$APP" "$BIG"; do
  echo "== $(basename "$img") ($(du -h "$img" | cut -f1))"
  hyperfine -N -w 2 -r 10 --export-json target/bench/i.json \
    -n "strata inspect" "$S inspect docker-archive:$img" \
    -n "skopeo inspect" "skopeo inspect docker-archive:$img" >/dev/null
  ratio target/bench/i.json
  hyperfine -N -w 2 -r 10 --export-json target/bench/h.json \
    -n "strata history" "$S history docker-archive:$img" \
    -n "skopeo inspect --config" "skopeo inspect --config docker-archive:$img" >/dev/null
  ratio target/bench/h.json
done
