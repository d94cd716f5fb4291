#!/bin/sh
# tests/integration/faults_threads.sh: threads that make the stop hard. (1) A
# thread creates and joins short-lived threads back to back during snapshots;
# (2) a thread spends its time inside malloc_trim and large frees, holding the
# main arena's lock, so stops often catch it there. Every snapshot must succeed
# (heapsnap lets the threads inside malloc run on until they are out; giving
# up on the held lock is a failure), leave no thread stopped, and write a
# valid profile; at quiescent points the totals still equal mallinfo2.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/stress/stress_lib.sh"

n=${FAULT_THREAD_SNAPSHOTS:-5}
[ -x "$HEAPSNAP" ] && [ -x "$STRESS_PROG" ] && [ -f "$HOOK_SO" ] ||
    tap_bail "build heapsnap, libheapsnap.so and tests/stress/stress_prog first"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hs-threads.XXXXXX")
sl_pid=""
trap '[ -n "$sl_pid" ] && sl_stop "$sl_pid"; rm -rf "$tmp"' EXIT

run_case() {
    name=$1; shift
    sl_start "$tmp/$name.out" LD_PRELOAD="$HOOK_SO" HEAPSNAP_RATE=1 -- "$@" ||
        { tap_ok "$name: program started" false; return; }
    pid=$sl_pid
    ok=0; gaveup=0; stopped=0; invalid=0; first=""; retries=0
    i=1
    while [ "$i" -le "$n" ]; do
        f="$tmp/$name-$i.pb.gz"
        "$HEAPSNAP" -p "$pid" -o "$f" --json > "$tmp/j" 2> "$tmp/err"
        rc=$?
        if [ "$rc" -eq 0 ]; then
            ok=$((ok + 1))
            r=$(sed -n 's/.*"busy_retries":\([0-9]*\).*/\1/p' "$tmp/j")
            retries=$((retries + ${r:-0}))
            "$PPROFCHECK" -heap "$f" > /dev/null 2>&1 || invalid=$((invalid + 1))
        elif grep -q 'stayed busy' "$tmp/err"; then
            gaveup=$((gaveup + 1))
            [ -z "$first" ] && first="gave up: $(cat "$tmp/err")"
        else
            [ -z "$first" ] && first="snapshot $i: exit $rc: $(head -n 3 "$tmp/err" | tr '\n' ' ')"
        fi
        sl_running "$pid" || stopped=$((stopped + 1))
        i=$((i + 1))
    done
    echo "# $name: $ok snapshots, $gaveup gave up on a held lock, $retries busy retries in all"
    [ -n "$first" ] && echo "# $name: $first"
    tap_is "$name: every snapshot succeeds" "$ok ok, $gaveup gave up" "$n ok, 0 gave up"
    tap_is "$name: no thread left stopped" "$stopped" 0
    tap_is "$name: every profile valid" "$invalid" 0
    if sl_quiesce "$pid" "$tmp/$name.out" 1; then
        sl_compare "$pid" "$tmp/$name.out" 1 "$tmp/stats.json"
        tap_is "$name: walker totals equal mallinfo2 at a quiescent point" "$sl_got" "$sl_want"
        sl_resume "$pid"
    else
        tap_ok "$name: every thread parks at a quiescent point" false
    fi
    tap_ok "$name: program still runs" sl_running "$pid"
    sl_stop "$pid"; sl_pid=""
}

run_case thread-churn -t 2 -c
# at nice 0: resumed briefly, the lock holder must get the CPU to let go
STRESS_NICE=0
run_case lock-holder -t 2 -l
tap_done
