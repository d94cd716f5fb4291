#!/bin/sh
# tests/integration/faults_kill.sh: SIGKILL heapsnap at random moments during
# FAULT_KILLS snapshots (default 30; the full run uses 200) of a 4-thread
# allocation-heavy program with the hook at rate 1. After every kill the
# program must run with no thread stopped; a file under the final name must be
# a complete, valid profile; at the end every worker still parks, the walker's
# totals still equal mallinfo2, and a normal snapshot still works.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/stress/stress_lib.sh"

kills=${FAULT_KILLS:-30}
[ -x "$HEAPSNAP" ] && [ -x "$STRESS_PROG" ] && [ -f "$HOOK_SO" ] ||
    tap_bail "build heapsnap, libheapsnap.so and tests/stress/stress_prog first"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hs-kill.XXXXXX")
sl_pid=""
trap '[ -n "$sl_pid" ] && sl_stop "$sl_pid"; rm -rf "$tmp"' EXIT

sl_start "$tmp/prog.out" LD_PRELOAD="$HOOK_SO" HEAPSNAP_RATE=1 -- -t 4 -s 7 ||
    tap_bail "stress_prog did not start"
pid=$sl_pid

ms_now() { date +%s%3N; }
# How long one snapshot takes here: kills are spread over 0..120% of it, so
# they land in every phase (attach, stop, walk, registry, symbolize, write).
t0=$(ms_now)
"$HEAPSNAP" -p "$pid" -o "$tmp/base.pb.gz" 2> "$tmp/base.err"
tap_is "a first snapshot exits 0" "$?" 0
span=$(( ($(ms_now) - t0) * 12 / 10 ))
[ "$span" -gt 0 ] || span=1
echo "# one snapshot takes about $((span * 10 / 12)) ms; kills spread over 0-$span ms"

stopped=0; errors=0; raced=0; killed=0; finished=0; bad_out=0; leftovers=0; first=""
i=1
while [ "$i" -le "$kills" ]; do
    out="$tmp/k-$i.pb.gz"
    r=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
    d=$((r % span))
    # timeout(1) is heapsnap's parent: it kills its own child, never a PID the
    # system reused after heapsnap had finished (the shell may reap early).
    # --foreground: timeout then waits for heapsnap to be reaped (exit 137)
    # instead of killing its own process group, itself included, and returning
    # while heapsnap is still exiting and its tracees not yet detached (an
    # ASan-built heapsnap takes a while to unmap its shadow memory).
    timeout --foreground -s KILL "$((d / 1000)).$(printf %03d $((d % 1000)))" \
        "$HEAPSNAP" -p "$pid" -o "$out" > /dev/null 2>&1
    rc=$?
    # 124: the timer fired as heapsnap was exiting by itself; timeout then
    # reports 124 and heapsnap's own status is lost (its file is still checked).
    if [ "$rc" -eq 124 ]; then raced=$((raced + 1)); rc=137; fi
    if [ "$rc" -eq 137 ]; then killed=$((killed + 1)); else finished=$((finished + 1)); fi
    if [ "$rc" -ne 137 ] && [ "$rc" -ne 0 ]; then
        errors=$((errors + 1))
        [ -z "$first" ] && first="snapshot $i, not killed, exited $rc"
    fi
    if ! sl_running "$pid"; then
        stopped=$((stopped + 1))
        [ -z "$first" ] && first="kill $i after $d ms: thread states '$(sl_state "$pid")'"
    fi
    if [ -e "$out" ] && ! "$PPROFCHECK" -heap "$out" > /dev/null 2>&1; then
        bad_out=$((bad_out + 1))
        [ -z "$first" ] && first="kill $i after $d ms: $out is not a valid profile"
    fi
    if [ "$rc" -ne 137 ] && [ "$rc" -eq 0 ] && [ ! -e "$out" ]; then
        bad_out=$((bad_out + 1))
        [ -z "$first" ] && first="snapshot $i exited 0 but wrote no file"
    fi
    i=$((i + 1))
done
leftovers=$(ls -A "$tmp" | grep -c '^\..*\.tmp')
echo "# $kills kills: $killed landed while heapsnap ran ($raced as it exited), $finished after it had finished;" \
    "$leftovers temp files left by killed runs (never under a final name)"
[ -n "$first" ] && echo "# first problem: $first"
tap_is "after each of $kills kills the program runs with no thread stopped" "$stopped" 0
tap_is "no snapshot that escaped the kill failed" "$errors" 0
tap_is "every file under a final name is a complete, valid profile" "$bad_out" 0
tap_ok "every worker still runs and parks after the kills" sl_quiesce "$pid" "$tmp/prog.out" 1
sl_compare "$pid" "$tmp/prog.out" 1 "$tmp/stats.json"
tap_is "walker totals equal mallinfo2 after the kills" "$sl_got" "$sl_want"
sl_resume "$pid"
"$HEAPSNAP" -p "$pid" -o "$tmp/after.pb.gz" > /dev/null 2> "$tmp/after.err"
tap_is "a normal snapshot after the kills exits 0" "$?" 0
tap_ok "and its profile passes pprofcheck -heap" "$PPROFCHECK" -heap "$tmp/after.pb.gz"
tap_ok "the program still runs at the end" sl_running "$pid"
tap_done
