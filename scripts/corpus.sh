#!/usr/bin/env bash
# The differential-test corpus: images built by a real Docker daemon from real software, and
# everything Docker printed about them. Built once and cached; the tests compare strata
# against these recordings (crates/strata/tests/corpus.rs).
#
#   scripts/corpus.sh            print the corpus directory, building it first when missing
#   scripts/corpus.sh --rebuild  build it again
#
# Cache: $STRATA_CORPUS_CACHE (default ~/.cache/strata-corpus)/<hash of this script, dockerd.sh
# and tests/docker/**>; older corpora are removed. A private daemon (scripts/dockerd.sh) is
# started for the build and stopped at the end; nothing outside the cache directory is kept.
#
# Images (cases.txt: NAME<TAB>REF<TAB>TARFILE):
#   base        busybox-static rootfs, docker import
#   app shell child newline fs committed   tests/docker/*.Dockerfile and a docker commit
#   bookworm trixie   `debootstrap --variant=minbase` roots (merged-usr), docker import
#   apt         apt-get (python3-pip, nodejs, npm), setcap, pip and npm installs, deletions
#   buildkit    BuildKit's output on trixie: apt, COPY --chmod, setcap, deletions
#   multistage  FROM scratch, files copied from a build stage
#   commit      docker commit of a container that changed the bookworm root
#   layers64    65 layers
# Recorded per image (NAME/): the docker CLI's outputs right after `docker load` into an empty
# daemon (commands.txt lists them; FILE.now holds the time range they were taken in, for
# relative times), load.txt, export.tar (`docker export` of `docker create`), dive.json,
# umoci/ (`umoci unpack` of the skopeo OCI copy); pulled/NAME/: `docker pull` from the local
# registry (registry/, port in registry.port) into an empty daemon and what docker printed
# after it; images-load/ and images-pull/: `docker images` variants; NAME.oci[.tar] skopeo
# copies, NAME.zstd.oci (zstd layers) for the Debian images.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# Run from a copy: the build takes minutes, and bash reads a script as it goes.
if [ -z "${STRATA_CORPUS_COPY:-}" ]; then
    copy=$(mktemp /tmp/strata-corpus-sh.XXXXXX)
    cp "$0" "$copy"
    STRATA_CORPUS_COPY=$copy STRATA_CORPUS_HERE=$here exec bash "$copy" "$@"
fi
here=$STRATA_CORPUS_HERE
rm -f "$STRATA_CORPUS_COPY"
root=$(cd "$here/.." && pwd)
rebuild=0
[ "${1:-}" = "--rebuild" ] && rebuild=1

DOCKER=${DOCKER:-docker}
if [ -x /usr/local/bin/docker ] && [ "$DOCKER" = docker ]; then DOCKER=/usr/local/bin/docker; fi
# BuildKit needs a client that has it built in: Debian's docker.io CLI does.
BKDOCKER=/usr/bin/docker
[ -x "$BKDOCKER" ] || BKDOCKER=$DOCKER

key=$( (cat "$here/corpus.sh" "$here/dockerd.sh"; find "$root/tests/docker" -type f ! -name '*.md' -print0 \
    | sort -z | xargs -0 cat) | sha256sum | cut -c1-16)
cache=${STRATA_CORPUS_CACHE:-$HOME/.cache/strata-corpus}
C=$cache/$key
mkdir -p "$cache"
# One build at a time (CI starts one early, in the background; the test command waits for it).
exec 9>"$cache/.lock"
flock 9
if [ $rebuild -eq 0 ] && [ -f "$C/complete" ]; then
    echo "$C"
    exit 0
fi
for old in "$cache"/*/; do
    old=${old%/}
    [ "$old" = "$C" ] || [ ! -d "$old" ] || rm -rf "$old"
done
rm -rf "$C"
mkdir -p "$C"

t0=$(date +%s)
log() { echo "corpus: $* (+$(( $(date +%s) - t0 ))s)" >&2; }
now() { date +%s.%N; }

ddir=$C/daemon
DOCKER_HOST=$("$here/dockerd.sh" start "$ddir" 9>&-)
export DOCKER_HOST
work=$(mktemp -d /tmp/strata-corpus.XXXXXX)
reg_pid=
cleanup() {
    [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null || true
    "$here/dockerd.sh" stop "$ddir" >/dev/null 2>&1 || true
    rm -rf "$ddir" "$work"
}
trap cleanup EXIT
log "daemon $DOCKER_HOST"

d() { "$DOCKER" "$@"; }

empty_daemon() {
    local ids
    ids=$(d ps -aq)
    if [ -n "$ids" ]; then d rm -f $ids >/dev/null; fi
    d image prune -a -f >/dev/null
    # BuildKit keeps its own references to layers: a later load would find them registered
    # (with the sizes the build computed) instead of applying them afresh.
    d builder prune -a -f >/dev/null 2>&1 || true
    ids=$(d images -aq)
    if [ -n "$ids" ]; then d rmi -f $ids >/dev/null || true; fi
    [ -z "$(d images -aq)" ] || { echo "corpus: could not empty the daemon" >&2; exit 1; }
}

# --- roots ---------------------------------------------------------------------------------
# Both Debian suites at once, in the background while the busybox fixtures build: debootstrap
# mostly waits on the network and on dpkg.
mirror=${STRATA_DEBIAN_MIRROR:-http://deb.debian.org/debian}
for suite in bookworm trixie; do
    debootstrap --variant=minbase "$suite" "$work/$suite" "$mirror" >"$work/$suite.log" 2>&1 9>&- &
    echo $! >"$work/$suite.pid"
done
bb=/bin/busybox
[ -x "$bb" ] || bb=$(command -v busybox || true)
[ -n "$bb" ] || { echo "corpus: busybox not found (run scripts/setup.sh)" >&2; exit 1; }
rootfs="$work/rootfs"
mkdir -p "$rootfs"/{bin,etc,tmp,root,home/app,usr/share/doc/busybox/examples,var/empty}
cp "$bb" "$rootfs/bin/busybox"
chmod 0755 "$rootfs/bin/busybox"
for a in sh ls rm ln mkdir rmdir mv cp printf test id sleep env true false touch chmod chown \
         grep sed head tail wc find tar more uname date stat readlink; do
    ln -s busybox "$rootfs/bin/$a"
done
for a in cat echo; do ln "$rootfs/bin/busybox" "$rootfs/bin/$a"; done   # hardlinks
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/var/empty:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\napp:x:1000:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
printf 'welcome to strata-test\n' >"$rootfs/etc/motd"
printf 'BusyBox static, for tests\n' >"$rootfs/usr/share/doc/busybox/README"
printf 'GPL-2\n' >"$rootfs/usr/share/doc/busybox/copyright"
printf '#!/bin/sh\necho example\n' >"$rootfs/usr/share/doc/busybox/examples/ex.sh"
chmod 1777 "$rootfs/tmp"
chown -R 1000:1000 "$rootfs/home/app"
tar -C "$rootfs" --numeric-owner -cf "$work/rootfs.tar" .
d import -m "base from busybox-static" "$work/rootfs.tar" strata-test/base:1 >/dev/null
log "imported base"


# --- builds --------------------------------------------------------------------------------
ctx="$work/ctx"
mkdir -p "$ctx"
cp -a "$root/tests/docker/." "$ctx/"
cp -a "$root/tests/docker/real/." "$ctx/"
cp /etc/ssl/certs/ca-certificates.crt "$ctx/build-ca.pem"
vend="$work/vendor"
long="a/very/long/directory/name/that/keeps/going/and/going/until/it/is/more/than/one/hundred/characters"
mkdir -p "$vend/$long" "$vend/bin"
printf 'target\n' >"$vend/$long/target.txt"
printf 'tool v1\n' >"$vend/bin/tool"
chmod 0755 "$vend/bin/tool"
ln "$vend/bin/tool" "$vend/bin/tool-hardlink"
ln -s "../$long/target.txt" "$vend/bin/long-symlink"
ln -s "/nowhere/dangling-target" "$vend/bin/dangling"
printf 'v1 of a file overwritten later\n' >"$vend/overwritten.txt"
tar -C "$vend" --numeric-owner --owner=0 --group=0 -czf "$ctx/vendor.tar.gz" .
# 65 layers: 60 COPY steps, then deletions and overwrites.
{
    echo "FROM strata-test/base:1"
    for i in $(seq 1 60); do
        mkdir -p "$ctx/many"
        printf 'file %s\n' "$i" >"$ctx/many/f$i"
        echo "COPY many/f$i /data/f$i"
    done
    echo "RUN rm /data/f1 /data/f2 && rm -rf /usr/share/doc"
    echo "RUN echo again > /data/f3"
    echo "RUN mkdir /data/f4.d && mv /data/f4 /data/f4.d/"
    echo "COPY many/ /data/all/"
} >"$ctx/layers64.Dockerfile"

build() { # BUILDER DOCKERFILE TAG [--network=host]
    local builder=$1 f=$2 tag=$3 net=${4:---network=none}
    local cli=$DOCKER bk=0
    if [ "$builder" = buildkit ]; then cli=$BKDOCKER; bk=1; fi
    if ! DOCKER_BUILDKIT=$bk "$cli" build -q "$net" -f "$ctx/$f.Dockerfile" -t "$tag" "$ctx" >"$work/build-$f.log" 2>&1; then
        cat "$work/build-$f.log" >&2
        echo "corpus: docker build of $f.Dockerfile failed" >&2
        return 1
    fi
}
build classic app strata-test/app:1
d tag strata-test/app:1 strata-test/alias:latest
for f in shell child newline fs kid layers64; do build classic "$f" "strata-test/$f:1"; done
log "built the small fixtures and layers64"
for suite in bookworm trixie; do
    wait "$(cat "$work/$suite.pid")" \
        || { tail -n 20 "$work/$suite.log" >&2; echo "corpus: debootstrap $suite failed" >&2; exit 1; }
    tar -C "$work/$suite" --numeric-owner -cf - . \
        | d import -c 'CMD ["/bin/bash"]' -m "debootstrap --variant=minbase $suite" - "strata-test/$suite:1" >/dev/null
    rm -rf "${work:?}/$suite"
    log "debootstrap $suite imported"
done
# The two apt builds at once (each waits on the archive and on dpkg).
build classic apt strata-test/apt:1 --network=host &
apt_pid=$!
build buildkit buildkit strata-test/buildkit:1 --network=host
build classic multistage strata-test/multistage:1
wait $apt_pid
log "built apt, buildkit, multistage"

d run --network none --name strata-commit strata-test/base:1 \
    sh -c 'echo changed > /etc/motd && rm /usr/share/doc/busybox/README' >/dev/null
d commit -a "Strata Tester <tester@example.com>" -m "commit: changed motd <&>" -c 'ENV X=1' \
    strata-commit strata-test/committed:1 >/dev/null
d run --network none --name strata-commit2 strata-test/bookworm:1 \
    sh -c 'rm -rf /usr/share/doc/* /var/log/* && echo changed > /etc/motd && ln -s /etc/motd /motd && mkdir -p /srv && cp -a /etc/alternatives /srv/' >/dev/null
d commit -c 'WORKDIR /srv' -c 'USER nobody' strata-commit2 strata-test/commit:1 >/dev/null
d rm strata-commit strata-commit2 >/dev/null
log "committed"

# A pre-1.10 `docker save` archive (no manifest.json: repositories, <v1 id>/json and
# layer.tar), as Docker 1.9 wrote it; the older of its two v1 images says Docker 1.8.2, which
# sends `docker load` through its other conversion path.
python3 - "$C/v1.tar" <<'PY'
import hashlib, io, json, sys, tarfile
def tar_bytes(entries):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, data in entries:
            i = tarfile.TarInfo(name); i.mtime = 1446400000
            if data is None: i.type = tarfile.DIRTYPE; i.mode = 0o755; t.addfile(i)
            else: i.mode = 0o644; i.size = len(data); t.addfile(i, io.BytesIO(data))
    return b.getvalue()
l0 = tar_bytes([("etc", None), ("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"), ("bin", None), ("bin/sh", b"#!")])
l1 = tar_bytes([("app", None), ("app/x", b"hello <&>\n")])
id0, id1 = "a1" * 32, "b2" * 32
j0 = {"id": id0, "created": "2015-10-31T22:22:54.690851953Z", "container": "c" * 64,
      "container_config": {"Hostname": "c", "Cmd": ["/bin/sh", "-c", "#(nop) ADD file:abc in /"], "Env": None},
      "docker_version": "1.8.2", "config": {"Cmd": None, "Env": None}, "architecture": "amd64", "os": "linux", "Size": 123}
j1 = {"id": id1, "parent": id0, "created": "2015-11-01T10:00:00.50Z", "container": "d" * 64,
      "container_config": {"Hostname": "d", "Cmd": ["/bin/sh", "-c", "echo 'hello <&>' > /app/x"], "Env": ["PATH=/bin"]},
      "docker_version": "1.9.1", "author": "Old Timer <old@example.com>", "comment": "v1 layer",
      "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"], "Labels": {"a": "b<c>"}},
      "architecture": "amd64", "os": "linux", "Size": 6, "throwaway": False}
files = []
for id_, j, l in [(id0, j0, l0), (id1, j1, l1)]:
    files += [(f"{id_}/", None), (f"{id_}/VERSION", b"1.0"), (f"{id_}/json", json.dumps(j, indent=1).encode()), (f"{id_}/layer.tar", l)]
files.append(("repositories", json.dumps({"old/app": {"v1": id1}}).encode()))
open(sys.argv[1], "wb").write(tar_bytes(files))
PY
d load -i "$C/v1.tar" >/dev/null
log "made the pre-1.10 archive"

# --- save ----------------------------------------------------------------------------------
CASES=(
    "base strata-test/base:1"
    "app strata-test/app:1 strata-test/alias:latest"
    "shell strata-test/shell:1"
    "child strata-test/child:1"
    "newline strata-test/newline:1"
    "committed strata-test/committed:1"
    "fs strata-test/fs:1"
    "bookworm strata-test/bookworm:1"
    "trixie strata-test/trixie:1"
    "apt strata-test/apt:1"
    "buildkit strata-test/buildkit:1"
    "multistage strata-test/multistage:1"
    "commit strata-test/commit:1"
    "layers64 strata-test/layers64:1"
)
MULTI=(strata-test/shell:1 strata-test/committed:1)
# All cases the daemon holds, the pre-1.10 one included (it is loaded, not saved).
PUSHED=("${CASES[@]}" "v1 old/app:v1")
: >"$C/cases.txt"
for c in "${CASES[@]}"; do
    read -r -a w <<<"$c"
    d save -o "$C/${w[0]}.tar" "${w[@]:1}"
    printf '%s\t%s\t%s\n' "${w[0]}" "${w[1]}" "${w[0]}.tar" >>"$C/cases.txt"
done
d save -o "$C/multi.tar" "${MULTI[@]}"
for r in "${MULTI[@]}"; do
    n=${r#strata-test/}; n=multi-${n%%:*}
    printf '%s\t%s\t%s\n' "$n" "$r" multi.tar >>"$C/cases.txt"
done
# The base and an image whose parent it is, in one archive: manifest.json records Parent.
d save -o "$C/family.tar" strata-test/base:1 strata-test/kid:1
printf 'multi-kid\tstrata-test/kid:1\tfamily.tar\n' >>"$C/cases.txt"
printf 'v1\told/app:v1\tv1.tar\n' >>"$C/cases.txt"
log "saved"

# --- what docker prints ----------------------------------------------------------------------
# FILE|RELATIVE|ARGS: the docker arguments that produce NAME/FILE (the image ref goes last);
# RELATIVE=1 when the output holds relative times ("5 seconds ago"). ARGS is split into words,
# except that everything after "--format " is one argument.
COMMANDS=(
    "inspect.json|0|image inspect"
    "history.txt|1|history"
    "history-notrunc.txt|1|history --no-trunc"
    "history-H-false.txt|0|history -H=false"
    "history-q.txt|0|history -q"
    "history-json.txt|1|history --format {{json .}}"
    "history-table.txt|1|history --format table {{.ID}}\t{{.CreatedBy}}\t{{.Size}}"
    "fmt-env.txt|0|image inspect --format {{.Config.Env}}"
    "fmt-labels-json.txt|0|image inspect --format {{json .Config.Labels}}"
    "fmt-misc.txt|0|image inspect --format {{.Id}} {{.Os}}/{{.Architecture}} {{.Size}} {{len .RootFS.Layers}} {{join .Config.Cmd \",\"}} {{upper .Os}}"
    "fmt-json-config.txt|0|image inspect --format {{json .Config}}"
    "fmt-typed.txt|0|image inspect --format {{.ID}} {{.Os}}/{{.Architecture}} {{.Size}} {{len .RootFS.Layers}} {{join .Config.Cmd \",\"}} {{upper .Os}} {{.Config.Labels}}"
    "fmt-raw.txt|0|image inspect --format {{.Id}} {{.Size}} {{.Config.Cmd}} {{.Config.Labels}} {{.Config.Env}} {{.ContainerConfig.Hostname}}"
)
cmd_args() { # ENTRY -> sets global array ARGS
    local rest=${1#*|}; rest=${rest#*|}
    case "$rest" in
        *--format*) read -r -a ARGS <<<"${rest%%--format*}"; ARGS+=(--format "${rest#*--format }") ;;
        *) read -r -a ARGS <<<"$rest" ;;
    esac
}
: >"$C/commands.txt"
for c in "${COMMANDS[@]}"; do
    cmd_args "$c"
    rel=${c#*|}; rel=${rel%%|*}
    (IFS=$'\t'; printf '%s\t%s\t%s\n' "${c%%|*}" "$rel" "${ARGS[*]}") >>"$C/commands.txt"
done
# Records stdout in FILE, the time range in FILE.now; when docker fails, also its stderr in
# FILE.stderr and exit code in FILE.rc.
record_one() { # OUTFILE ARGS...
    local f=$1 rc=0 t1
    shift
    t1=$(now)
    d "$@" >"$f" 2>"$f.stderr" || rc=$?
    echo "$t1 $(now)" >"$f.now"
    if [ $rc -eq 0 ]; then rm -f "$f.stderr"; else echo $rc >"$f.rc"; fi
}
record() { # DIR REF
    local o=$1 r=$2 c
    mkdir -p "$o"
    for c in "${COMMANDS[@]}"; do
        cmd_args "$c"
        record_one "$o/${c%%|*}" "${ARGS[@]}" "$r"
    done
}
IMAGES_VARIANTS=(
    "default|"
    "digests|--digests"
    "digests-notrunc|--digests --no-trunc"
    "q|-q"
    "a|-a"
    "json|--format {{json .}}"
    "table|--format table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.Size}}"
    "dangling-false|--filter dangling=false"
    "reference|--filter reference=strata-test/a*"
    "label|--filter label=org.example.test"
    "repo|strata-test/app"
)
record_images() { # DIR
    local o=$1 v name
    mkdir -p "$o"
    : >"$o/variants.txt"
    for v in "${IMAGES_VARIANTS[@]}"; do
        name=${v%%|*}
        cmd_args "x|0|images ${v#*|}"
        (IFS=$'\t'; printf '%s\t%s\n' "$name" "${ARGS[*]}") >>"$o/variants.txt"
        record_one "$o/$name.txt" "${ARGS[@]}"
    done
}

# --- the registry: docker push, then docker pull into an empty daemon ---------------------------
command -v docker-registry >/dev/null || { echo "corpus: docker-registry not installed" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$C/registry"
cat >"$work/registry.yml" <<YML
version: 0.1
storage:
  filesystem:
    rootdirectory: $C/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 9>&- &
reg_pid=$!
for i in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
echo "$port" >"$C/registry.port"
for c in "${PUSHED[@]}"; do
    read -r -a w <<<"$c"
    d tag "${w[1]}" "127.0.0.1:$port/${w[1]}"
    d push "127.0.0.1:$port/${w[1]}" >/dev/null
done
log "pushed to 127.0.0.1:$port"
empty_daemon
PULL_COMMANDS=("inspect.json" "history.txt" "history-notrunc.txt" "history-json.txt" "history-H-false.txt")
for c in "${PUSHED[@]}"; do
    read -r -a w <<<"$c"
    o="$C/pulled/${w[0]}"
    mkdir -p "$o"
    record_one "$o/pull.txt" pull "127.0.0.1:$port/${w[1]}"
    for c2 in "${COMMANDS[@]}"; do
        f=${c2%%|*}
        case " ${PULL_COMMANDS[*]} " in *" $f "*) ;; *) continue ;; esac
        cmd_args "$c2"
        record_one "$o/$f" "${ARGS[@]}" "127.0.0.1:$port/${w[1]}"
    done
done
record_one "$C/pulled/base/pull2.txt" pull "127.0.0.1:$port/strata-test/base:1"
record_images "$C/images-pull"
kill "$reg_pid" 2>/dev/null || true
wait "$reg_pid" 2>/dev/null || true
reg_pid=
log "pulled and recorded"

# --- load into an empty daemon, record ------------------------------------------------------
empty_daemon
for c in "${CASES[@]}"; do
    read -r -a w <<<"$c"
    mkdir -p "$C/${w[0]}"
    d load -i "$C/${w[0]}.tar" >"$C/${w[0]}/load.txt"
    record "$C/${w[0]}" "${w[1]}"
done
# multi.tar holds images already loaded: loading it changes nothing.
mkdir -p "$C/multi"
d load -i "$C/multi.tar" >"$C/multi/load.txt"
for r in "${MULTI[@]}"; do
    n=${r#strata-test/}; n=multi-${n%%:*}
    mkdir -p "$C/$n"
    cp "$C/multi/load.txt" "$C/$n/load.txt"
    record "$C/$n" "$r"
done
mkdir -p "$C/family" "$C/multi-kid" "$C/v1"
d load -i "$C/family.tar" >"$C/family/load.txt"
record "$C/multi-kid" strata-test/kid:1
d load -i "$C/v1.tar" >"$C/v1/load.txt"
record "$C/v1" old/app:v1
record_images "$C/images-load"
log "loaded and recorded"

# docker export of a container created from each image (what the runtime adds is left in; the
# test skips it).
for c in "${PUSHED[@]}"; do
    read -r -a w <<<"$c"
    d create --name strata-export "${w[1]}" sh >/dev/null
    d export -o "$C/${w[0]}/export.tar" strata-export
    d rm strata-export >/dev/null
done
log "exported"
"$here/dockerd.sh" stop "$ddir" >/dev/null
rm -rf "$ddir"

# --- OCI copies, umoci, dive -------------------------------------------------------------------
TOOLS=${STRATA_TOOLS_DIR:-$HOME/.cache/strata-tools}
export C TOOLS
oci_and_dive() { # NAME REF
    local n=$1 tag=${2##*:} b
    b=$(mktemp -d /tmp/strata-umoci.XXXXXX)
    skopeo copy -q "docker-archive:$C/$n.tar" "oci:$C/$n.oci:$tag" >/dev/null
    # The archive form once per kind of image, not for the big Debian ones.
    case $n in
        bookworm|trixie|apt|buildkit|commit) ;;
        *) skopeo copy -q "docker-archive:$C/$n.tar" "oci-archive:$C/$n.oci.tar:$tag" >/dev/null ;;
    esac
    umoci unpack --image "$C/$n.oci:$tag" "$b/bundle" >/dev/null
    mv "$b/bundle/rootfs" "$C/$n/umoci"
    rm -rf "$b"
    CI=true "$TOOLS/venv/bin/dive" --ci --json "$C/$n/dive.json" \
        --source docker-archive "$C/$n.tar" >/dev/null 2>&1 || true
    [ -s "$C/$n/dive.json" ] || { echo "corpus: dive wrote nothing for $n" >&2; return 1; }
    case $n in
        bookworm|apt|buildkit)
            skopeo copy -q --dest-compress --dest-compress-format zstd \
                "docker-archive:$C/$n.tar" "oci:$C/$n.zstd.oci:1" >/dev/null ;;
    esac
}
export -f oci_and_dive
# Two at a time: skopeo, umoci and dive are each single-threaded for most of their work.
for c in "${CASES[@]}"; do read -r -a w <<<"$c"; printf '%s %s\n' "${w[0]}" "${w[1]}"; done \
    | xargs -P 2 -L 1 bash -c 'oci_and_dive "$0" "$1"'
log "skopeo, umoci and dive done"
date -u +%FT%TZ >"$C/complete"
log "corpus complete in $C"
echo "$C"
