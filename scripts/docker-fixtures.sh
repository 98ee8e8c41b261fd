#!/usr/bin/env bash
# Build test images with a real Docker daemon, save them, reload them into the emptied daemon and
# record what the docker CLI prints about them.
#
#   scripts/docker-fixtures.sh [--keep-daemon] OUTDIR
#
# Daemon: $DOCKER_HOST when set (a private one from scripts/dockerd.sh; it is never stopped
# here). Otherwise this script starts one with scripts/dockerd.sh in $STRATA_DOCKERD_DIR
# (default /tmp/strata-dockerd) and stops it at the end unless --keep-daemon is given.
# THE DAEMON IS EMPTIED (all containers and images removed): the script refuses to run when it
# holds images tagged outside strata-test/ or containers not named strata-*, unless --force.
#
# Output, in OUTDIR:
#   cases.txt             one line per case: NAME<TAB>REF<TAB>TARFILE (TARFILE relative to OUTDIR)
#   NAME.tar              `docker save` of the image (by tag; app.tar holds both of its tags)
#   multi.tar             two images in one archive (cases multi-shell, multi-committed)
#   NAME.oci/, NAME.oci.tar  skopeo copies (oci:NAME.oci:TAG, oci-archive:NAME.oci.tar:TAG),
#                         TAG = the part of REF after its last ':'
#   NAME/*.txt, NAME/inspect.json  docker CLI outputs recorded right after `docker load`
#                         (file names and commands: see record() below)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
ctxsrc="$root/tests/docker"

DOCKER=${DOCKER:-docker}
if [ -x /usr/local/bin/docker ] && [ "$DOCKER" = docker ]; then DOCKER=/usr/local/bin/docker; fi
export DOCKER_BUILDKIT=0

keep=0 force=0 OUT=
for a in "$@"; do
    case "$a" in
        --keep-daemon) keep=1 ;;
        --force) force=1 ;;
        -*) echo "usage: $0 [--keep-daemon] [--force] OUTDIR" >&2; exit 2 ;;
        *) OUT=$a ;;
    esac
done
[ -n "$OUT" ] || { echo "usage: $0 [--keep-daemon] [--force] OUTDIR" >&2; exit 2; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd -P)
# OUTDIR is emptied below: only accept an empty directory or one this script filled before
if [ -n "$(ls -A "$OUT")" ] && [ ! -f "$OUT/cases.txt" ]; then
    echo "docker-fixtures: $OUT is not empty and holds no cases.txt; refusing to empty it" >&2
    exit 1
fi

t0=$(date +%s)
log() { echo "docker-fixtures: $* (+$(( $(date +%s) - t0 ))s)" >&2; }

started=0
if [ -z "${DOCKER_HOST:-}" ]; then
    ddir=${STRATA_DOCKERD_DIR:-/tmp/strata-dockerd}
    DOCKER_HOST=$("$here/dockerd.sh" start "$ddir")
    started=1
    log "started daemon $DOCKER_HOST (state in $ddir)"
fi
export DOCKER_HOST

work=$(mktemp -d /tmp/strata-fixtures.XXXXXX)
cleanup() {
    rm -rf "$work"
    if [ $started -eq 1 ] && [ $keep -eq 0 ]; then "$here/dockerd.sh" stop "$ddir" || true; fi
}
trap cleanup EXIT

d() { "$DOCKER" "$@"; }

# --- safety check, then empty the daemon -------------------------------------------------------
if [ $force -eq 0 ]; then
    foreign=$(d images --format '{{.Repository}}:{{.Tag}}' | grep -v -e '^strata-test/' -e '^<none>:<none>$' || true)
    fcont=$(d ps -a --format '{{.Names}}' | grep -v '^strata-' || true)
    if [ -n "$foreign$fcont" ]; then
        echo "docker-fixtures: $DOCKER_HOST holds images/containers this script did not make:" >&2
        echo "$foreign $fcont" | head -n 10 >&2
        echo "docker-fixtures: it would delete them; use a private daemon (scripts/dockerd.sh) or --force" >&2
        exit 1
    fi
fi

empty_daemon() {
    local ids
    ids=$(d ps -aq)
    if [ -n "$ids" ]; then d rm -f $ids >/dev/null; fi
    # prune -a removes every image no container uses, children before parents
    d image prune -a -f >/dev/null
    ids=$(d images -aq)
    if [ -n "$ids" ]; then
        echo "docker-fixtures: images left after prune: $ids" >&2
        d rmi -f $ids >/dev/null || true
    fi
    [ -z "$(d images -aq)" ] || { echo "docker-fixtures: could not empty the daemon" >&2; exit 1; }
}
empty_daemon
log "daemon empty"

# --- base image: docker import of a busybox-static rootfs --------------------------------------
bb=/bin/busybox
[ -x "$bb" ] || bb=$(command -v busybox || true)
[ -n "$bb" ] || { echo "docker-fixtures: busybox not found (run scripts/setup.sh)" >&2; exit 1; }
file -L "$bb" 2>/dev/null | grep -q 'statically linked' || \
    ldd "$bb" 2>&1 | grep -q 'not a dynamic' || { echo "docker-fixtures: $bb is not static (install busybox-static)" >&2; exit 1; }
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

# --- build context: tests/docker plus a generated tarball for ADD ------------------------------
ctx="$work/ctx"
mkdir -p "$ctx"
cp -a "$ctxsrc/." "$ctx/"
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

build() { # NAME TAG... (first tag is the main one)
    local f=$1; shift
    local tags=()
    for t in "$@"; do tags+=(-t "$t"); done
    if ! d build -q --network none -f "$ctx/$f.Dockerfile" "${tags[@]}" "$ctx" >"$work/build.log" 2>&1; then
        cat "$work/build.log" >&2
        echo "docker-fixtures: docker build of $f.Dockerfile failed" >&2
        exit 1
    fi
}
build app strata-test/app:1 strata-test/alias:latest
log "built app"
build shell strata-test/shell:1
build child strata-test/child:1
build newline strata-test/newline:1
build fs strata-test/fs:1
log "built shell, child, newline, fs"

# --- docker commit ------------------------------------------------------------------------------
d run --network none --name strata-commit strata-test/base:1 \
    sh -c 'echo changed > /etc/motd && rm /usr/share/doc/busybox/README' >/dev/null
d commit -a "Strata Tester <tester@example.com>" -m "commit: changed motd <&>" -c 'ENV X=1' \
    strata-commit strata-test/committed:1 >/dev/null
log "committed"

# --- save ---------------------------------------------------------------------------------------
# NAME REF [more tags saved with it]
CASES=(
    "base strata-test/base:1"
    "app strata-test/app:1 strata-test/alias:latest"
    "shell strata-test/shell:1"
    "child strata-test/child:1"
    "newline strata-test/newline:1"
    "committed strata-test/committed:1"
    "fs strata-test/fs:1"
)
MULTI=(strata-test/shell:1 strata-test/committed:1)
rm -rf "$OUT"/*
: >"$OUT/cases.txt"
for c in "${CASES[@]}"; do
    read -r -a w <<<"$c"
    d save -o "$OUT/${w[0]}.tar" "${w[@]:1}"
    printf '%s\t%s\t%s\n' "${w[0]}" "${w[1]}" "${w[0]}.tar" >>"$OUT/cases.txt"
done
d save -o "$OUT/multi.tar" "${MULTI[@]}"
for r in "${MULTI[@]}"; do
    n=${r#strata-test/}; n=multi-${n%%:*}
    printf '%s\t%s\t%s\n' "$n" "$r" multi.tar >>"$OUT/cases.txt"
done
log "saved"

# --- empty, load, record ------------------------------------------------------------------------
empty_daemon
log "emptied"

# FILE|RELATIVE|ARGS: the docker arguments that produce OUTDIR/NAME/FILE (the image ref goes
# last); RELATIVE=1 when the output holds relative times ("5 seconds ago"). ARGS is split into
# words, except that everything after "--format " is one argument. The table is also written to
# OUTDIR/commands.txt as FILE<TAB>RELATIVE<TAB>ARG<TAB>ARG..., which the Rust test reads.
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
# (fmt-misc fails on every image: `.Id` is not a field of the CLI's typed struct, so the CLI
# re-runs the template on the raw JSON, where Cmd is []interface{} and `join` fails. fmt-typed
# runs on the typed struct, fmt-raw on the raw JSON map. See tests/docker/FINDINGS.md.)
cmd_args() { # ENTRY -> sets global array ARGS
    local rest=${1#*|}; rest=${rest#*|}
    case "$rest" in
        *--format*) read -r -a ARGS <<<"${rest%%--format*}"; ARGS+=(--format "${rest#*--format }") ;;
        *) read -r -a ARGS <<<"$rest" ;;
    esac
}
: >"$OUT/commands.txt"
for c in "${COMMANDS[@]}"; do
    cmd_args "$c"
    rel=${c#*|}; rel=${rel%%|*}
    (IFS=$'\t'; printf '%s\t%s\t%s\n' "${c%%|*}" "$rel" "${ARGS[*]}") >>"$OUT/commands.txt"
done
# Records stdout in FILE; when docker fails, also its stderr in FILE.stderr and exit code in FILE.rc.
record() { # NAME REF
    local o="$OUT/$1" r=$2 c file rc
    mkdir -p "$o"
    for c in "${COMMANDS[@]}"; do
        file=${c%%|*}
        cmd_args "$c"
        rc=0
        d "${ARGS[@]}" "$r" >"$o/$file" 2>"$o/$file.stderr" || rc=$?
        if [ $rc -eq 0 ]; then rm -f "$o/$file.stderr"; else echo $rc >"$o/$file.rc"; fi
    done
}

for c in "${CASES[@]}"; do
    read -r -a w <<<"$c"
    mkdir -p "$OUT/${w[0]}"
    d load -i "$OUT/${w[0]}.tar" >"$OUT/${w[0]}/load.txt"
    record "${w[0]}" "${w[1]}"
done
# multi.tar holds images already loaded (no parent of one another): loading it changes nothing,
# so every recorded output stays true for the daemon's final state.
mkdir -p "$OUT/multi"
d load -i "$OUT/multi.tar" >"$OUT/multi/load.txt"
for r in "${MULTI[@]}"; do
    n=${r#strata-test/}; n=multi-${n%%:*}
    mkdir -p "$OUT/$n"
    cp "$OUT/multi/load.txt" "$OUT/$n/load.txt"
    record "$n" "$r"
done
log "loaded and recorded"

# --- OCI copies ---------------------------------------------------------------------------------
for c in "${CASES[@]}"; do
    read -r -a w <<<"$c"
    tag=${w[1]##*:}
    skopeo copy -q "docker-archive:$OUT/${w[0]}.tar" "oci:$OUT/${w[0]}.oci:$tag" >/dev/null
    skopeo copy -q "docker-archive:$OUT/${w[0]}.tar" "oci-archive:$OUT/${w[0]}.oci.tar:$tag" >/dev/null
done
log "skopeo copies done"
echo "$DOCKER_HOST"
