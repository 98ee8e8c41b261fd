#!/usr/bin/env bash
# Private Docker daemon whose whole state lives in one directory.
#
#   scripts/dockerd.sh start DIR   start it, wait until it answers, print DOCKER_HOST on stdout
#   scripts/dockerd.sh stop DIR    stop it, wait, unmount anything left under DIR
#
# Layout: DIR/data (data-root), DIR/exec (exec-root), DIR/docker.sock, DIR/pid, DIR/log,
# DIR/daemon.json (empty config, so /etc/docker/daemon.json is not read).
# Unix socket paths are limited to 107 bytes, and containerd puts its sockets under
# exec-root/containerd/. When DIR is too long for that, the socket and exec-root go to a short
# directory /tmp/strd-<hash of DIR> instead (its path is written to DIR/short); a note says so on
# stderr.
set -euo pipefail

DOCKER=${DOCKER:-docker}
if [ -x /usr/local/bin/docker ] && [ "$DOCKER" = docker ]; then DOCKER=/usr/local/bin/docker; fi

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
mkdir -p "$2"
DIR=$(cd "$2" && pwd -P)

# Where the socket and exec-root live (short path when DIR is too long).
runbase() {
    if [ -f "$DIR/short" ]; then cat "$DIR/short"; return; fi
    # longest socket under exec-root: exec/containerd/containerd.sock.ttrpc (35 bytes)
    if [ $(( ${#DIR} + 40 )) -ge 100 ]; then
        local h
        h=$(printf '%s' "$DIR" | sha256sum | cut -c1-12)
        echo "/tmp/strd-$h"
    else
        echo "$DIR"
    fi
}

umount_under() {
    local base=$1
    # mount points are field 5 of mountinfo (octal-escaped); deepest first
    awk -v b="$base/" '{ p=$5; gsub(/\\040/, " ", p); if (index(p, b) == 1) print p }' /proc/self/mountinfo \
        | sort -r | while IFS= read -r m; do
            umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || echo "dockerd.sh: could not unmount $m" >&2
        done
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# the process must really be the one we started (not a recycled pid)
is_ours() {
    local pid=$1 name=$2
    alive "$pid" || return 1
    [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = "$name" ]
}

stop_pid() {
    local pid=$1 name=$2 i
    is_ours "$pid" "$name" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 150); do
        alive "$pid" || return 0
        sleep 0.2
    done
    echo "dockerd.sh: $name ($pid) did not stop in 30 s, killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do alive "$pid" || return 0; sleep 0.1; done
}

do_stop() {
    local RUN pid cpid
    RUN=$(runbase)
    pid=$(cat "$DIR/pid" 2>/dev/null || true)
    cpid=$(cat "$RUN/exec/containerd/containerd.pid" 2>/dev/null || true)
    if [ -n "$pid" ]; then stop_pid "$pid" dockerd; fi
    # dockerd stops its own containerd; make sure it is gone if dockerd was killed
    if [ -n "$cpid" ]; then stop_pid "$cpid" containerd; fi
    umount_under "$DIR"
    if [ "$RUN" != "$DIR" ]; then
        umount_under "$RUN"
        rm -rf "$RUN" 2>/dev/null || true
        rm -f "$DIR/short"
    fi
    rm -f "$DIR/pid"
}

check_overlay() {
    local t="$DIR/overlay-check" ok=0
    rm -rf "$t"
    mkdir -p "$t/lower" "$t/upper" "$t/work" "$t/merged"
    echo x >"$t/lower/f"
    if mount -t overlay overlay -o "lowerdir=$t/lower,upperdir=$t/upper,workdir=$t/work" "$t/merged" 2>"$t.err"; then
        [ "$(cat "$t/merged/f" 2>/dev/null)" = x ] && ok=1
        umount "$t/merged" || umount -l "$t/merged" || true
    fi
    if [ $ok -ne 1 ]; then
        echo "dockerd.sh: overlay2 does not work here (an overlay mount under $DIR failed: $(cat "$t.err" 2>/dev/null))." >&2
        echo "dockerd.sh: Docker's sizes depend on the overlay2 driver; refusing to start with another one." >&2
        rm -rf "$t" "$t.err"
        return 1
    fi
    rm -rf "$t" "$t.err"
}

do_start() {
    local RUN SOCK pid i
    if [ "$(id -u)" -ne 0 ]; then echo "dockerd.sh: must run as root" >&2; exit 1; fi
    command -v dockerd >/dev/null || { echo "dockerd.sh: dockerd not found (run scripts/setup.sh)" >&2; exit 1; }
    command -v "$DOCKER" >/dev/null || { echo "dockerd.sh: docker CLI not found" >&2; exit 1; }
    RUN=$(runbase)
    SOCK="$RUN/docker.sock"
    pid=$(cat "$DIR/pid" 2>/dev/null || true)
    if is_ours "$pid" dockerd && DOCKER_HOST="unix://$SOCK" "$DOCKER" info >/dev/null 2>&1; then
        echo "unix://$SOCK"
        return 0
    fi
    # leftovers of an earlier run
    do_stop
    RUN=$(runbase)
    SOCK="$RUN/docker.sock"
    if [ "$RUN" != "$DIR" ]; then
        echo "dockerd.sh: $DIR is too long for unix sockets; using $RUN for the socket and exec-root" >&2
        mkdir -p "$RUN"
        echo "$RUN" >"$DIR/short"
    fi
    check_overlay || exit 1
    mkdir -p "$DIR/data" "$RUN/exec"
    echo '{}' >"$DIR/daemon.json"
    : >"$DIR/log"
    setsid dockerd \
        --config-file "$DIR/daemon.json" \
        --storage-driver=overlay2 \
        --iptables=false --ip6tables=false --bridge=none \
        --data-root "$DIR/data" \
        --exec-root "$RUN/exec" \
        -H "unix://$SOCK" \
        --pidfile "$DIR/pid" \
        </dev/null >>"$DIR/log" 2>&1 &
    pid=$!
    for i in $(seq 1 300); do
        if DOCKER_HOST="unix://$SOCK" "$DOCKER" info >/dev/null 2>&1; then
            local drv
            drv=$(DOCKER_HOST="unix://$SOCK" "$DOCKER" info --format '{{.Driver}}' 2>/dev/null || true)
            if [ "$drv" != overlay2 ]; then
                echo "dockerd.sh: daemon came up with storage driver '$drv', not overlay2" >&2
                do_stop
                exit 1
            fi
            echo "unix://$SOCK"
            return 0
        fi
        if ! alive "$pid"; then break; fi
        sleep 0.2
    done
    echo "dockerd.sh: daemon did not answer on unix://$SOCK within 60 s; last log lines:" >&2
    tail -n 30 "$DIR/log" >&2 || true
    do_stop
    exit 1
}

case "$cmd" in
    start) do_start ;;
    stop) do_stop ;;
    *) usage ;;
esac
