#!/bin/sh
# tests/integration/safepoint.sh: snapshots of 64 threads that only malloc and
# free, under the hook (issue 22): the threads inside its allocator calls park
# on the way out, so every snapshot is exact and no thread is waited for
# twice; at the program's own quiescent points the walk equals its mallinfo2;
# a heapsnap killed while threads are parked (a stand-in that never withdraws
# its request, and heapsnap itself at arbitrary moments) leaves a program that
# goes on allocating; and the program's own checks pass to the end.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
. "$top_srcdir/tests/integration/busy_lib.sh"
POSTER=$top_builddir/tests/progs/sp_poster
[ -x "$POSTER" ] || tap_skip_all "tests/progs/sp_poster is not built"
[ -e "$HOOK" ] || tap_skip_all "libheapsnap.so is not built"

busy_start 64 7 "$HOOK"
pid=$busy_pid

# With a budget that never runs out here, exactness is what the safepoint
# gives, not luck: every snapshot is exact and none needed a second round.
# SAFEPOINT_SNAPSHOTS (default 12) raises the count for a long run (issue
# 22's 200).
nsnap=${SAFEPOINT_SNAPSHOTS:-12}
ok=0 exact=0 oneround=0 parked=0 said=0 rt=0
for k in $(seq "$nsnap"); do
    j=$snap_tmp/s$k.json
    if "$HEAPSNAP" -p "$pid" --max-pause 20s -o "$snap_tmp/s$k.pb.gz" --json >"$j" \
        2>"$snap_tmp/s$k.err" && snap_valid -heap "$snap_tmp/s$k.pb.gz"; then
        ok=$((ok + 1))
    else
        echo "# snapshot $k: $(cat "$snap_tmp/s$k.err")"
    fi
    [ "$(jval "$j" approximate)" = false ] && [ "$(jval "$j" busy_threads)" = 0 ] &&
        exact=$((exact + 1))
    [ "$(jval "$j" busy_retries)" = 0 ] && oneround=$((oneround + 1))
    [ "$(jval "$j" realtime)" = true ] && rt=$((rt + 1))
    parked=$((parked + ${p:=$(jval "$j" parked_threads)}))
    (cd "$snap_tmp" && HOME=$snap_tmp "$GO" tool pprof -comments "$snap_tmp/s$k.pb.gz" 2>/dev/null) |
        grep -q "safepoint [0-9.]* with $(jval "$j" parked_threads) threads parked" && said=$((said + 1))
    echo "# snapshot $k: pause $(jval "$j" pause_us) us (stop $(jval "$j" stop_us)," \
        "safepoint $(jval "$j" safepoint_us) with $(jval "$j" parked_threads) parked," \
        "wait $(jval "$j" wait_us), copy $(jval "$j" copy_us)), retries $(jval "$j" busy_retries)"
    unset p
done
tap_is "$nsnap snapshots of 64 busy threads under the hook complete, valid heap profiles" "$ok" "$nsnap"
tap_is "every one exact (none approximate, no thread left inside malloc)" "$exact" "$nsnap"
# The fast paths keep no word: a thread let run out of glibc's malloc parks at
# its next allocator call. On an idle machine every round ends quiet; under
# CI's load (stops of 300 ms, naps overslept by 500 ms) one in twelve has
# needed a retry, so two are allowed.
tap_ok "nearly every one quiet after the safepoint's round ($oneround of $nsnap without busy retries)" \
    [ "$oneround" -ge $((nsnap - 2)) ]
tap_ok "threads parked at the safepoint ($parked over $nsnap snapshots)" [ "$parked" -gt 0 ]
tap_is "the profile's comment names the safepoint and its parked threads" "$said" "$nsnap"
# The end of the pause runs as SCHED_FIFO where heapsnap may (heapsnap(1)):
# lost once when main's nice -20 for the whole run made the stop's own
# raise a no-op, which it had been the condition for; detaching the 64
# threads then took 5-50 ms instead of 0.1-0.3.
if chrt -f 1 true 2>/dev/null; then
    tap_is "every one ran the capture and the resume as SCHED_FIFO" "$rt" "$nsnap"
else
    tap_skip "this user may not use SCHED_FIFO"
fi

# The default budget: every snapshot completes.
ok=0
for k in 1 2 3 4 5 6; do
    "$HEAPSNAP" -p "$pid" -o "$snap_tmp/d$k.pb.gz" --json >"$snap_tmp/d$k.json" 2>/dev/null &&
        ok=$((ok + 1))
done
tap_is "6 snapshots with the default budget complete" "$ok" 6

# At quiescent points nobody is inside the hook: no safepoint round, and the
# walk equals the program's mallinfo2.
qok=0
for k in 1 2 3; do
    busy_quiescent || tap_bail "no quiescent point $busy_seq"
    j=$snap_tmp/q$k.json
    "$HEAPSNAP" -p "$pid" -o "$snap_tmp/q$k.pb.gz" --json >"$j" 2>/dev/null
    want=$(busy_prog_mi) got=$(busy_comment_mi "$snap_tmp/q$k.pb.gz")
    if [ "$(jval "$j" approximate)" = false ] && [ "$(jval "$j" parked_threads)" = 0 ] &&
        [ "$(jval "$j" safepoint_us)" = 0 ] && [ "$want" = "$got" ]; then
        qok=$((qok + 1))
    else
        echo "# quiescent point $busy_seq: program $want, profile $got, $(cat "$j")"
    fi
    busy_resume || tap_bail "pause_busy did not resume from quiescent point $busy_seq"
done
tap_is "3 quiescent points: no thread parked, mallinfo2 equal to the program's" "$qok" 3

# A heapsnap killed with threads parked: sp_poster posts the request, lets
# every thread run until all 64 workers have parked, stops them again and is
# killed without withdrawing it. The threads notice that their poster is gone
# and go on; the program reaches its next quiescent point.
"$POSTER" "$pid" 64 >"$snap_tmp/poster.out" 2>"$snap_tmp/poster.err" &
ppid=$!
until grep -q '"parked"' "$snap_tmp/poster.out" || ! kill -0 "$ppid" 2>/dev/null; do
    sleep 0.05
done
if grep -q '"parked"' "$snap_tmp/poster.out"; then
    tap_ok "the stand-in parked the workers ($(cat "$snap_tmp/poster.out"))" true
else
    tap_ok "the stand-in parked the workers: $(cat "$snap_tmp/poster.err")" false
fi
kill -9 "$ppid"
wait "$ppid" 2>/dev/null
tap_ok "killed with the request posted: the program goes on allocating" busy_quiescent
busy_resume || tap_bail "pause_busy did not resume from quiescent point $busy_seq"
tap_ok "no thread left stopped or traced" snap_running "$pid"

# heapsnap itself killed at moments spread over its run (before, during and
# after the stop and the safepoint).
for k in 1 2 3 4 5 6 7 8 9 10; do
    "$HEAPSNAP" -p "$pid" -o "$snap_tmp/k.pb.gz" >/dev/null 2>&1 &
    hp=$!
    sleep "0.$((k * 9))"
    kill -9 "$hp" 2>/dev/null
    wait "$hp" 2>/dev/null
done
tap_ok "10 heapsnaps killed: the program goes on allocating" busy_quiescent
busy_resume || tap_bail "pause_busy did not resume from quiescent point $busy_seq"
"$HEAPSNAP" -p "$pid" --max-pause 20s -o "$snap_tmp/after.pb.gz" --json >"$snap_tmp/after.json" \
    2>"$snap_tmp/after.err"
tap_is "then a snapshot completes, exact" "$?:$(jval "$snap_tmp/after.json" approximate)" "0:false"

# The program's own checks passed: closing its input ends it with 0.
exec 7>&-
wait "$pid"
tap_is "the 64-thread program exits 0 (its blocks intact)" "$?" 0
tap_done
