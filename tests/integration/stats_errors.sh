#!/bin/sh
# tests/integration/stats_errors.sh: `heapsnap --stats` failures name their
# cause: no such process, ptrace not permitted, already traced.
. "$top_srcdir/tests/tap.sh"

heapsnap=$top_builddir/heapsnap
target=$top_builddir/tests/progs/varied_heap
work=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# a PID above pid_max cannot exist
nopid=$(($(cat /proc/sys/kernel/pid_max) + 1))
"$heapsnap" -p "$nopid" --stats >"$work/out" 2>"$work/err"
tap_is "no such process: exit 1" "$?" 1
tap_ok "no such process: says so" grep -q "no such process" "$work/err"
tap_is "no such process: nothing on stdout" "$(wc -c <"$work/out")" 0

"$target" 1 0 >"$work/t.out" &
pid=$!
pids="$pids $pid"
i=0
while [ ! -s "$work/t.out" ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
    setpriv --reuid=65534 --regid=65534 --clear-groups "$heapsnap" -p "$pid" --stats \
        >/dev/null 2>"$work/err"
    tap_is "not permitted: exit 1" "$?" 1
    tap_ok "not permitted: names the cause" grep -Eq "not permitted|as root" "$work/err"
else
    tap_skip "not permitted: needs root and setpriv"
fi

if command -v gdb >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    # gdb holds the target (attached, stopped) while heapsnap tries
    gdb -q -batch -nx -p "$pid" -ex 'shell sleep 3' >/dev/null 2>&1 &
    gdbpid=$!
    pids="$pids $gdbpid"
    i=0
    while [ "$(sed -n 's/^TracerPid:[[:space:]]*//p' "/proc/$pid/status")" = 0 ] && [ $i -lt 3000 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    "$heapsnap" -p "$pid" --stats >/dev/null 2>"$work/err"
    tap_is "already traced: exit 1" "$?" 1
    tap_ok "already traced: names the tracer" grep -q "already traced by PID" "$work/err"
    wait "$gdbpid" 2>/dev/null
else
    tap_skip "already traced: needs gdb and root"
fi

"$heapsnap" -p "$pid" --stats >"$work/table" 2>"$work/err"
tap_is "table: exit 0 once the tracer is gone" "$?" 0
tap_ok "table: has the mallinfo2 line" grep -q "^mallinfo2: arena=" "$work/table"
tap_ok "table: has the main arena row" grep -q "^0\* " "$work/table"
tap_not_stopped "target still running" "$pid"
tap_done
