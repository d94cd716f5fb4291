#!/bin/sh
# tests/integration/attach_blocking.sh: --attach and --detach while every
# thread of tests/progs/inj_blocker sits in a blocking call (read, accept,
# epoll_wait, condition waits with and without a timeout, clock_nanosleep,
# sigsuspend, pthread_join): afterwards each call completes as if nothing had
# happened -- the program's own output says so -- and it exits 0.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
. "$top_srcdir/tests/integration/attach_common.sh"
BLOCKER=$top_builddir/tests/progs/inj_blocker
[ -x "$BLOCKER" ] || tap_bail "tests/progs/inj_blocker is not built"
command -v python3 > /dev/null || tap_skip_all "python3 is needed to connect to the program's socket"

# run MODE: attach (and detach, for MODE=cycle) while blocked, then release.
run() {
    d=$snap_tmp/$1
    mkdir -p "$d"
    mkfifo "$d/in" "$d/ep"
    "$BLOCKER" "$d/sock" < "$d/in" 3< "$d/ep" > "$d/out" 2>&1 &
    bpid=$!
    snap_pids="$snap_pids $bpid"
    exec 8> "$d/in" 9> "$d/ep"
    # every thread blocked in its call: eight threads, each in a system call
    i=0
    while :; do
        n=0
        for t in /proc/$bpid/task/*/syscall; do
            case $(cut -d' ' -f1 "$t" 2>/dev/null) in [0-9]*) n=$((n + 1)) ;; esac
        done
        [ $n -eq 8 ] && grep -q "^tid main" "$d/out" && break
        i=$((i + 1))
        [ $i -gt 6000 ] && tap_bail "inj_blocker's threads never all blocked"
        sleep 0.05
    done
    "$HEAPSNAP" -p $bpid --attach 2> "$d/err"
    rc=$?
    tap_is "$1: --attach while every thread blocks" "$rc" 0
    [ $rc = 0 ] || sed 's/^/# /' "$d/err"
    if [ "$1" = cycle ]; then
        "$HEAPSNAP" -p $bpid --detach 2> "$d/err"
        rc=$?
        tap_is "$1: --detach while every thread blocks" "$rc" 0
        [ $rc = 0 ] || sed 's/^/# /' "$d/err"
    fi
    printf x >&8
    printf e >&9
    kill -USR1 $bpid
    python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.close()' "$d/sock"
    exec 8>&- 9>&-
    wait $bpid
    tap_is "$1: the program exits 0" "$?" 0
    for w in "read ok x" "accept ok" "epoll ok" "cond ok" "timedcond ok" "sleep ok" \
        "sigsuspend ok handled=1 mask=blocked" "done failures=0"; do
        tap_ok "$1: $w" grep -q "^$w\$" "$d/out"
    done
    grep -q "FAIL" "$d/out" && sed 's/^/# /' "$d/out"
}
run attach
run cycle
tap_done
