#!/bin/sh
# tests/integration/busy_heap.sh: the quiet-heap check. A target stuck inside
# malloc_stats() (arena lock held, pc in write(), malloc.c six frames up) must
# be seen as busy, both by its lock word and by unwinding its stack, and
# `heapsnap --stats` must give up with the reason and leave it running; an
# idle multi-threaded target must be quiet.
. "$top_srcdir/tests/tap.sh"

heapsnap=$top_builddir/heapsnap
probe=$top_builddir/tests/progs/walk_probe
stuck=$top_builddir/tests/progs/stuck_malloc
idle=$top_builddir/tests/progs/varied_heap
[ "$(id -u)" = 0 ] || tap_skip_all "ptrace of a non-child needs root"

work=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

wait_line() {
    i=0
    while [ ! -s "$1" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
}

"$stuck" >"$work/stuck.out" &
spid=$!
pids="$pids $spid"
wait_line "$work/stuck.out"

"$probe" inside "$spid" >"$work/inside"
tap_ok "unwinding finds the malloc.c frame under write()" \
    grep -Eq "is inside malloc \(frame [1-9][0-9]* returns to 0x" "$work/inside"
tap_is "exactly one thread is inside malloc" "$(grep -c 'is inside malloc' "$work/inside")" 1
"$probe" busy "$spid" >"$work/busy"
tap_ok "busy: main_arena's lock word is held" grep -Eq "^busy: arena 0x[0-9a-f]+ is locked \(1\)$" \
    "$work/busy"
"$heapsnap" -p "$spid" --stats >"$work/out" 2>"$work/err"
tap_is "heapsnap --stats gives up: exit 1" "$?" 1
tap_ok "and says the heap stayed busy, and why" grep -q "stayed busy through 50 tries (arena 0x" \
    "$work/err"
tap_is "the stuck target still runs (not stopped)" \
    "$(sed 's/.*) //' "/proc/$spid/stat" | cut -d' ' -f1)" S

"$idle" 4 3 >"$work/idle.out" &
ipid=$!
pids="$pids $ipid"
wait_line "$work/idle.out"
"$probe" inside "$ipid" >"$work/inside2"
tap_is "idle target: every thread outside malloc" "$(grep -c 'is outside malloc$' "$work/inside2")" 4
tap_is "idle target: quiet" "$("$probe" busy "$ipid")" \
    "quiet (no malloc lock held, no thread inside malloc)"
tap_done
