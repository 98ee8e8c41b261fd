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

# Sections: inspect, pull, analysis, scale, explore (default: all). e.g. scripts/bench.sh scale
SECTIONS=${*:-inspect pull analysis scale explore}
want() { [[ " $SECTIONS " == *" $1 "* ]]; }

ratio() { python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results']; print(' '.join(f\"{x['command']}={x['mean']*1000:.1f}ms\" for x in r)); print(f'ratio skopeo/strata = {r[1][\"mean\"]/r[0][\"mean\"]:.1f}x')" "$1"; }

want inspect && for img in "$APP" "$BIG"; do
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

scripts/setup.sh
VENV=${STRATA_TOOLS_DIR:-$HOME/.cache/strata-tools}/venv
PULL=target/bench/pull.tar
[ -f "$PULL" ] || python3 benches/make-pull-image.py "$PULL"

if want pull; then
# ---------------------------------------------------------------------------------------------
# Pull: a ~300 MB image of real Debian content in the local docker-registry, fetched by
# strata pull (into an empty store), skopeo copy (to an OCI layout: it only moves and checks
# the compressed blobs), docker pull (into an empty daemon) and the decompression floor
# (rapidgzip -d -c -P 2 over the same gzip layers).
PULL=target/bench/pull.tar
[ -f "$PULL" ] || python3 benches/make-pull-image.py "$PULL"
scripts/setup.sh
VENV=${STRATA_TOOLS_DIR:-$HOME/.cache/strata-tools}/venv
WORK=$(mktemp -d /tmp/strata-bench.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/reg.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $WORK/reg}}
http: {addr: 127.0.0.1:$PORT}
YML
docker-registry serve "$WORK/reg.yml" >"$WORK/reg.log" 2>&1 &
REG_PID=$!
DOCKERD_DIR="$WORK/dockerd"
cleanup() {
  kill "$REG_PID" 2>/dev/null || true
  [ -d "$DOCKERD_DIR" ] && bash scripts/dockerd.sh stop "$DOCKERD_DIR" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
until curl -sf "http://127.0.0.1:$PORT/v2/" >/dev/null; do sleep 0.1; done
REF=127.0.0.1:$PORT/bench/pull:1
skopeo copy -q --dest-tls-verify=false "docker-archive:$PULL" "docker://$REF"
LAYERS=$(curl -sf -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "http://127.0.0.1:$PORT/v2/bench/pull/manifests/1" |
  python3 -c 'import json,sys; print(" ".join(l["digest"][7:] for l in json.load(sys.stdin)["layers"]))')
GZ=""
for d in $LAYERS; do GZ="$GZ $WORK/reg/docker/registry/v2/blobs/sha256/${d:0:2}/$d/data"; done
echo "== pull: $REF ($(du -ch $GZ | tail -1 | cut -f1) compressed, $(du -h "$PULL" | cut -f1) uncompressed, $(echo $LAYERS | wc -w) layers)"
DOCKER_CMD=()
if DH=$(bash scripts/dockerd.sh start "$DOCKERD_DIR" 2>/dev/null); then
  DOCKER_CMD=(-n "docker pull" --prepare "sh -c 'DOCKER_HOST=$DH docker rmi -f $REF >/dev/null 2>&1 || true'" "env DOCKER_HOST=$DH docker pull -q $REF")
else
  echo "(no docker daemon here: docker pull not timed)"
fi
hyperfine -w 1 -r 5 --export-json target/bench/pull.json \
  -n "strata pull" --prepare "rm -rf $WORK/store" "$S --root $WORK/store pull -q $REF" \
  -n "skopeo copy" --prepare "rm -rf $WORK/oci" "skopeo copy -q --src-tls-verify=false docker://$REF oci:$WORK/oci:x" \
  -n "rapidgzip -P 2 (floor)" --prepare true "sh -c 'for f in $GZ; do $VENV/bin/rapidgzip -d -c -P 2 \$f >/dev/null; done'" \
  "${DOCKER_CMD[@]}" >/dev/null
python3 - target/bench/pull.json <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
s = r["strata pull"]
for k, v in r.items():
    print(f"{k:24s} {v*1000:8.0f} ms")
print(f"strata / skopeo copy   = {s / r['skopeo copy']:.2f}x (goal <= 1.05)")
print(f"strata / rapidgzip floor = {s / r['rapidgzip -P 2 (floor)']:.2f}x (goal <= 1.1)")
if "docker pull" in r:
    print(f"docker pull / strata   = {r['docker pull'] / s:.1f}x faster (goal >= 5)")
PY

# images over a store of 200 images (goal: under 20 ms).
python3 benches/make-many-images.py "$WORK/many" 200
$S --root "$WORK/many-store" load -q -i "$WORK/many"
hyperfine -N -w 3 -r 30 --export-json target/bench/images.json "$S --root $WORK/many-store images" >/dev/null
python3 -c "import json; r=json.load(open('target/bench/images.json'))['results'][0]; print(f\"strata images (200 images): {r['mean']*1000:.1f} ms (goal < 20)\")"
fi

# ---------------------------------------------------------------------------------------------
# Analysis of an OCI layout with gzip layers: strata efficiency and ls -R, cold (no layer index
# cached) and warm; the gunzip floor (rapidgzip -P 2 over the same layers); dive --ci on the
# docker-archive of the same image. Peak RSS from /usr/bin/time, against a budget of 64 MB +
# 200 B per path of the merged filesystem.
analysis() { # OCI_DIR DOCKER_ARCHIVE
OCI=$1 ARCHIVE=$2
AW=$(mktemp -d /tmp/strata-bench-an.XXXXXX)
GZ=$(python3 - "$OCI" <<'PY'
import json, sys, os
d = sys.argv[1]
idx = json.load(open(os.path.join(d, "index.json")))
m = json.load(open(os.path.join(d, "blobs/sha256", idx["manifests"][0]["digest"][7:])))
print(" ".join(os.path.join(d, "blobs/sha256", l["digest"][7:]) for l in m["layers"]))
PY
)
NFILES=$($S ls -R "oci:$OCI:1" | wc -l)
echo "== analysis: oci:$OCI:1 ($(du -ch $GZ | tail -1 | cut -f1) gzip layers, $NFILES paths)"
export STRATA_CACHE_DIR="$AW/cache/layer-facts"
hyperfine -i -w 1 -r "${RUNS:-5}" --export-json target/bench/analysis.json \
  -n "strata efficiency (cold)" --prepare "rm -rf $AW/cache" "$S efficiency oci:$OCI:1" \
  -n "strata ls -R (cold)" --prepare "rm -rf $AW/cache" "$S ls -R oci:$OCI:1" \
  -n "strata efficiency (warm)" --prepare "true" "$S efficiency oci:$OCI:1" \
  -n "strata ls -R (warm)" --prepare "true" "$S ls -R oci:$OCI:1" \
  -n "rapidgzip -P 2 (floor)" --prepare "true" "sh -c 'for f in $GZ; do $VENV/bin/rapidgzip -d -c -P 2 \$f >/dev/null; done'" \
  >/dev/null
rss() { { /usr/bin/time -f %M "$@" 2>&1 >/dev/null || true; } | tail -1; }
rm -rf "$AW/cache"
R1=$(rss "$S" efficiency "oci:$OCI:1"); R2=$(rss "$S" efficiency "oci:$OCI:1")
rm -rf "$AW/cache"; R3=$(rss "$S" ls -R "oci:$OCI:1"); R5=$(rss "$S" ls -R "oci:$OCI:1")
# dive once (it can take many minutes on big images), with a time limit.
DIVE=$( { /usr/bin/time -f "%e %M" timeout "${DIVE_LIMIT:-1800}" env CI=true "$VENV/bin/dive" --ci --source docker-archive "$ARCHIVE" 2>&1 >/dev/null || true; } | tail -1)
python3 - target/bench/analysis.json "$R1" "$R2" "$R3" "${DIVE#* }" "$NFILES" "$R5" "${DIVE%% *}" "${DIVE_LIMIT:-1800}" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
for k, v in r.items():
    print(f"{k:28s} {v*1000:8.0f} ms")
floor = r["rapidgzip -P 2 (floor)"]
print(f"efficiency cold / floor   = {r['strata efficiency (cold)'] / floor:.2f}x")
print(f"ls -R cold / floor        = {r['strata ls -R (cold)'] / floor:.2f}x")
dive = float(sys.argv[8])
if dive >= float(sys.argv[9]):
    print(f"dive --ci                    did not finish in {dive:.0f} s")
else:
    print(f"{'dive --ci (one run)':28s} {dive*1000:8.0f} ms")
    print(f"dive / efficiency cold    = {dive / r['strata efficiency (cold)']:.1f}x faster")
    print(f"dive / efficiency warm    = {dive / r['strata efficiency (warm)']:.1f}x faster")
n = int(sys.argv[6])
mb = lambda x: int(x) // 1024
budget = (64 * 2**20 + 200 * n) // 2**20
print(f"peak RSS: efficiency cold {mb(sys.argv[2])} MB, warm {mb(sys.argv[3])} MB; ls -R cold {mb(sys.argv[4])} MB, warm {mb(sys.argv[7])} MB; dive {mb(sys.argv[5])} MB")
print(f"budget 64 MB + 200 B x {n} paths = {budget} MB")
PY
rm -rf "$AW"
}

if want analysis; then
OCI=target/bench/pull-oci-gz
[ -d "$OCI" ] || skopeo copy -q --dest-compress --dest-compress-format gzip "docker-archive:$PULL" "oci:$OCI:1"
analysis "$OCI" "$PULL"
fi

# Scale: about 1 M paths and 3 GB (benches/make-scale-image.py): deep trees of small files,
# whiteouts, opaque directories, overwrites and a 1 GB file written twice.
if want scale; then
SC=target/bench/scale
[ -d "$SC/oci" ] || python3 benches/make-scale-image.py "$SC"
RUNS=${RUNS:-3} analysis "$SC/oci" "$SC/image.tar"
fi

# ---------------------------------------------------------------------------------------------
# Explore: `strata explore` drawn off-screen (STRATA_EXPLORE_BENCH=1, a 160x50 TestBackend):
# time to the first screen (layer list, from manifest and config), to the complete tree
# (every layer indexed, the aggregated view of the last layer drawn), the slowest redraw over
# 60 navigation keys, and peak RSS; beside strata efficiency cold on the same image. Cold =
# no layer index cached.
explore_bench() { # OCI_DIR
OCI=$1
EW=$(mktemp -d /tmp/strata-bench-ex.XXXXXX)
export STRATA_CACHE_DIR="$EW/cache/layer-facts"
echo "== explore: oci:$OCI:1 ($($S ls -R "oci:$OCI:1" | wc -l) paths)"
for run in cold cold cold warm; do
  [ "$run" = cold ] && rm -rf "$EW/cache"
  echo "explore $run: $(XDG_CACHE_HOME="$EW/cache" STRATA_EXPLORE_BENCH=1 $S explore "oci:$OCI:1")"
done
rm -rf "$EW/cache"
EFF=$( { /usr/bin/time -f %e env XDG_CACHE_HOME="$EW/cache" $S efficiency "oci:$OCI:1" >/dev/null; } 2>&1 | tail -1)
echo "strata efficiency (cold, one run): $(python3 -c "print(int(float('$EFF')*1000))") ms"
rm -rf "$EW"
}

if want explore; then
OCI=target/bench/pull-oci-gz
[ -d "$OCI" ] || skopeo copy -q --dest-compress --dest-compress-format gzip "docker-archive:$PULL" "oci:$OCI:1"
explore_bench "$OCI"
SC=target/bench/scale
[ -d "$SC/oci" ] || python3 benches/make-scale-image.py "$SC"
explore_bench "$SC/oci"
fi
