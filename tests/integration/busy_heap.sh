#!/bin/sh
# tests/integration/busy_heap.sh: the quiet-heap check. A target stuck inside
# malloc_stats() (arena lock held, pc in write(), malloc.c six frames up) must
# be seen as busy, both by its lock word and by unwinding its stack, and
# `heapsnap --stats` must give up with the reason and leave it running; a
# signal sent to it while heapsnap holds it stopped must still reach it; an
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
    while [ ! -s "$1" ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
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
tap_ok "and says the heap stayed busy, and why" grep -Eq "stayed busy through [0-9]+ tries \(arena 0x" \
    "$work/err"
tap_not_stopped "the stuck target still runs (not stopped)" "$spid"

# A SIGTERM sent while heapsnap holds the target stopped (it keeps trying on
# the busy heap) is caught by ptrace; it must be delivered once heapsnap lets
# go, so the target ends by it (status 143), not runs on.
"$stuck" >"$work/stuck2.out" &
s2=$!
pids="$pids $s2"
wait_line "$work/stuck2.out"
# (--max-pause 3s: long enough to send the signal while it waits; then the
# snapshot is taken anyway, approximate, and the process let go)
"$heapsnap" -p "$s2" --max-pause 3s -o "$work/sig.pb.gz" --json >"$work/sig.json" \
    2>"$work/sig.err" &
hp=$!
# Until heapsnap is the target's tracer (a hang guard, not a timing claim).
# Not "until a thread is in a ptrace stop": while the budget runs, heapsnap
# lets the one thread inside malloc run, so a stop is seen only by luck.
n=0
while [ "$(sed -n 's/^TracerPid:[[:space:]]*//p' /proc/"$s2"/status 2>/dev/null)" != "$hp" ] &&
    kill -0 "$hp" 2>/dev/null && [ $n -lt 3000 ]; do
    sleep 0.01
    n=$((n + 1))
done
tap_is "heapsnap holds the stuck target (is its tracer)" \
    "$(sed -n 's/^TracerPid:[[:space:]]*//p' /proc/"$s2"/status)" "$hp"
kill -TERM "$s2"
wait "$hp"
tap_is "heapsnap exits 0 once the budget runs out" "$?" 0
tap_ok "with an approximate snapshot" grep -q '"approximate":true' "$work/sig.json"
n=0 # a lost signal leaves the target running: end it after a hang guard
while kill -0 "$s2" 2>/dev/null && [ "$(sed 's/.*) //' /proc/"$s2"/stat | cut -c1)" != Z ] &&
    [ $n -lt 1000 ]; do
    sleep 0.01
    n=$((n + 1))
done
kill -KILL "$s2" 2>/dev/null
wait "$s2"
tap_is "the SIGTERM reached the target: it ended by it" "$?" 143
pids=$(echo "$pids" | sed "s/ $s2\b//")

"$idle" 4 3 >"$work/idle.out" &
ipid=$!
pids="$pids $ipid"
wait_line "$work/idle.out"
"$probe" inside "$ipid" >"$work/inside2"
tap_is "idle target: every thread outside malloc" "$(grep -c 'is outside malloc$' "$work/inside2")" 4
tap_is "idle target: quiet" "$("$probe" busy "$ipid")" \
    "quiet (no malloc lock held, no thread inside malloc)"
tap_done
