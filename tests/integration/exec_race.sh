#!/bin/sh
# tests/integration/exec_race.sh: a process that execs another program after
# heapsnap prepared (libc's base, layout, registry) but before the stop is
# recognised (hproc_same_image compares /proc/PID/auxv), and a process that
# did not exec is not.
. "$top_srcdir/tests/tap.sh"

probe="$top_builddir/tests/progs/walk_probe"
[ -x "$probe" ] || tap_bail "build tests/progs/walk_probe first"
work=$(mktemp -d "${TMPDIR:-/tmp}/hs-exec.XXXXXX")
pids=""
trap 'for p in $pids; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
mkfifo "$work/go" "$work/cont"

# run_probe NAME EXEC(0|1|2): a shell that waits on the fifo, then execs sleep
# (EXEC=1), exits (EXEC=2) or keeps waiting as itself (EXEC=0); the probe opens
# it, the target is released, then the probe stops it and compares.
run_probe() {
    if [ "$2" = 1 ]; then
        sh -c 'read x < "$1"; exec sleep 60' sh "$work/go" &
    elif [ "$2" = 2 ]; then
        sh -c 'read x < "$1"; exit 0' sh "$work/go" &
    else
        sh -c 'read x < "$1"; sleep 60; :' sh "$work/go" &
    fi
    tpid=$!
    pids="$pids $tpid"
    sleep 0.2
    "$probe" image "$tpid" < "$work/cont" > "$work/$1.out" 2> "$work/$1.err" &
    ppid=$!
    pids="$pids $ppid"
    exec 7> "$work/cont"
    i=0
    while [ "$i" -lt 3000 ] && ! grep -q opened "$work/$1.out"; do sleep 0.1; i=$((i + 1)); done
    echo > "$work/go"
    # Wait until the target has exec'd sleep (EXEC=1) or has started its own
    # sleep child (EXEC=0), so the probe's stop comes after.
    i=0
    while [ "$i" -lt 3000 ]; do
        if [ "$2" = 1 ]; then
            case $(readlink "/proc/$tpid/exe") in *sleep) break ;; esac
        elif [ "$2" = 2 ]; then
            wait "$tpid"
            break
        else
            pgrep -P "$tpid" sleep > /dev/null && break
        fi
        sleep 0.1
        i=$((i + 1))
    done
    echo go >&7
    exec 7>&-
    wait "$ppid"
}

run_probe noexec 0
tap_is "no exec: the same image" "$(tail -1 "$work/noexec.out")" "same"
run_probe exec 1
tap_ok "exec between preparation and stop: recognised" \
    grep -q "^changed: process [0-9]* started another program (execve) while heapsnap was getting ready; take the snapshot again" "$work/exec.out"
# The process exits between preparation and stop: the stop fails, and that
# is not taken for an exec (heapsnap then says the process exited, instead of
# preparing again and saying there is no such process).
run_probe exited 2
tap_is "exit between preparation and stop: not an exec" "$(tail -1 "$work/exited.out")" \
    "stop failed; image: same"
tap_done
